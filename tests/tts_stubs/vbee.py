"""Vbee's TTS APIs as its pages document them (https://api-docs.vbee.vn/dac-ta-api, the legacy
get-request/callback pages, and https://api-docs.vbee.vn/vbee-api/text-to-speech/realtime-api).

Legacy: ``POST /api/v1/tts`` (Bearer; JSON ``app_id``, ``callback_url``, ``input_text``,
``voice_code``, ``audio_type``, ``bitrate``, ``speed_rate``) answers ``{"status": 1, "result":
{"request_id", …, "status": "IN_PROGRESS"}}`` or ``{"status": 0, "error_code", "error_message"}``;
``GET /api/v1/tts/<id>`` answers ``IN_PROGRESS`` for the first ``ready_after`` polls, then
``SUCCESS`` with ``audio_link`` (or ``job_outcome = "FAILURE"``, or ``audio_expired``).

Realtime: ``POST /v1/tts`` (Bearer and ``App-Id``; JSON ``text`` ≤ 300 characters, ``mode: "sync"``,
``voiceCode`` Ngọc Huyền only, ``outputFormat``). Its answer's shape is [unknown]:
``realtime_answer`` picks raw audio (``"audio"``), JSON with ``audioLink`` (``"link"``) or base64
(``"base64"``). Its error body is [unknown] too: the legacy ``status``/``error_code`` shape is used.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from tests.tts_stubs.stub_server import Reply, Request, UrlVendorStub, json_reply

LEGACY = "/api/v1/tts"
REALTIME = "/v1/tts"
NGOC_HUYEN = "hn_female_ngochuyen_full_48k-fhg"
VOICES = {
    NGOC_HUYEN,
    "hn_male_phuthang_news65dt_44k-fhg",
    "hn_male_thanhlong_talk_48k-fhg",
    "sg_female_tuongvy_call_44k-fhg",
    "sg_male_minhhoang_full_48k-fhg",
    "hue_female_huonggiang_full_48k-fhg",
}


class VbeeStub(UrlVendorStub):
    def __init__(self, key: str = "vbee-jwt", app_id: str = "app-1") -> None:
        super().__init__(key)
        self.app_id = app_id
        self.audio_ready_after = 0  # ready_after counts the job's polls; the audio is there once it succeeds
        self.bad_code = 400  # error_code of a refused request ([unknown] in Vbee's docs)
        self.limit_code = 429  # rate_limited="json"
        self.job_outcome = "SUCCESS"  # or "FAILURE"
        self.audio_expired = False
        self.realtime_answer = "audio"  # "audio" | "link" | "base64"
        self.jobs: dict[str, dict[str, Any]] = {}

    @property
    def legacy_url(self) -> str:
        return self.url + LEGACY

    @property
    def realtime_url(self) -> str:
        return self.url + REALTIME

    def error_body(self, status: int, message: str) -> Reply:
        return json_reply(status, {"status": 0, "error_code": status, "error_message": message})

    def refuse(self, status: int, code: int, message: str) -> Reply:
        return json_reply(status, {"status": 0, "error_code": code, "error_message": message})

    def api(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.key}":
            return self.refuse(401, 401, "Unauthorized")
        if self.rate_limited == "json":
            return self.refuse(200, self.limit_code, "Quota exceeded")
        if request.method == "POST" and request.path == LEGACY:
            return self._legacy(request)
        if request.method == "GET" and request.path.startswith(LEGACY + "/"):
            return self._poll(request.path[len(LEGACY) + 1 :])
        if request.method == "POST" and request.path == REALTIME:
            return self._realtime(request)
        return self.refuse(404, 404, "Not found")

    def _legacy(self, request: Request) -> Reply:
        try:
            body = request.json()
            speed = float(body.get("speed_rate", 1.0))
        except ValueError:
            return self.refuse(400, self.bad_code, "Body is not JSON")
        if body.get("app_id") != self.app_id:
            return self.refuse(200, self.bad_code, "App not found")
        if not body.get("callback_url"):
            return self.refuse(200, self.bad_code, "callback_url is required")
        if not body.get("input_text") or body.get("voice_code") not in VOICES:
            return self.refuse(200, self.bad_code, "input_text and a known voice_code are required")
        if body.get("audio_type", "mp3") not in ("mp3", "wav") or not 0.1 <= speed <= 1.9:
            return self.refuse(200, self.bad_code, "Invalid audio_type or speed_rate")
        job = str(uuid.uuid4())
        self.jobs[job] = {"polls": 0, "audio_type": body.get("audio_type", "mp3")}
        result = {"app_id": self.app_id, "request_id": job, "characters": len(body["input_text"])}
        return json_reply(200, {"status": 1, "result": {**result, "status": "IN_PROGRESS"}})

    def _poll(self, job_id: str) -> Reply:
        job = self.jobs.get(job_id)
        if job is None:
            return self.refuse(404, 404, "Request not found")
        job["polls"] += 1
        result: dict[str, Any] = {"request_id": job_id, "audio_type": job["audio_type"], "progress": 50}
        if job["polls"] <= self.ready_after:
            return json_reply(200, {"status": 1, "result": {**result, "status": "IN_PROGRESS"}})
        if self.job_outcome == "FAILURE":
            return json_reply(200, {"status": 1, "result": {**result, "status": "FAILURE"}})
        link = job.setdefault("link", self.publish(job["audio_type"]))
        done = {"status": "SUCCESS", "progress": 100, "audio_link": link, "audio_expired": self.audio_expired}
        return json_reply(200, {"status": 1, "result": {**result, **done}})

    def _realtime(self, request: Request) -> Reply:
        if request.headers.get("app-id") != self.app_id:
            return self.refuse(401, 401, "App-Id is missing or unknown")
        try:
            body = request.json()
        except ValueError:
            return self.refuse(400, self.bad_code, "Body is not JSON")
        text = str(body.get("text", "")).strip()
        if not text or len(text) > 300:
            return self.refuse(400, self.bad_code, "text must be 1 to 300 characters")
        if body.get("mode") != "sync" or body.get("voiceCode") != NGOC_HUYEN:
            return self.refuse(400, self.bad_code, "mode must be sync and voiceCode Ngoc Huyen")
        fmt = body.get("outputFormat", "mp3")
        if fmt not in ("mp3", "wav"):
            return self.refuse(400, self.bad_code, "Invalid outputFormat")
        audio = self.mp3 if fmt == "mp3" else self.audio
        if self.garbage is not None:
            audio = self.garbage
        if self.realtime_answer == "link":
            link = self.publish(fmt)
            return json_reply(200, {"requestId": str(uuid.uuid4()), "status": "COMPLETED", "audioLink": link})
        if self.realtime_answer == "base64":
            return json_reply(200, {"audioContent": base64.b64encode(audio).decode("ascii")})
        return 200, [("Content-Type", "audio/mpeg" if fmt == "mp3" else "audio/wav")], audio
