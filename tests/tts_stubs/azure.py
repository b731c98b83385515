"""Azure AI Speech's text-to-speech REST API as documented: ``POST /cognitiveservices/v1``, SSML in, audio out.

Checks what the documentation names: ``Ocp-Apim-Subscription-Key`` (401, empty body, when missing or
wrong), ``Content-Type: application/ssml+xml`` (415), a known ``X-Microsoft-OutputFormat``, a
``User-Agent`` and well-formed SSML with a known voice and a prosody rate within 0.5–2 times (400).
The body of Azure's errors is not documented: a short text here. A 200 is a WAV at the format's rate.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from tests.tts_stubs.stub_server import Reply, Request, VendorStub, text_reply, tone_wav

FORMATS = {"riff-8khz-16bit-mono-pcm": 8000, "riff-16khz-16bit-mono-pcm": 16000, "riff-24khz-16bit-mono-pcm": 24000}
VOICES = {"vi-VN-HoaiMyNeural", "vi-VN-NamMinhNeural"}
NS = "{http://www.w3.org/2001/10/synthesis}"


class AzureStub(VendorStub):
    def __init__(self, key: str = "azure-test-key") -> None:
        super().__init__()
        self.key = key

    @property
    def url(self) -> str:
        return f"{self.base}/cognitiveservices/v1"

    def route(self, request: Request) -> Reply:
        if request.method != "POST" or request.path != "/cognitiveservices/v1":
            return text_reply(404, "Not Found")
        if request.headers.get("ocp-apim-subscription-key") != self.key:
            return 401, [], b""
        switched = self.switched(request)
        if switched:
            return switched
        if request.headers.get("content-type") != "application/ssml+xml":
            return text_reply(415, "Unsupported media type")
        rate = FORMATS.get(request.headers.get("x-microsoft-outputformat", ""))
        if rate is None or not request.headers.get("user-agent"):
            return text_reply(400, "Bad request: output format or user agent")
        return self.speak(request, rate)

    def speak(self, request: Request, rate: int) -> Reply:
        try:
            speak = ET.fromstring(request.body)
        except ET.ParseError as exc:
            return text_reply(400, f"SSML is not well formed: {exc}")
        voice = speak.find(f"{NS}voice")
        if speak.tag != f"{NS}speak" or voice is None or voice.get("name") not in VOICES:
            return text_reply(400, "Unsupported voice or SSML")
        for prosody in voice.iter(f"{NS}prosody"):
            change = re.fullmatch(r"([+-]\d+)%", prosody.get("rate", ""))
            if change is None or not 0.5 <= 1 + int(change.group(1)) / 100 <= 2:
                return text_reply(400, "prosody rate out of range")
        return 200, [("Content-Type", "audio/x-wav")], tone_wav(rate)

    def spoken_text(self, request: Request) -> str:
        """The text the SSML of ``request`` speaks (entities resolved)."""
        return "".join(ET.fromstring(request.body).itertext())
