"""The HTTP listener: gevent.pywsgi in the daemon's hub, with TCP_NODELAY and client deadlines.

pywsgi writes headers and body separately; without TCP_NODELAY, Nagle and
delayed ACK hold the second write ~40 ms (FREESWITCH-NOTES: 360 → 2,600
requests/s when set). The voice-OTP path needs milliseconds.

A client cannot hold a connection by sending slowly (``AUTOCALL_HTTP_CLIENT_TIMEOUT``,
``timeout`` below):

* no read waits longer than ``timeout`` (an idle keep-alive, a stalled client);
* the request line and headers must be complete ``timeout`` after their first
  byte (a slowloris trickling header bytes): 408, closed;
* a body must arrive at ``MIN_BODY_RATE`` on average after ``timeout`` of grace
  (a body trickled or stalled): the app answers 408 and the connection closes.

A body the app did not read (413, 401, 404...) is not drained if it is large
or of unknown length (chunked): the answer says ``Connection: close``, the
server stops writing, reads and drops what the client still sends for at most
``LINGER_SECONDS`` (so the answer is not lost to a reset), and closes.

Idle connections cannot lock the API out (``AUTOCALL_HTTP_MAX_CONNECTIONS``).
pywsgi serves each connection in its own greenlet, from a bounded pool; once
the pool was full, the server stopped accepting, so 1,000 clients that
connected and sent nothing (or idle keep-alives) kept every other request,
``/healthz`` included, in the kernel's backlog until their timeout. Now:

* a connection waiting for a request to start (never a byte yet, or a
  keep-alive between requests) is *idle*; near the cap (fewer than
  ``spare`` free slots) the longest-idle ones are shut down, oldest first,
  so a new connection always finds a slot. Closing a keep-alive between
  requests is ordinary HTTP (nginx does the same when it runs short);
* a connection that has begun a request keeps its slot until the answer
  (its deadlines above bound that); only when every slot is busy so do new
  connections wait in the backlog. ``AUTOCALL_PROBE_LISTEN`` gives the
  probes a listener of their own for that case;
* the cap never exceeds what the file-descriptor limit allows:
  :func:`raise_fd_limit` raises the soft ``RLIMIT_NOFILE`` to the hard one at
  start, and ``FD_RESERVE`` descriptors are left for Redis, the Event Socket
  and files (an ``accept`` failing with ``EMFILE`` would stall the listener).

gevent.pywsgi has no public way to learn how much of a body the app left
unread, to stop the drain it runs after the app, or to answer a request it
could not read with a status of ours: :class:`NoDelayHandler` uses
``pywsgi.Input``'s attributes and the ``_handle_client_error`` hook for those.
pyproject bounds gevent (``<27``) and tests/test_gevent_contract.py names each
internal, so a release that changes one fails loudly there.
"""

from __future__ import annotations

import io
import logging
import resource
import socket
import time

from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from dialer.listen import parse_listen
from dialer.logs import redact_query

log = logging.getLogger("autocall.api")


MAX_CONNECTIONS = 1000  # AUTOCALL_HTTP_MAX_CONNECTIONS; near it, the longest-idle connections are closed
PROBE_CONNECTIONS = 64  # the probe listener's cap (AUTOCALL_PROBE_LISTEN)
FD_RESERVE = 256  # descriptors left for Redis, the Event Socket, webhooks, files: the cap stays below the limit
BACKLOG = 1024  # the kernel's accept queue (capped by net.core.somaxconn)
CLIENT_TIMEOUT = 30.0  # seconds; AUTOCALL_HTTP_CLIENT_TIMEOUT
IDLE_SECONDS = CLIENT_TIMEOUT  # the former name
MIN_BODY_RATE = 8 << 10  # bytes/s a request body must average, after CLIENT_TIMEOUT of grace
DISCARD_MAX = 64 << 10  # an unread body up to this size is read and dropped to keep the connection alive
# After refusing a body: how long (at most the client timeout) and how much we read and drop of what
# the client still sends, so that one that writes its whole body before reading (http.client,
# requests) gets the 413 rather than a reset. Bounded by time, as nginx's lingering close.
LINGER_SECONDS = 5.0
LINGER_BYTES = 256 << 20

