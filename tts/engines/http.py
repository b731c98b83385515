"""HTTP adapter for a cloud text-to-speech service.

Wire contract (what this adapter sends and expects; a vendor with another shape
is one subclass overriding :meth:`HttpEngine.build_request` and, if needed,
:meth:`HttpEngine.parse_response`):

- ``POST <url>`` with headers ``Content-Type: application/json``,
  ``Accept: audio/wav``, ``User-Agent: autocall-tts/1`` and, when a key is
  configured, ``Authorization: Bearer <key>``;
- body: JSON ``{"text": "<text to speak>", "voice": "<voice>"}`` (UTF-8);
- success: status 200 with a WAV file as the body: PCM 16-bit, mono or stereo,
  any sample rate (stereo is mixed down here; the synthesizer resamples);
- anything else (timeout, connection error, non-200 status, a body that is
  not such a WAV, or silence) raises :class:`SynthesisError` with the status
  and the start of the body.

The request goes through autocall's one HTTP client (:class:`httpclient.Client`):
connections to the service are kept alive between requests (as many
as the synthesizer runs at once), ``timeout`` bounds the whole exchange
(connect, send, status, headers and body), redirects are not followed (a 3xx
is an error like any non-200) and ``HTTP_PROXY`` is not read. It is cooperative
in autocall's processes, which gevent monkey-patches first (``dialer/cli.py``).
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from httpclient import Client, DeadlineExceeded
from tts.audio import read_wav, to_mono
from tts.engines.base import SynthesisError

MAX_RESPONSE_BYTES = 64 << 20  # a 10-minute 48 kHz stereo WAV is about 110 MB; speech prompts are far smaller
USER_AGENT = "autocall-tts/1"
CONNECTIONS = 4  # kept alive to the service: the synthesizer's default concurrency


def _snippet(body: bytes, limit: int = 200) -> str:
    text = body[:limit].decode("utf-8", "replace").strip()
    return text or "(empty body)"


class HttpEngine:
    """Cloud TTS over HTTP (see the module docstring for the wire contract)."""

    name = "http"

    def __init__(
        self, url: str, key: str = "", voice: str = "", timeout: float = 10.0, connections: int = CONNECTIONS
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("TTS URL must be http:// or https:// with a host")
        self.url = url
        # What errors name: no user-info, no query (either may hold a key, and errors reach logs and CDRs).
        self.shown = urllib.parse.urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
        self.key = key
        self.voice = voice
        self.timeout = float(timeout)
        self.settings = url  # part of the cache key: another endpoint may sound different
        self.client = Client(timeout=self.timeout, per_host=connections)

    # -- the vendor-specific part -------------------------------------------------------

    def build_request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the POST for ``text``. Override for another vendor's request shape."""
        headers = {"Content-Type": "application/json", "Accept": "audio/wav", "User-Agent": USER_AGENT}
        if self.key:
            headers["Authorization"] = f"Bearer {self.key}"
        body = json.dumps({"text": text, "voice": self.voice}, ensure_ascii=False).encode("utf-8")
        return headers, body

    def parse_response(self, status: int, headers: Mapping[str, str], body: bytes) -> tuple[bytes, int]:
        """(mono PCM, rate) from a response. Override for a vendor that answers JSON or raw PCM."""
        if status != 200:
            raise SynthesisError(f"TTS service {self.shown} answered HTTP {status}: {_snippet(body)}")
        try:
            pcm, rate, channels = read_wav(body)
        except ValueError as exc:
            kind = headers.get("Content-Type", "no content type")
            detail = f"{exc}; {kind}, {len(body)} bytes: {_snippet(body, 60)}"
            raise SynthesisError(f"TTS service {self.shown} returned no usable WAV ({detail})") from exc
        return to_mono(pcm, channels), rate

    # -- transport ----------------------------------------------------------------------

    def synthesize(self, text: str) -> tuple[bytes, int]:
        if not text or not text.strip():
            raise SynthesisError("HTTP TTS: nothing to say (empty text)")
        headers, body = self.build_request(text)
        try:
            answer = self.client.post(self.url, body, headers, max_body=MAX_RESPONSE_BYTES)
        except DeadlineExceeded:
            raise SynthesisError(f"TTS service {self.shown} did not answer within {self.timeout:g} s") from None
        except Exception as exc:  # refused, reset, not HTTP, TLS...: what went wrong, as the client raised it
            raise SynthesisError(f"TTS service {self.shown} request failed: {exc!r}") from exc
        if answer.truncated:
            raise SynthesisError(f"TTS service {self.shown} returned more than {MAX_RESPONSE_BYTES} bytes")
        pcm, rate = self.parse_response(answer.status, answer.headers, answer.body)
        if not pcm or not pcm.strip(b"\0"):
            raise SynthesisError(f"TTS service {self.shown} returned empty (silent) audio")
        return pcm, rate


class CONFIG(BaseModel):
    """A ``[voice.<name>]`` of engine ``http`` in the voices file (docs/tts.md)."""

    model_config = ConfigDict(extra="forbid")
    engine: Literal["http"]
    url: str
    key: SecretStr = SecretStr("")
    voice: str = ""
    timeout: float = Field(10.0, gt=0, le=120)


def build(config: CONFIG) -> HttpEngine:
    return HttpEngine(config.url, config.key.get_secret_value(), config.voice, config.timeout)
