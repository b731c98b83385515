"""FreeSWITCH hangup cause names, their Q.850 numbers, and mod_sofia's SIP → cause mapping.

Source: FreeSWITCH 1.10.12 ``switch_types.h`` / ``switch_channel.c`` (the cause
table) and mod_sofia's ``sofia_glue_sip_cause_to_freeswitch()``, as written down
in shared/FREESWITCH-NOTES.md ("Hangup causes and SIP"). One table for the whole
project: the outcomes classify with it and the simulator (``simswitch.causes``)
hangs up with it, so the two cannot disagree.

``NONE`` (cause 0, "no cause yet") is deliberately absent: it is never a final
cause, and the classifier treats it like a missing cause.
"""

from __future__ import annotations

__all__ = ["Q850", "SIP_PHRASES", "SIP_TO_CAUSE", "cause_from_q850", "sip_to_cause"]

# Every hangup cause name FreeSWITCH has, with its Q.850 (or FreeSWITCH-private, >= 487) number.
Q850: dict[str, int] = {
    "UNALLOCATED_NUMBER": 1,
    "NO_ROUTE_TRANSIT_NET": 2,
    "NO_ROUTE_DESTINATION": 3,
    "CHANNEL_UNACCEPTABLE": 6,
    "CALL_AWARDED_DELIVERED": 7,
    "NORMAL_CLEARING": 16,
    "USER_BUSY": 17,
    "NO_USER_RESPONSE": 18,
    "NO_ANSWER": 19,
    "SUBSCRIBER_ABSENT": 20,
    "CALL_REJECTED": 21,
    "NUMBER_CHANGED": 22,
    "REDIRECTION_TO_NEW_DESTINATION": 23,
    "EXCHANGE_ROUTING_ERROR": 25,
    "DESTINATION_OUT_OF_ORDER": 27,
    "INVALID_NUMBER_FORMAT": 28,
    "FACILITY_REJECTED": 29,
    "RESPONSE_TO_STATUS_ENQUIRY": 30,
    "NORMAL_UNSPECIFIED": 31,
    "NORMAL_CIRCUIT_CONGESTION": 34,
    "NETWORK_OUT_OF_ORDER": 38,
    "NORMAL_TEMPORARY_FAILURE": 41,
    "SWITCH_CONGESTION": 42,
    "ACCESS_INFO_DISCARDED": 43,
    "REQUESTED_CHAN_UNAVAIL": 44,
    "PRE_EMPTED": 45,
    "FACILITY_NOT_SUBSCRIBED": 50,
    "OUTGOING_CALL_BARRED": 52,
    "INCOMING_CALL_BARRED": 54,
    "BEARERCAPABILITY_NOTAUTH": 57,
    "BEARERCAPABILITY_NOTAVAIL": 58,
    "SERVICE_UNAVAILABLE": 63,
    "BEARERCAPABILITY_NOTIMPL": 65,
    "CHAN_NOT_IMPLEMENTED": 66,
    "FACILITY_NOT_IMPLEMENTED": 69,
    "SERVICE_NOT_IMPLEMENTED": 79,
    "INVALID_CALL_REFERENCE": 81,
    "INCOMPATIBLE_DESTINATION": 88,
    "INVALID_MSG_UNSPECIFIED": 95,
    "MANDATORY_IE_MISSING": 96,
    "MESSAGE_TYPE_NONEXIST": 97,
    "WRONG_MESSAGE": 98,
    "IE_NONEXIST": 99,
    "INVALID_IE_CONTENTS": 100,
    "WRONG_CALL_STATE": 101,
    "RECOVERY_ON_TIMER_EXPIRE": 102,
    "MANDATORY_IE_LENGTH_ERROR": 103,
    "PROTOCOL_ERROR": 111,
    "INTERWORKING": 127,
    "ORIGINATOR_CANCEL": 487,
    "CRASH": 700,
    "SYSTEM_SHUTDOWN": 701,
    "LOSE_RACE": 702,
    "MANAGER_REQUEST": 703,
    "BLIND_TRANSFER": 800,
    "ATTENDED_TRANSFER": 801,
    "ALLOTTED_TIMEOUT": 802,
    "USER_CHALLENGE": 803,
    "MEDIA_TIMEOUT": 804,
    "PICKED_OFF": 805,
    "USER_NOT_REGISTERED": 806,
    "PROGRESS_TIMEOUT": 807,
    "INVALID_GATEWAY": 808,
    "GATEWAY_DOWN": 809,
    "INVALID_URL": 810,
    "INVALID_PROFILE": 811,
    "NO_PICKUP": 812,
    "SRTP_READ_ERROR": 813,
    "BOWOUT": 814,
    "BUSY_EVERYWHERE": 815,
    "DECLINE": 816,
    "DOES_NOT_EXIST_ANYWHERE": 817,
    "NOT_ACCEPTABLE": 818,
    "UNWANTED": 819,
    "NO_IDENTITY": 820,
    "BAD_IDENTITY_INFO": 821,
    "UNSUPPORTED_CERTIFICATE": 822,
    "INVALID_IDENTITY": 823,
    "STALE_DATE": 824,
    "REJECT_ALL": 825,
}

