"""Query and response bodies of ``/v3/autocall/cdr`` and ``/v3/autocall/cdr.csv`` (autocall's own)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dialer.domain.cdr import Cdr
from dialer.service.cdrs import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

_CURSOR = re.compile(r"^[0-9]{1,15}:[0-9A-Za-z_.-]{1,128}$")


def _cursor(value: str) -> str:
    if not _CURSOR.match(value):
        raise ValueError("Does not match format '<end_ms>:<call_id>' (the next of the previous page)")
    return value


Date = Field(
    None,
    max_length=40,
    description="YYYY-MM-DD HH:MM:SS (or YYYY-MM-DD) in the campaign's time zone, "
    "or ISO 8601 with an offset (2026-12-01T00:00:00+07:00, Z)",
)


class CdrRange(BaseModel):
    model_config = ConfigDict(extra="ignore")
    campaign_uuid: str = Field(max_length=64)
    start_date: str | None = Date
    end_date: str | None = Field(None, max_length=40, description="inclusive to the second; a bare date: the whole day")


class CdrQuery(CdrRange):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="CDRs to skip; prefer the cursor, `after`")
    after: Annotated[str, Field(max_length=160), AfterValidator(_cursor)] | None = Field(
        None, description="the `next` of the previous page: the page starts after this CDR"
    )


class CsvQuery(CdrRange):
    bom: bool = Field(True, description="start with a UTF-8 byte-order mark (Excel needs it for Vietnamese)")


class CdrPage(BaseModel):
    data: list[Cdr]
    limit: int
    offset: int
    total: int = Field(description="CDRs in the whole range")
    next: str | None = Field(description="pass as `after` for the next page; null: no more")
