"""Vbee (AIVoice) text-to-speech: the realtime API for its one realtime voice, else the legacy job API, polled.

Sources ([doc], Vbee's own pages): https://api-docs.vbee.vn/vbee-api/text-to-speech/realtime-api,
https://api-docs.vbee.vn/vbee-api/text-to-speech/get-request, https://api-docs.vbee.vn/dac-ta-api
(= https://help.vbee.vn/tai-lieu-api/dac-ta-api), https://api-docs.vbee.vn/text-to-speech-lagacy/get-request.md,
https://api-docs.vbee.vn/text-to-speech-lagacy/callback-api. [3p]: the unofficial ``vbee-mcp`` README
(https://pypi.org/project/vbee-mcp/). Research: docs/tts-vendors.md "Vbee".

**Realtime API** (short text in the realtime voice, speed 1.0):

- [doc] ``POST https://api.vbee.vn/v1/tts``, headers ``Authorization: Bearer <token>``,
  ``App-Id: <app id>``, ``Content-Type: application/json``; body ``text`` (≤ 300 characters, trimmed,
  not empty), ``mode: "sync"``, ``voiceCode`` ("currently only the Ngọc Huyền voice",
  ``hn_female_ngochuyen_full_48k-fhg``), ``outputFormat`` (the page is cut off there: ``mp3|wav|pcm``
  per [3p]; we ask ``audio_type``, ``wav`` by default). Text over 300 characters is cut at sentence
  ends into several requests whose audio is joined.
- [unknown] the answer's shape: taken as it comes: audio bytes (WAV or MP3, sniffed); or JSON
  with an audio URL (``audioLink``/``audio_link``/``url``, at the top or under ``result``/``data``),
  fetched like the legacy one; or base64 audio (``audioContent``/``audio``); JSON with
  ``error_code`` or ``status: 0`` is the vendor's error. Whether it takes a speed: [unknown], so a
  speed other than 1.0 uses the legacy API.

**Legacy API** (every other voice or speed, or ``realtime: false``):

- [doc] ``POST https://vbee.vn/api/v1/tts``, ``Authorization: Bearer <token>``, JSON body
  ``app_id``, ``callback_url`` (required), ``input_text``, ``voice_code``, ``audio_type``
  (``wav`` asked; ``mp3`` default at Vbee), ``bitrate`` (mp3 only), ``speed_rate`` (0.1-1.9, one
  decimal; sent as a string like the page's example, ``"1.0"``).
- [doc] the answer ``{"status": 1|0, "error_code", "error_message", "result": {"request_id", …,
  "status": "IN_PROGRESS"}}``; then ``GET https://vbee.vn/api/v1/tts/<request_id>`` (Bearer) every
  ``poll_interval`` s until ``result.status`` is ``SUCCESS`` (``audio_link``; ``audio_expired:
  true`` is an error) or ``FAILURE``; then the audio is downloaded from ``audio_link`` (no token
  sent there).
- The callback is not listened to: ``callback_url`` (required by Vbee) defaults to
  ``https://example.invalid/…``, a name that never resolves (RFC 2606); [unknown] whether Vbee
  refuses such a URL at request time: then set any URL that accepts a POST.
- [unknown] the error code list, the HTTP statuses, the rate-limit or quota signal (handled:
  HTTP 429/402, or a message naming a limit or quota), whether a sample rate can be asked for
  (the voices are 44.1/48 kHz; the rate is read from the file and the synthesizer resamples).

One overall deadline (``poll_timeout``) covers every request, poll and download; each exchange is
bounded by ``timeout``. The audio URL's host policy (:mod:`tts.engines.url_vendor`): https only
(http only when the configured URL is http, i.e. a local stub), any host, no token sent there.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.parse
from typing import Any, Literal

import gevent
from pydantic import Field, SecretStr, field_validator

from httpclient import Answer
from tts.engines.base import SynthesisError
from tts.engines.decode import decode_audio, sniff
from tts.engines.url_vendor import audio_url, deadline, fetch_audio, join_pcm
from tts.engines.vendor_call import (
    VOICE_PATTERN,
    ApiUrl,
    Vendor,
    VendorConfig,
    need_text,
    snippet,
    split_text,
    vendor_error,
)

VENDOR = "Vbee"
URL = "https://vbee.vn/api/v1/tts"
REALTIME_URL = "https://api.vbee.vn/v1/tts"
NGOC_HUYEN = "hn_female_ngochuyen_full_48k-fhg"
REALTIME_MAX = 300  # characters per realtime request [doc]
LEGACY_MAX = 100_000  # characters per job [3p]


class VbeeConfig(VendorConfig):
    """Settings of the ``vbee`` engine (docs/tts-vendors.md, "Vbee")."""

    engine: Literal["vbee"] = "vbee"
    token: SecretStr
    app_id: str = Field(pattern=VOICE_PATTERN)
    voice: str = Field(NGOC_HUYEN, pattern=VOICE_PATTERN)
    speed: float = 1.0
    audio_type: Literal["wav", "mp3"] = "wav"
    bitrate: Literal[8, 16, 32, 64, 128, 160] = 128  # kb/s, mp3 only
    url: ApiUrl = URL
    callback_url: ApiUrl = "https://example.invalid/autocall-polls-instead"
    realtime: bool = True
    realtime_url: ApiUrl = REALTIME_URL
    realtime_voices: tuple[str, ...] = (NGOC_HUYEN,)
    timeout: float = Field(8.0, gt=0, le=60)
    poll_timeout: float = Field(30.0, gt=0, le=180)
    poll_interval: float = Field(1.0, gt=0, le=10)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not 0.1 <= value <= 1.9 or round(value, 1) != value:
            raise ValueError(f"Vbee speed is from 0.1 to 1.9 with one decimal (1.0 normal), got {value}")
        return value


CONFIG = VbeeConfig


class VbeeEngine:
    """Vbee TTS (see the module docstring)."""

    name = "vbee"

    def __init__(self, config: VbeeConfig) -> None:
        self.config = config
        self.voice = config.voice
        self.settings = f"url={self.endpoint} speed={config.speed:.1f} audio_type={config.audio_type}"
        if config.audio_type == "mp3":
            self.settings += f" bitrate={config.bitrate}"
        self.vendor = Vendor(VENDOR, config.timeout)

    @property
    def uses_realtime(self) -> bool:
        c = self.config
        return c.realtime and c.voice in c.realtime_voices and c.speed == 1.0

    @property
    def endpoint(self) -> str:
        return self.config.realtime_url if self.uses_realtime else self.config.url

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.token.get_secret_value()}"}

    def realtime_request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of a realtime POST."""
        headers = {**self._auth(), "App-Id": self.config.app_id, "Content-Type": "application/json"}
        body = {"text": text, "mode": "sync", "voiceCode": self.config.voice, "outputFormat": self.config.audio_type}
        return headers, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def legacy_request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, body) of a legacy job POST."""
        c = self.config
        body: dict[str, Any] = {
            "app_id": c.app_id,
            "callback_url": c.callback_url,
            "input_text": text,
            "voice_code": c.voice,
            "audio_type": c.audio_type,
            "speed_rate": f"{c.speed:.1f}",
        }
        if c.audio_type == "mp3":
            body["bitrate"] = c.bitrate
        headers = {**self._auth(), "Content-Type": "application/json"}
        return headers, json.dumps(body, ensure_ascii=False).encode("utf-8")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        realtime = self.uses_realtime
        with deadline(self.config.poll_timeout, VENDOR):
            if realtime:
                parts = [self._realtime(piece) for piece in split_text(text, REALTIME_MAX)]
            else:
                parts = [self._legacy(piece) for piece in split_text(text, LEGACY_MAX)]
        return join_pcm(parts, VENDOR)

    # -- realtime --------------------------------------------------------------------------

    def _realtime(self, text: str) -> tuple[bytes, int]:
        headers, body = self.realtime_request(text)
        answer = self.vendor.request("POST", self.config.realtime_url, headers, body)
        if answer.status == 200 and sniff(answer.body):
            return decode_audio(answer.body, VENDOR)
        reply = self.vendor.json(answer)
        _check(answer, reply)
        found = _audio_in(reply)
        if isinstance(found, str):
            link = audio_url(found, self.config.realtime_url, VENDOR)
            return fetch_audio(self.vendor, link, self.config.poll_interval)
        if isinstance(found, bytes):
            return decode_audio(found, VENDOR)
        raise SynthesisError(f"{VENDOR}: HTTP 200 with no audio, audio URL or error: {snippet(answer.body)}")

    # -- legacy ----------------------------------------------------------------------------

    def _legacy(self, text: str) -> tuple[bytes, int]:
        headers, body = self.legacy_request(text)
        answer = self.vendor.request("POST", self.config.url, headers, body)
        reply = self.vendor.json(answer)
        _check(answer, reply)
        result = reply.get("result")
        job = result.get("request_id") if isinstance(result, dict) else None
        if not isinstance(job, str) or not job:
            raise SynthesisError(f"{VENDOR}: the answer holds no request_id: {snippet(answer.body)}")
        poll = f"{self.config.url.rstrip('/')}/{urllib.parse.quote(job, safe='')}"
        while True:
            answer = self.vendor.request("GET", poll, self._auth())
            reply = self.vendor.json(answer)
            _check(answer, reply)
            found = reply.get("result")
            progress: dict[str, Any] = found if isinstance(found, dict) else {}
            state = progress.get("status")
            if state == "SUCCESS":
                if progress.get("audio_expired") is True:
                    raise SynthesisError(f"{VENDOR}: request {job} succeeded but its audio has expired")
                link = audio_url(progress.get("audio_link"), self.config.url, VENDOR)
                return fetch_audio(self.vendor, link, self.config.poll_interval)
            if state == "FAILURE":
                code, message = progress.get("error_code"), progress.get("error_message") or f"request {job} failed"
                raise vendor_error(VENDOR, answer.status, code, str(message), answer.headers)
            gevent.sleep(self.config.poll_interval)  # IN_PROGRESS (or a state not documented): not yet


def _check(answer: Answer, reply: dict[str, Any]) -> None:
    """The vendor's error, if the answer is one: not 200, ``status`` 0 or failed, or an ``error_code``."""
    code = reply.get("error_code", reply.get("errorCode"))
    failed = reply.get("status") in (0, "0", "FAILURE", "FAILED", "ERROR") or code not in (None, 0, "0", "")
    if answer.status != 200 or failed:
        message = reply.get("error_message", reply.get("errorMessage", reply.get("message", "")))
        raise vendor_error(VENDOR, answer.status, code, str(message or ""), answer.headers)


def _audio_in(reply: dict[str, Any]) -> str | bytes | None:
    """An audio URL (str) or base64 audio (bytes) in a realtime answer, wherever it is."""
    for where in (reply, reply.get("result"), reply.get("data")):
        if not isinstance(where, dict):
            continue
        for key in ("audioLink", "audio_link", "url"):
            if isinstance(where.get(key), str):
                return str(where[key])
        for key in ("audioContent", "audio"):
            if isinstance(where.get(key), str):
                try:
                    return base64.b64decode(where[key], validate=True)
                except (binascii.Error, ValueError):
                    raise SynthesisError(f"{VENDOR}: {key} is not base64") from None
    return None


def build(config: VbeeConfig) -> VbeeEngine:
    return VbeeEngine(config)
