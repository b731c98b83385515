"""The webhook sender's HTTP opener: it connects only to addresses a webhook may reach.

Every connection the opener makes (the URL's host, and any host a redirect
names) resolves the name once, drops the addresses
:func:`dialer.domain.webhook_targets.address_problem` refuses, and connects
to one it kept: the address checked is the address used, so DNS rebinding
(a name that answered a public address to a check and a private one to the
connect) cannot slip through. A name with nothing left raises
:class:`AddressRefused`, which the sender records as a failed try.

Environment proxies (``HTTP_PROXY``...) are not used: a proxy would resolve
the name itself, out of reach of this check.
"""

from __future__ import annotations

import functools
import http.client
import socket
import urllib.request
from typing import Any

from dialer.domain.webhook_targets import ALLOW_SETTING, address_problem, literal_address


class AddressRefused(Exception):
    """The receiver's name resolves only to addresses webhooks may not reach (loopback, private...)."""


DEFAULT_TIMEOUT: Any = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]  # http.client's "no timeout"


def connect(address: tuple[str, int], timeout: Any = DEFAULT_TIMEOUT, source_address: tuple[str, int] | None = None,
            *, allow_private: bool = False) -> socket.socket:  # fmt: skip
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
            if timeout is not DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
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


class _Guarded:
    def __init__(self, *args: Any, allow_private: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = functools.partial(connect, allow_private=allow_private)


class GuardedHTTPConnection(_Guarded, http.client.HTTPConnection):
    pass


class GuardedHTTPSConnection(_Guarded, http.client.HTTPSConnection):  # the TLS handshake still checks the name
    pass


class _HTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def http_open(self, req: urllib.request.Request) -> Any:
        return self.do_open(functools.partial(GuardedHTTPConnection, allow_private=self.allow_private), req)


class _HTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, allow_private: bool) -> None:
        super().__init__()
        self.allow_private = allow_private

    def https_open(self, req: urllib.request.Request) -> Any:
        connection = functools.partial(GuardedHTTPSConnection, allow_private=self.allow_private)
        options: dict[str, Any] = {"context": self._context}  # type: ignore[attr-defined]
        if hasattr(self, "_check_hostname"):  # Python 3.11 passes it; 3.12 dropped it
            options["check_hostname"] = self._check_hostname
        return self.do_open(connection, req, **options)


def opener(allow_private: bool = False) -> urllib.request.OpenerDirector:
    """An opener whose every connection goes through :func:`connect`; no environment proxies."""
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _HTTPHandler(allow_private),
                                       _HTTPSHandler(allow_private))  # fmt: skip
