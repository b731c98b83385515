"""How the simulated switch names its hangup causes.

The cause table and mod_sofia's SIP → cause mapping are FreeSWITCH's, kept once in
``dialer.esl.causes`` (the classifier reads the same table); and so are the
reason phrases a far end sends (RFC 3261's); here only what the simulator adds:
``switch_channel_str2cause()`` and ``q850()``.
"""

from __future__ import annotations

from dialer.esl.causes import Q850, SIP_PHRASES, cause_from_q850, sip_to_cause

__all__ = ["SIP_PHRASES", "q850", "sip_to_cause", "str2cause"]


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
