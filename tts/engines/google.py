"""Google Cloud Text-to-Speech (vi-VN): ``text:synthesize`` asked for 16-bit PCM at the rate FreeSWITCH plays.

Sources ([doc]: Google's documentation; [3p]: third-party code or pages; [unknown]: not found):

- [doc] https://cloud.google.com/text-to-speech/docs/reference/rest/v1/text/synthesize and the
  ``google/cloud/texttospeech/v1/cloud_tts.proto`` it is generated from: ``POST
  https://texttospeech.googleapis.com/v1/text:synthesize`` with ``{"input": {"text"}, "voice":
  {"languageCode", "name"}, "audioConfig": {"audioEncoding": "LINEAR16", "sampleRateHertz",
  "speakingRate", "effectsProfileId"}}``; the answer ``{"audioContent": <base64>}``. LINEAR16 "also
  contains a WAV header"; a ``sampleRateHertz`` other than the voice's own is honoured by converting,
  so 8000 or 16000 comes back ready. ``speakingRate`` is 0.25 to 4.0 (1.0 the voice's pace).
- [doc] https://cloud.google.com/text-to-speech/quotas: the input is at most **5,000 bytes** (not
  characters: Vietnamese with diacritics is 1 to 3 bytes a character). Longer text is cut here into
  pieces under that, after a sentence end where one fits, else between words, and their PCM joined.
- [doc] https://cloud.google.com/apis/design/errors: an error is the HTTP status and
  ``{"error": {"code", "message", "status"}}``; 429 ``RESOURCE_EXHAUSTED`` is a rate limit or quota.
- Auth, either: ``credentials_file``, a service account key, [doc] OAuth 2.0 bearer with the
  cloud-platform scope (the token exchange: :mod:`tts.engines.google_auth`); or ``api_key``, sent as
  ``X-Goog-Api-Key`` ([doc] Google's system parameters,
  https://cloud.google.com/apis/docs/system-parameters). Whether Text-to-Speech accepts an API key at
  all is [unknown] (Google says most Cloud APIs do not; [3p] clients use one): confirm with a key.
- Voices: names are [3p] (``vi-VN-Standard-A``…``D``, ``vi-VN-Wavenet-A``…``D``,
  ``vi-VN-Neural2-A``/``D``, ``vi-VN-Chirp3-HD-<name>``); [doc] ``GET /v1/voices?languageCode=vi-VN``
  lists a project's own. Any name is accepted here; the default is ``vi-VN-Wavenet-A`` (female).
- ``effectsProfileId`` (e.g. ``telephony-class-application``) is [doc] a field; the list of profiles
  (https://cloud.google.com/text-to-speech/docs/audio-profiles) was not read: empty by default.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from httpclient import Answer
from tts.audio import resample
from tts.engines.base import SynthesisError
from tts.engines.decode import decode_audio
from tts.engines.google_auth import AccessToken, load_service_account
from tts.engines.vendor_call import (
    ApiUrl,
    Vendor,
    VendorConfig,
    audible,
    limit_status,
    need_text,
    refused,
    snippet,
    split_text,
    utf8_size,
)

VENDOR = "Google Cloud TTS"
DEFAULT_URL = "https://texttospeech.googleapis.com/v1/text:synthesize"
MAX_INPUT_BYTES = 5000  # [doc] per request, not increasable


class GoogleConfig(VendorConfig):
    """Settings of the ``google`` engine (docs/tts-vendors.md). One of ``api_key`` or ``credentials_file``."""

    engine: Literal["google"] = "google"
    voice: str = Field("vi-VN-Wavenet-A", min_length=1)
    language: str = Field("vi-VN", min_length=2)
    speed: float = 1.0
    rate: Literal[8000, 16000] = 8000
    effects_profile: str = ""
    api_key: SecretStr | None = None
    credentials_file: Path | None = None
    url: ApiUrl = DEFAULT_URL
    timeout: float = Field(10.0, gt=0, le=120)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not 0.25 <= value <= 4.0:
            raise ValueError(f"Google's speakingRate is 0.25 to 4.0 (1.0 = the voice's own pace), got {value:g}")
        return value

    @model_validator(mode="after")
    def _one_credential(self) -> GoogleConfig:
        if (self.api_key is None) == (self.credentials_file is None):
            raise ValueError("google needs exactly one of api_key or credentials_file (a service account key file)")
        return self


CONFIG = GoogleConfig


def split_utf8(text: str, limit: int = MAX_INPUT_BYTES) -> list[str]:
    """``text`` in pieces of at most ``limit`` UTF-8 bytes (Google's input limit is in bytes), cut as
    :func:`tts.engines.vendor_call.split_text` cuts."""
    return split_text(text, limit, utf8_size)


def _google_error(body: bytes) -> tuple[str, str]:
    """(status, message) of Google's error body, or ("", the start of the body) when it is not one."""
    try:
        error = json.loads(body).get("error")
    except (ValueError, AttributeError):
        error = None
    if not isinstance(error, dict):
        return "", snippet(body)
    return str(error.get("status") or error.get("code") or ""), str(error.get("message") or "")


class GoogleEngine:
    """Google Cloud Text-to-Speech, LINEAR16 at ``config.rate`` (see the module docstring)."""

    name = "google"

    def __init__(self, config: GoogleConfig, *, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.voice = config.voice
        profile = f" profile={config.effects_profile}" if config.effects_profile else ""
        self.settings = f"{config.url} {config.language} speed={config.speed:g} LINEAR16@{config.rate}{profile}"
        self.vendor = Vendor(VENDOR, config.timeout)
        self.token: AccessToken | None = None
        if config.credentials_file is not None:
            account = load_service_account(config.credentials_file)
            self.token = AccessToken(account, self.vendor, clock)

    def request_body(self, text: str) -> bytes:
        """The JSON ``text:synthesize`` takes for ``text`` (one piece of at most 5,000 bytes)."""
        audio: dict[str, object] = {
            "audioEncoding": "LINEAR16",
            "sampleRateHertz": self.config.rate,
            "speakingRate": self.config.speed,
        }
        if self.config.effects_profile:
            audio["effectsProfileId"] = [self.config.effects_profile]
        request = {
            "input": {"text": text},
            "voice": {"languageCode": self.config.language, "name": self.config.voice},
            "audioConfig": audio,
        }
        return json.dumps(request, ensure_ascii=False).encode("utf-8")

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token.bearer()}"
        elif self.config.api_key is not None:
            headers["X-Goog-Api-Key"] = self.config.api_key.get_secret_value()
        return headers

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        parts: list[bytes] = []
        rate = 0
        for piece in split_utf8(text):
            pcm, piece_rate = self._speak(piece)
            if rate and piece_rate != rate:  # not expected (one rate is asked for): keep the first piece's
                pcm = resample(pcm, piece_rate, rate)
            rate = rate or piece_rate
            parts.append(pcm)
        return audible(VENDOR, b"".join(parts)), rate

    def _speak(self, piece: str) -> tuple[bytes, int]:
        answer = self.vendor.request("POST", self.config.url, self._headers(), self.request_body(piece))
        if answer.status != 200:
            raise self._refusal(answer)
        try:
            content = json.loads(answer.body)["audioContent"]
            audio = base64.b64decode(content, validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise SynthesisError(
                f"{VENDOR} answered HTTP 200 without base64 audioContent: {snippet(answer.body)}"
            ) from None
        return decode_audio(audio, VENDOR)

    def _refusal(self, answer: Answer) -> SynthesisError:
        status, message = _google_error(answer.body)
        if answer.status == 401 and self.token is not None:
            self.token.forget()  # revoked or expired early: the next request mints a new one
        said = f"{VENDOR} answered HTTP {answer.status} {status}: {message}".replace("  ", " ")
        return refused(said, limit_status(answer.status) or status == "RESOURCE_EXHAUSTED", answer.headers)


def build(config: GoogleConfig) -> GoogleEngine:
    """The engine for ``config`` (reads and checks ``credentials_file`` now: ValueError if it is unusable)."""
    return GoogleEngine(config)
