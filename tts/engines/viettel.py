"""Viettel AI text-to-speech: one JSON POST, the audio (asked as WAV) in the answer's body.

Sources ([doc]: Viettel's documentation; [3p]: third-party code; [unknown]: not found):

- [doc] https://viettelgroup.ai/document/tts ("API TTS - Text To Speech"): ``POST
  https://viettelgroup.ai/voice/api/tts/v1/rest/syn`` with ``Content-Type: application/json`` and
  ``token: <token>`` (made in the vtcc.ai console); body ``{"text", "voice", "id" (the caller's
  request id), "without_filter" (false = the quality filter, slower), "speed" (0.7 to 1.3),
  "tts_return_option" (1 streaming, 2 wav, 3 mp3)}``; a 200's body is the audio.
  Always asked here: ``tts_return_option: 2`` (WAV).
- [doc] voices: ``doanngocle``, ``trinhthiviettrinh``, ``phamtienquan``, ``lethiyen``,
  ``nguyenthithuyduyen``, ``hn-quynhanh`` (female, north: the default, the page's own example),
  ``hue-maingoc``, ``hue-baoquoc``, ``hcm-minhquan``; the current list at
  ``GET https://vtcc.ai/voice/api/tts/v1/rest/voices``. [3p] more codes against viettelai.vn
  (``hcm-diemmy``, ``hn-thanhtung``…). Any code is accepted here.
- [3p] the newer host ``https://viettelai.vn/tts/speech_synthesis`` takes the same body with the token
  **inside** it (``"token": <token>``): set ``url`` to it and ``token_in_body: true``.
- [unknown]: error bodies and codes, the HTTP status of a rate limit or quota, the text-length
  limit, the WAV's sample rate. So the answer is judged by its bytes: a WAV (or an MP3, should the
  option be ignored) is decoded (:func:`tts.engines.decode.decode_audio`); anything else, even with status
  200 (some Vietnamese APIs answer errors so), is a SynthesisError quoting what came back. 429 is
  taken as a rate limit, as HTTP means it.
"""

from __future__ import annotations

import json
import uuid
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from httpclient import Answer
from tts.engines.base import SynthesisError
from tts.engines.decode import sniff
from tts.engines.vendor_call import ApiUrl, Vendor, VendorConfig, limit_said, need_text, refused, snippet, speech

VENDOR = "Viettel AI"
DEFAULT_URL = "https://viettelgroup.ai/voice/api/tts/v1/rest/syn"
RETURN_WAV = 2


class ViettelConfig(VendorConfig):
    """Settings of the ``viettel`` engine (docs/tts-vendors.md)."""

    engine: Literal["viettel"] = "viettel"
    voice: str = Field("hn-quynhanh", min_length=1)
    speed: float = 1.0
    token: SecretStr
    token_in_body: bool = False  # the newer viettelai.vn host reads the token from the JSON body [3p]
    without_filter: bool = False  # false: Viettel's quality filter on (slower) [doc]
    url: ApiUrl = DEFAULT_URL
    timeout: float = Field(10.0, gt=0, le=120)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not 0.7 <= value <= 1.3:
            raise ValueError(f"Viettel's speed is 0.7 to 1.3 (1.0 = the voice's own pace), got {value:g}")
        return value


CONFIG = ViettelConfig


class ViettelEngine:
    """Viettel AI's TTS REST API, WAV asked for (see the module docstring)."""

    name = "viettel"

    def __init__(self, config: ViettelConfig) -> None:
        self.config = config
        self.voice = config.voice
        nofilter = " without_filter" if config.without_filter else ""
        self.settings = f"{config.url} speed={config.speed:g}{nofilter}"
        self.vendor = Vendor(VENDOR, config.timeout)

    def request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, JSON body) of the synthesis POST for ``text``."""
        token = self.config.token.get_secret_value()
        headers = {"Content-Type": "application/json", "Accept": "*/*"}
        body: dict[str, object] = {
            "text": text,
            "voice": self.config.voice,
            "id": uuid.uuid4().hex,  # traces one request in Viettel's logs
            "without_filter": self.config.without_filter,
            "speed": self.config.speed,
            "tts_return_option": RETURN_WAV,
        }
        if self.config.token_in_body:
            body["token"] = token
        else:
            headers["token"] = token
        return headers, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        headers, body = self.request(text)
        answer = self.vendor.request("POST", self.config.url, headers, body)
        if answer.status != 200:
            raise self._refusal(answer)
        if not sniff(answer.body):  # a 200 that is not audio: JSON, HTML, text — Viettel's errors are undocumented
            kind = answer.headers.get("Content-Type", "no content type")
            raise SynthesisError(f"{VENDOR} answered HTTP 200 with no audio ({kind}): {snippet(answer.body)}")
        return speech(VENDOR, answer.body)

    def _refusal(self, answer: Answer) -> SynthesisError:
        detail = snippet(answer.body)
        meaning = " (token rejected)" if answer.status in (401, 403) else ""
        return refused(
            f"{VENDOR} answered HTTP {answer.status}{meaning}: {detail}",
            limit_said(answer.status, detail),
            answer.headers,
        )


def build(config: ViettelConfig) -> ViettelEngine:
    """The engine for ``config``."""
    return ViettelEngine(config)
