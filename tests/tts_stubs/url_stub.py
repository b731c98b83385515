"""What the stubs of the vendors that answer with an audio URL (FPT.AI, Vbee, Zalo) share.

A pywsgi server on 127.0.0.1:0 (in the test's own process, like tests/receivers.py's
WebhookReceiver) that records every request with its headers as sent (pywsgi drops
header names with ``_`` from the WSGI environ, and FPT's ``api_key`` has one), serves
the audio files a vendor stub publishes (404, as cloud storage answers, for the first
``ready_after`` GETs of each), and has the switches every vendor stub offers:
``rate_limited``, ``server_error``, ``slow``, ``garbage``, ``ready_after``.
"""

from __future__ import annotations

import http
import json
import math
import urllib.parse
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from gevent import pywsgi

from tts.audio import wav_bytes

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tts"
TONE_RATE = 24000
MP3_24K = (FIXTURES / "tone-24k-mono.mp3").read_bytes()  # mono, 24 kHz
GARBAGE = b"<html><body>502 Bad Gateway</body></html>"

Reply = tuple[int, list[tuple[str, str]], bytes]


def tone(rate: int = TONE_RATE, seconds: float = 0.25, freq: float = 440.0) -> bytes:
    """A mono 16-bit WAV of a sine tone."""
    n = int(rate * seconds)
    samples = (int(12000 * math.sin(2 * math.pi * freq * i / rate)) for i in range(n))
    return wav_bytes(b"".join(s.to_bytes(2, "little", signed=True) for s in samples), rate)


def json_reply(status: int, obj: Any, headers: list[tuple[str, str]] | None = None) -> Reply:
    body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
    return status, [("Content-Type", "application/json; charset=utf-8"), *(headers or [])], body


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query, as sent
    headers: dict[str, str]  # lower-case names exactly as sent (underscores kept)
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


class UrlVendorStub:
    """Base of a vendor stub: subclasses answer the API in :meth:`api` and publish audio with :meth:`publish`."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.requests: list[Request] = []
        # switches a test flips
        self.rate_limited: str | None = (
            None  # "429" (no Retry-After), "retry-after" (429 with it), "json" (vendor's own)
        )
        self.retry_after = "30"
        self.server_error: int | None = None  # 500, 502, 503: answered with an HTML page
        self.slow = 0.0  # seconds the API waits before answering
        self.garbage: bytes | None = None  # served in place of every audio file
        self.ready_after = 0  # GETs of each audio file answered 404 before the file is there
        self.audio_ready_after: int | None = None  # the same for files only, when a job's polls use ready_after
        self.audio_status: int | None = None  # every audio GET answered with this status instead
        self.audio = tone()  # what publish("wav") serves
        self.mp3 = MP3_24K  # what publish("mp3") serves
        self.files: dict[str, bytes] = {}
        self.gets: Counter[str] = Counter()
        self.server = pywsgi.WSGIServer(("127.0.0.1", 0), self._app, log=None, handler_class=_Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

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
        return status, [("Content-Type", "text/plain")], message.encode()

    def _answer(self, request: Request) -> Reply:
        if request.method == "GET" and request.path.startswith("/files/"):
            return self._file(request.path)
        if self.slow:
            gevent.sleep(self.slow)
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
            return self.audio_status, [("Content-Type", "text/plain")], b"storage says no"
        ready_after = self.ready_after if self.audio_ready_after is None else self.audio_ready_after
        if path not in self.files or self.gets[path] <= ready_after:
            return 404, [("Content-Type", "application/xml")], b"<Error><Code>NoSuchKey</Code></Error>"
        body = self.garbage if self.garbage is not None else self.files[path]
        kind = "audio/mpeg" if path.endswith(".mp3") else "audio/wav"
        return 200, [("Content-Type", kind)], body

    def _app(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = {name.strip().lower(): value.strip() for name, value in environ["stub.headers"]}
        path = environ["PATH_INFO"] + (f"?{environ['QUERY_STRING']}" if environ.get("QUERY_STRING") else "")
        request = Request(environ["REQUEST_METHOD"], path, headers, body)
        self.requests.append(request)
        status, reply_headers, reply = self._answer(request)
        start_response(f"{status} {http.HTTPStatus(status).phrase}", reply_headers)
        return [reply]

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(timeout=1)
