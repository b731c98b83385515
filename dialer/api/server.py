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
"""

from __future__ import annotations

import io
import logging
import socket
import time

from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

from dialer.logs import redact_query

log = logging.getLogger("autocall.api")


MAX_CONNECTIONS = 1000  # beyond this, new connections wait in the kernel's backlog
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

    def __init__(self, sock: socket.socket, timeout: float, rate: float) -> None:
        super().__init__()
        self.sock, self.timeout, self.rate = sock, timeout, rate
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

    def readinto(self, buffer) -> int:  # type: ignore[override]
        wait = self.timeout
        if self.deadline is not None:
            wait = min(wait, self.deadline - time.monotonic())
            if wait <= 0:
                self.timed_out = True
                raise TimeoutError(f"client too slow (request {self.phase})")
        self.sock.settimeout(wait)
        try:
            n = self.sock.recv_into(buffer)
        except TimeoutError:
            self.timed_out = True
            raise
        finally:
            self.sock.settimeout(self.timeout)  # writes keep the plain timeout
        if self.phase == "head" and self.deadline is None and n:
            self.deadline = time.monotonic() + self.timeout
        elif self.phase == "body":
            self.deadline = (self.deadline or time.monotonic()) + n / self.rate
        return n


class NoDelayHandler(WSGIHandler):
    client_timeout = CLIENT_TIMEOUT
    min_body_rate = MIN_BODY_RATE

    def __init__(self, sock, address, server, rfile=None) -> None:
        self.stream = ClientStream(sock, self.client_timeout, self.min_body_rate)
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


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"AUTOCALL_LISTEN must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def make_server(app, listen: str, *, client_timeout: float = CLIENT_TIMEOUT, idle_seconds: float | None = None,
                min_body_rate: float = MIN_BODY_RATE,
                max_connections: int = MAX_CONNECTIONS) -> WSGIServer:  # fmt: skip
    """``idle_seconds`` is the former name of ``client_timeout``."""
    host, port = parse_listen(listen)
    timeout = idle_seconds if idle_seconds is not None else client_timeout
    handler = type("Handler", (NoDelayHandler,), {"client_timeout": timeout, "min_body_rate": min_body_rate})
    # A bounded pool: half-open connections can never use up the file descriptors
    # the ESL and Redis connections need.
    return WSGIServer((host, port), app, handler_class=handler, log=_AccessLog(), error_log=_ErrorLog(),
                      spawn=Pool(max_connections))  # fmt: skip