_TIMEOUT_RESPONSE = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
_BAD_RESPONSE = b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class ClientStream(io.RawIOBase):
    """The read side of one connection, with the deadlines above (pywsgi reads through it)."""

    def __init__(
        self, sock: socket.socket, timeout: float, rate: float, connections: Connections | None = None
    ) -> None:
        super().__init__()
        self.sock, self.timeout, self.rate = sock, timeout, rate
        self.connections = connections
        self.phase = "head"
        self.deadline: float | None = None  # monotonic time the current read must finish by
        self.timed_out = False

    def begin_head(self) -> None:
        """Waiting for the next request: its deadline starts with its first byte."""
        self.phase, self.deadline, self.timed_out = "head", None, False

    def begin_body(self) -> None:
        self.phase, self.deadline = "body", time.monotonic() + self.timeout

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        wait = self.timeout
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic())
            if wait <= 0:
                self.timed_out = True
                raise TimeoutError(f"client too slow (request {self.phase})")
        # Waiting for a request to start: idle, so it may be closed near the cap.
        idle = self.connections if self.phase == "head" and self.deadline is None else None
        if idle is not None:
            idle.idle(self)
        self.sock.settimeout(wait)
        try:
            n = self.sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise
        finally:
            if idle is not None:
                idle.busy(self)
            self.sock.settimeout(self.timeout)  # writes keep the plain timeout
        if self.phase == "head" and self.deadline is None and n:
            self.deadline = time.monotonic() + self.timeout
        elif self.phase == "body":
            self.deadline = (self.deadline or time.monotonic()) + n / self.rate
        return n


def _has_bytes(sock: socket.socket) -> bool:
    """Whether bytes wait to be read, without waiting: a peek with the socket made non-blocking for
    that one call (timeout 0.0, the stdlib contract gevent's sockets keep). Synchronous, so a greenlet
    blocked in ``recv`` on it keeps the timeout it started with."""
    try:
        timeout = sock.gettimeout()
        sock.settimeout(0.0)
        try:
            return bool(sock.recv(1, socket.MSG_PEEK))
        finally:
            sock.settimeout(timeout)
    except OSError:  # nothing waits (BlockingIOError), or the peer reset it: nothing to keep
        return False


class Connections:
    """The connections of one server that wait for a request to start, longest-idle first."""

    def __init__(self, pool: Pool, spare: int, name: str = "http") -> None:
        self.pool, self.spare, self.name = pool, spare, name
        self.waiting: dict[ClientStream, None] = {}  # insertion order: the longest idle first
        self.closed = 0  # connections closed to make room (for the log and tests)
        self._logged = 0.0

    def idle(self, stream: ClientStream) -> None:
        self.waiting[stream] = None
        self.make_room()

    def busy(self, stream: ClientStream) -> None:
        self.waiting.pop(stream, None)

    def make_room(self) -> None:
        """Near the cap, shut down the longest-idle connections until ``spare`` slots are free again
        (their greenlets see end-of-file, return, and free their slots)."""
        excess = self.spare + 1 - self.pool.free_count()
        closed = 0
        for stream in list(self.waiting):
            if excess <= 0:
                break
            del self.waiting[stream]
            if _has_bytes(stream.sock):  # its request came, its greenlet has not read it yet: not idle
                continue
            try:
                stream.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            excess -= 1
            closed += 1
        if closed:
            self.closed += closed
            now = time.monotonic()
            if now - self._logged > 60:
                self._logged = now
                extra = {"listener": self.name, "cap": self.pool.size, "closed_total": self.closed}
                log.warning("http connections near the cap: closing the longest-idle ones", extra=extra)


class RoomyPool(Pool):
    """The server's pool of connection greenlets. gevent's server accepts only while its pool is not
    ``full()`` (BaseServer's documented *spawn* contract): asking makes room first."""

    connections: Connections | None = None

    def full(self) -> bool:
        if self.connections is not None:
            self.connections.make_room()
        return super().full()


