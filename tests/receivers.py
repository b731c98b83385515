"""A local HTTP receiver for webhook specs: a real pywsgi server on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.pywsgi


@dataclass(frozen=True)
class Request:
    path: str
    headers: dict[str, str]  # lower-case names, dashes
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Answers every POST with ``status["code"]`` and records each request in the lists
    made by :meth:`record`, each in the shape its spec reads."""

    def __init__(self) -> None:
        self.status: dict[str, Any] = {"code": "200 OK"}  # "hang": seconds to wait before answering
        self._sinks: list[tuple[list, Callable[[Request], Any]]] = []
        self.server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), self._app, log=None)

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
        request = Request(environ["PATH_INFO"], headers, body)
        for sink, shape in self._sinks:
            sink.append(shape(request))
        if self.status.get("hang"):  # a receiver that takes forever to answer
            gevent.sleep(float(self.status["hang"]))
        start_response(self.status["code"], [("Content-Type", "text/plain")])
        return [b"ok"]

    def __enter__(self) -> WebhookReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()
