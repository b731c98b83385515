"""``GET /v1/autocall/report`` (seed 001): a campaign's counters over a local-time range."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.api.v3.types import UUID_PATTERN
from dialer.service import reports

_UUID = re.compile(UUID_PATTERN)


class ReportQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    campaign_uuid: str = Field(max_length=64)
    start_date: str | None = Field(
        None,
        max_length=40,
        description="YYYY-MM-DD HH:MM:SS (or YYYY-MM-DD) in the "
        "campaign's time zone, or ISO 8601 with an offset (2026-12-01T00:00:00+07:00, Z)",
    )
    end_date: str | None = Field(None, max_length=40, description="same formats; inclusive to the second")


class ReportStatus(BaseModel):
    answered: int
    busy: int
    not_available: int
    no_answer: int
    cancel: int
    failed: int


class AgentFigures(BaseModel):
    agent: str = Field(description="the agent's extension")
    calls: int = Field(description="calls bridged to the agent")
    total_agentsec: int = Field(description="seconds the agent talked on them")
    total_queuesec: int = Field(description="seconds those calls waited in the queue before the agent answered")


class AutodialerFigures(BaseModel):
    humans: int = Field(description="answered calls a person answered: connected + abandoned (machines do not count)")
    connected: int = Field(description="answered calls bridged to an agent")
    abandoned: int = Field(description="answered calls no agent took (recall_status abandoned)")
    abandon_rate: float = Field(description="abandoned / humans, 4 decimals; 0.0 when there were none")
    total_queuesec: int = Field(description="seconds the humans waited in the agents' queue")
    total_agentsec: int = Field(description="seconds bridged to agents")
    agents: list[AgentFigures] = Field(description="each agent that took calls in the range, by extension")


class ReportData(BaseModel):
    status: ReportStatus
    total_calls: int
    total_duration: int = Field(description="seconds from originate to hangup")
    total_billsec: int = Field(description="seconds talking")
    total_waitsec: int = Field(description="seconds ringing before answer or give-up")
    recall_status: dict[str, int] = Field(description="autocall: the finer statuses, beside the seed's six")
    time_zone: str = Field(
        description="autocall: the campaign's IANA time zone, in which dates without an offset "
        "were read and hours are counted"
    )
    start_date: str = Field(description="autocall: the range counted, from (ISO 8601, the campaign's offset)")
    end_date: str = Field(description="autocall: the range counted, to (inclusive to the second)")
    autodialer: AutodialerFigures | None = Field(
        None, description="autocall: an autodialer campaign's agent figures (only for those campaigns)"
    )


class Report(BaseModel):
    data: ReportData


@routes.route(
    "GET",
    "/v1/autocall/report",
    "Campaign report over a time range",
    query=ReportQuery,
    response=Report,
    tag="report",
    errors=(400, 401, 404),
)
def report(call: Call) -> dict[str, Any]:
    q: ReportQuery = call.query
    uuid = q.campaign_uuid.lower() if _UUID.match(q.campaign_uuid) else ""
    return {"data": reports.report(call.services, uuid, q.start_date, q.end_date)}
