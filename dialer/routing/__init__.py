"""Routing: Vietnamese numbers -> network, and safe FreeSWITCH originate strings.

See docs/routing.md.
"""

from dialer.routing.dialstring import Leg, UnsafeValue, build_originate, escape_value
from dialer.routing.numbers import PREFIXES, InvalidNumber, PhoneNumber, PrefixOwner, normalize

__all__ = [
    "PREFIXES",
    "InvalidNumber",
    "Leg",
    "PhoneNumber",
    "PrefixOwner",
    "UnsafeValue",
    "build_originate",
    "escape_value",
    "normalize",
]
