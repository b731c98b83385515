"""autocall's one HTTP client: urllib3's pooled connections, one total deadline, no redirects.

Webhook delivery (``dialer/webhooks.py``) and the cloud TTS engine
(``tts/engines/http.py``) both POST through a :class:`Client`; it sits in a
package of its own so that ``tts`` uses it without importing ``dialer``.

What a :class:`Client` does, on top of urllib3's ``PoolManager``:

- **One total deadline** per request: connecting, sending, the status, the
  headers and the body together (``gevent.Timeout``; every socket operation is
  also bounded by it). A server that drips its answer a byte at a time is cut
  off at the deadline with :class:`DeadlineExceeded`. The deadline needs
  gevent's patched sockets, which every autocall process has (``dialer/cli.py``
  patches first thing); unpatched, only each socket operation is bounded.
- **Pooled connections**, kept alive per ``scheme://host:port``, at most
  ``per_host`` kept per host (more may be open at once; the extra ones are
  closed after use). A connection that failed or was cut off is never reused.
- **No redirects, no retries, no environment proxies**: a 3xx is an answer
  like any other for the caller to judge; a failed request is the caller's to
  retry (webhooks have their own back-off); ``HTTP_PROXY`` is not read (urllib3
  never reads it), so a connection goes where the caller's ``connect`` says.
- **Where a connection goes** (``connect``): by default urllib3's own (resolve
  the name, try its addresses). A caller may pass its own function that resolves
  and connects (webhooks: only to addresses they may reach); TLS still checks
  the certificate against the URL's host name, whatever address was connected.
- **Errors as they are**: urllib3 wraps what went wrong (``ProtocolError
  ('Connection aborted.', RemoteDisconnected(...))``); the client raises what is
  underneath (the ``OSError``, ``http.client.HTTPException`` or ``ssl`` error, or
  what ``connect`` raised), so a log line says ``BadStatusLine`` or
  ``ConnectionRefusedError``, not a wrapper. Socket timeouts are the deadline.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gevent
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ProtocolError, ReadTimeoutError, SSLError
from urllib3.response import BaseHTTPResponse
from urllib3.util.timeout import Timeout

# (host, port), timeout in seconds or None -> a connected socket; raises OSError or its own exception.
Connector = Callable[[tuple[str, int], float | None], socket.socket]

CHUNK = 64 << 10  # bytes read at a time from a body
QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux only


class DeadlineExceeded(Exception):
    """The whole request (connect, send, status, headers, body) took longer than the client's deadline."""


