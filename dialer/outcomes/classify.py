"""Every finished attempt → exactly one ``recall_status`` and one report key.

The inputs are what the dialer sees on the Event Socket (esl-captures README):
``Hangup-Cause`` of the attempt's CHANNEL_HANGUP_COMPLETE, whether
CHANNEL_ANSWER was seen, ``variable_billsec``, ``variable_sip_term_status``
(or ``variable_proto_specific_hangup_cause``, ``sip:486``),
``variable_sip_hangup_disposition``, the avmd beep, and the BACKGROUND_JOB
``-ERR <CAUSE>`` of an originate that never created a channel.

Order of the rules (docs/outcomes.md explains each decision):

1. Answered (answer flag, billsec > 0, SIP 200, or a BYE either way): the
   post-answer cause only says who hung up. avmd beep → voicemail; talk time
   below ``min_answered_seconds`` → ``no-answered`` (so the usual
   ``recall_status`` lists recall it) with report key ``answered``; else answered.
2. A beep without an answer → voicemail, report ``no_answer``.
3. The cause is resolved: a known, specific channel cause, else a known,
   specific job cause, else the cause mod_sofia derives from the SIP status,
   else whatever generic/unknown cause there is.
4. ``cancelled_by_us`` with a cause our own cancel produces → ``cancel`` /
   ``cancel`` (the engine requeues without counting the attempt). A definite
   far-end answer that won the race (486, 404…) is kept instead.
5. CAUSE_RULES (total over Q850), refined by the disposition for the causes
   that do not say who ended the call, then by SIP_OVERRIDES where a SIP status
   says more than the cause mod_sofia folded it into.
6. Anything else (unknown name, nothing at all) → ``failed`` / ``failed``. Never raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import NamedTuple

from dialer.domain.enums import RecallStatus, ReportKey
from dialer.esl.causes import SIP_PHRASES, cause_from_q850, sip_to_cause

__all__ = [
    "CAUSE_RULES",
    "CAUSE_TABLE",
    "SIP_OVERRIDES",
    "CauseRule",
    "Outcome",
    "SipRule",
    "VBotStatus",
    "classify",
    "vbot_status",
]

R = RecallStatus
K = ReportKey


@dataclass(frozen=True, slots=True)
class Outcome:
    """The classification of one finished attempt."""

    recall_status: RecallStatus
    report_key: ReportKey
    cause: str  # the FreeSWITCH cause name the decision used ("NONE" when there was none)
    reason: str  # short English explanation for CDRs and operators
    switch_fault: bool = False  # FreeSWITCH's doing, not the callee's (rule 0: the dialplan played nothing)


class CauseRule(NamedTuple):
    recall_status: RecallStatus
    report_key: ReportKey
    reason: str  # what happened (Outcome.reason)
    why: str  # why this bucket (docs/outcomes.md)


class SipRule(NamedTuple):
    recall_status: RecallStatus
    report_key: ReportKey
    why: str


_PROTOCOL_WHY = "a signalling protocol error between us and the carrier: neither the callee nor capacity"
_IDENTITY_WHY = "STIR/SHAKEN: the network rejected our caller identity (signing, certificate): our configuration"

# What an UNANSWERED attempt that ended with each cause means. Answered calls never
# consult this table (rule 1). Buckets: busy / no-answered / not-available are the
# callee's state; invalid-number the number itself; phone-block a refusal of this
# call (report busy when the callee refused, failed when the network refused us);
# congestion network-side trouble worth retrying; failed our system, configuration,
# protocol, or nothing known.
CAUSE_RULES: dict[str, CauseRule] = {
    "UNALLOCATED_NUMBER": CauseRule(R.INVALID_NUMBER, K.FAILED, "number not assigned (unallocated)",
                                    "the network says nobody has this number; recalling it will not reach a person"),
    "NO_ROUTE_TRANSIT_NET": CauseRule(R.FAILED, K.FAILED, "no route to the number's transit network",
                                      "the carrier cannot reach the number's network: routing, not the lead"),
    "NO_ROUTE_DESTINATION": CauseRule(R.INVALID_NUMBER, K.FAILED, "no route to the destination number",
                                      "485 Ambiguous / 604 / no matching extension: the number routes nowhere"),
    "CHANNEL_UNACCEPTABLE": CauseRule(R.FAILED, K.FAILED, "channel unacceptable",
                                      "circuit selection between switches failed: a trunk protocol matter"),
    "CALL_AWARDED_DELIVERED": CauseRule(R.FAILED, K.FAILED, "call awarded, delivered in an established channel",
                                        "not a way for a new outbound call to end; nothing is known about the callee"),
    "NORMAL_CLEARING": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "cleared before answer",
                                 "nobody talked; the disposition tells who ended it (send_cancel: our side, a cancel) "
                                 "and a SIP status, when present, decides"),
    "USER_BUSY": CauseRule(R.BUSY, K.BUSY, "callee busy",
                           "486/600 or Q.850 17: on another call or pressed reject; a later recall should reach them"),
    "NO_USER_RESPONSE": CauseRule(R.NOT_AVAILABLE, K.NOT_AVAILABLE, "subscriber unreachable (no user response)",
                                  "480 Temporarily Unavailable / Q.850 18: the handset did not respond (off, no "
                                  "coverage), unlike a phone that rang out (NO_ANSWER)"),
    "NO_ANSWER": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "ring timeout (originate_timeout)",
                           "the phone rang until call_timeout (originate_timeout) or the network's own ring timer"),
    "SUBSCRIBER_ABSENT": CauseRule(R.NOT_AVAILABLE, K.NOT_AVAILABLE, "subscriber absent",
                                   "the mobile is detached or unreachable right now; retry later"),
    "CALL_REJECTED": CauseRule(R.PHONE_BLOCK, K.BUSY, "call rejected by the callee",
                               "Q.850 21 / 603 Decline: the callee's side refused this call (decline, blacklist); "
                               "reported busy as Asterisk-based services report a 603; 401/402/403/407/608 are split "
                               "out by SIP status"),
    "NUMBER_CHANGED": CauseRule(R.INVALID_NUMBER, K.FAILED, "number changed",
                                "410 Gone / Q.850 22: the number was moved or retired; the lead's data is stale"),
    "REDIRECTION_TO_NEW_DESTINATION": CauseRule(R.FAILED, K.FAILED, "redirected to a new destination",
                                                "a redirection the dialer does not follow; not a refusal"),
    "EXCHANGE_ROUTING_ERROR": CauseRule(R.CONGESTION, K.FAILED, "routing error in the network",
                                        "482 Loop Detected / 483 Too Many Hops: a routing fault between carriers, "
                                        "usually transient"),
    "DESTINATION_OUT_OF_ORDER": CauseRule(R.CONGESTION, K.FAILED, "destination out of order",
                                          "the far switch, or our own FreeSWITCH over sessions-per-second "
                                          "(\"Throttle Error!\"), could not set the call up: not the lead's fault"),
    "INVALID_NUMBER_FORMAT": CauseRule(R.INVALID_NUMBER, K.FAILED, "invalid number format",
                                       "484 Address Incomplete / Q.850 28: the number is malformed or too short"),
    "FACILITY_REJECTED": CauseRule(R.FAILED, K.FAILED, "facility rejected by the network",
                                   "the network refused a service we asked for (e.g. caller-ID presentation): trunk "
                                   "configuration, not the callee"),
    "RESPONSE_TO_STATUS_ENQUIRY": CauseRule(R.FAILED, K.FAILED, "response to status enquiry",
                                            "ISDN housekeeping; never a meaningful end of an outbound attempt"),
    "NORMAL_UNSPECIFIED": CauseRule(R.FAILED, K.FAILED, "normal, unspecified",
                                    "mod_sofia's catch-all for SIP statuses it has no cause for; the SIP status "
                                    "decides when present, else nothing is known"),
    "NORMAL_CIRCUIT_CONGESTION": CauseRule(R.CONGESTION, K.FAILED, "no circuit available",
                                           "network capacity exhausted: retry later"),
    "NETWORK_OUT_OF_ORDER": CauseRule(R.CONGESTION, K.FAILED, "network out of order",
                                      "502 Bad Gateway / Q.850 38: the carrier's network is failing: retry later"),
    "NORMAL_TEMPORARY_FAILURE": CauseRule(R.CONGESTION, K.FAILED, "temporary failure",
                                          "503 Service Unavailable / Q.850 41: carrier overloaded or trunk down; "
                                          "400/481/500 share this cause and are split out as failed"),
    "SWITCH_CONGESTION": CauseRule(R.CONGESTION, K.FAILED, "switching equipment congestion",
                                   "network capacity exhausted: retry later"),
    "ACCESS_INFO_DISCARDED": CauseRule(R.FAILED, K.FAILED, "access information discarded",
                                       "informational (an element was dropped); neither capacity nor the callee"),
    "REQUESTED_CHAN_UNAVAIL": CauseRule(R.CONGESTION, K.FAILED, "requested channel not available",
                                        "no free circuit/channel on the route: retry later"),
    "PRE_EMPTED": CauseRule(R.CONGESTION, K.FAILED, "circuit pre-empted",
                            "the circuit was taken for priority traffic: retry later"),
    "FACILITY_NOT_SUBSCRIBED": CauseRule(R.FAILED, K.FAILED, "facility not subscribed",
                                         "our trunk is not subscribed to something the call needs: configuration"),
    "OUTGOING_CALL_BARRED": CauseRule(R.PHONE_BLOCK, K.FAILED, "outgoing calls barred for our line",
                                      "the network blocks calls from our caller ID/trunk (e.g. a hotline flagged as "
                                      "spam): a block of us, so report failed; the operator must act"),
    "INCOMING_CALL_BARRED": CauseRule(R.PHONE_BLOCK, K.FAILED, "callee's line bars incoming calls",
                                      "the callee's subscription refuses incoming calls (barred, suspended)"),
    "BEARERCAPABILITY_NOTAUTH": CauseRule(R.FAILED, K.FAILED, "bearer capability not authorized",
                                          "our trunk may not use the requested bearer: configuration"),
    "BEARERCAPABILITY_NOTAVAIL": CauseRule(R.CONGESTION, K.FAILED, "bearer capability not presently available",
                                           "Q.850 58 says \"not presently\": a resource shortage, retry later"),
    "SERVICE_UNAVAILABLE": CauseRule(R.FAILED, K.FAILED, "service or option not available",
                                     "405 Method Not Allowed / Q.850 63: the far side does not offer what we asked"),
    "BEARERCAPABILITY_NOTIMPL": CauseRule(R.FAILED, K.FAILED, "bearer capability not implemented",
                                          "the far side cannot carry this kind of call: configuration"),
    "CHAN_NOT_IMPLEMENTED": CauseRule(R.FAILED, K.FAILED, "endpoint type not implemented",
                                      "FreeSWITCH has no such endpoint module: our dial string or modules"),
    "FACILITY_NOT_IMPLEMENTED": CauseRule(R.FAILED, K.FAILED, "facility not implemented",
                                          "the far side lacks a service we asked for: configuration"),
    "SERVICE_NOT_IMPLEMENTED": CauseRule(R.FAILED, K.FAILED, "service not implemented",
                                         "406/415/501: the far side cannot handle our request as sent"),
    "INVALID_CALL_REFERENCE": CauseRule(R.FAILED, K.FAILED, "invalid call reference", _PROTOCOL_WHY),
    "INCOMPATIBLE_DESTINATION": CauseRule(R.FAILED, K.FAILED, "incompatible destination (no common codec)",
                                          "488/606: media negotiation failed; codec configuration, not the callee"),
    "INVALID_MSG_UNSPECIFIED": CauseRule(R.FAILED, K.FAILED, "invalid message", _PROTOCOL_WHY),
    "MANDATORY_IE_MISSING": CauseRule(R.FAILED, K.FAILED, "mandatory information element missing", _PROTOCOL_WHY),
    "MESSAGE_TYPE_NONEXIST": CauseRule(R.FAILED, K.FAILED, "message type non-existent", _PROTOCOL_WHY),
    "WRONG_MESSAGE": CauseRule(R.FAILED, K.FAILED, "message not compatible with call state", _PROTOCOL_WHY),
    "IE_NONEXIST": CauseRule(R.FAILED, K.FAILED, "information element non-existent", _PROTOCOL_WHY),
    "INVALID_IE_CONTENTS": CauseRule(R.FAILED, K.FAILED, "invalid information element contents", _PROTOCOL_WHY),
    "WRONG_CALL_STATE": CauseRule(R.FAILED, K.FAILED, "message not compatible with call state", _PROTOCOL_WHY),
    "RECOVERY_ON_TIMER_EXPIRE": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "no final response in time (timer expired)",
                                          "408 Request Timeout: carriers send it when ringing times out on their side; "
                                          "504 Server Time-out is split out as congestion"),
    "MANDATORY_IE_LENGTH_ERROR": CauseRule(R.FAILED, K.FAILED, "information element length error", _PROTOCOL_WHY),
    "PROTOCOL_ERROR": CauseRule(R.FAILED, K.FAILED, "protocol error", _PROTOCOL_WHY),
    "INTERWORKING": CauseRule(R.FAILED, K.FAILED, "interworking, unspecified",
                              "413/414/416/420/421/423/505/513: the far side could not handle our request; the SIP "
                              "status decides when present"),
    "ORIGINATOR_CANCEL": CauseRule(R.CANCEL, K.CANCEL, "cancelled by the calling side while ringing",
                                   "our side cancelled before answer but the engine did not (fs_cli, another ESL "
                                   "client): a cancel, recalled when recall_status names cancel or failed; a 487 "
                                   "the far end sent by itself (recv_refuse) is no-answered"),
    "CRASH": CauseRule(R.FAILED, K.FAILED, "FreeSWITCH crashed", "our system failed; the lead is not at fault"),
    "SYSTEM_SHUTDOWN": CauseRule(R.FAILED, K.FAILED, "FreeSWITCH shutting down",
                                 "our system stopped the call; the lead is not at fault"),
    "LOSE_RACE": CauseRule(R.FAILED, K.FAILED, "another leg answered first",
                           "only a fork's losing leg ends this way; the attempt is the winner's, so if this reaches "
                           "the classifier nothing is known about the callee"),
    "MANAGER_REQUEST": CauseRule(R.CANCEL, K.CANCEL, "hung up by an API request",
                                 "an operator or tool (hupall, uuid_kill) ended a ringing call on our side: a cancel"),
    "BLIND_TRANSFER": CauseRule(R.FAILED, K.FAILED, "blind transfer",
                                "transfers end a leg only after answer; unanswered it is unexpected"),
    "ATTENDED_TRANSFER": CauseRule(R.FAILED, K.FAILED, "attended transfer",
                                   "transfers end a leg only after answer; unanswered it is unexpected"),
    "ALLOTTED_TIMEOUT": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "allotted time expired before answer",
                                  "a scheduled hangup (sched_hangup, limit) fired while ringing: not answered in the "
                                  "time we allowed"),
    "USER_CHALLENGE": CauseRule(R.FAILED, K.FAILED, "authentication challenge not satisfied",
                                "the carrier wants credentials we did not give: gateway configuration"),
    "MEDIA_TIMEOUT": CauseRule(R.FAILED, K.FAILED, "no media received (RTP timeout)",
                               "the media path is broken (NAT, firewall, carrier RTP): not the callee"),
    "PICKED_OFF": CauseRule(R.FAILED, K.FAILED, "picked off by another extension",
                            "an intercept took the call on our side; nothing is known about the callee"),
    "USER_NOT_REGISTERED": CauseRule(R.NOT_AVAILABLE, K.NOT_AVAILABLE, "target not registered",
                                     "the endpoint is not registered (also an empty dial target, as captured): the "
                                     "callee is unreachable now"),
    "PROGRESS_TIMEOUT": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "no ringing before progress_timeout",
                                  "the network never signalled ringing within progress_timeout; like a ring-out, "
                                  "nobody answered"),
    "INVALID_GATEWAY": CauseRule(R.FAILED, K.FAILED, "gateway does not exist",
                                 "the dial string names a gateway FreeSWITCH lacks: the carrier's network to gateway "
                                 "mapping is wrong"),
    "GATEWAY_DOWN": CauseRule(R.CONGESTION, K.FAILED, "gateway down",
                              "the trunk failed its registration or ping: network-side trouble, retry later"),
    "INVALID_URL": CauseRule(R.INVALID_NUMBER, K.FAILED, "invalid destination URL",
                             "the destination does not make a valid SIP URI; numbers are normalised before dialing, "
                             "so the number is at fault"),
    "INVALID_PROFILE": CauseRule(R.FAILED, K.FAILED, "sofia profile does not exist",
                                 "our dial string or sofia configuration is wrong"),
    "NO_PICKUP": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "nobody picked up", "rang without being picked up"),
    "SRTP_READ_ERROR": CauseRule(R.FAILED, K.FAILED, "SRTP read error", "media encryption failed: configuration"),
    "BOWOUT": CauseRule(R.FAILED, K.FAILED, "loopback bowed out", "an internal loopback event, not the callee"),
    "BUSY_EVERYWHERE": CauseRule(R.BUSY, K.BUSY, "busy everywhere", "600 Busy Everywhere: the callee is busy"),
    "DECLINE": CauseRule(R.PHONE_BLOCK, K.BUSY, "declined by the callee",
                         "603 Decline (newer mapping): the callee's side refused, as CALL_REJECTED"),
    "DOES_NOT_EXIST_ANYWHERE": CauseRule(R.INVALID_NUMBER, K.FAILED, "number does not exist anywhere",
                                         "604: the number exists nowhere"),
    "NOT_ACCEPTABLE": CauseRule(R.FAILED, K.FAILED, "not acceptable",
                                "606: the far side cannot accept the session as offered (media): configuration"),
    "UNWANTED": CauseRule(R.PHONE_BLOCK, K.BUSY, "callee marked the call unwanted",
                          "607 Unwanted: the callee flagged us as spam; a refusal by the callee"),
    "NO_IDENTITY": CauseRule(R.FAILED, K.FAILED, "caller identity missing", _IDENTITY_WHY),
    "BAD_IDENTITY_INFO": CauseRule(R.FAILED, K.FAILED, "bad caller identity info", _IDENTITY_WHY),
    "UNSUPPORTED_CERTIFICATE": CauseRule(R.FAILED, K.FAILED, "unsupported identity certificate", _IDENTITY_WHY),
    "INVALID_IDENTITY": CauseRule(R.FAILED, K.FAILED, "invalid caller identity", _IDENTITY_WHY),
    "STALE_DATE": CauseRule(R.FAILED, K.FAILED, "stale identity date", _IDENTITY_WHY),
    "REJECT_ALL": CauseRule(R.PHONE_BLOCK, K.FAILED, "rejected by an intermediary",
                            "608 Rejected: a network call-analytics/spam filter refused calls from our number"),
}  # fmt: skip

# The contract other modules and the tests use: cause → (recall_status, report key).
CAUSE_TABLE: dict[str, tuple[RecallStatus, ReportKey]] = {
    cause: (rule.recall_status, rule.report_key) for cause, rule in CAUSE_RULES.items()
}

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

# Causes that only say "the call ended normally / without detail": they let the
# job result or the SIP status decide.
_GENERIC = frozenset({"NORMAL_CLEARING", "NORMAL_UNSPECIFIED", "INTERWORKING"})
# What FreeSWITCH reports when the engine itself cancels a ringing originate
# (uuid_kill defaults to NORMAL_CLEARING; ORIGINATOR_CANCEL or MANAGER_REQUEST if named).
_OUR_CANCEL = frozenset({"ORIGINATOR_CANCEL", "NORMAL_CLEARING", "NORMAL_UNSPECIFIED", "MANAGER_REQUEST"})
# Causes that do not say which side ended an unanswered call; the disposition does.
_WHO_ENDED = frozenset({"NORMAL_CLEARING", "ORIGINATOR_CANCEL"})
# A BYE either way means a confirmed dialog: the call was answered (FreeSWITCH CANCELs an unanswered leg).
_BYE = frozenset({"recv_bye", "send_bye"})
# Answered calls the dialplan hung up before the message (rule 0), and why.
_DIALPLAN_FAILED = {
    "NO_ROUTE_DESTINATION": "answered, but FreeSWITCH found no dialplan for the call (the 'autocall' context or "
                            "extension is missing): nothing was played",
    "DESTINATION_OUT_OF_ORDER": "answered, but the dialplan failed before the message (an application it runs is "
                                "missing, e.g. mod_avmd's avmd_start): nothing was played",
}  # fmt: skip

# VBot "undetermined error": causes that carry no information.
_UNDETERMINED = frozenset({"NONE", "NORMAL_UNSPECIFIED", "INTERWORKING"})


class VBotStatus(IntEnum):
    """VBot autocall-history ``status`` (seed 003)."""

    ANSWER = 200
    NO_ANSWER = 2
    BUSY = 3
    CANCEL = 4
    SYSTEM_ERROR = 100  # "Lỗi hệ thống"
    UNKNOWN_NUMBER = 101  # "Số điện thoại không xác định"
    NO_HOTLINE_FOR_NETWORK = 102  # "Không tìm thấy hotline cho thuộc nhà mạng của số điện thoại"
    UNDETERMINED_ERROR = 104  # "Lỗi không xác định"
    NETWORK_NOT_SUPPORTED = 106  # "Không hỗ trợ nhà mạng của số điện thoại"
    # 103 (account out of money) and 105 (VBot package expired) describe VBot's own
    # billing; autocall has no such state and never sends them.


def _cause_name(value: str | None) -> str | None:
    """A cause as FreeSWITCH spells it, from a name (any case) or a Q.850 number; None if absent."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    name = text.split()[0].upper()
    if name.isdigit():
        # variable_hangup_cause_q850 instead of a name; 0 is NONE.
        return cause_from_q850(int(name)) or (None if int(name) == 0 else name)
    return None if name == "NONE" else name


