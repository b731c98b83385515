"""Which URLs a webhook may be sent to: no control characters, and no internal address.

A campaign's ``callback_url`` / ``answer_callback_url`` is a URL a client
chose and autocall POSTs to from inside the operator's network. Without a
check it is a blind server-side request forgery: ``http://127.0.0.1:6379/``
(Redis), ``http://169.254.169.254/`` (a cloud's metadata service), the
FreeSWITCH box next door. So only globally routable unicast addresses are
allowed unless the operator turns ``AUTOCALL_WEBHOOK_ALLOW_PRIVATE`` on (a
receiver on the same LAN, tests, the demo).

The API refuses what it can tell from the URL alone (a literal address, a
``localhost`` name); the sender checks every address a name resolves to
when it connects, and connects to the address it checked
(:mod:`dialer.webhook_guard`), so a name that resolves to an internal
address, or is re-pointed at one later (DNS rebinding), is refused too.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import urllib.parse

# C0 controls, space, DEL and C1 controls: a CR/LF would split the request line (header injection);
# none of them belongs in a URL (a space must be sent as %20).
_CONTROL = re.compile(r"[\x00-\x20\x7f-\x9f]")
# What inet_aton also reads as an IPv4 address (127.1, 0x7f.1, 2130706433): a "name" that is none.
_INET_ATON = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)
ALLOW_SETTING = "AUTOCALL_WEBHOOK_ALLOW_PRIVATE"


def control_problem(url: str) -> str | None:
    """Why the URL is refused for a character it holds, or None."""
    match = _CONTROL.search(url)
    if match is None:
        return None
    char = match.group()
    name = {"\r": "CR", "\n": "LF", "\t": "TAB", "\x00": "NUL", " ": "a space"}.get(char, f"U+{ord(char):04X}")
    return f"must not contain control characters or spaces (found {name}; encode a space as %20)"


def address_problem(address: str) -> str | None:
    """What kind of internal address ``address`` is ("loopback", "private"...), None if a webhook may reach it."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (fe80::1%eth0) names a link-local
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for kind, test in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
    ):
        if test:
            return kind
    if not ip.is_global:  # 100.64.0.0/10 (carrier-grade NAT), 6to4 of a private address...
        return "not globally routable"
    return None


def literal_address(host: str) -> str | None:
    """The IP address a URL's host names by itself (no DNS), in any spelling inet_aton reads."""
    try:
        return str(ipaddress.ip_address(host.split("%", 1)[0]))
    except ValueError:
        pass
    if _INET_ATON.match(host):
        try:
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_problem(url: str) -> str | None:
    """Why the API refuses the URL's host without resolving it (a literal internal address, a
    ``localhost`` name, no host at all), or None. Names are checked again when a webhook is sent."""
    try:
        host = (urllib.parse.urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return "is not a valid URL"
    if not host:
        return "has no host"
    if host == "localhost" or host.endswith(".localhost"):  # RFC 6761: always the loopback
        return f"names the loopback ({host}); set {ALLOW_SETTING}=true to allow internal receivers"
    address = literal_address(host)
    kind = address_problem(address) if address else None
    if kind:
        return f"is a {kind} address ({address}); set {ALLOW_SETTING}=true to allow internal receivers"
    return None
