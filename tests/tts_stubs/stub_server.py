"""The one base of the TTS vendors' stubs: a recording HTTP server on 127.0.0.1 and the switches a test flips.

:class:`StubServer` is a pywsgi server on 127.0.0.1:0 (in the test's own process, like tests/receivers.py's
WebhookReceiver) that records every request with its headers as sent (pywsgi drops header names with
``_`` from the WSGI environ, and FPT's ``api_key`` has one) and answers ``answer(request)``. Two families
build on it, each with the switches its vendors' tests use:

- :class:`VendorStub` (``google``, ``azure``, ``viettel``: the audio in the answer): ``switches``
  (:class:`Switches`) make the synthesis route rate-limited, failing, slow or answer garbage.
- :class:`UrlVendorStub` (``fpt``, ``vbee``, ``zalo``: an audio URL in the answer): serves the audio files
  a vendor stub publishes (404, as cloud storage answers, for the first ``ready_after`` GETs of each), with
  ``rate_limited``, ``server_error``, ``slow``, ``garbage``, ``ready_after`` as attributes.
"""

from __future__ import annotations

import http
import json
import math
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent.event
import numpy as np
from gevent import pywsgi

from tts.audio import wav_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tts"
TONE_RATE = 24000
MP3_24K = (FIXTURES / "tone-24k-mono.mp3").read_bytes()  # mono, 24 kHz
GARBAGE = b"<html><body>502 Bad Gateway</body></html>"

Reply = tuple[int, list[tuple[str, str]], bytes]


def tone_wav(rate: int = TONE_RATE, seconds: float = 0.25, freq: float = 440.0, channels: int = 1) -> bytes:
    """A 16-bit WAV of a ``freq`` tone: what a stub speaks."""
    n = int(rate * seconds)
    mono = np.round(12000 * np.sin(2 * math.pi * freq * np.arange(n) / rate)).astype("<i2")
    return wav_bytes(np.repeat(mono, channels).tobytes(), rate, channels=channels)


