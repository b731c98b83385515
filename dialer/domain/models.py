"""Campaign, carrier, template, lead and attempt (CDR): the one domain model.

Field names are the v3 API's (seeds/000); the queue and VBot dialects map
onto them. Models validate at the boundary; inside the engine they are plain
data. ``Campaign.to_redis``/``from_redis`` define how a campaign looks in its
Redis hash (scalars as text, structures as JSON), so an operator can read it
with ``redis-cli HGETALL``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from dialer.domain.enums import (
    CampaignStatus,
    CampaignType,
    ModeCall,
    Network,
    PriorityRecall,
    RecallStatus,
    ScheduleRecall,
    TypeAutocall,
)
from dialer.domain.ids import new_uuid

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"
# Every status of the seeds' lists but answered (cancel is not named: failed covers it, as in the seeds' lists).
DEFAULT_RECALL_STATUS: list[RecallStatus] = [
    s for s in RecallStatus if s not in (RecallStatus.ANSWERED, RecallStatus.CANCEL, RecallStatus.ABANDONED)
]
# An autodialer campaign's also recalls the people no agent took (docs/outcomes.md, "Autodialer calls").
AUTODIALER_RECALL_STATUS: list[RecallStatus] = [*DEFAULT_RECALL_STATUS, RecallStatus.ABANDONED]
# Campaign ids are VBot's integers (seed 003: campaignId) and must stay exact in Redis' Lua (doubles): int32.
MAX_CAMPAIGN_ID = 2**31 - 1


class NetworkCaps(BaseModel):
    """Per-network cap of simultaneous calls within a campaign; 0 = no cap."""

    model_config = ConfigDict(extra="ignore")
    viettel: int = Field(0, ge=0)
    mobi: int = Field(0, ge=0)
    vina: int = Field(0, ge=0)
    tel: int = Field(0, ge=0)
    offnet: int = Field(0, ge=0)

    def cap(self, network: Network) -> int:
        return getattr(self, network.value)


DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NS_PER_DAY = 86_400 * 10**9


class Schedule(BaseModel):
    """One weekly calling window set: nanoseconds since local midnight per weekday.

    A weekday whose start and end are both absent is closed; ``end`` 0 with a
    start means "until midnight".
    """

    model_config = ConfigDict(extra="ignore")
    id: str = ""  # set by autocall when stored (the v3 GET shows it)
    domain_uuid: str = ""
    campaign_uuid: str = ""
    monday_start_time: int | None = None
    monday_end_time: int | None = None
    tuesday_start_time: int | None = None
    tuesday_end_time: int | None = None
    wednesday_start_time: int | None = None
    wednesday_end_time: int | None = None
    thursday_start_time: int | None = None
    thursday_end_time: int | None = None
    friday_start_time: int | None = None
    friday_end_time: int | None = None
    saturday_start_time: int | None = None
    saturday_end_time: int | None = None
    sunday_start_time: int | None = None
    sunday_end_time: int | None = None

    def window(self, weekday: int) -> tuple[int, int] | None:
        day = DAYS[weekday]
        start = getattr(self, f"{day}_start_time")
        end = getattr(self, f"{day}_end_time")
        if start is None and end is None:
            return None
        start = start or 0
        end = end or NS_PER_DAY
        return (start, end) if end > start else None


class Carrier(BaseModel):
    """A trunk: per-network FreeSWITCH gateway and caller-ID (đầu số)."""

    model_config = ConfigDict(extra="forbid")
    carrier_uuid: str = Field(default_factory=new_uuid)
    carrier_name: str = ""
    # network -> gateway name / caller id; "offnet" is the fallback for a
    # network with no entry of its own.
    gateways: dict[Network, str] = Field(default_factory=dict)
    caller_ids: dict[Network, str] = Field(default_factory=dict)

    def route(self, network: Network) -> tuple[str, str] | None:
        gateway = self.gateways.get(network) or self.gateways.get(Network.OFFNET)
        if not gateway:
            return None
        caller_id = self.caller_ids.get(network) or self.caller_ids.get(Network.OFFNET, "")
        return gateway, caller_id


class Template(BaseModel):
    """The script: an audio file, text with ``{{field}}`` placeholders, or the
    voice-OTP settings (which ``param`` field holds the code, how often it is read)."""

    model_config = ConfigDict(extra="ignore")
    template_uuid: str = Field(default_factory=new_uuid)
    template_name: str = ""
    text: str = ""
    audio_file: str = ""  # a file name under AUTOCALL_AUDIO_DIR
    otp_field: str = "otp"  # the import ``param`` key whose value is the code
    otp_repeat: int = Field(2, ge=1, le=5)  # times the code is read
    prompt_set_uuid: str = ""  # a recorded prompt set: numbers, OTP codes and [[phrase]]s are played from it
    voice: str = Field("", max_length=64)  # a configured voice (AUTOCALL_TTS_VOICES); "" = the default voice
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def to_redis(self) -> dict[str, str]:
        return {k: "" if v is None else str(v) for k, v in self.model_dump(mode="json").items()}

    @classmethod
    def from_redis(cls, data: dict[str, str]) -> Template:
        return cls.model_validate({k: (None if v == "" and k.endswith("_at") else v) for k, v in data.items()})


class Campaign(BaseModel):
    """Every v3 campaign field (seeds/000), plus autocall's own (marked)."""

    model_config = ConfigDict(extra="ignore", use_enum_values=False)

    campaign_uuid: str = Field(default_factory=new_uuid)
    campaign_id: int = 0  # autocall: stable integer id (VBot answers with it)
    campaign_name: str
    type: CampaignType = CampaignType.AUTOCALL
    description: str = ""
    active: bool = True
    concurrent_call: int = Field(1, ge=1, le=100_000)
    ratio: int = 100
    carrier_uuid: str = ""
    call_center_queue_uuid: str = ""
    template_uuid: str = ""
    recall_times: int = Field(0, ge=0, le=100)
    limit_recall_duration: int = Field(0, ge=0)
    schedule_recall: ScheduleRecall = ScheduleRecall.MINUTE
    schedule_recall_duration: int = Field(0, ge=0)
    hopper: int = Field(0, ge=0, le=100_000)
    answer_callback_url: str = ""
    local_start_time: str = ""
    local_end_time: str = ""
    customer_order: str = ""
    allow_manual_dial: bool = False
    allow_search_lead: bool = False
    enable_callback_alert: bool = False
    default_list_uuid: str = ""
    script_uuid: str = ""
    status: CampaignStatus = CampaignStatus.STOP
    created_at: datetime | None = None
    updated_at: datetime | None = None
    call_center_queue_strategy: str = ""
    template_name: str = ""
    carrier_name: str = ""
    mode_call: ModeCall = ModeCall.DIRECT
    network: NetworkCaps = Field(default_factory=NetworkCaps)
    run_id: str = ""
    type_autocall: TypeAutocall = TypeAutocall.AUDIO
    call_timeout: int = Field(60, ge=1, le=600)
    domain_uuid: str = ""
    domain_name: str = ""
    users: list[Any] | None = None
    groups: list[Any] | None = None
    statuses: list[Any] | None = None
    schedules: list[Schedule] | None = None
    priority_recall: PriorityRecall = PriorityRecall.NORMAL
    recall_status: list[RecallStatus] = Field(default_factory=lambda: list(DEFAULT_RECALL_STATUS))
    enable_encrypt: bool = False
    callback_url: str = ""
    orig_campaign_uuid: str = ""
    # autocall's own fields
    time_zone: str = DEFAULT_TIME_ZONE
    min_recall_duration: int = Field(0, ge=0)  # 004: answered but shorter than this → recall-eligible
    webhook_format: str = "native"  # "native" | "vbot" | "vbot_call" (docs/webhooks-vbot.md)
    # freeswitch-conf/dialplan/autocall.xml: avmd (beep detection) while the message plays, and how
    # long to wait for a key after it (0: hang up when the message ends; keys during it count anyway)
    voicemail_detection: bool = True
    dtmf_wait_ms: int = Field(0, ge=0, le=60_000)

    JSON_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"network", "users", "groups", "statuses", "schedules", "recall_status"}
    )

    @model_validator(mode="before")
    @classmethod
    def _autodialer_recalls_abandoned(cls, data: Any) -> Any:
        """A new autodialer campaign given no recall_status recalls abandoned calls too; other types keep
        the seeds' default (abandoned never happens to them)."""
        if isinstance(data, dict) and data.get("recall_status") is None and data.get("type") == CampaignType.AUTODIALER:
            return {**data, "recall_status": list(AUTODIALER_RECALL_STATUS)}
        return data

    @field_validator("mode_call", mode="before")
    @classmethod
    def _accept_parallel(cls, value: Any) -> Any:
        return ModeCall.PARALLEL if value == "parallel" else value

    def recalls_on(self, status: RecallStatus) -> bool:
        """Whether an attempt that ended ``status`` is recalled. ``cancel`` is also recalled when ``failed`` is
        listed: the seeds' lists know no cancel (such a call was failed), and a list sent before autocall told
        them apart keeps recalling them."""
        if status is RecallStatus.CANCEL and RecallStatus.FAILED in self.recall_status:
            return True
        return status in self.recall_status

    def to_redis(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, value in self.model_dump(mode="json").items():
            if name in self.JSON_FIELDS:
                out[name] = json.dumps(value, separators=(",", ":"))
            elif isinstance(value, bool):
                out[name] = "true" if value else "false"
            elif value is None:
                out[name] = ""
            else:
                out[name] = str(value)
        return out

    @classmethod
    def from_redis(cls, data: dict[str, str]) -> Campaign:
        values: dict[str, Any] = {}
        for name, raw in data.items():
            if name in cls.JSON_FIELDS:
                values[name] = json.loads(raw) if raw else None
            elif raw == "" and name in ("created_at", "updated_at"):
                values[name] = None
            else:
                values[name] = raw
        if values.get("recall_status") is None:
            values.pop("recall_status", None)
        if values.get("network") is None:
            values.pop("network", None)
        return cls.model_validate(values)


class Lead(BaseModel):
    """A customer to call: one or more normalised numbers and template fields."""

    model_config = ConfigDict(extra="forbid")
    lead_uuid: str = Field(default_factory=new_uuid)
    campaign_uuid: str
    external_id: str = ""  # 004 customers.id / VBot phone list key
    numbers: list[str]  # national normal form, e.g. 0982596021
    networks: list[Network]
    fields: dict[str, Any] = Field(default_factory=dict)
    call_id: str = Field(default_factory=new_uuid)  # origination uuid of the first attempt
    max_attempts: int = Field(0, ge=0, le=101)  # VBot numberCall: this lead's attempts; 0 = recall_times + 1


class Attempt(BaseModel):
    """One finished attempt: the CDR autocall keeps and posts."""

    model_config = ConfigDict(extra="ignore")
    call_uuid: str
    campaign_uuid: str
    lead_uuid: str
    external_id: str = ""
    attempt: int  # 1 = first attempt, 2 = first recall, ...
    numbers: list[str]
    network: str
    answered_number: str = ""
    node: str = ""
    start_ms: int
    answer_ms: int = 0
    end_ms: int
    duration: int = 0  # s from originate to hangup
    billsec: int = 0  # s talking
    waitsec: int = 0  # s ringing before answer or give-up
    hangup_cause: str
    sip_status: str = ""
    recall_status: RecallStatus
    report_key: str
    reason: str = ""
    dtmf: str = ""
    recall_at_ms: int = 0  # 0: no recall scheduled
