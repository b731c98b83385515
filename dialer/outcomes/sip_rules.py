"""Where a SIP status says more than the hangup cause mod_sofia folds it into.

Rule 5 of classify.py's order reads ``SIP_OVERRIDES`` after the cause table
(cause_rules.py); docs/outcomes.md prints both (``python -m dialer.outcomes.table``).
"""

from __future__ import annotations

from typing import NamedTuple

from dialer.domain.enums import RecallStatus, ReportKey

__all__ = ["SIP_OVERRIDES", "SipRule"]

R = RecallStatus
K = ReportKey


class SipRule(NamedTuple):
    recall_status: RecallStatus
    report_key: ReportKey
    why: str


# Where a SIP status says more than the cause mod_sofia folds it into. Applied only
# when the cause in hand is the one mod_sofia derives from that status (or was
# derived from it here): a Q.850 Reason header that gave another cause wins.
SIP_OVERRIDES: dict[int, SipRule] = {
    400: SipRule(R.FAILED, K.FAILED, "our INVITE was malformed; mod_sofia lumps it with 503"),
    401: SipRule(R.FAILED, K.FAILED, "carrier authentication failed: gateway credentials"),
    402: SipRule(R.FAILED, K.FAILED, "the carrier account is out of credit"),
    403: SipRule(R.PHONE_BLOCK, K.FAILED, "the carrier forbids the call: our number or trunk is barred, not a decline"),
    407: SipRule(R.FAILED, K.FAILED, "carrier authentication failed: gateway credentials"),
    429: SipRule(R.CONGESTION, K.FAILED, "the carrier rate-limits us; mod_sofia says NORMAL_UNSPECIFIED"),
    481: SipRule(R.FAILED, K.FAILED, "the dialog was lost: a protocol error"),
    500: SipRule(R.FAILED, K.FAILED, "the far end's internal error, not a capacity signal like 503"),
    504: SipRule(R.CONGESTION, K.FAILED, "an upstream server timed out: network trouble, unlike 408"),
    608: SipRule(R.PHONE_BLOCK, K.FAILED, "an intermediary (spam filter) rejected calls from our number"),
}