@dataclass(frozen=True)
class Answer:
    """A server's answer: ``body`` holds at most the ``max_body`` bytes asked for; ``truncated`` says
    there was more (it was not read, and the connection was closed rather than kept)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    truncated: bool


class _Connecting:
    """urllib3's connection with two changes.

    - Its socket comes from the client's ``connect``, when there is one, instead of urllib3's
      ``create_connection``. urllib3 2 makes a connection's socket in ``_new_conn`` (private: the major
      version is pinned, and tests/test_http_client.py covers it); the TLS handshake
      (``HTTPSConnection.connect``) then runs on that socket against ``self.host``, the URL's name.
    - Each answer is read in quick-ACK mode (Linux). On a kept connection Linux delays the ACK of an
      answer's first segment, to ride on the next request; a server that writes its answer in two sends
      with Nagle's algorithm on (gevent.pywsgi, http.server) holds the second until that ACK: 40 ms per
      request, ten times a new connection. TCP_QUICKACK acknowledges at once, for this answer.
    """

    host: str
    port: int
    timeout: Any
    socket_options: Any
    sock: socket.socket | None

    def __init__(self, *args: Any, connect: Connector | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._connect = connect

    def _new_conn(self) -> socket.socket:
        if self._connect is None:
            made: socket.socket = super()._new_conn()  # type: ignore[misc]
            return made
        sock = self._connect((self.host, self.port), Timeout.resolve_default_timeout(self.timeout))
        for option in self.socket_options or ():  # urllib3's defaults: TCP_NODELAY
            sock.setsockopt(*option)
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        if QUICKACK is not None and self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, QUICKACK, 1)
        return super().getresponse(*args, **kwargs)  # type: ignore[misc]


class _Connection(_Connecting, HTTPConnection):
    pass


class _TLSConnection(_Connecting, HTTPSConnection):
    pass


class _PoolManager(urllib3.PoolManager):
    def __init__(self, connect: Connector | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._connect = connect

    def _new_pool(
        self, scheme: str, host: str, port: int, request_context: dict[str, Any] | None = None
    ) -> HTTPConnectionPool:
        # urllib3 documents _new_pool as "intended to be overridden for customization".
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = _TLSConnection if scheme == "https" else _Connection
        pool.conn_kw["connect"] = self._connect
        return pool


def underlying(exc: BaseException) -> BaseException:
    """What went wrong beneath urllib3's wrappers (a socket timeout: :class:`DeadlineExceeded`)."""
    if isinstance(exc, NewConnectionError):  # before ConnectTimeoutError: urllib3 2 makes it one
        return exc.__cause__ or exc
    if isinstance(exc, (ReadTimeoutError, ConnectTimeoutError, TimeoutError)):
        return DeadlineExceeded(str(exc))
    if isinstance(exc, ProtocolError) and len(exc.args) > 1 and isinstance(exc.args[1], BaseException):
        return underlying(exc.args[1])
    if isinstance(exc, SSLError) and exc.args and isinstance(exc.args[0], BaseException):
        return exc.args[0]
    return exc


class Client:
    """POSTs within one total deadline of ``timeout`` seconds over pooled connections.

    ``per_host``: connections kept alive per host. ``connect``: how a connection's socket is made
    (default: urllib3's). ``ssl_context``: the TLS settings (default: urllib3's, the system's CAs,
    certificates and host names checked).
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
        options: dict[str, Any] = {"ssl_context": ssl_context} if ssl_context is not None else {}
        timeout_each = Timeout(connect=self.timeout, read=self.timeout)  # every socket operation; the total below
        self._pools = _PoolManager(
            connect, num_pools=100, maxsize=per_host, block=False, retries=False, timeout=timeout_each, **options
        )

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
        deadline = DeadlineExceeded(f"no complete answer within {self.timeout:g} s")
        try:
            with gevent.Timeout(self.timeout, deadline):
                return self._post(url, body, headers, max_body, body_wait)
        except urllib3.exceptions.HTTPError as exc:
            cause = underlying(exc)
            if isinstance(cause, DeadlineExceeded):
                raise deadline from exc
            if cause is exc:
                raise
            raise cause from None

    def _post(
        self, url: str, body: bytes, headers: Mapping[str, str], max_body: int, body_wait: float | None
    ) -> Answer:
        response = self._pools.urlopen(
            "POST", url, body=body, headers=dict(headers), redirect=False, preload_content=False
        )
        try:
            data, truncated = b"", True
            if body_wait is None:
                data, truncated = _read(response, max_body)
            else:
                with gevent.Timeout(body_wait, False):  # cut off: urllib3 closes the connection
                    data, truncated = _read(response, max_body)
            if truncated:  # the rest stays unread: this connection cannot carry another request
                response.close()
            return Answer(response.status, response.reason or "", response.headers, data, truncated)
        finally:
            response.release_conn()  # back to the pool; one that failed or was closed is replaced

    def close(self) -> None:
        """Close every kept connection (a later request opens new ones)."""
        self._pools.clear()


def _read(response: BaseHTTPResponse, max_body: int) -> tuple[bytes, bool]:
    """(at most ``max_body`` bytes of the body, whether there was more)."""
    data = bytearray()
    while len(data) <= max_body:
        chunk = response.read(min(CHUNK, max_body + 1 - len(data)))
        if not chunk:
            break
        data += chunk
    return bytes(data[:max_body]), len(data) > max_body