def _job_cause(job_error: str | None) -> str | None:
    """The cause of a BACKGROUND_JOB/api body ``-ERR USER_BUSY\\n``; the bare name is accepted too."""
    if job_error is None:
        return None
    text = job_error.strip()
    if text.startswith("+OK"):
        return None  # not an error: the originate succeeded
    if text.startswith("-ERR"):
        text = text[4:]
    return _cause_name(text)


def _sip_code(sip_status: str | int | None) -> int | None:
    """``486``, ``"486"``, ``"sip:486"`` → 486; anything else → None."""
    if sip_status is None:
        return None
    if isinstance(sip_status, int):
        code = sip_status
    else:
        text = sip_status.strip().lower().removeprefix("sip:").strip()
        digits = text[:3]
        if len(digits) != 3 or not digits.isdigit():
            return None
        code = int(digits)
    return code if 100 <= code <= 699 else None


def _sip_text(code: int) -> str:
    return f"{code} {SIP_PHRASES.get(code, 'SIP failure')}"


def _resolve(channel: str | None, job: str | None, sip: int | None) -> tuple[str | None, bool]:
    """The cause to classify by, and whether the SIP status agrees with it (so may refine it)."""
    sip_cause = sip_to_cause(sip) if sip is not None and sip >= 300 else None
    # The channel's own cause is the far end's answer for that leg; the job's cause is
    # FreeSWITCH's summary of the originate (in the global-uuid pitfall the job says
    # DESTINATION_OUT_OF_ORDER while the leg really was USER_BUSY), so the channel wins.
    for candidate in (channel, job):
        if candidate is not None and candidate in CAUSE_RULES and candidate not in _GENERIC:
            return candidate, candidate == sip_cause
    if sip_cause is not None:
        return sip_cause, True
    known = next((c for c in (channel, job) if c is not None and c in CAUSE_RULES), None)
    return known or channel or job, False