def json_reply(status: int, document: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(document, ensure_ascii=False).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=UTF-8"), *(headers or [])], body


def text_reply(status: int, message: str) -> Reply:
    return status, [("Content-Type", "text/plain")], message.encode()


@dataclass(frozen=True)
class Request:
    """One request as the stub saw it: header names lower-case exactly as sent (underscores kept)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode("ascii"), keep_blank_values=True, strict_parsing=True))


class _Handler(pywsgi.WSGIHandler):
    def get_environ(self):
        environ = super().get_environ()
        environ["stub.headers"] = [line.split(":", 1) for line in self.headers.headers if ":" in line]
        return environ


class StubServer:
    """Records every request, then answers :meth:`answer`; started and stopped as a context manager."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._released = gevent.event.Event()  # set on exit: a slow answer stops waiting
        self.server = pywsgi.WSGIServer(("127.0.0.1", 0), self._app, log=None, error_log=None, handler_class=_Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def wait(self, seconds: float) -> None:
        """A slow answer: ``seconds`` (the test's engine gives up sooner), or until the stub stops."""
        self._released.wait(seconds)

    def answer(self, request: Request) -> Reply:
        raise NotImplementedError

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {name.strip().lower(): value.strip() for name, value in environ["stub.headers"]}
        request = Request(
            environ["REQUEST_METHOD"], environ["PATH_INFO"], environ.get("QUERY_STRING", ""), headers, body
        )
        self.requests.append(request)
        status, reply_headers, reply = self.answer(request)
        start_response(f"{status} {http.HTTPStatus(status).phrase}", reply_headers)
        return [reply]

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._released.set()
        self.server.stop(timeout=1)


# -- the vendors that answer with the audio ------------------------------------------------------------------


@dataclass
class Switches:
    """How the synthesis route misbehaves (all off: it answers as the vendor documents)."""

    rate_limited: bool = False
    retry_after: str | None = None  # sent with the 429 when set
    server_error: int = 0  # answer this 5xx status
    slow: float = 0.0  # seconds to wait before answering (a test's engine gives up sooner)
    garbage: bytes | None = None  # a 200 with this body instead of the audio
    extra: dict[str, Any] = field(default_factory=dict)  # a vendor's own switches


class VendorStub(StubServer):
    """A stub answering ``route(request)``, whose synthesis route calls :meth:`switched` first."""

    def __init__(self) -> None:
        super().__init__()
        self.switches = Switches()

    def answer(self, request: Request) -> Reply:
        return self.route(request)

    def route(self, request: Request) -> Reply:
        raise NotImplementedError

    def switched(self, request: Request) -> Reply | None:
        """The answer a switch dictates for a synthesis request, or None (answer normally)."""
        s = self.switches
        if s.slow:
            self.wait(s.slow)
        if s.rate_limited:
            extra = [("Retry-After", s.retry_after)] if s.retry_after else []
            status, headers, body = self.rate_limit_answer(request)
            return status, headers + extra, body
        if s.server_error:
            return self.server_error_answer(s.server_error)
        if s.garbage is not None:
            return 200, [("Content-Type", "text/html")], s.garbage
        return None

    def rate_limit_answer(self, request: Request) -> Reply:
        return text_reply(429, "Too Many Requests")

    def server_error_answer(self, status: int) -> Reply:
        return text_reply(status, http.HTTPStatus(status).phrase)


# -- the vendors that answer with an audio URL ---------------------------------------------------------------


class UrlVendorStub(StubServer):
    """Base of a vendor stub: subclasses answer the API in :meth:`api` and publish audio with :meth:`publish`."""

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        # switches a test flips
        self.rate_limited: str | None = None  # "429" (no Retry-After), "retry-after" (429 with it), "json" (vendor's)
        self.retry_after = "30"
        self.server_error: int | None = None  # 500, 502, 503: answered with an HTML page
        self.slow = 0.0  # seconds the API waits before answering
        self.garbage: bytes | None = None  # served in place of every audio file
        self.ready_after = 0  # GETs of each audio file answered 404 before the file is there
        self.audio_ready_after: int | None = None  # the same for files only, when a job's polls use ready_after
        self.audio_status: int | None = None  # every audio GET answered with this status instead
        self.audio = tone_wav()  # what publish("wav") serves
        self.mp3 = MP3_24K  # what publish("mp3") serves
        self.files: dict[str, bytes] = {}
        self.gets: Counter[str] = Counter()

    @property
    def url(self) -> str:
        return self.base

    def api_requests(self) -> list[Request]:
        """The requests that were not audio downloads."""
        return [r for r in self.requests if not r.path.startswith("/files/")]

    def publish(self, ext: str = "wav") -> str:
        """A new audio file holding ``self.audio`` (or ``self.mp3``): its URL."""
        path = f"/files/{uuid.uuid4().hex}.{ext}"
        self.files[path] = self.mp3 if ext == "mp3" else self.audio
        return self.url + path

    def api(self, request: Request) -> Reply:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Reply:
        """The vendor's error answer (overridden with its JSON shape)."""
        return text_reply(status, message)

    def answer(self, request: Request) -> Reply:
        if request.method == "GET" and request.path.startswith("/files/"):
            return self._file(request.path)
        if self.slow:
            self.wait(self.slow)
        if self.server_error:
            return self.server_error, [("Content-Type", "text/html")], b"<html><h1>Server Error</h1></html>"
        if self.rate_limited in ("429", "retry-after"):
            status, headers, body = self.error_body(429, "Too many requests")
            extra = [("Retry-After", self.retry_after)] if self.rate_limited == "retry-after" else []
            return status, headers + extra, body
        return self.api(request)

    def _file(self, path: str) -> Reply:
        self.gets[path] += 1
        if self.audio_status:
            return text_reply(self.audio_status, "storage says no")
        ready_after = self.ready_after if self.audio_ready_after is None else self.audio_ready_after
        if path not in self.files or self.gets[path] <= ready_after:
            return 404, [("Content-Type", "application/xml")], b"<Error><Code>NoSuchKey</Code></Error>"
        body = self.garbage if self.garbage is not None else self.files[path]
        kind = "audio/mpeg" if path.endswith(".mp3") else "audio/wav"
        return 200, [("Content-Type", kind)], body