class CappedServer(WSGIServer):
    """A pywsgi server whose pool never stays full of idle connections (see the module's docstring)."""

    def __init__(self, *args, max_connections: int, name: str = "http", **kwargs) -> None:
        pool = RoomyPool(max_connections)
        super().__init__(*args, spawn=pool, backlog=BACKLOG, **kwargs)
        self.connections = pool.connections = Connections(pool, spare=max(1, max_connections // 50), name=name)


class NoDelayHandler(WSGIHandler):
    client_timeout = CLIENT_TIMEOUT
    min_body_rate = MIN_BODY_RATE

    def __init__(self, sock, address, server, rfile=None) -> None:
        self.stream = ClientStream(sock, self.client_timeout, self.min_body_rate, getattr(server, "connections", None))
        super().__init__(sock, address, server, rfile=rfile or io.BufferedReader(self.stream))

    def handle(self) -> None:
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socket.settimeout(self.client_timeout)
        except OSError:
            pass
        super().handle()

    # -- the request body ---------------------------------------------------------
    def handle_one_response(self) -> None:
        self.stream.begin_body()
        try:
            super().handle_one_response()
        finally:
            self.stream.begin_head()

    def _unread(self) -> int | None:
        """Body bytes the app left unread; None when unknown (a chunked body not read to its end)."""
        body = self.wsgi_input
        if body.chunked_input:
            return 0 if body.chunk_length == 0 else None
        return max(0, (body.content_length or 0) - body.position)

    def _must_close(self) -> bool:
        left = self._unread()
        if self.stream.timed_out or left is None or left > DISCARD_MAX:
            return True
        # The client waits for "100 Continue" before it sends: it never came, so neither will the body.
        return bool(left) and self.wsgi_input.socket is not None

    def start_response(self, status, headers, exc_info=None):
        if self._must_close():
            headers = [(k, v) for k, v in headers if k.lower() != "connection"] + [("Connection", "close")]
        return super().start_response(status, headers, exc_info)

    def run_application(self) -> None:
        try:
            super().run_application()
        finally:
            self._settle_body()

    def _settle_body(self) -> None:
        """After the answer: drop a small unread body (the connection lives on) or close without reading."""
        body = self.wsgi_input
        if not self._must_close():
            if self._unread():
                self.stream.begin_body()
                try:
                    while body.read(16384):
                        pass
                    return
                except OSError:
                    pass
            else:
                return
        self.close_connection = True
        body.chunked_input, body.content_length = False, body.position  # nothing left for pywsgi to drain
        self._linger()

    def _linger(self) -> None:
        try:
            self.socket.shutdown(socket.SHUT_WR)
            until, dropped = time.monotonic() + min(LINGER_SECONDS, self.client_timeout), 0
            while dropped < LINGER_BYTES and (left := until - time.monotonic()) > 0:
                self.socket.settimeout(left)
                data = self.socket.recv(65536)
                if not data:
                    break
                dropped += len(data)
        except OSError:
            pass

    # -- refusals before the app runs ---------------------------------------------
    def _handle_client_error(self, ex):
        remote = self.client_address[0] if isinstance(self.client_address, tuple) else self.client_address
        if isinstance(ex, TimeoutError):
            log.info("http client too slow; disconnected", extra={"remote": remote, "phase": "headers"})
            return ("408", _TIMEOUT_RESPONSE)
        if isinstance(ex, OSError) and not isinstance(ex, ValueError):
            return None  # the client went away
        # pywsgi's messages quote the request line: secret-looking query values are masked.
        log.info("bad http request", extra={"remote": remote, "error": redact_query(str(ex))[:300]})
        return ("400", _BAD_RESPONSE)


class _AccessLog:
    """pywsgi writes one line per request here: keep them at debug level, query secrets masked."""

    def write(self, line: str) -> None:
        log.debug("http", extra={"access": redact_query(line.rstrip())})


class _ErrorLog:
    """pywsgi's own error lines (they may quote a request line)."""

    def write(self, line: str) -> None:
        if line.strip():
            log.error(redact_query(line.rstrip()))

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass


def raise_fd_limit() -> int:
    """Raise this process's soft ``RLIMIT_NOFILE`` to its hard limit (1,048,576 when unlimited);
    returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else 1 << 20
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the file-descriptor limit", extra={"soft": soft, "hard": hard, "error": str(exc)})
    return soft


def connection_cap(wanted: int, reserve: int = FD_RESERVE) -> int:
    """``wanted``, lowered to what the file-descriptor limit leaves after ``reserve``."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted
    return max(1, min(wanted, soft - reserve))


def make_server(
    app,
    listen: str,
    *,
    client_timeout: float = CLIENT_TIMEOUT,
    idle_seconds: float | None = None,
    min_body_rate: float = MIN_BODY_RATE,
    max_connections: int = MAX_CONNECTIONS,
    name: str = "http",
) -> CappedServer:
    """``idle_seconds`` is the former name of ``client_timeout``."""
    host, port = parse_listen(listen)
    timeout = idle_seconds if idle_seconds is not None else client_timeout
    handler = type("Handler", (NoDelayHandler,), {"client_timeout": timeout, "min_body_rate": min_body_rate})
    cap = connection_cap(max_connections)
    if cap < max_connections:
        log.warning(
            "http connection cap lowered to fit the file-descriptor limit (ulimit -n)",
            extra={"listener": name, "wanted": max_connections, "cap": cap},
        )
    # A bounded pool: connections can never use up the file descriptors the ESL and Redis connections need.
    return CappedServer(
        (host, port),
        app,
        handler_class=handler,
        log=_AccessLog(),
        error_log=_ErrorLog(),
        max_connections=cap,
        name=name,
    )