def _answered(cause: str | None, billsec: int, beep: bool, min_answered_seconds: int) -> Outcome:
    final = cause or "NORMAL_CLEARING"
    if beep:
        # The machine answered: billed as answered, but nobody heard the message.
        return Outcome(R.VOICEMAIL, K.ANSWERED, final, "avmd beep: answering machine")
    if min_answered_seconds > 0 and billsec < min_answered_seconds:
        # Picked up and dropped before the message could matter. recall_status must be
        # one the campaign's recall list names for the recall to happen; "answered" is
        # rarely in it, "no-answered" always is, and it is what happened to the message.
        reason = f"answered but talk time {billsec} s < min_recall_duration {min_answered_seconds} s"
        return Outcome(R.NO_ANSWERED, K.ANSWERED, final, reason)
    after = "" if final == "NORMAL_CLEARING" else f", ended {final}"
    return Outcome(R.ANSWERED, K.ANSWERED, final, f"answered, {billsec} s talk{after}")


def classify(
    *,
    cause: str | None,
    answered: bool,
    billsec: int = 0,
    sip_status: str | None = None,
    disposition: str | None = None,
    beep: bool = False,
    job_error: str | None = None,
    cancelled_by_us: bool = False,
    min_answered_seconds: int = 0,
    message_played: bool | None = None,
) -> Outcome:
    """Classify one finished attempt; total (never raises). See the module docstring for the rule order.

    ``cause``: Hangup-Cause (a name, or the q850 number); ``sip_status``:
    sip_term_status or proto_specific_hangup_cause; ``disposition``:
    sip_hangup_disposition; ``job_error``: the BACKGROUND_JOB body or its cause name;
    ``message_played``: whether the dialplan played the message (None: not known).
    """
    channel = _cause_name(cause)
    job = _job_cause(job_error)
    sip = _sip_code(sip_status)
    disp = (disposition or "").strip().lower() or None
    billsec = max(billsec, 0)

    if answered or billsec > 0 or sip == 200 or disp in _BYE:
        if message_played is False and channel in _DIALPLAN_FAILED:
            # Rule 0: the callee picked up, FreeSWITCH had nothing to run (no autocall context, an
            # invalid application) and hung up at once: the message never played. Not answered.
            return Outcome(R.FAILED, K.FAILED, channel, _DIALPLAN_FAILED[channel], switch_fault=True)
        return _answered(channel, billsec, beep, min_answered_seconds)

    base, sip_agrees = _resolve(channel, job, sip)

    if beep:
        # avmd runs after answer in our dialplan; a beep before it is a carrier
        # voicemail greeting heard in early media: voicemail, but not billed/answered.
        return Outcome(R.VOICEMAIL, K.NO_ANSWER, base or "NONE", "avmd beep before answer: voicemail in early media")

    if cancelled_by_us and (base is None or base in _OUR_CANCEL):
        # The engine requeues such leads without counting the attempt; should any path
        # count it, a cancel is recalled as the campaign's recall_status says (failed covers it).
        return Outcome(R.CANCEL, K.CANCEL, base or "ORIGINATOR_CANCEL", "cancelled by the engine while ringing")

    if base is None:
        return Outcome(R.FAILED, K.FAILED, "NONE", "no hangup cause, SIP status or job result")
    rule = CAUSE_RULES.get(base)
    if rule is None:
        return Outcome(R.FAILED, K.FAILED, base, f"unknown hangup cause {base}")

    status, key, reason = rule.recall_status, rule.report_key, rule.reason
    if base in _WHO_ENDED and disp is not None:
        if disp == "send_cancel":
            status, key, reason = R.CANCEL, K.CANCEL, "cancelled by our side while ringing (not by the engine)"
        elif disp in ("recv_refuse", "recv_cancel"):
            status, key, reason = R.NO_ANSWERED, K.NO_ANSWER, "ended by the far end before answer"

    if sip is not None and sip >= 300:
        if sip_agrees:
            override = SIP_OVERRIDES.get(sip)
            if override is not None:
                status, key = override.recall_status, override.report_key
            reason = _sip_text(sip)
        else:
            # A Q.850 Reason header (or a multi-leg job) gave a cause the SIP status does not map to.
            reason = f"{reason} (SIP {_sip_text(sip)})"
    return Outcome(status, key, base, reason)


