"""What each FreeSWITCH hangup cause and SIP status means for an unanswered attempt.

The tables classify.py reads (rule 5 of its order) and docs/outcomes.md prints
(``python -m dialer.outcomes.table``): ``CAUSE_RULES`` is total over Q.850;
sip_rules.py refines the causes mod_sofia folds several SIP statuses into.
"""

from __future__ import annotations

from typing import NamedTuple

from dialer.domain.enums import RecallStatus, ReportKey

__all__ = ["CAUSE_RULES", "CAUSE_TABLE", "CauseRule"]

R = RecallStatus
K = ReportKey


class CauseRule(NamedTuple):
    recall_status: RecallStatus
    report_key: ReportKey
    reason: str  # what happened (Outcome.reason)
    why: str  # why this bucket (docs/outcomes.md)


_PROTOCOL_WHY = "a signalling protocol error between us and the carrier: neither the callee nor capacity"
_IDENTITY_WHY = "STIR/SHAKEN: the network rejected our caller identity (signing, certificate): our configuration"

# What an UNANSWERED attempt that ended with each cause means. Answered calls never
# consult this table (rule 1). Buckets: busy / no-answered / not-available are the
# callee's state; invalid-number the number itself; phone-block a refusal of this
# call (report busy when the callee refused, failed when the network refused us);
# congestion network-side trouble worth retrying; failed our system, configuration,
# protocol, or nothing known.
CAUSE_RULES: dict[str, CauseRule] = {
    "UNALLOCATED_NUMBER": CauseRule(
        R.INVALID_NUMBER,
        K.FAILED,
        "number not assigned (unallocated)",
        "the network says nobody has this number; recalling it will not reach a person",
    ),
    "NO_ROUTE_TRANSIT_NET": CauseRule(
        R.FAILED,
        K.FAILED,
        "no route to the number's transit network",
        "the carrier cannot reach the number's network: routing, not the lead",
    ),
    "NO_ROUTE_DESTINATION": CauseRule(
        R.INVALID_NUMBER,
        K.FAILED,
        "no route to the destination number",
        "485 Ambiguous / 604 / no matching extension: the number routes nowhere",
    ),
    "CHANNEL_UNACCEPTABLE": CauseRule(
        R.FAILED, K.FAILED, "channel unacceptable", "circuit selection between switches failed: a trunk protocol matter"
    ),
    "CALL_AWARDED_DELIVERED": CauseRule(
        R.FAILED,
        K.FAILED,
        "call awarded, delivered in an established channel",
        "not a way for a new outbound call to end; nothing is known about the callee",
    ),
    "NORMAL_CLEARING": CauseRule(
        R.NO_ANSWERED,
        K.NO_ANSWER,
        "cleared before answer",
        "nobody talked; the disposition tells who ended it (send_cancel: our side, a cancel) "
        "and a SIP status, when present, decides",
    ),
    "USER_BUSY": CauseRule(
        R.BUSY,
        K.BUSY,
        "callee busy",
        "486/600 or Q.850 17: on another call or pressed reject; a later recall should reach them",
    ),
    "NO_USER_RESPONSE": CauseRule(
        R.NOT_AVAILABLE,
        K.NOT_AVAILABLE,
        "subscriber unreachable (no user response)",
        "480 Temporarily Unavailable / Q.850 18: the handset did not respond (off, no "
        "coverage), unlike a phone that rang out (NO_ANSWER)",
    ),
    "NO_ANSWER": CauseRule(
        R.NO_ANSWERED,
        K.NO_ANSWER,
        "ring timeout (originate_timeout)",
        "the phone rang until call_timeout (originate_timeout) or the network's own ring timer",
    ),
    "SUBSCRIBER_ABSENT": CauseRule(
        R.NOT_AVAILABLE,
        K.NOT_AVAILABLE,
        "subscriber absent",
        "the mobile is detached or unreachable right now; retry later",
    ),
    "CALL_REJECTED": CauseRule(
        R.PHONE_BLOCK,
        K.BUSY,
        "call rejected by the callee",
        "Q.850 21 / 603 Decline: the callee's side refused this call (decline, blacklist); "
        "reported busy as Asterisk-based services report a 603; 401/402/403/407/608 are split "
        "out by SIP status",
    ),
    "NUMBER_CHANGED": CauseRule(
        R.INVALID_NUMBER,
        K.FAILED,
        "number changed",
        "410 Gone / Q.850 22: the number was moved or retired; the lead's data is stale",
    ),
    "REDIRECTION_TO_NEW_DESTINATION": CauseRule(
        R.FAILED, K.FAILED, "redirected to a new destination", "a redirection the dialer does not follow; not a refusal"
    ),
    "EXCHANGE_ROUTING_ERROR": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "routing error in the network",
        "482 Loop Detected / 483 Too Many Hops: a routing fault between carriers, usually transient",
    ),
    "DESTINATION_OUT_OF_ORDER": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "destination out of order",
        "the far switch, or our own FreeSWITCH over sessions-per-second "
        '("Throttle Error!"), could not set the call up: not the lead\'s fault',
    ),
    "INVALID_NUMBER_FORMAT": CauseRule(
        R.INVALID_NUMBER,
        K.FAILED,
        "invalid number format",
        "484 Address Incomplete / Q.850 28: the number is malformed or too short",
    ),
    "FACILITY_REJECTED": CauseRule(
        R.FAILED,
        K.FAILED,
        "facility rejected by the network",
        "the network refused a service we asked for (e.g. caller-ID presentation): trunk configuration, not the callee",
    ),
    "RESPONSE_TO_STATUS_ENQUIRY": CauseRule(
        R.FAILED,
        K.FAILED,
        "response to status enquiry",
        "ISDN housekeeping; never a meaningful end of an outbound attempt",
    ),
    "NORMAL_UNSPECIFIED": CauseRule(
        R.FAILED,
        K.FAILED,
        "normal, unspecified",
        "mod_sofia's catch-all for SIP statuses it has no cause for; the SIP status "
        "decides when present, else nothing is known",
    ),
    "NORMAL_CIRCUIT_CONGESTION": CauseRule(
        R.CONGESTION, K.FAILED, "no circuit available", "network capacity exhausted: retry later"
    ),
    "NETWORK_OUT_OF_ORDER": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "network out of order",
        "502 Bad Gateway / Q.850 38: the carrier's network is failing: retry later",
    ),
    "NORMAL_TEMPORARY_FAILURE": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "temporary failure",
        "503 Service Unavailable / Q.850 41: carrier overloaded or trunk down; "
        "400/481/500 share this cause and are split out as failed",
    ),
    "SWITCH_CONGESTION": CauseRule(
        R.CONGESTION, K.FAILED, "switching equipment congestion", "network capacity exhausted: retry later"
    ),
    "ACCESS_INFO_DISCARDED": CauseRule(
        R.FAILED,
        K.FAILED,
        "access information discarded",
        "informational (an element was dropped); neither capacity nor the callee",
    ),
    "REQUESTED_CHAN_UNAVAIL": CauseRule(
        R.CONGESTION, K.FAILED, "requested channel not available", "no free circuit/channel on the route: retry later"
    ),
    "PRE_EMPTED": CauseRule(
        R.CONGESTION, K.FAILED, "circuit pre-empted", "the circuit was taken for priority traffic: retry later"
    ),
    "FACILITY_NOT_SUBSCRIBED": CauseRule(
        R.FAILED,
        K.FAILED,
        "facility not subscribed",
        "our trunk is not subscribed to something the call needs: configuration",
    ),
    "OUTGOING_CALL_BARRED": CauseRule(
        R.PHONE_BLOCK,
        K.FAILED,
        "outgoing calls barred for our line",
        "the network blocks calls from our caller ID/trunk (e.g. a hotline flagged as "
        "spam): a block of us, so report failed; the operator must act",
    ),
    "INCOMING_CALL_BARRED": CauseRule(
        R.PHONE_BLOCK,
        K.FAILED,
        "callee's line bars incoming calls",
        "the callee's subscription refuses incoming calls (barred, suspended)",
    ),
    "BEARERCAPABILITY_NOTAUTH": CauseRule(
        R.FAILED,
        K.FAILED,
        "bearer capability not authorized",
        "our trunk may not use the requested bearer: configuration",
    ),
    "BEARERCAPABILITY_NOTAVAIL": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "bearer capability not presently available",
        'Q.850 58 says "not presently": a resource shortage, retry later',
    ),
    "SERVICE_UNAVAILABLE": CauseRule(
        R.FAILED,
        K.FAILED,
        "service or option not available",
        "405 Method Not Allowed / Q.850 63: the far side does not offer what we asked",
    ),
    "BEARERCAPABILITY_NOTIMPL": CauseRule(
        R.FAILED,
        K.FAILED,
        "bearer capability not implemented",
        "the far side cannot carry this kind of call: configuration",
    ),
    "CHAN_NOT_IMPLEMENTED": CauseRule(
        R.FAILED,
        K.FAILED,
        "endpoint type not implemented",
        "FreeSWITCH has no such endpoint module: our dial string or modules",
    ),
    "FACILITY_NOT_IMPLEMENTED": CauseRule(
        R.FAILED, K.FAILED, "facility not implemented", "the far side lacks a service we asked for: configuration"
    ),
    "SERVICE_NOT_IMPLEMENTED": CauseRule(
        R.FAILED, K.FAILED, "service not implemented", "406/415/501: the far side cannot handle our request as sent"
    ),
    "INVALID_CALL_REFERENCE": CauseRule(R.FAILED, K.FAILED, "invalid call reference", _PROTOCOL_WHY),
    "INCOMPATIBLE_DESTINATION": CauseRule(
        R.FAILED,
        K.FAILED,
        "incompatible destination (no common codec)",
        "488/606: media negotiation failed; codec configuration, not the callee",
    ),
    "INVALID_MSG_UNSPECIFIED": CauseRule(R.FAILED, K.FAILED, "invalid message", _PROTOCOL_WHY),
    "MANDATORY_IE_MISSING": CauseRule(R.FAILED, K.FAILED, "mandatory information element missing", _PROTOCOL_WHY),
    "MESSAGE_TYPE_NONEXIST": CauseRule(R.FAILED, K.FAILED, "message type non-existent", _PROTOCOL_WHY),
    "WRONG_MESSAGE": CauseRule(R.FAILED, K.FAILED, "message not compatible with call state", _PROTOCOL_WHY),
    "IE_NONEXIST": CauseRule(R.FAILED, K.FAILED, "information element non-existent", _PROTOCOL_WHY),
    "INVALID_IE_CONTENTS": CauseRule(R.FAILED, K.FAILED, "invalid information element contents", _PROTOCOL_WHY),
    "WRONG_CALL_STATE": CauseRule(R.FAILED, K.FAILED, "message not compatible with call state", _PROTOCOL_WHY),
    "RECOVERY_ON_TIMER_EXPIRE": CauseRule(
        R.NO_ANSWERED,
        K.NO_ANSWER,
        "no final response in time (timer expired)",
        "408 Request Timeout: carriers send it when ringing times out on their side; "
        "504 Server Time-out is split out as congestion",
    ),
    "MANDATORY_IE_LENGTH_ERROR": CauseRule(R.FAILED, K.FAILED, "information element length error", _PROTOCOL_WHY),
    "PROTOCOL_ERROR": CauseRule(R.FAILED, K.FAILED, "protocol error", _PROTOCOL_WHY),
    "INTERWORKING": CauseRule(
        R.FAILED,
        K.FAILED,
        "interworking, unspecified",
        "413/414/416/420/421/423/505/513: the far side could not handle our request; the SIP "
        "status decides when present",
    ),
    "ORIGINATOR_CANCEL": CauseRule(
        R.CANCEL,
        K.CANCEL,
        "cancelled by the calling side while ringing",
        "our side cancelled before answer but the engine did not (fs_cli, another ESL "
        "client): a cancel, recalled when recall_status names cancel or failed; a 487 "
        "the far end sent by itself (recv_refuse) is no-answered",
    ),
    "CRASH": CauseRule(R.FAILED, K.FAILED, "FreeSWITCH crashed", "our system failed; the lead is not at fault"),
    "SYSTEM_SHUTDOWN": CauseRule(
        R.FAILED, K.FAILED, "FreeSWITCH shutting down", "our system stopped the call; the lead is not at fault"
    ),
    "LOSE_RACE": CauseRule(
        R.FAILED,
        K.FAILED,
        "another leg answered first",
        "only a fork's losing leg ends this way; the attempt is the winner's, so if this reaches "
        "the classifier nothing is known about the callee",
    ),
    "MANAGER_REQUEST": CauseRule(
        R.CANCEL,
        K.CANCEL,
        "hung up by an API request",
        "an operator or tool (hupall, uuid_kill) ended a ringing call on our side: a cancel",
    ),
    "BLIND_TRANSFER": CauseRule(
        R.FAILED, K.FAILED, "blind transfer", "transfers end a leg only after answer; unanswered it is unexpected"
    ),
    "ATTENDED_TRANSFER": CauseRule(
        R.FAILED, K.FAILED, "attended transfer", "transfers end a leg only after answer; unanswered it is unexpected"
    ),
    "ALLOTTED_TIMEOUT": CauseRule(
        R.NO_ANSWERED,
        K.NO_ANSWER,
        "allotted time expired before answer",
        "a scheduled hangup (sched_hangup, limit) fired while ringing: not answered in the time we allowed",
    ),
    "USER_CHALLENGE": CauseRule(
        R.FAILED,
        K.FAILED,
        "authentication challenge not satisfied",
        "the carrier wants credentials we did not give: gateway configuration",
    ),
    "MEDIA_TIMEOUT": CauseRule(
        R.FAILED,
        K.FAILED,
        "no media received (RTP timeout)",
        "the media path is broken (NAT, firewall, carrier RTP): not the callee",
    ),
    "PICKED_OFF": CauseRule(
        R.FAILED,
        K.FAILED,
        "picked off by another extension",
        "an intercept took the call on our side; nothing is known about the callee",
    ),
    "USER_NOT_REGISTERED": CauseRule(
        R.NOT_AVAILABLE,
        K.NOT_AVAILABLE,
        "target not registered",
        "the endpoint is not registered (also an empty dial target, as captured): the callee is unreachable now",
    ),
    "PROGRESS_TIMEOUT": CauseRule(
        R.NO_ANSWERED,
        K.NO_ANSWER,
        "no ringing before progress_timeout",
        "the network never signalled ringing within progress_timeout; like a ring-out, nobody answered",
    ),
    "INVALID_GATEWAY": CauseRule(
        R.FAILED,
        K.FAILED,
        "gateway does not exist",
        "the dial string names a gateway FreeSWITCH lacks: the carrier's network to gateway mapping is wrong",
    ),
    "GATEWAY_DOWN": CauseRule(
        R.CONGESTION,
        K.FAILED,
        "gateway down",
        "the trunk failed its registration or ping: network-side trouble, retry later",
    ),
    "INVALID_URL": CauseRule(
        R.INVALID_NUMBER,
        K.FAILED,
        "invalid destination URL",
        "the destination does not make a valid SIP URI; numbers are normalised before dialing, "
        "so the number is at fault",
    ),
    "INVALID_PROFILE": CauseRule(
        R.FAILED, K.FAILED, "sofia profile does not exist", "our dial string or sofia configuration is wrong"
    ),
    "NO_PICKUP": CauseRule(R.NO_ANSWERED, K.NO_ANSWER, "nobody picked up", "rang without being picked up"),
    "SRTP_READ_ERROR": CauseRule(R.FAILED, K.FAILED, "SRTP read error", "media encryption failed: configuration"),
    "BOWOUT": CauseRule(R.FAILED, K.FAILED, "loopback bowed out", "an internal loopback event, not the callee"),
    "BUSY_EVERYWHERE": CauseRule(R.BUSY, K.BUSY, "busy everywhere", "600 Busy Everywhere: the callee is busy"),
    "DECLINE": CauseRule(
        R.PHONE_BLOCK,
        K.BUSY,
        "declined by the callee",
        "603 Decline (newer mapping): the callee's side refused, as CALL_REJECTED",
    ),
    "DOES_NOT_EXIST_ANYWHERE": CauseRule(
        R.INVALID_NUMBER, K.FAILED, "number does not exist anywhere", "604: the number exists nowhere"
    ),
    "NOT_ACCEPTABLE": CauseRule(
        R.FAILED,
        K.FAILED,
        "not acceptable",
        "606: the far side cannot accept the session as offered (media): configuration",
    ),
    "UNWANTED": CauseRule(
        R.PHONE_BLOCK,
        K.BUSY,
        "callee marked the call unwanted",
        "607 Unwanted: the callee flagged us as spam; a refusal by the callee",
    ),
    "NO_IDENTITY": CauseRule(R.FAILED, K.FAILED, "caller identity missing", _IDENTITY_WHY),
    "BAD_IDENTITY_INFO": CauseRule(R.FAILED, K.FAILED, "bad caller identity info", _IDENTITY_WHY),
    "UNSUPPORTED_CERTIFICATE": CauseRule(R.FAILED, K.FAILED, "unsupported identity certificate", _IDENTITY_WHY),
    "INVALID_IDENTITY": CauseRule(R.FAILED, K.FAILED, "invalid caller identity", _IDENTITY_WHY),
    "STALE_DATE": CauseRule(R.FAILED, K.FAILED, "stale identity date", _IDENTITY_WHY),
    "REJECT_ALL": CauseRule(
        R.PHONE_BLOCK,
        K.FAILED,
        "rejected by an intermediary",
        "608 Rejected: a network call-analytics/spam filter refused calls from our number",
    ),
}

# The contract other modules and the tests use: cause → (recall_status, report key).
CAUSE_TABLE: dict[str, tuple[RecallStatus, ReportKey]] = {
    cause: (rule.recall_status, rule.report_key) for cause, rule in CAUSE_RULES.items()
}
