"""Bodies of ``/v3/autocall/import`` (seed 001) and autocall's bulk import."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.v3.types import Uuid

STRICT = ConfigDict(strict=True, extra="forbid")
Phone = Field(max_length=64)


class ImportBody(BaseModel):
    """One lead, dialled as soon as the campaign runs and its caps allow."""

    model_config = STRICT
    campaign_uuid: Uuid
    phone_number: str = Phone
    param: dict[str, Any] = Field(description='template fields, e.g. {"ten": "Nguyễn Văn A"}')
    external_id: str = Field(
        "",
        max_length=128,
        description="autocall: your customer id; a second import of "
        "the same id in the campaign is refused as a duplicate (so is a number "
        "of a lead with calls pending)",
    )


class Imported(BaseModel):
    call_id: str = Field(description="the uuid the first call will carry (origination_uuid, CDR, webhooks)")
    lead_uuid: str
    message: str = "success"


class BulkRow(BaseModel):
    """One row of a JSON bulk import: ``phone_number`` (or up to 5 ``phone_numbers``
    for serial / parallel / direct campaigns), ``param``, optional ``external_id``."""

    model_config = STRICT
    phone_number: str | None = Field(None, max_length=64)
    phone_numbers: list[str] | None = Field(None, max_length=5)
    param: dict[str, Any] = Field(default_factory=dict)
    external_id: str = Field("", max_length=128)


class BulkBody(BaseModel):
    model_config = STRICT
    campaign_uuid: Uuid | None = None
    leads: list[Any] = Field(max_length=1_000_000)


class BulkQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    campaign_uuid: Uuid | None = None
    with_leads: bool = Field(False, description="also answer each row's lead_uuid and call_id")


class RowError(BaseModel):
    row: int = Field(description="1 = the first data row (a CSV's header is not a row)")
    error: list[dict[str, str]]


class Duplicate(BaseModel):
    """A row not imported: its customer id is in the campaign, or one of its numbers belongs to a
    lead with calls pending (or to an earlier row): the same person is one lead."""

    row: int
    external_id: str
    lead_uuid: str = Field(description="the lead that already has this customer or number")
    phone_number: str | None = Field(
        None, description="only when a number is the duplicate: that number (national form)"
    )


class RowLead(BaseModel):
    row: int
    lead_uuid: str
    call_id: str


class BulkImported(BaseModel):
    campaign_uuid: str
    total: int
    imported: int
    duplicates: list[Duplicate]
    errors: list[RowError] = Field(description="at most 1000; errors_total counts them all")
    errors_total: int
    leads: list[RowLead] | None = None
    message: str = Field(description="success, or partial when some rows were refused")
