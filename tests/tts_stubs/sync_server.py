"""A recording HTTP server on 127.0.0.1 for the synchronous TTS vendors' stubs, with the switches they share.

Each vendor's stub (``google``, ``azure``, ``viettel``) subclasses :class:`VendorStub` and answers in its
vendor's documented shapes; a test flips :attr:`VendorStub.switches` to make the synthesis route
rate-limited, failing, slow or answer garbage, and reads :attr:`VendorStub.requests` for what the
engine sent.
"""

from __future__ import annotations

import http
import json
import math
from dataclasses import dataclass, field
from typing import Any

import gevent.event
import gevent.pywsgi
import numpy as np

from tts.audio import wav_bytes

Answer = tuple[int, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class Recorded:
    """One request as the stub saw it: header names lower-case with dashes."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Switches:
    """How the synthesis route misbehaves (all off: it answers as the vendor documents)."""

    rate_limited: bool = False
    retry_after: str | None = None  # sent with the 429 when set
    server_error: int = 0  # answer this 5xx status
    slow: float = 0.0  # seconds to wait before answering (a test's engine gives up sooner)
    garbage: bytes | None = None  # a 200 with this body instead of the audio
    extra: dict[str, Any] = field(default_factory=dict)  # a vendor's own switches


def tone_wav(rate: int, seconds: float = 0.25, freq: float = 440.0, channels: int = 1) -> bytes:
    """A WAV of a ``freq`` tone: what a stub speaks."""
    n = int(rate * seconds)
    mono = np.round(12000 * np.sin(2 * math.pi * freq * np.arange(n) / rate)).astype("<i2")
    return wav_bytes(np.repeat(mono, channels).tobytes(), rate, channels=channels)


def json_answer(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Answer:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=UTF-8"), *(headers or [])], body


class VendorStub:
    """Records every request, then answers ``route(request)``; started and stopped as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.switches = Switches()
        self._released = gevent.event.Event()  # set on exit: a slow answer stops waiting
        self.server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), self._app, log=None, error_log=None)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def route(self, request: Recorded) -> Answer:
        raise NotImplementedError

    # -- the shared misbehaviours, each vendor wording its own rate-limit and server-error answers ----------

    def switched(self, request: Recorded) -> Answer | None:
        """The answer a switch dictates for a synthesis request, or None (answer normally)."""
        s = self.switches
        if s.slow:
            self._released.wait(s.slow)
        if s.rate_limited:
            extra = [("Retry-After", s.retry_after)] if s.retry_after else []
            status, headers, body = self.rate_limit_answer(request)
            return status, headers + extra, body
        if s.server_error:
            return self.server_error_answer(s.server_error)
        if s.garbage is not None:
            return 200, [("Content-Type", "text/html")], s.garbage
        return None

    def rate_limit_answer(self, request: Recorded) -> Answer:
        return 429, [("Content-Type", "text/plain")], b"Too Many Requests"

    def server_error_answer(self, status: int) -> Answer:
        return status, [("Content-Type", "text/plain")], http.HTTPStatus(status).phrase.encode()

    # -- WSGI -------------------------------------------------------------------------------------------------

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        request = Recorded(
            environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""), headers, body
        )
        self.requests.append(request)
        status, answer_headers, answer = self.route(request)
        start_response(f"{status} {http.HTTPStatus(status).phrase}", answer_headers)
        return [answer]

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.server.stop(timeout=1)