def vbot_status(outcome: Outcome) -> int:
    """VBot's autocall-history status code for an outcome (seed 003).

    The report key decides first, so VBot's figures add up like autocall's report;
    a ``failed`` one is refined by cause. An engine that cannot route a number at
    all should record cause INVALID_GATEWAY (no gateway for its network → 102) or
    NO_ROUTE_TRANSIT_NET (the carrier does not serve that network → 106).
    """
    key = outcome.report_key
    if key is K.ANSWERED:
        return VBotStatus.ANSWER  # voicemail and short calls too: the call was answered and billed
    if key in (K.NO_ANSWER, K.NOT_AVAILABLE):
        return VBotStatus.NO_ANSWER  # VBot has no "unreachable" code; nobody answered
    if key is K.BUSY:
        return VBotStatus.BUSY  # busy, and refusals by the callee (603, 607)
    if key is K.CANCEL:
        return VBotStatus.CANCEL
    if outcome.recall_status is R.INVALID_NUMBER:
        return VBotStatus.UNKNOWN_NUMBER
    if outcome.cause == "INVALID_GATEWAY":
        return VBotStatus.NO_HOTLINE_FOR_NETWORK
    if outcome.cause == "NO_ROUTE_TRANSIT_NET":
        return VBotStatus.NETWORK_NOT_SUPPORTED
    if outcome.recall_status is R.CONGESTION or outcome.cause in _UNDETERMINED or outcome.cause not in CAUSE_RULES:
        return VBotStatus.UNDETERMINED_ERROR
    return VBotStatus.SYSTEM_ERROR
