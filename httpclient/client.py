"""autocall's one HTTP client: pooled HTTP/1.1 connections, one total deadline, no redirects.

Webhook delivery (``dialer/webhooks.py``) and the cloud TTS engines
(``tts/engines/``) POST through a :class:`Client` (the TTS vendors that answer with
an audio URL also GET it); it sits in a
package of its own so that ``tts`` uses it without importing ``dialer``.

What a :class:`Client` does (HTTP/1.1 itself is the standard library's ``http.client``, on
sockets from our ``connect``: :mod:`httpclient.wire`):

- **One total deadline** per request: connecting, sending, the status, the
  headers and the body together (``gevent.Timeout``; every socket operation is
  also bounded by it). A server that drips its answer a byte at a time is cut
  off at the deadline with :class:`DeadlineExceeded`. The deadline needs
  gevent's patched sockets, which every autocall process has (``dialer/cli.py``
  patches first thing); unpatched, only each socket operation is bounded.
- **Pooled connections**, kept alive per ``scheme://host:port``, at most
  ``per_host`` kept per host (more may be open at once; the extra ones are
  closed after use). A connection that failed, was cut off, or that the server
  closed or wrote to while it was idle is never reused.
- **No redirects, no retries, no environment proxies**: a 3xx is an answer
  like any other for the caller to judge; a failed request is the caller's to
  retry (webhooks have their own back-off); ``HTTP_PROXY`` is never read, so a
  connection goes where the caller's ``connect`` says.
- **Where a connection goes** (``connect``): by default ``socket.create_connection``
  (resolve the name, try its addresses). A caller may pass its own function that
  resolves and connects (webhooks: only to addresses they may reach); TLS
  (``ssl_context``, by default the system's CAs) checks the certificate against
  the URL's host name, whatever address was connected.
- **Errors as they are**: the ``OSError``, ``http.client.HTTPException``
  (``BadStatusLine``, ``RemoteDisconnected``...) or ``ssl`` error, or what
  ``connect`` raised, so a log line says ``BadStatusLine`` or
  ``ConnectionRefusedError``. Socket timeouts are the deadline.
"""

from __future__ import annotations

import functools
import http.client
import select
import socket
import ssl
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

import gevent

from httpclient.wire import Connection, Connector, Headers, check_headers

QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only
PORTS = {"http": 80, "https": 443}


class DeadlineExceeded(Exception):
    """The whole request (connect, send, status, headers, body) took longer than the client's deadline."""


@dataclass(frozen=True, slots=True)
class Answer:
    """A server's answer: ``body`` holds at most the ``max_body`` bytes asked for; ``truncated`` says
    there was more (it was not read, and the connection was closed rather than kept)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool


@dataclass(frozen=True, slots=True)
class Target:
    """Where a URL's request goes: its pool key, the address to connect to and the request's line and Host."""

    scheme: str
    host: str  # the name or address, without brackets: what connect resolves and TLS checks
    port: int
    path: str  # path and query, as sent
    host_header: str

    @property
    def pool(self) -> tuple[str, str, int]:
        return (self.scheme, self.host, self.port)


@functools.lru_cache(maxsize=1024)
def target(url: str) -> Target:
    """A URL's :class:`Target` (cached: webhooks POST to the same few URLs again and again)."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in PORTS:
        raise ValueError(f"not an http:// or https:// URL: {scheme or 'no'} scheme")
    host = parts.hostname
    if not host:
        raise ValueError("URL has no host")
    port = parts.port or PORTS[scheme]
    name = f"[{host}]" if ":" in host else host
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(scheme, host, port, path, name if port == PORTS[scheme] else f"{name}:{port}")


def idle_and_open(conn: Connection) -> bool:
    """Nothing to read on a kept connection while idle: the server neither closed it nor wrote out of turn."""
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError, TypeError):
        return False
    return not readable


