"""Where the webhook sender may connect: only to addresses a webhook may reach.

The sender's HTTP client (:class:`httpclient.Client`) makes every connection
with :func:`connect`: it resolves the name once, drops the addresses
:func:`dialer.domain.webhook_targets.address_problem` refuses, and connects
to one it kept. The address checked is the address used, so DNS rebinding
(a name that answered a public address to a check and a private one to the
connect) cannot slip through. A name with nothing left raises
:class:`AddressRefused`, which the sender records as a failed try. Redirects
are not followed (the client never follows one), so no other host is reached.

TLS is unchanged by this: the handshake runs on the socket :func:`connect`
returns and checks the certificate against the URL's host name.
Environment proxies (``HTTP_PROXY``...) are not used: a proxy would resolve
the name itself, out of reach of this check.
"""

from __future__ import annotations

import functools
import socket

from dialer.domain.webhook_targets import ALLOW_SETTING, address_problem, literal_address
from httpclient import Connector


class AddressRefused(Exception):
    """The receiver's name resolves only to addresses webhooks may not reach (loopback, private...)."""


def connect(address: tuple[str, int], timeout: float | None, *, allow_private: bool = False) -> socket.socket:
    """``socket.create_connection`` that skips refused addresses (all of them allowed with ``allow_private``)."""
    host, port = address
    refused: list[tuple[str, str]] = []
    error: OSError | None = None
    for family, kind, proto, _, sockaddr in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM):
        problem = None if allow_private else address_problem(str(sockaddr[0]))
        if problem:
            refused.append((str(sockaddr[0]), problem))
            continue
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    if error is not None:
        raise error
    if not refused:
        raise OSError(f"getaddrinfo returned no address for {host}")
    what = (
        f"is a {refused[0][1]} address"
        if literal_address(host)
        else "resolves to " + ", ".join(dict.fromkeys(f"{address} ({problem})" for address, problem in refused))
    )
    raise AddressRefused(f"{host} {what}: not allowed for webhooks ({ALLOW_SETTING} is off)")


def connector(allow_private: bool = False) -> Connector:
    """:func:`connect` as the HTTP client's way to connect (``AUTOCALL_WEBHOOK_ALLOW_PRIVATE``: every address)."""
    return functools.partial(connect, allow_private=allow_private)
