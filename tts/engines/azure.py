"""Azure AI Speech (vi-VN): ``cognitiveservices/v1`` with SSML, asked for a 16-bit mono PCM WAV at 8 or 16 kHz.

Sources ([doc]: Microsoft's documentation, source ``MicrosoftDocs/azure-ai-docs``; [3p]: third-party;
[unknown]: not found):

- [doc] https://learn.microsoft.com/en-us/azure/ai-services/speech-service/rest-text-to-speech:
  ``POST https://<region>.tts.speech.microsoft.com/cognitiveservices/v1`` with
  ``Ocp-Apim-Subscription-Key: <resource key>`` (or a bearer token from ``issueToken``: not used,
  the key header works on every endpoint and saves a round trip every 10 minutes),
  ``Content-Type: application/ssml+xml``, ``X-Microsoft-OutputFormat`` and a ``User-Agent`` (required,
  under 255 characters); the body is SSML; a 200's body is the audio in the asked format. Statuses:
  400 (a parameter missing or invalid; "a common reason is a header that's too long"), 401 (key
  invalid or for another region), 415 (wrong ``Content-Type``), 429 ("exceeded the quota or rate of
  requests allowed for your resource"), 502, 503. The error **body** is not documented: quoted, not
  parsed. Whether a 429 carries ``Retry-After`` is [unknown] (shown when it does).
- Output format [doc]: ``riff-8khz-16bit-mono-pcm`` (8 kHz) is in every version of the page's list;
  ``riff-16khz-16bit-mono-pcm`` (16 kHz) is in older versions and Microsoft's container docs, but the
  2024-09 page lists only ``raw-16khz-16bit-mono-pcm`` among its 16 kHz PCM formats: [unknown] whether
  it is still accepted; the WAV's own header gives the rate either way.
- SSML [doc] (speech-synthesis-markup-voice.md, "Adjust prosody"): ``<prosody rate>`` as a relative
  change ``-10%`` / ``+25%``; "the rate changes should be within 0.5 to 2 times the original audio":
  ``speed`` is that multiplier, sent as a percentage; at 1.0 no ``<prosody>`` is sent (SSML markup other
  than ``<speak>``/``<voice>`` is billed as characters). The text is XML-escaped; characters XML 1.0
  cannot hold (control codes) become spaces.
- Voices [doc] (language support): ``vi-VN-HoaiMyNeural`` (female, the default) and
  ``vi-VN-NamMinhNeural`` (male); any name is accepted (custom voices).
- Limits [doc] (quotas page): 10 minutes of audio per request; S0 200 transactions/s, F0 20 per 60 s.
"""

from __future__ import annotations

import re
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from pydantic import Field, SecretStr, field_validator, model_validator

from httpclient import Answer
from tts.engines.base import SynthesisError
from tts.engines.vendor_call import ApiUrl, Vendor, VendorConfig, limit_status, need_text, refused, snippet, speech

VENDOR = "Azure Speech"
OUTPUT_FORMATS = {8000: "riff-8khz-16bit-mono-pcm", 16000: "riff-16khz-16bit-mono-pcm"}
MEANINGS = {
    400: "bad request: a parameter or the SSML",
    401: "unauthorized: key invalid or not for this region",
    403: "forbidden",
    415: "unsupported media type",
    429: "quota or rate of requests exceeded",
    502: "bad gateway",
    503: "service unavailable",
}


class AzureConfig(VendorConfig):
    """Settings of the ``azure`` engine (docs/tts-vendors.md). ``region`` or ``url``, one of them."""

    engine: Literal["azure"] = "azure"
    voice: str = Field("vi-VN-HoaiMyNeural", min_length=1)
    language: str = Field("vi-VN", min_length=2)
    speed: float = 1.0
    rate: Literal[8000, 16000] = 8000
    key: SecretStr
    region: str | None = Field(None, pattern=r"^[a-z0-9]+$")  # e.g. southeastasia
    url: ApiUrl | None = None
    timeout: float = Field(10.0, gt=0, le=120)

    @field_validator("speed")
    @classmethod
    def _speed(cls, value: float) -> float:
        if not 0.5 <= value <= 2.0:
            raise ValueError(
                f"Azure's prosody rate is 0.5 to 2.0 times the voice's pace (1.0 = unchanged), got {value:g}"
            )
        return value

    @model_validator(mode="after")
    def _region_or_url(self) -> AzureConfig:
        if (self.region is None) == (self.url is None):
            raise ValueError("azure needs region (e.g. southeastasia) or url (the full endpoint), one of them")
        return self

    @property
    def endpoint(self) -> str:
        """The URL synthesis requests go to: ``url``, else the region's documented endpoint."""
        return self.url or f"https://{self.region}.tts.speech.microsoft.com/cognitiveservices/v1"


CONFIG = AzureConfig

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def prosody_rate(speed: float) -> str:
    """``speed`` (a multiplier) as SSML's relative rate: 0.9 → ``-10%``, 1.25 → ``+25%``."""
    return f"{round((speed - 1.0) * 100):+d}%"


def ssml(text: str, voice: str, language: str, speed: float) -> str:
    """The SSML document that speaks ``text`` (escaped) with ``voice`` at ``speed``."""
    spoken = escape(_NOT_XML.sub(" ", text), {'"': "&quot;", "'": "&apos;"})
    if speed != 1.0:
        spoken = f"<prosody rate={quoteattr(prosody_rate(speed))}>{spoken}</prosody>"
    return (
        f'<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang={quoteattr(language)}>'
        f"<voice name={quoteattr(voice)}>{spoken}</voice></speak>"
    )


class AzureEngine:
    """Azure AI Speech over its REST API (see the module docstring)."""

    name = "azure"

    def __init__(self, config: AzureConfig) -> None:
        self.config = config
        self.voice = config.voice
        self.url = config.endpoint
        self.output_format = OUTPUT_FORMATS[config.rate]
        self.settings = f"{self.url} {config.language} speed={config.speed:g} {self.output_format}"
        self.vendor = Vendor(VENDOR, config.timeout)

    def request(self, text: str) -> tuple[dict[str, str], bytes]:
        """(headers, SSML body) of the synthesis POST for ``text``."""
        headers = {
            "Ocp-Apim-Subscription-Key": self.config.key.get_secret_value(),
            "Content-Type": "application/ssml+xml",
            "X-Microsoft-OutputFormat": self.output_format,
        }
        body = ssml(text, self.config.voice, self.config.language, self.config.speed)
        return headers, body.encode("utf-8")

    def synthesize(self, text: str) -> tuple[bytes, int]:
        need_text(VENDOR, text)
        headers, body = self.request(text)
        answer = self.vendor.request("POST", self.url, headers, body)
        if answer.status != 200:
            raise self._refusal(answer)
        return speech(VENDOR, answer.body)

    def _refusal(self, answer: Answer) -> SynthesisError:
        detail = snippet(answer.body)
        meaning = MEANINGS.get(answer.status, "server error" if answer.status >= 500 else "unexpected status")
        return refused(
            f"{VENDOR} answered HTTP {answer.status} ({meaning}): {detail}", limit_status(answer.status), answer.headers
        )


def build(config: AzureConfig) -> AzureEngine:
    """The engine for ``config``."""
    return AzureEngine(config)
