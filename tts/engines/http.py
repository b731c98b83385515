"""HTTP adapter for a cloud text-to-speech service.

Wire contract (what this adapter sends and expects; a vendor with another shape
is one subclass overriding :meth:`HttpEngine.build_request` and, if needed,
:meth:`HttpEngine.parse_response`):

- ``POST <url>`` with headers ``Content-Type: application/json``,
  ``Accept: audio/wav`` and, when a key is configured,
  ``Authorization: Bearer <key>``;
- body: JSON ``{"text": "<text to speak>", "voice": "<voice>"}`` (UTF-8);
- success: status 200 with a WAV file as the body: PCM 16-bit, mono or stereo,
  any sample rate (stereo is mixed down here; the synthesizer resamples);
- anything else (timeout, connection error, non-200 status, a body that is
  not such a WAV, or silence) raises :class:`SynthesisError` with the status
  and the start of the body.

The request runs on gevent sockets (``gevent.socket``, ``gevent.ssl``), so it is
cooperative whether or not the process is monkey-patched; ``timeout`` bounds the
whole exchange (connect, send, read). Redirects are not followed.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse

import gevent
from gevent import socket, ssl

from tts.audio import read_wav, to_mono
from tts.engines.base import SynthesisError

MAX_RESPONSE_BYTES = 64 << 20  # a 10-minute 48 kHz stereo WAV is about 110 MB; speech prompts are far smaller


class _Connection(http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self.timeout, self.source_address)


class _TLSConnection(http.client.HTTPSConnection):
    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout, self.source_address)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text or "(empty body)"


class HttpEngine:
    """Cloud TTS over HTTP (see the module docstring for the wire contract)."""

    name = "http"

    def __init__(self, url: str, key: str = "", voice: str = "", timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"TTS URL must be http:// or https:// with a host, got {url!r}")
        self.url = url
        self.key = key
        self.voice = voice
        self.timeout = float(timeout)
        self.settings = url  # part of the cache key: another endpoint may sound different
        self._parts = parts

    # -- the vendor-specific part -------------------------------------------------------

    def build_request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the POST for ``text``. Override for another vendor's request shape."""
        headers = {"Content-Type": "application/json", "Accept": "audio/wav"}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        body = json.dumps({"text": text, "voice": self.voice}, ensure_ascii=False).encode("utf-8")
        return headers, body

    def parse_response(self, status: int, headers: http.client.HTTPMessage, body: bytes) -> tuple[bytes, int]:
        """(mono PCM, rate) from a response. Override for a vendor that answers JSON or raw PCM."""
        if status != 200:
            raise SynthesisError(f"TTS service {self.url} answered HTTP {status}: {_snippet(body)}")
        try:
            pcm, rate, channels = read_wav(body)
        except ValueError as exc:
            kind = headers.get("Content-Type", "no content type")
            detail = f"{exc}; {kind}, {len(body)} bytes: {_snippet(body, 60)}"
            raise SynthesisError(f"TTS service {self.url} returned no usable WAV ({detail})") from exc
        return to_mono(pcm, channels), rate

    # -- transport ----------------------------------------------------------------------

    def _connection(self) -> http.client.HTTPConnection:
        p = self._parts
        if p.scheme == "https":
            return _TLSConnection(p.hostname, p.port, timeout=self.timeout, context=ssl.create_default_context())
        return _Connection(p.hostname, p.port, timeout=self.timeout)

    def synthesize(self, text: str) -> tuple[bytes, int]:
        if not text or not text.strip():
            raise SynthesisError("HTTP TTS: nothing to say (empty text)")
        headers, body = self.build_request(text)
        path = self._parts.path or "/"
        if self._parts.query:
            path += "?" + self._parts.query
        conn = self._connection()
        timer = gevent.Timeout(self.timeout)
        timer.start()
        try:
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read(MAX_RESPONSE_BYTES + 1)
            status, resp_headers = resp.status, resp.headers
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            raise SynthesisError(f"TTS service {self.url} did not answer within {self.timeout:g} s") from None
        except TimeoutError as exc:
            raise SynthesisError(f"TTS service {self.url} did not answer within {self.timeout:g} s") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SynthesisError(f"TTS service {self.url} request failed: {exc!r}") from exc
        finally:
            timer.close()
            conn.close()
        if len(data) > MAX_RESPONSE_BYTES:
            raise SynthesisError(f"TTS service {self.url} returned more than {MAX_RESPONSE_BYTES} bytes")
        pcm, rate = self.parse_response(status, resp_headers, data)
        if not pcm or not pcm.strip(b"\0"):
            raise SynthesisError(f"TTS service {self.url} returned empty (silent) audio")
        return pcm, rate
