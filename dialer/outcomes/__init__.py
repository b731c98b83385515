"""Call outcomes: FreeSWITCH hangup causes → recall_status, report key, VBot status.

See docs/outcomes.md for the full table and every decision. ``recall`` (what
happens to the lead afterwards) lives beside it and is imported on its own.
"""

from dialer.esl.causes import Q850, SIP_PHRASES, SIP_TO_CAUSE, cause_from_q850, sip_to_cause
from dialer.outcomes.cause_rules import CAUSE_RULES, CAUSE_TABLE, CauseRule
from dialer.outcomes.classify import Outcome, classify
from dialer.outcomes.sip_rules import SIP_OVERRIDES, SipRule
from dialer.outcomes.vbot_codes import VBotStatus, vbot_status

__all__ = [
    "CAUSE_RULES",
    "CAUSE_TABLE",
    "Q850",
    "SIP_OVERRIDES",
    "SIP_PHRASES",
    "SIP_TO_CAUSE",
    "CauseRule",
    "Outcome",
    "SipRule",
    "VBotStatus",
    "cause_from_q850",
    "classify",
    "sip_to_cause",
    "vbot_status",
]
