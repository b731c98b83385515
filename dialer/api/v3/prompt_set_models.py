"""Request and response bodies of ``/v3/prompt-set`` (autocall's own: recorded prompt sets)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.v3.types import Name, Uuid

STRICT = ConfigDict(strict=True, extra="forbid")


class PromptSetUpdate(BaseModel):
    """PUT ``/v3/prompt-set/{prompt_set_uuid}``: any field left out (or null) keeps its value. Fields
    autocall sets itself (the recordings, ``missing``, timestamps...) are accepted, so a GET body can be
    sent back, and ignored: recordings are uploaded one by one."""

    model_config = STRICT
    prompt_set_name: Name | None = None
    prompt_set_uuid: Uuid | None = Field(None, description="POST: your own uuid for the set (409 if taken)")
    prompts: dict[str, Any] | None = None
    missing: list[Any] | None = Field(None, max_length=1000)
    complete: bool | None = None
    words: dict[str, Any] | None = None
    created_at: str | None = Field(None, max_length=64)
    updated_at: str | None = Field(None, max_length=64)

    def given(self) -> dict[str, Any]:
        """The fields the client sent with a value (null counts as not sent)."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}


class PromptSetBody(PromptSetUpdate):
    """POST ``/v3/prompt-set``: ``prompt_set_name`` is required."""

    prompt_set_name: Name


class PromptSetCreated(BaseModel):
    prompt_set_uuid: str
    created: bool = True


class PromptSetRef(BaseModel):
    prompt_set_uuid: str


class RecordedPrompt(BaseModel):
    word: str = Field(description="what the recording says ([[name]] for a template's phrase)")
    seconds: float
    rate: int = Field(description="8000 or 16000 Hz")


class Words(BaseModel):
    required: dict[str, str] = Field(description="key -> the Vietnamese word or phrase: a set must record each")
    optional: dict[str, str] = Field(description="key -> word: played from the set when recorded, else spoken by TTS")


class PromptSetView(BaseModel):
    prompt_set_uuid: str
    prompt_set_name: str
    prompts: dict[str, RecordedPrompt] = Field(description="the keys recorded so far")
    missing: list[str] = Field(description="the required keys not recorded yet")
    complete: bool = Field(description="every required key is recorded: a template may name the set")
    words: Words
    created_at: datetime | None
    updated_at: datetime | None


class PromptSetPage(BaseModel):
    data: list[PromptSetView]
    limit: int
    offset: int
    total: int


class PromptUploaded(BaseModel):
    prompt_set_uuid: str
    key: str
    word: str
    seconds: float
    rate: int
    missing: list[str]
    complete: bool


class PromptDeleted(BaseModel):
    prompt_set_uuid: str
    key: str
    missing: list[str]
    complete: bool
