"""Viettel AI's TTS REST API as documented: ``POST /voice/api/tts/v1/rest/syn``, JSON in, audio bytes out.

Checks the ``token`` header (or, with ``token_in_body``, the newer viettelai.vn host's ``token`` field),
the documented fields (a known voice, ``speed`` 0.7–1.3, ``tts_return_option`` 1/2/3) and a text
limit, and answers option 2 with a WAV at 22,050 Hz (the real rate is undocumented) and option 3
with an MP3. Viettel's error bodies are undocumented: ``error_status`` picks the HTTP status of a
refusal (200 imitates an API that answers errors with status 200), and the body is a JSON
``{"code", "message"}`` guessed here.
"""

from __future__ import annotations

from tests.tts_stubs.stub_server import MP3_24K, Reply, Request, VendorStub, json_reply, tone_wav

VOICES = {
    "doanngocle",
    "trinhthiviettrinh",
    "phamtienquan",
    "lethiyen",
    "nguyenthithuyduyen",
    "hn-quynhanh",
    "hue-maingoc",
    "hue-baoquoc",
    "hcm-minhquan",
}
RATE = 22050


class ViettelStub(VendorStub):
    def __init__(self, token: str = "viettel-test-token", token_in_body: bool = False, max_chars: int = 2000) -> None:
        super().__init__()
        self.token = token
        self.token_in_body = token_in_body
        self.max_chars = max_chars
        self.error_status = 400  # the status of a refusal (unknown for Viettel: a test picks one)
        self.ignore_option = False  # answer an MP3 whatever tts_return_option says

    @property
    def url(self) -> str:
        return f"{self.base}/voice/api/tts/v1/rest/syn"

    def refuse(self, status: int, code: int, message: str) -> Reply:
        return json_reply(status, {"code": code, "message": message})

    def route(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/voice/api/tts/v1/rest/syn":
            return self.refuse(404, 404, "not found")
        try:
            body = request.json()
            assert isinstance(body, dict)
        except (ValueError, AssertionError):
            return self.refuse(self.error_status, 400, "invalid json")
        token = body.get("token") if self.token_in_body else request.headers.get("token")
        if token != self.token:
            return self.refuse(401 if self.error_status != 200 else 200, 401, "Token is invalid")
        switched = self.switched(request)
        if switched:
            return switched
        return self.speak(body)

    def speak(self, body: dict) -> Reply:
        text, speed, option = body.get("text"), body.get("speed"), body.get("tts_return_option")
        if not isinstance(text, str) or not text.strip() or len(text) > self.max_chars:
            return self.refuse(self.error_status, 400, f"text must be 1 to {self.max_chars} characters")
        if body.get("voice") not in VOICES:
            return self.refuse(self.error_status, 400, f"voice {body.get('voice')} is not supported")
        if not isinstance(speed, int | float) or not 0.7 <= speed <= 1.3:
            return self.refuse(self.error_status, 400, "speed must be from 0.7 to 1.3")
        if option not in (1, 2, 3) or not isinstance(body.get("id"), str):
            return self.refuse(self.error_status, 400, "bad tts_return_option or id")
        if option == 3 or self.ignore_option:
            return 200, [("Content-Type", "audio/mpeg")], MP3_24K
        return 200, [("Content-Type", "audio/wav")], tone_wav(RATE)