_BY_NUMBER: dict[int, str] = {number: name for name, number in Q850.items()}

# mod_sofia (1.10.12): the hangup cause it sets for a final SIP response, unless the
# response carries ``Reason: Q.850;cause=N``, which wins. Unlisted statuses give
# NORMAL_UNSPECIFIED. Kept exactly as FreeSWITCH does it: the classifier's own
# refinements live in outcomes/sip_rules.SIP_OVERRIDES, so this table stays a fact, not a choice.
SIP_TO_CAUSE: dict[int, str] = {
    401: "CALL_REJECTED",
    402: "CALL_REJECTED",
    403: "CALL_REJECTED",
    407: "CALL_REJECTED",
    603: "CALL_REJECTED",
    608: "CALL_REJECTED",
    404: "UNALLOCATED_NUMBER",
    485: "NO_ROUTE_DESTINATION",
    604: "NO_ROUTE_DESTINATION",
    408: "RECOVERY_ON_TIMER_EXPIRE",
    504: "RECOVERY_ON_TIMER_EXPIRE",
    410: "NUMBER_CHANGED",
    480: "NO_USER_RESPONSE",
    400: "NORMAL_TEMPORARY_FAILURE",
    481: "NORMAL_TEMPORARY_FAILURE",
    500: "NORMAL_TEMPORARY_FAILURE",
    503: "NORMAL_TEMPORARY_FAILURE",
    486: "USER_BUSY",
    600: "USER_BUSY",
    484: "INVALID_NUMBER_FORMAT",
    488: "INCOMPATIBLE_DESTINATION",
    606: "INCOMPATIBLE_DESTINATION",
    502: "NETWORK_OUT_OF_ORDER",
    405: "SERVICE_UNAVAILABLE",
    406: "SERVICE_NOT_IMPLEMENTED",
    415: "SERVICE_NOT_IMPLEMENTED",
    501: "SERVICE_NOT_IMPLEMENTED",
    482: "EXCHANGE_ROUTING_ERROR",
    483: "EXCHANGE_ROUTING_ERROR",
    487: "ORIGINATOR_CANCEL",
    607: "UNWANTED",
    413: "INTERWORKING",
    414: "INTERWORKING",
    416: "INTERWORKING",
    420: "INTERWORKING",
    421: "INTERWORKING",
    423: "INTERWORKING",
    505: "INTERWORKING",
    513: "INTERWORKING",
}

# RFC 3261 (and RFC 6585 / 8197 / 8688) reason phrases, for human-readable reasons only.
SIP_PHRASES: dict[int, str] = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    410: "Gone",
    413: "Request Entity Too Large",
    414: "Request-URI Too Long",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    421: "Extension Required",
    423: "Interval Too Brief",
    428: "Use Identity Header",
    429: "Too Many Requests",
    436: "Bad Identity Info",
    437: "Unsupported Credential",
    438: "Invalid Identity Header",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    484: "Address Incomplete",
    485: "Ambiguous",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Server Time-out",
    505: "Version Not Supported",
    513: "Message Too Large",
    600: "Busy Everywhere",
    603: "Decline",
    604: "Does Not Exist Anywhere",
    606: "Not Acceptable",
    607: "Unwanted",
    608: "Rejected",
}


def sip_to_cause(status: int) -> str:
    """The hangup cause mod_sofia derives from a final SIP response (no Reason header)."""
    return SIP_TO_CAUSE.get(status, "NORMAL_UNSPECIFIED")


def cause_from_q850(number: int) -> str | None:
    """The cause name of a Q.850 number (``variable_hangup_cause_q850``), None if FreeSWITCH has none."""
    return _BY_NUMBER.get(number)
