"""Request and response bodies of ``/v3/campaign`` (seed 000), field for field."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.v3.types import EmptyBody, Integral, Name, PageQuery, Text, Url, Uuid
from dialer.domain.enums import CampaignStatus, CampaignType, PriorityRecall, RecallStatus, ScheduleRecall, TypeAutocall
from dialer.domain.models import MAX_CAMPAIGN_ID, NS_PER_DAY

Ns = Annotated[int, Integral(ge=0, le=NS_PER_DAY)]  # nanoseconds since local midnight
STRICT = ConfigDict(strict=True, extra="forbid")


class NetworkBody(BaseModel):
    """Per-network cap of simultaneous calls; 0 = no cap beyond ``concurrent_call``."""

    model_config = STRICT
    viettel: Annotated[int, Integral(ge=0)] = 0
    mobi: Annotated[int, Integral(ge=0)] = 0
    vina: Annotated[int, Integral(ge=0)] = 0
    tel: Annotated[int, Integral(ge=0)] = 0
    offnet: Annotated[int, Integral(ge=0)] = 0


class ScheduleBody(BaseModel):
    """Calling window per weekday in nanoseconds since local midnight (28800000000000 = 08:00)."""

    model_config = STRICT
    id: str | None = None
    domain_uuid: str | None = None
    campaign_uuid: str | None = None
    monday_start_time: Ns | None = None
    monday_end_time: Ns | None = None
    tuesday_start_time: Ns | None = None
    tuesday_end_time: Ns | None = None
    wednesday_start_time: Ns | None = None
    wednesday_end_time: Ns | None = None
    thursday_start_time: Ns | None = None
    thursday_end_time: Ns | None = None
    friday_start_time: Ns | None = None
    friday_end_time: Ns | None = None
    saturday_start_time: Ns | None = None
    saturday_end_time: Ns | None = None
    sunday_start_time: Ns | None = None
    sunday_end_time: Ns | None = None


class CampaignBody(BaseModel):
    """POST and PUT ``/v3/campaign``: every field of the seed. ``campaign_name`` and ``type``
    are required; any other field left out (or null) keeps its current value (PUT) or
    default (POST). Every field GET answers is accepted, so a GET body can be sent back:
    the ids (``campaign_uuid``, ``campaign_id``) may be chosen on POST and must match on
    PUT; the fields autocall sets itself (timestamps, names, domain, ``run_id``) are ignored."""

    model_config = STRICT
    campaign_name: Name
    type: CampaignType
    campaign_uuid: Uuid | None = Field(
        None, description="POST: your own uuid for the campaign (409 if taken); PUT: must be the one in the URL"
    )
    campaign_id: Annotated[int, Integral(ge=1, le=MAX_CAMPAIGN_ID)] | None = Field(
        None,
        description="autocall: POST: your own integer id (VBot's campaignId; 409 if taken); PUT: must be "
        "the campaign's",
    )
    description: Text | None = None
    active: bool | None = None
    concurrent_call: Annotated[int, Integral(ge=1, le=100_000)] | None = None
    ratio: Annotated[int, Integral(ge=0, le=1000)] | None = None
    carrier_uuid: Uuid | None = None
    call_center_queue_uuid: str | None = Field(None, max_length=64)
    template_uuid: Uuid | None = None
    recall_times: Annotated[int, Integral(ge=0, le=100)] | None = None
    limit_recall_duration: Annotated[int, Integral(ge=0)] | None = None
    schedule_recall: ScheduleRecall | None = None
    schedule_recall_duration: Annotated[int, Integral(ge=0, le=525_600)] | None = None
    hopper: Annotated[int, Integral(ge=0, le=100_000)] | None = None
    answer_callback_url: Url | None = None
    local_start_time: str | None = Field(None, max_length=16)
    local_end_time: str | None = Field(None, max_length=16)
    customer_order: str | None = Field(None, max_length=64)
    allow_manual_dial: bool | None = None
    allow_search_lead: bool | None = None
    enable_callback_alert: bool | None = None
    default_list_uuid: str | None = Field(None, max_length=64)
    script_uuid: str | None = Field(None, max_length=64)
    status: CampaignStatus | None = None
    created_at: str | None = Field(None, max_length=64)
    updated_at: str | None = Field(None, max_length=64)
    call_center_queue_strategy: str | None = Field(None, max_length=64)
    template_name: str | None = Field(None, max_length=255)
    carrier_name: str | None = Field(None, max_length=255)
    mode_call: Literal["direct", "serial", "parralel", "parallel"] | None = None
    network: NetworkBody | None = None
    run_id: str | None = Field(None, max_length=64)
    type_autocall: TypeAutocall | None = None
    call_timeout: Annotated[int, Integral(ge=1, le=600)] | None = None
    domain_uuid: str | None = Field(None, max_length=64)
    domain_name: str | None = Field(None, max_length=255)
    users: list[Any] | None = Field(None, max_length=1000)
    groups: list[Any] | None = Field(None, max_length=1000)
    statuses: list[Any] | None = Field(None, max_length=1000)
    schedules: list[ScheduleBody] | None = Field(None, max_length=7)
    priority_recall: PriorityRecall | None = None
    recall_status: list[RecallStatus] | None = Field(None, max_length=len(RecallStatus))
    enable_encrypt: bool | None = Field(
        None,
        description="lead numbers and fields encrypted at rest in Redis; "
        "refused unless the server has AUTOCALL_ENCRYPTION_KEY",
    )
    callback_url: Url | None = None
    orig_campaign_uuid: str | None = Field(None, max_length=64)
    # autocall's own
    time_zone: str | None = Field(None, max_length=64, description="IANA zone of the schedules; Asia/Ho_Chi_Minh")
    min_recall_duration: Annotated[int, Integral(ge=0)] | None = Field(
        None, description="answered calls shorter than this (s) recall"
    )
    webhook_format: Literal["native", "vbot", "vbot_call"] | None = Field(
        None, description="native (the CDR), vbot (VBot autocall history), vbot_call (VBot call history)"
    )
    voicemail_detection: bool | None = Field(None, description="detect a voicemail beep (FreeSWITCH avmd); true")
    dtmf_wait_ms: Annotated[int, Integral(ge=0, le=60_000)] | None = Field(
        None,
        description="after the message, wait this long (ms) for a key; 0: hang up at once (keys during the "
        "message count anyway)",
    )

    def given(self) -> dict[str, Any]:
        """The fields the client sent with a value (null counts as not sent)."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}


