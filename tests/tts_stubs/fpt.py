"""FPT.AI TTS v5 as its page documents it (https://docs.fpt.ai/docs/en/speech/api/text-to-speech).

``POST /hmi/tts/v5``: parameters in headers (``api_key``, ``voice``, ``speed`` -3..3, ``format``
mp3|wav), the raw text as the body (3-5,000 characters); answers
``{"async": <audio URL>, "error": 0, "message", "request_id"}``, an error as ``error`` ≠ 0 with a
``message``. The error codes and their HTTP status are not documented: ``error_code`` and
``error_status`` are switches. The audio appears at the ``async`` URL after ``ready_after`` GETs.
"""

from __future__ import annotations

import uuid

from tests.tts_stubs.stub_server import Reply, Request, UrlVendorStub, json_reply

PATH = "/hmi/tts/v5"
VOICES = {"banmai", "lannhi", "leminh", "myan", "thuminh", "giahuy", "linhsan"}


class FptStub(UrlVendorStub):
    def __init__(self, key: str = "fpt-key") -> None:
        super().__init__(key)
        self.error_code = 1  # the non-zero "error" of every refusal ([unknown] in FPT's docs)
        self.error_status = 200  # the HTTP status it comes with ([unknown] too)
        self.limit_message = "Rate limit exceeded"  # rate_limited="json": FPT's own code, its message

    @property
    def endpoint(self) -> str:
        return self.url + PATH

    def error_body(self, status: int, message: str) -> Reply:
        return json_reply(status, {"error": self.error_code, "message": message})

    def refuse(self, message: str) -> Reply:
        return json_reply(self.error_status, {"error": self.error_code, "message": message})

    def api(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != PATH:
            return json_reply(404, {"error": 404, "message": "not found"})
        headers = request.headers
        if headers.get("api_key") != self.key:
            return self.refuse("Invalid API key")
        if self.rate_limited == "json":
            return self.refuse(self.limit_message)
        if headers.get("voice", "banmai") not in VOICES:
            return self.refuse("Invalid voice")
        if headers.get("speed", "0").lstrip("-+") not in {"0", "1", "2", "3"}:
            return self.refuse("Invalid speed")
        fmt = headers.get("format", "mp3")
        if fmt not in ("mp3", "wav"):
            return self.refuse("Invalid format")
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            return self.refuse("Text must be UTF-8")
        if not 3 <= len(text) <= 5000:
            return self.refuse("Text length must be from 3 to 5000 characters")
        return json_reply(
            200,
            {
                "async": self.publish(fmt),
                "error": 0,
                "message": "The content will be returned after a few seconds under the async link.",
                "request_id": str(uuid.uuid4()),
            },
        )
