"""A local HTTP receiver for webhook specs: a real pywsgi server on 127.0.0.1."""

from __future__ import annotations

import itertools
import json
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
import gevent.pywsgi
import gevent.server


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]  # lower-case names, dashes
    body: bytes
    method: str = "POST"

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Answers every POST with ``status["code"]`` and records each request in the lists
    made by :meth:`record`, each in the shape its spec reads. A request waits for ``gate``
    (open unless a spec clears it); ``in_flight``/``max_in_flight`` count requests being answered,
    ``connections`` the TCP connections accepted. ``nodelay``: TCP_NODELAY on them (as pywsgi comes,
    Nagle's algorithm holds the second of its two writes on a kept connection until the client ACKs)."""

    def __init__(self, nodelay: bool = False) -> None:
        # "hang": seconds to wait before answering; "headers": [(name, value)] to add; "body": bytes (b"ok")
        self.status: dict[str, Any] = {"code": "200 OK"}
        self.gate = gevent.event.Event()
        self.gate.set()
        self.in_flight = self.max_in_flight = self.connections = 0
        self.nodelay = nodelay
        self._sinks: list[tuple[list, Callable[[Request], Any]]] = []
        self.server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), self._app, log=None)
        self._handle = self.server.handle
        self.server.handle = self._accepted

    def _accepted(self, sock, address) -> None:
        self.connections += 1
        if self.nodelay:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._handle(sock, address)

    def record(self, shape: Callable[[Request], Any]) -> list:
        sink: list = []
        self._sinks.append((sink, shape))
        return sink

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        path = environ["PATH_INFO"] + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        request = Request(path, headers, body, environ["REQUEST_METHOD"])
        for sink, shape in self._sinks:
            sink.append(shape(request))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            self.gate.wait()
            if self.status.get("hang"):  # a receiver that takes forever to answer
                gevent.sleep(float(self.status["hang"]))
        finally:
            self.in_flight -= 1
        start_response(self.status["code"], [("Content-Type", "text/plain"), *self.status.get("headers", [])])
        return [self.status.get("body", b"ok")]

    def __enter__(self) -> WebhookReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


class RawReceiver:
    """A TCP server on 127.0.0.1 that is not a well-behaved HTTP server: it reads a request's head,
    then ``answer``s it (writes bytes, drips them, ...) and closes. Counts connections."""

    def __init__(self) -> None:
        self.connections = 0
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _handle(self, sock, _address) -> None:
        self.connections += 1
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = sock.recv(65536)
            if not chunk:
                return
            head += chunk
        try:
            self.answer(sock)
        except OSError:
            pass
        finally:
            sock.close()

    def answer(self, sock) -> None:
        raise NotImplementedError

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(timeout=1)


class GarbageReceiver(RawReceiver):
    """Answers every request with ``reply`` (not HTTP: e.g. ``garbage\\r\\n\\r\\n``, or nothing) and closes."""

    def __init__(self, reply: bytes) -> None:
        super().__init__()
        self.reply = reply

    def answer(self, sock) -> None:
        sock.sendall(self.reply)


class DripReceiver(RawReceiver):
    """Starts a 200 answer and then drips header bytes, one every ``interval`` seconds, for ever:
    every read gets a byte in time, the answer never ends. ``hung_up``: connections the client closed."""

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self.hung_up = 0

    def answer(self, sock) -> None:
        closed = gevent.spawn(sock.recv, 1)  # b"" when the client hangs up
        try:
            for byte in itertools.chain(b"HTTP/1.1 200 OK\r\n", itertools.cycle(b"X-Drip: 1\r\n")):
                sock.sendall(bytes([byte]))
                closed.join(self.interval)
                if closed.ready():
                    break
        finally:
            self.hung_up += 1
            closed.kill()
