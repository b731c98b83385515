"""Zalo AI text-to-speech: POST a form, then GET the audio URL it answers with.

**Wire format unverified: third-party sources.** Zalo's own page,
https://zalo.ai/docs/api/text-to-audio-converter (keys: https://zalo.ai/docs/api/getting-started),
is cited by every client but was not readable here; everything below is [3p] from
github.com/iconclub/zalo-tts ``zalo_tts/zalo_tts.py`` (PyPI ``ZaloTTS``), github.com/minhdanh/ha-zalo-tts,
github.com/locnh/tts and github.com/thrillim/newspaper. Research: docs/tts-vendors.md "Zalo AI".

What is sent and read:

- [3p] ``POST https://api.zalo.ai/v1/tts/synthesize``, header ``apikey: <key>``, a form
  (``application/x-www-form-urlencoded``): ``input`` (the text), ``speaker_id`` (1 female south,
  2 female north, 3 male south, 4 male north), ``speed`` (0.8-1.2, larger is faster),
  ``encode_type`` (0 or 1).
- [3p] the answer: ``{"data": {"url": "<audio URL>"}, "error_message": "Successful.", "error_code": 0}``;
  ``error_code`` ≠ 0 is a failure (155, 401 and 500 are seen handled by clients).
- [unknown] what ``encode_type`` means (VNG Cloud's sibling API says 0 = wav, 1 = mp3: we send 0
  and sniff the file, WAV or MP3, either decodes); the error codes' meanings, the HTTP statuses,
  the text limit, rate limits and quota signal (handled: HTTP 429/402, or a message naming a
  limit or quota), whether the audio URL is ready at once (handled: 403, 404 or an empty 200 mean
  "not yet", polled every ``poll_interval`` s), the audio's rate (read from the file).
- Not used: ``https://ai.zalo.cloud/api/demo/v1/tts/synthesize`` (the website's demo).

One overall deadline (``poll_timeout``) covers the POST, the polls and the download; each
exchange is bounded by ``timeout``. The audio URL's host policy (:mod:`tts.engines.url_vendor`):
https only (http only when ``url`` is http, i.e. a local stub), any host, the ``apikey`` never
sent there.
"""

from __future__ import annotations

import urllib.parse
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from tts.engines.url_vendor import audio_url, deadline, fetch_audio
from tts.engines.vendor_call import VOICE_PATTERN, ApiUrl, Vendor, VendorConfig, audible, need_text, vendor_error

VENDOR = "Zalo AI"
URL = "https://api.zalo.ai/v1/tts/synthesize"


class ZaloConfig(VendorConfig):
    """Settings of the ``zalo`` engine (docs/tts-vendors.md, "Zalo AI")."""

    engine: Literal["zalo"] = "zalo"
    key: SecretStr
    voice: str = Field("2", pattern=VOICE_PATTERN)  # speaker_id: 2 = female, northern
    speed: float = 1.0
    encode_type: Literal[0, 1] = 0
    url: ApiUrl = URL
    timeout: float = Field(8.0, gt=0, le=60)
    poll_timeout: float = Field(15.0, gt=0, le=180)
    poll_interval: float = Field(0.5, gt=0, le=10)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not 0.8 <= value <= 1.2:
            raise ValueError(f"Zalo AI speed is from 0.8 (slowest) to 1.2 (fastest), 1.0 normal, got {value}")
        return value


CONFIG = ZaloConfig


class ZaloEngine:
    """Zalo AI TTS (see the module docstring: third-party wire format)."""

    name = "zalo"

    def __init__(self, config: ZaloConfig) -> None:
        self.config = config
        self.voice = config.voice
        self.settings = f"url={config.url} speed={config.speed:g} encode_type={config.encode_type}"
        self.vendor = Vendor(VENDOR, config.timeout)

    def request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the POST, as the third-party clients send it."""
        form = {
            "input": text,
            "speaker_id": self.config.voice,
            "speed": f"{self.config.speed:g}",
            "encode_type": str(self.config.encode_type),
        }
        headers = {
            "apikey": self.config.key.get_secret_value(),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return headers, urllib.parse.urlencode(form).encode("ascii")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        headers, body = self.request(" ".join(text.split()))
        with deadline(self.config.poll_timeout, VENDOR):
            answer = self.vendor.request("POST", self.config.url, headers, body)
            reply = self.vendor.json(answer)
            code = reply.get("error_code")
            if answer.status != 200 or code not in (0, "0"):
                raise vendor_error(VENDOR, answer.status, code, str(reply.get("error_message", "")), answer.headers)
            data = reply.get("data")
            link = audio_url(data.get("url") if isinstance(data, dict) else None, self.config.url, VENDOR)
            pcm, rate = fetch_audio(self.vendor, link, self.config.poll_interval)
        return audible(VENDOR, pcm), rate


def build(config: ZaloConfig) -> ZaloEngine:
    return ZaloEngine(config)
