"""Request and response bodies of ``/v3/agent`` (autocall's own: the agents of ``autodialer`` campaigns)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.v3.types import Integral, PageQuery, Uuid
from dialer.domain.agents import (
    CONTACT_MAX_LENGTH,
    EXTENSION_PATTERN,
    GROUP_MAX_LENGTH,
    MAX_GROUPS,
    AgentState,
    AgentStatus,
)

STRICT = ConfigDict(strict=True, extra="forbid")
EXTENSION = "the FreeSWITCH user the agent's phone registers as: 1 to 32 of 0-9 A-Z a-z _ . - (unique among agents)"
CONTACT = (
    'what mod_callcenter dials to reach the agent: a FreeSWITCH dial string without spaces or quotes; "" for '
    "user/<extension>"
)
STATUS = "mod_callcenter's status: Logged Out (takes no call), Available (takes calls), On Break"
Group = Annotated[str, Field(min_length=1, max_length=GROUP_MAX_LENGTH)]


class AgentUpdate(BaseModel):
    """PUT ``/v3/agent/{agent_uuid}``: any field left out (or null) keeps its value; ``groups`` is
    replaced as a whole. Fields autocall sets itself (``live``, ``callcenter_*``, timestamps) are
    accepted, so a GET body can be sent back, and ignored."""

    model_config = STRICT
    agent_uuid: Uuid | None = Field(None, description="POST: your own uuid for the agent (409 if taken)")
    extension: str | None = Field(
        None, max_length=32, description=EXTENSION, json_schema_extra={"pattern": EXTENSION_PATTERN}
    )
    name: str | None = Field(None, max_length=255, description="who the agent is (free text, no control character)")
    groups: list[Group] | None = Field(
        None, max_length=MAX_GROUPS, description="group names: a campaign's groups pick its agents by them"
    )
    contact: str | None = Field(None, max_length=CONTACT_MAX_LENGTH, description=CONTACT)
    status: AgentStatus | None = Field(None, description=f"{STATUS}; default Logged Out")
    wrap_up_time: Annotated[int, Integral(ge=0, le=3600)] | None = Field(
        None, description="s after a call before mod_callcenter offers the agent another (default 10)"
    )
    max_no_answer: Annotated[int, Integral(ge=0, le=100)] | None = Field(
        None,
        description="calls in a row the agent lets ring out before mod_callcenter puts it On Break (default 3; "
        "0: never)",
    )
    callcenter_name: str | None = Field(None, max_length=64)
    callcenter_contact: str | None = Field(None, max_length=CONTACT_MAX_LENGTH)
    live: dict[str, Any] | None = None
    created_at: str | None = Field(None, max_length=64)
    updated_at: str | None = Field(None, max_length=64)

    def given(self) -> dict[str, Any]:
        """The fields the client sent with a value (null counts as not sent)."""
        return {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}


class AgentBody(AgentUpdate):
    """POST ``/v3/agent``: ``extension`` is required."""

    extension: str = Field(max_length=32, description=EXTENSION, json_schema_extra={"pattern": EXTENSION_PATTERN})


class AgentStatusBody(BaseModel):
    """PUT ``/v3/agent/{agent_uuid}/status``."""

    model_config = STRICT
    status: AgentStatus = Field(description=STATUS)


class AgentCreated(BaseModel):
    agent_uuid: str
    created: bool = True


class AgentRef(BaseModel):
    agent_uuid: str


class AgentStatusView(BaseModel):
    agent_uuid: str
    status: AgentStatus


class AgentLiveView(BaseModel):
    """What mod_callcenter last said about the agent (written by the engine; empty until it said anything)."""

    state: AgentState | None = Field(description="mod_callcenter's state: Waiting is free for a call")
    state_changed_at: datetime | None
    callcenter_status: str = Field(description="the status mod_callcenter last reported (it may differ from status)")
    status_changed_at: datetime | None
    calls_answered: int
    no_answer_count: int = Field(description="calls in a row the agent let ring out")
    talk_time: int = Field(description="s talking to callers, summed")
    last_call_uuid: str
    last_bridge_start: datetime | None
    last_bridge_end: datetime | None


class AgentView(BaseModel):
    agent_uuid: str
    extension: str
    name: str
    groups: list[str]
    contact: str
    status: AgentStatus
    wrap_up_time: int
    max_no_answer: int
    callcenter_name: str = Field(description="the agent's name in mod_callcenter: <extension>@autocall")
    callcenter_contact: str = Field(description="what mod_callcenter dials: contact, else user/<extension>")
    created_at: datetime | None
    updated_at: datetime | None
    live: AgentLiveView


class AgentPage(BaseModel):
    data: list[AgentView]
    limit: int
    offset: int
    total: int


class AgentQuery(PageQuery):
    """``GET /v3/agent?group=&status=&limit=&offset=``."""

    group: str | None = Field(None, max_length=GROUP_MAX_LENGTH, description="only the agents of this group")
    status: AgentStatus | None = Field(None, description="only the agents of this status")
