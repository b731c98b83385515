"""Field types shared by the v3 request models."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dialer.api.fields import Int, Integer, Integral, Name, Text
from dialer.domain.webhook_targets import control_problem

__all__ = ["UUID_PATTERN", "EmptyBody", "Int", "Integer", "Integral", "Name", "PageQuery", "Text", "Url", "Uuid"]

UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


def _uuid_or_empty(value: str) -> str:
    import re

    if value and not re.match(UUID_PATTERN, value):
        raise ValueError("Does not match format 'uuid'")
    return value.lower()


def _url_or_empty(value: str) -> str:
    if value and not value.startswith(("http://", "https://")):
        raise ValueError("Does not match format 'uri' (an http:// or https:// URL)")
    problem = control_problem(value)  # a CR/LF would split the webhook's request line
    if problem:
        raise ValueError(problem)
    return value


Uuid = Annotated[str, Field(max_length=36), AfterValidator(_uuid_or_empty)]  # a uuid, or "" for none
Url = Annotated[str, Field(max_length=2048), AfterValidator(_url_or_empty)]


class EmptyBody(BaseModel):
    """An action's body: ``{}`` or nothing (with ``body_optional``); any field is refused."""

    model_config = ConfigDict(strict=True, extra="forbid")


class PageQuery(BaseModel):
    """``?limit=&offset=`` of every v3 listing (campaigns, templates, carriers)."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(10, ge=1, le=1000)
    offset: int = Field(0, ge=0)
