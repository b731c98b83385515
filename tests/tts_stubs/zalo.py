"""Zalo AI TTS as third-party clients use it (Zalo's page, https://zalo.ai/docs/api/text-to-audio-converter,
was not readable; see tts/engines/zalo.py).

``POST /v1/tts/synthesize``: header ``apikey``, a form ``input``, ``speaker_id`` (1-4), ``speed``
(0.8-1.2), ``encode_type`` (0 → a WAV here, 1 → an MP3); answers
``{"data": {"url": <audio URL>}, "error_message": "Successful.", "error_code": 0}``, an error as
``error_code`` ≠ 0 with ``"data": null``. The codes and the HTTP status of an error are
[unknown]: ``auth_code``, ``bad_code``, ``limit_code`` and ``error_status`` are switches.
"""

from __future__ import annotations

from tests.tts_stubs.stub_server import Reply, Request, UrlVendorStub, json_reply

PATH = "/v1/tts/synthesize"


class ZaloStub(UrlVendorStub):
    def __init__(self, key: str = "zalo-key") -> None:
        super().__init__(key)
        self.auth_code = 401
        self.bad_code = 155
        self.limit_code = 429  # rate_limited="json"
        self.error_status = 200

    @property
    def endpoint(self) -> str:
        return self.url + PATH

    def error_body(self, status: int, message: str) -> Reply:
        return json_reply(status, {"data": None, "error_message": message, "error_code": status})

    def refuse(self, code: int, message: str) -> Reply:
        return json_reply(self.error_status, {"data": None, "error_message": message, "error_code": code})

    def api(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != PATH:
            return json_reply(404, {"data": None, "error_message": "Not found", "error_code": 404})
        if request.headers.get("apikey") != self.key:
            return self.refuse(self.auth_code, "Invalid apikey")
        if self.rate_limited == "json":
            return self.refuse(self.limit_code, "Request limit exceeded")
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            return self.refuse(self.bad_code, "Bad content type")
        try:
            form = request.form()
            speed = float(form.get("speed", "1.0"))
        except (ValueError, UnicodeDecodeError):
            return self.refuse(self.bad_code, "Bad request")
        if not form.get("input", "").strip():
            return self.refuse(self.bad_code, "Input is empty")
        if form.get("speaker_id", "1") not in {"1", "2", "3", "4"}:
            return self.refuse(self.bad_code, "Invalid speaker_id")
        if not 0.8 <= speed <= 1.2:
            return self.refuse(self.bad_code, "Speed must be in [0.8, 1.2]")
        encode = form.get("encode_type", "0")
        if encode not in ("0", "1"):
            return self.refuse(self.bad_code, "Invalid encode_type")
        link = self.publish("mp3" if encode == "1" else "wav")
        return json_reply(200, {"data": {"url": link}, "error_message": "Successful.", "error_code": 0})
