"""Request and response bodies of ``/v3/template`` (autocall's own; the seeds only refer to templates)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.fields import INTEGRAL
from dialer.api.v3.types import Name, Text, Uuid

STRICT = ConfigDict(strict=True, extra="forbid")


class TemplateUpdate(BaseModel):
    """PUT ``/v3/template/{template_uuid}``: any field left out (or null) keeps its value.
    Fields autocall sets itself (timestamps, ``placeholders``) are accepted, so a GET
    body can be sent back, and ignored."""

    model_config = STRICT
    template_name: Name | None = None
    template_uuid: Uuid | None = Field(None, description="POST: your own uuid for the template (409 if taken)")
    text: Text | None = Field(
        None, description="TTS text; plain text and {{ field }} placeholders only, filled from the lead's param"
    )
    audio_file: str | None = Field(
        None,
        max_length=255,
        description='a WAV file name in AUTOCALL_AUDIO_DIR (PCM 16-bit mono, 8 or 16 kHz); "" for none',
    )
    otp_field: str | None = Field(
        None, min_length=1, max_length=64, description="voice OTP: the param key holding the code (default otp)"
    )
    otp_repeat: Annotated[int, Field(ge=1, le=5), INTEGRAL] | None = Field(
        None, description="voice OTP: times the code is read (default 2)"
    )
    prompt_set_uuid: Uuid | None = Field(
        None,
        description="a complete recorded prompt set: numbers, OTP codes and [[name]] phrases are played from it; "
        '"" for none',
    )
    voice: str | None = Field(
        None,
        max_length=64,
        description='TTS / voice OTP: a configured voice (AUTOCALL_TTS_VOICES, docs/tts.md); "" for the default',
    )
    created_at: str | None = Field(None, max_length=64)
    updated_at: str | None = Field(None, max_length=64)
    placeholders: list[Any] | None = Field(None, max_length=1000)

    def given(self) -> dict[str, Any]:
        """The fields the client sent with a value (null counts as not sent)."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}


class TemplateBody(TemplateUpdate):
    """POST ``/v3/template``: ``template_name`` is required; every other field has a default."""

    template_name: Name


class TemplateCreated(BaseModel):
    template_uuid: str
    created: bool = True


class TemplateRef(BaseModel):
    template_uuid: str


class TemplateAudio(BaseModel):
    template_uuid: str
    audio_file: str = Field(description="template-<uuid>.wav, in AUTOCALL_AUDIO_DIR")
    seconds: float = Field(description="the audio's length")


class TemplateView(BaseModel):
    template_uuid: str
    template_name: str
    text: str
    placeholders: list[str] = Field(description="the fields the text uses, sorted: an import must give each in param")
    audio_file: str
    otp_field: str
    otp_repeat: int
    prompt_set_uuid: str
    voice: str = Field(description='the voice that speaks it ("" = the default voice)')
    created_at: datetime | None
    updated_at: datetime | None


class TemplatePage(BaseModel):
    data: list[TemplateView]
    limit: int
    offset: int
    total: int
