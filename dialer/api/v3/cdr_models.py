"""Query and response bodies of ``/v3/autocall/cdr`` and ``/v3/autocall/cdr.csv`` (autocall's own)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from dialer.service.cdrs import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET

_CURSOR = re.compile(r"^[0-9]{1,15}:[0-9A-Za-z_.-]{1,128}$")


def _cursor(value: str) -> str:
    if not _CURSOR.match(value):
        raise ValueError("Does not match format '<end_ms>:<call_id>' (the next of the previous page)")
    return value


Date = Field(None, max_length=40, description="YYYY-MM-DD HH:MM:SS (or YYYY-MM-DD) in the campaign's time zone, "
             "or ISO 8601 with an offset (2026-12-01T00:00:00+07:00, Z)")


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


class Cdr(BaseModel):
    call_id: str = Field(description="the call uuid (origination uuid; webhooks carry the same)")
    campaign_uuid: str
    lead_uuid: str
    external_id: str
    attempt: int = Field(description="1 = first attempt, 2 = first recall, ...")
    phone_numbers: list[str]
    answered_number: str
    caller_id: str = Field(description="the caller ID (hotline) the call showed")
    network: str
    start: str = Field(description="YYYY-MM-DD HH:MM:SS, campaign local time")
    answer: str = Field(description="empty when not answered")
    end: str
    start_ms: int
    answer_ms: int
    end_ms: int
    duration: int = Field(description="seconds from originate to hangup")
    billsec: int = Field(description="seconds talking")
    waitsec: int = Field(description="seconds ringing before answer or give-up")
    hangup_cause: str
    sip_status: str
    recall_status: str
    status: str = Field(description="the report key: answered, busy, not_available, no_answer, cancel, failed")
    reason: str
    dtmf: str
    recall_at: str = Field(description="when the recall this attempt scheduled is due; empty: none")
    recall_at_ms: int


class CdrPage(BaseModel):
    data: list[Cdr]
    limit: int
    offset: int
    total: int = Field(description="CDRs in the whole range")
    next: str | None = Field(description="pass as `after` for the next page; null: no more")
