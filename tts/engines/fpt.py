"""FPT.AI text-to-speech v5: POST the text, then poll the ``async`` audio URL it answers with.

Source: https://docs.fpt.ai/docs/en/speech/api/text-to-speech (FPT.AI's own page; [doc] below).
Third-party clients seen: github.com/leduchuy225/Auto-Vid ``utils/voice_maker.py``,
github.com/dvthanh1209/Project1-call ([3p]). Research: docs/tts-vendors.md "FPT.AI".

What is sent and read:

- [doc] ``POST https://api.fpt.ai/hmi/tts/v5``; the body is the raw UTF-8 text, 3 to 5,000 characters;
  parameters travel as **headers**: ``api_key`` (with an underscore: a proxy on the way that drops such
  headers, nginx by default, loses it), ``voice`` (``banmai``, ``lannhi``, ``leminh``, ``myan``, ``thuminh``,
  ``giahuy``, ``linhsan``), ``speed`` (integer -3..+3), ``format`` (``mp3`` default, or ``wav``:
  we ask ``wav``).
- [doc] the answer: JSON ``{"async": "<audio URL>", "error": 0, "message": …, "request_id": …}``;
  ``error`` ≠ 0 is a failure described by ``message``. "The file may not exist right at the time
  of response": it appears 5 s to 2 min later, depending on the text's length.
- [unknown] the non-zero ``error`` codes, the HTTP status of an error, how a rate limit or quota
  is signalled (handled: HTTP 429/402, or a message naming a limit or quota), what the ``async``
  URL answers before the file is there (handled: 403, 404 or an empty 200 mean "not yet"), the
  sample rate of ``format: wav`` (read from the file; MP3 is decoded too if FPT ignores the ask).
- Not used: ``callback_url`` (it needs an inbound endpoint; polling is simpler).

Rules here: text shorter than 3 characters (the digit word "ba") gets a trailing ``.`` to reach
the minimum; longer than 5,000 is cut at sentence ends into several requests, joined. One
overall deadline (``poll_timeout``) covers the POST, every poll (every ``poll_interval`` s) and
the download; each exchange is bounded by ``timeout``. The audio URL's host policy
(:mod:`tts.engines.url_vendor`): https only (http only when ``url`` is http, i.e. a local stub),
any host, the ``api_key`` never sent there.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from tts.engines.url_vendor import audio_url, deadline, fetch_audio, join_pcm
from tts.engines.vendor_call import VOICE_PATTERN, ApiUrl, Vendor, VendorConfig, need_text, split_text, vendor_error

VENDOR = "FPT.AI"
URL = "https://api.fpt.ai/hmi/tts/v5"
MIN_CHARS, MAX_CHARS = 3, 5000  # [doc]


class FptConfig(VendorConfig):
    """Settings of the ``fpt`` engine (docs/tts-vendors.md, "FPT.AI")."""

    engine: Literal["fpt"] = "fpt"
    key: SecretStr
    voice: str = Field("banmai", pattern=VOICE_PATTERN)
    speed: int = 0
    format: Literal["wav", "mp3"] = "wav"
    url: ApiUrl = URL
    timeout: float = Field(8.0, gt=0, le=60)
    poll_timeout: float = Field(30.0, gt=0, le=180)
    poll_interval: float = Field(1.0, gt=0, le=10)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: int) -> int:
        if not -3 <= value <= 3:
            raise ValueError(f"FPT.AI speed is an integer from -3 (slowest) to +3 (fastest), got {value}")
        return value


CONFIG = FptConfig


class FptEngine:
    """FPT.AI TTS v5 (see the module docstring)."""

    name = "fpt"

    def __init__(self, config: FptConfig) -> None:
        self.config = config
        self.voice = config.voice
        self.settings = f"url={config.url} speed={config.speed} format={config.format}"
        self.vendor = Vendor(VENDOR, config.timeout)

    def request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of the POST for one piece of text, as FPT.AI's page shows it."""
        text = text + "." * (MIN_CHARS - len(text))  # "ba" → "ba.": FPT refuses fewer than 3 characters
        headers = {
            "api_key": self.config.key.get_secret_value(),
            "voice": self.config.voice,
            "speed": str(self.config.speed),
            "format": self.config.format,
            "Content-Type": "text/plain; charset=utf-8",
        }
        return headers, text.encode("utf-8")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        with deadline(self.config.poll_timeout, VENDOR):
            parts = [self._piece(piece) for piece in split_text(text, MAX_CHARS)]
        return join_pcm(parts, VENDOR)

    def _piece(self, text: str) -> tuple[bytes, int]:
        headers, body = self.request(text)
        answer = self.vendor.request("POST", self.config.url, headers, body)
        reply = self.vendor.json(answer)
        error = reply.get("error")
        if answer.status != 200 or error not in (0, "0"):
            raise vendor_error(VENDOR, answer.status, error, str(reply.get("message", "")), answer.headers)
        link = audio_url(reply.get("async"), self.config.url, VENDOR)
        return fetch_audio(self.vendor, link, self.config.poll_interval)


def build(config: FptConfig) -> FptEngine:
    return FptEngine(config)