class Client:
    """POSTs within one total deadline of ``timeout`` seconds over pooled connections.

    ``per_host``: connections kept alive per host. ``connect``: how a connection's socket is made
    (default: ``socket.create_connection``). ``ssl_context``: the TLS settings (default: the system's
    CAs, certificates and host names checked).
    """

    def __init__(
        self,
        *,
        timeout: float,
        per_host: int = 4,
        connect: Connector | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.per_host = per_host
        self._connect: Connector = connect or socket.create_connection
        self._ssl_context = ssl_context
        self._idle: dict[tuple[str, str, int], list[Connection]] = {}

    def post(
        self, url: str, body: bytes, headers: Mapping[str, str], *, max_body: int, body_wait: float | None = None
    ) -> Answer:
        """POST ``body`` and read the answer, at most ``max_body`` bytes of its body, within the deadline.

        ``body_wait``: for a caller that judges the answer by its status alone, how long to wait for the
        body once the headers are in: the body is read only to keep the connection. One that takes longer
        is not read (``truncated``; the connection is closed rather than kept, so the next request opens a
        fresh one), and a server that stalls after its headers costs this wait, not the deadline.
        ``None``: the body is part of the answer, awaited within the deadline.

        Raises :class:`DeadlineExceeded`, or what went wrong underneath (see the module docstring).
        """
        return self._request("POST", url, body, headers, max_body, body_wait)

    def get(self, url: str, headers: Mapping[str, str], *, max_body: int) -> Answer:
        """GET ``url`` (path and query) and read at most ``max_body`` bytes of its body, within the deadline.

        Same rules as :meth:`post`: one deadline, pooled connections, no redirects (a 3xx is the answer).
        """
        return self._request("GET", url, None, headers, max_body, None)

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        max_body: int,
        body_wait: float | None,
    ) -> Answer:
        where = target(url)
        check_headers(headers)  # before any connection: nothing a caller gives reaches the wire unchecked
        deadline = DeadlineExceeded(f"no complete answer within {self.timeout:g} s")
        conn: Connection | None = None
        try:
            with gevent.Timeout(self.timeout, deadline):
                conn = self._take(where)
                answer, reusable = self._exchange(conn, where, method, body, headers, max_body, body_wait)
        except TimeoutError as exc:  # a socket operation's own timeout: the same deadline
            if conn is not None:
                conn.close()
            raise deadline from exc
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        self._give_back(where, conn, reusable)
        return answer

    def _exchange(
        self,
        conn: Connection,
        where: Target,
        method: str,
        body: bytes | None,
        headers: Mapping[str, str],
        max_body: int,
        body_wait: float | None,
    ) -> tuple[Answer, bool]:
        # http.client adds "Accept-Encoding: identity"
        conn.send_request(method, where.path, where.host_header, headers, body)
        if QUICKACK is not None and conn.sock is not None:
            # On a kept connection Linux delays the ACK of an answer's first segment, to ride on the next
            # request; a server that writes its answer in two sends with Nagle's algorithm on (gevent.pywsgi,
            # http.server) holds the second until that ACK: 40 ms per request. Quick-ACK acknowledges at once.
            conn.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        reply = conn.getresponse()
        try:
            data, truncated = b"", True
            if body_wait is None:
                data, truncated = _read_body(reply, max_body)
            else:
                with gevent.Timeout(body_wait, False):  # cut off: the rest stays unread, the connection is closed
                    data, truncated = _read_body(reply, max_body)
        except BaseException:
            reply.close()
            raise
        # Kept only when the whole answer was read and neither side said the connection ends.
        reusable = not truncated and not reply.will_close and reply.isclosed()
        if not reusable:
            reply.close()
        return Answer(reply.status, reply.reason, Headers(reply.msg), data, truncated), reusable

    def _take(self, where: Target) -> Connection:
        """A kept connection to ``where`` that is still open, else a new one (connected when it first sends)."""
        idle = self._idle.get(where.pool)
        while idle:
            conn = idle.pop()
            if idle_and_open(conn):
                return conn
            conn.close()
        tls = (self._ssl_context or _default_context()) if where.scheme == "https" else None
        return Connection(where.host, where.port, timeout=self.timeout, connector=self._connect, tls=tls)

    def _give_back(self, where: Target, conn: Connection, reusable: bool) -> None:
        idle = self._idle.setdefault(where.pool, [])
        if reusable and len(idle) < self.per_host:
            idle.append(conn)
        else:
            conn.close()

    def close(self) -> None:
        """Close every kept connection (a later request opens new ones)."""
        idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn in conns:
                conn.close()


def _read_body(reply: http.client.HTTPResponse, limit: int) -> tuple[bytes, bool]:
    """(at most ``limit`` bytes of the body, whether there was more: then the rest is left unread)."""
    if reply.length is not None:  # Content-Length (0 for 1xx, 204, 304)
        if reply.length <= limit:
            return reply.read(), False  # IncompleteRead if the connection ends short
        data = reply.read(limit)
        if len(data) < limit:
            raise http.client.IncompleteRead(data, limit - len(data))
        return data, True
    data = reply.read(limit + 1)  # chunked, or until the connection ends
    return data[:limit], len(data) > limit


@functools.cache
def _default_context() -> ssl.SSLContext:
    """The system's CAs; certificates and host names checked (made once: loading the CAs is slow)."""
    return ssl.create_default_context()
