"""Google Cloud Text-to-Speech as documented: ``POST /v1/text:synthesize`` and a service account's token endpoint.

- ``POST /token``: the JWT bearer grant (form ``grant_type``, ``assertion``); the assertion's RS256
  signature is checked against the test key's public half, its ``aud`` against this URL and its
  ``scope``; answers ``{"access_token", "expires_in", "token_type"}`` or ``{"error", "error_description"}``.
- ``POST /v1/text:synthesize``: ``Authorization: Bearer <a token it issued>`` or
  ``X-Goog-Api-Key``; checks the request as Google does (5,000 bytes of input, speakingRate 0.25–4.0,
  a known voice, LINEAR16) and answers ``{"audioContent": base64 of a WAV at sampleRateHertz}``, or
  Google's error model ``{"error": {"code", "message", "status"}}``.
"""

from __future__ import annotations

import base64
import json
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.tts_stubs.stub_server import Reply, Request, VendorStub, json_reply, tone_wav

VOICES = {f"vi-VN-{kind}-{letter}" for kind in ("Standard", "Wavenet") for letter in "ABCD"} | {
    "vi-VN-Neural2-A",
    "vi-VN-Neural2-D",
}
SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def google_error(code: int, status: str, message: str) -> Reply:
    return json_reply(code, {"error": {"code": code, "message": message, "status": status}})


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class GoogleStub(VendorStub):
    def __init__(self, api_key: str = "AIza-test-key", public_key: rsa.RSAPublicKey | None = None) -> None:
        super().__init__()
        self.api_key = api_key
        self.public_key = public_key
        self.token_lifetime = 3600
        self.issued: list[str] = []
        self.refuse_grant = False  # answer the token request with invalid_grant

    @property
    def url(self) -> str:
        return f"{self.base}/v1/text:synthesize"

    @property
    def token_uri(self) -> str:
        return f"{self.base}/token"

    def assertions(self) -> list[tuple[dict, dict]]:
        """(header, claims) of each JWT the token endpoint was sent."""
        out = []
        for r in self.requests_to("/token"):
            jwt = urllib.parse.parse_qs(r.body.decode())["assertion"][0]
            head, claims, _ = jwt.split(".")
            out.append((json.loads(_unb64(head)), json.loads(_unb64(claims))))
        return out

    def route(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/token":
            return self.token(request)
        if request.method == "POST" and request.path == "/v1/text:synthesize":
            return self.synthesize(request)
        return google_error(404, "NOT_FOUND", f"{request.path} not found")

    def token(self, request: Request) -> Reply:
        form = urllib.parse.parse_qs(request.body.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return json_reply(400, {"error": "unsupported_grant_type", "error_description": "Invalid grant_type"})
        jwt = form.get("assertion", [""])[0]
        try:
            head, claims, signature = jwt.split(".")
            assert self.public_key is not None
            self.public_key.verify(_unb64(signature), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
            decoded = json.loads(_unb64(claims))
        except (ValueError, AssertionError, InvalidSignature):
            return json_reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
        if self.refuse_grant or decoded.get("aud") != self.token_uri or decoded.get("scope") != SCOPE:
            return json_reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT: bad claims."})
        token = f"ya29.stub-{len(self.issued) + 1}"
        self.issued.append(token)
        return json_reply(200, {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"})

    def rate_limit_answer(self, request: Request) -> Reply:
        return google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Requests per minute'.")

    def server_error_answer(self, status: int) -> Reply:
        name = {500: "INTERNAL", 503: "UNAVAILABLE"}.get(status, "UNKNOWN")
        return google_error(status, name, "The service is currently unavailable.")

    def synthesize(self, request: Request) -> Reply:
        refused = self.authenticate(request)
        if refused:
            return refused
        switched = self.switched(request)
        if switched:
            return switched
        try:
            body = request.json()
            text = body["input"]["text"]
            voice, audio = body["voice"], body["audioConfig"]
        except (ValueError, KeyError, TypeError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid JSON payload received.")
        if len(text.encode("utf-8")) > 5000:
            return google_error(
                400, "INVALID_ARGUMENT", "Either `input.text` or `input.ssml` is longer than the limit of 5000 bytes."
            )
        if not 0.25 <= audio.get("speakingRate", 1.0) <= 4.0:
            return google_error(400, "INVALID_ARGUMENT", "Invalid speaking_rate: must be between 0.25 and 4.0.")
        if voice.get("name") not in VOICES:
            return google_error(400, "INVALID_ARGUMENT", f"Voice '{voice.get('name')}' does not exist.")
        if audio.get("audioEncoding") != "LINEAR16":
            return google_error(400, "INVALID_ARGUMENT", "This stub speaks only LINEAR16.")
        wav = tone_wav(int(audio.get("sampleRateHertz") or 24000))
        return json_reply(200, {"audioContent": base64.b64encode(wav).decode("ascii")})

    def authenticate(self, request: Request) -> Reply | None:
        bearer = request.headers.get("authorization", "")
        if bearer.startswith("Bearer "):
            if bearer[7:] in self.issued:
                return None
            return google_error(401, "UNAUTHENTICATED", "Request had invalid authentication credentials.")
        key = request.headers.get("x-goog-api-key")
        if key is None:
            return google_error(401, "UNAUTHENTICATED", "Request is missing required authentication credential.")
        if key != self.api_key:
            return google_error(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key.")
        return None
