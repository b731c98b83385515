"""How the simulated switch names its hangup causes.

The cause table and mod_sofia's SIP → cause mapping are FreeSWITCH's, kept once in
``dialer.esl.causes`` (the classifier reads the same table); here only what the
simulator adds: the far end's reason phrases and ``switch_channel_str2cause()``.
"""

from __future__ import annotations

from dialer.esl.causes import Q850, cause_from_q850, sip_to_cause

__all__ = ["SIP_PHRASES", "q850", "sip_to_cause", "str2cause"]

# Reason phrases as SIPp (RFC 3261 defaults) sends them.
SIP_PHRASES = {
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


def q850(cause: str) -> int:
    """The Q.850 number of a cause name; NONE (no cause yet) is 0."""
    return 0 if cause == "NONE" else Q850[cause]


def str2cause(text: str) -> str:
    """switch_channel_str2cause(): a cause name (any case) or its number;
    error/<unknown> gives USER_BUSY as mod_dptools' error endpoint does."""
    name = text.strip().upper()
    if name in Q850:
        return name
    if name.isdigit():
        return cause_from_q850(int(name)) or "USER_BUSY"
    return "USER_BUSY"
