"""The HTTP listener: gevent.pywsgi in the daemon's hub, with TCP_NODELAY.

pywsgi writes headers and body separately; without TCP_NODELAY, Nagle and
delayed ACK hold the second write ~40 ms (FREESWITCH-NOTES: 360 → 2,600
requests/s when set). The voice-OTP path needs milliseconds.
"""

from __future__ import annotations

import logging
import socket

from gevent.pool import Pool
from gevent.pywsgi import WSGIHandler, WSGIServer

log = logging.getLogger("autocall.api")


MAX_CONNECTIONS = 1000  # beyond this, new connections wait in the kernel's backlog
IDLE_SECONDS = 60.0  # a connection that sends nothing for this long (slowloris, idle keep-alive) is closed


class NoDelayHandler(WSGIHandler):
    idle_seconds = IDLE_SECONDS

    def handle(self) -> None:
        try:
            self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.socket.settimeout(self.idle_seconds)
        except OSError:
            pass
        super().handle()


class _AccessLog:
    """pywsgi writes one line per request here: keep them at debug level."""

    def write(self, line: str) -> None:
        log.debug("http", extra={"access": line.rstrip()})


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"AUTOCALL_LISTEN must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def make_server(app, listen: str, *, idle_seconds: float = IDLE_SECONDS,
                max_connections: int = MAX_CONNECTIONS) -> WSGIServer:  # fmt: skip
    host, port = parse_listen(listen)
    handler = type("Handler", (NoDelayHandler,), {"idle_seconds": idle_seconds})
    # A bounded pool: half-open connections can never use up the file descriptors
    # the ESL and Redis connections need.
    return WSGIServer((host, port), app, handler_class=handler, log=_AccessLog(), error_log=log,
                      spawn=Pool(max_connections))  # fmt: skip