def _active_required(schema: dict[str, Any]) -> None:
    """Documented as it is served: ``active`` required, a boolean (without it, or null: 400 "active is missing")."""
    schema["required"] = ["active"]
    schema["properties"]["active"] = {"type": "boolean", "title": "Active"}


class ActiveBody(BaseModel):
    # Optional here so that a missing or null active gets the seed's own error from the handler.
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_active_required)
    active: bool | None = None


class RunBody(EmptyBody):
    """``/run/*`` takes ``{}`` (as the seed sends) or no body at all."""


class Created(BaseModel):
    campaign_uuid: str
    created: bool = True


class CampaignRef(BaseModel):
    campaign_uuid: str


class ActiveState(BaseModel):
    active: bool
    campaign_uuid: str


class CampaignView(BaseModel):
    """A campaign as ``GET /v3/campaign`` shows it, in the seed's field order, plus autocall's own."""

    domain_uuid: str
    campaign_uuid: str
    campaign_name: str
    type: str
    description: str
    active: bool
    concurrent_call: int
    ratio: int
    carrier_uuid: str
    call_center_queue_uuid: str
    template_uuid: str
    recall_times: int
    limit_recall_duration: int
    schedule_recall: str
    schedule_recall_duration: int
    hopper: int
    answer_callback_url: str
    local_start_time: str
    local_end_time: str
    customer_order: str
    allow_manual_dial: bool
    allow_search_lead: bool
    enable_callback_alert: bool
    default_list_uuid: str
    script_uuid: str
    status: str
    created_at: datetime | None
    updated_at: datetime | None
    call_center_queue_strategy: str
    template_name: str
    carrier_name: str
    mode_call: str
    network: dict[str, int]
    run_id: str
    type_autocall: str
    call_timeout: int
    domain_name: str
    users: list[Any] | None
    groups: list[Any] | None
    statuses: list[Any] | None
    schedules: list[dict[str, Any]] | None
    priority_recall: str
    recall_status: list[str]
    enable_encrypt: bool
    callback_url: str
    orig_campaign_uuid: str
    campaign_id: int = Field(description="autocall: the stable integer id (VBot dialect)")
    time_zone: str
    min_recall_duration: int
    webhook_format: str
    voicemail_detection: bool
    dtmf_wait_ms: int


class CampaignPage(BaseModel):
    data: list[CampaignView]
    limit: int
    offset: int
    total: int


class CampaignQuery(PageQuery):
    type: CampaignType | None = None
