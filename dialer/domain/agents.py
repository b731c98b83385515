"""An agent of an ``autodialer`` campaign: a FreeSWITCH user that mod_callcenter connects answered calls to.

Two parts, kept apart because two different writers own them:

* :class:`Agent`, what the operator writes (``/v3/agent``): the FreeSWITCH user
  (``extension``), the groups campaigns pick agents by, the dial string, the
  status the operator wants (mod_callcenter's own words), and the two
  mod_callcenter settings an operator tunes per agent;
* :class:`AgentLive`, what the engine writes from mod_callcenter's
  ``callcenter::info`` events (its state, its calls); the API shows it and never
  writes it.

mod_callcenter knows the agent as ``<extension>@autocall`` (:func:`callcenter_name`), so
autocall's agents never collide with the ones an operator keeps in ``callcenter.conf``,
and it dials :func:`contact_of`. A campaign names its agents in ``users`` (extensions or
agent uuids) and ``groups`` (group names): :func:`campaign_users`, :func:`campaign_groups`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dialer.domain.enums import CampaignType
from dialer.domain.ids import new_uuid
from dialer.domain.models import Campaign

CALLCENTER_DOMAIN = "autocall"  # the "@autocall" of every agent name autocall gives mod_callcenter
EXTENSION_PATTERN = r"^[0-9A-Za-z_.-]{1,32}$"
EXTENSION_RULE = "an extension is 1 to 32 characters of 0-9, A-Z, a-z, _ . and - (the FreeSWITCH user)"
MAX_GROUPS = 50  # per agent
GROUP_MAX_LENGTH = 64
CONTACT_MAX_LENGTH = 512
# A contact goes into ``callcenter_config agent set contact <name> <contact>``, whose arguments
# mod_callcenter splits at spaces (quotes and backslashes are its quoting): none of them in one.
_CONTACT_REFUSED = re.compile(r"[\s'\"\\\x00-\x1f\x7f-\x9f]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EXTENSION = re.compile(EXTENSION_PATTERN)
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class AgentStatus(StrEnum):
    """The statuses an operator sets, in mod_callcenter's words (its ``AGENT_STATUS_CHART``)."""

    LOGGED_OUT = "Logged Out"
    AVAILABLE = "Available"
    ON_BREAK = "On Break"


class AgentState(StrEnum):
    """What mod_callcenter says an agent is doing (its ``AGENT_STATE_CHART``): the engine writes it."""

    UNKNOWN = "Unknown"
    WAITING = "Waiting"  # free: mod_callcenter may offer it a call
    RECEIVING = "Receiving"  # being offered a call (ringing)
    IN_A_QUEUE_CALL = "In a queue call"
    IDLE = "Idle"  # wrap-up, or not taking calls
    RESERVED = "Reserved"


def extension_problem(value: str) -> str | None:
    """Why ``value`` cannot be an agent's extension (None: it can)."""
    return None if _EXTENSION.match(value) else f"{value[:40]!r} is not an extension: {EXTENSION_RULE}"


def contact_problem(value: str) -> str | None:
    """Why ``value`` cannot be a contact (None: it can; "" is the default ``user/<extension>``)."""
    if not value:
        return None
    bad = _CONTACT_REFUSED.search(value)
    if bad:
        return f"a contact is a FreeSWITCH dial string without spaces, quotes or backslashes (found {bad.group()!r})"
    if "/" not in value:
        return "a contact is a FreeSWITCH dial string such as user/1001 or sofia/gateway/gw1/0901234567"
    return None


class Agent(BaseModel):
    """What the operator writes about an agent (``/v3/agent``)."""

    model_config = ConfigDict(extra="ignore")
    agent_uuid: str = Field(default_factory=new_uuid)
    extension: str  # the FreeSWITCH user; unique among agents (the store keeps the index)
    name: str = Field("", max_length=255)
    groups: list[str] = Field(default_factory=list, max_length=MAX_GROUPS)
    contact: str = Field("", max_length=CONTACT_MAX_LENGTH)  # "" = user/<extension>
    status: AgentStatus = AgentStatus.LOGGED_OUT
    # mod_callcenter's own: seconds before the agent is offered another call; no-answers in a row
    # before mod_callcenter puts the agent On Break itself (0: never).
    wrap_up_time: int = Field(10, ge=0, le=3600)
    max_no_answer: int = Field(3, ge=0, le=100)
    created_at: datetime | None = None
    updated_at: datetime | None = None
    # When the operator last set ``status`` (a login, logout or break, or a write that changed it): the
    # engine pushes the status into mod_callcenter again then, and only then (docs/autodialer.md, "The engine")
    status_at: datetime | None = None

    @field_validator("agent_uuid")
    @classmethod
    def _uuid(cls, value: str) -> str:
        return value.lower()  # campaigns name agents by uuid in any case: one spelling is kept

    @field_validator("extension")
    @classmethod
    def _extension(cls, value: str) -> str:
        problem = extension_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        bad = _CONTROLS.search(value)
        if bad:
            raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed in a name")
        return value

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        for group in value:
            if not group or len(group) > GROUP_MAX_LENGTH or _CONTROLS.search(group):
                raise ValueError(
                    f"{group[:40]!r} is not a group name: 1 to {GROUP_MAX_LENGTH} characters, no control character"
                )
        return list(dict.fromkeys(value))  # each group once, in the order given

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: str) -> str:
        problem = contact_problem(value)
        if problem:
            raise ValueError(problem)
        return value


class AgentLive(BaseModel):
    """What the engine learnt from mod_callcenter about an agent (never written by the API).

    Field names are mod_callcenter's where it has one (its ``agents`` table).
    ``callcenter_status`` is the status mod_callcenter last reported: it differs from the
    operator's :attr:`Agent.status` when mod_callcenter changed it itself (``max_no_answer``
    no-answers in a row put the agent On Break).
    """

    model_config = ConfigDict(extra="ignore")
    state: AgentState | None = None
    state_changed_at: datetime | None = None
    callcenter_status: str = ""
    status_changed_at: datetime | None = None
    calls_answered: int = 0
    no_answer_count: int = 0
    talk_time: int = 0  # s bridged to callers, summed
    last_call_uuid: str = ""  # the lead's call (its channel uuid) last bridged to the agent
    last_bridge_start: datetime | None = None
    last_bridge_end: datetime | None = None


class LiveUpdate(BaseModel):
    """What one mod_callcenter event tells about an agent: the fields given (not None) are written,
    the others kept; the ``add_*`` ones are added to the counters (``bridge-agent-start``: one more
    call answered)."""

    model_config = ConfigDict(extra="forbid")
    state: AgentState | None = None
    state_changed_at: datetime | None = None
    callcenter_status: str | None = Field(None, max_length=64)
    status_changed_at: datetime | None = None
    no_answer_count: int | None = Field(None, ge=0)
    last_call_uuid: str | None = Field(None, max_length=64)
    last_bridge_start: datetime | None = None
    last_bridge_end: datetime | None = None
    add_calls_answered: int = Field(0, ge=0)
    add_talk_time: int = Field(0, ge=0)

    def fields(self) -> dict[str, str]:
        """The fields to write, as their Redis text (times in RFC 3339)."""
        data = self.model_dump(mode="json", exclude_none=True, exclude={"add_calls_answered", "add_talk_time"})
        return {k: str(v) for k, v in data.items()}

    def increments(self) -> dict[str, int]:
        adds = {"calls_answered": self.add_calls_answered, "talk_time": self.add_talk_time}
        return {k: v for k, v in adds.items() if v}


def callcenter_name(agent: Agent) -> str:
    """The agent's name in mod_callcenter: ``<extension>@autocall``."""
    return f"{agent.extension}@{CALLCENTER_DOMAIN}"


def extension_of(name: str) -> str | None:
    """The extension of a mod_callcenter agent name autocall gave (None: not one of autocall's agents)."""
    extension, at, domain = name.rpartition("@")
    if not at or domain != CALLCENTER_DOMAIN or extension_problem(extension):
        return None
    return extension


def status_push(agent: Agent) -> str:
    """The operator's status and when it was set: what the engine records as pushed into mod_callcenter
    (``agents:pushed``), so the same status set again (a login after mod_callcenter's break) is a new push."""
    return f"{agent.status.value}|{agent.status_at.isoformat() if agent.status_at else ''}"


def contact_of(agent: Agent) -> str:
    """The dial string mod_callcenter rings the agent on: its contact, else ``user/<extension>``."""
    return agent.contact or f"user/{agent.extension}"


# -- a campaign's agents: its ``users`` and ``groups`` ------------------------------------------
def user_problem(user: Any) -> str | None:
    """Why an element of a campaign's ``users`` names no agent at all (None: it is a well-formed name)."""
    if isinstance(user, bool) or not isinstance(user, int | str):
        return "a user is an agent's extension (a string or an integer) or its agent_uuid"
    text = str(user)
    if _UUID.match(text.lower()) or not extension_problem(text):
        return None
    return f"{text[:40]!r} is neither an agent_uuid nor an extension: {EXTENSION_RULE}"


def group_problem(group: Any) -> str | None:
    """Why an element of a campaign's ``groups`` is not a group name (None: it is one)."""
    if not isinstance(group, str) or not group or len(group) > GROUP_MAX_LENGTH:
        return f"a group is a group name: a string of 1 to {GROUP_MAX_LENGTH} characters"
    return None


def user_key(user: int | str) -> str:
    """How a campaign's user is looked up: an extension as text, a uuid in lower case."""
    text = str(user)
    return text.lower() if _UUID.match(text.lower()) else text


def campaign_users(campaign: Campaign) -> list[str]:
    """The well-formed users an ``autodialer`` campaign names, as lookup keys, each once (none for other types)."""
    if campaign.type is not CampaignType.AUTODIALER:
        return []
    users = [user_key(u) for u in campaign.users or [] if user_problem(u) is None]
    return list(dict.fromkeys(users))


def serves(agent: Agent, users: Collection[str], groups: Collection[str]) -> bool:
    """Whether a campaign whose ``users`` are these lookup keys (:func:`campaign_users`) and whose
    ``groups`` are these names (:func:`campaign_groups`) is served by the agent."""
    return agent.agent_uuid in users or agent.extension in users or not set(groups).isdisjoint(agent.groups)


def campaign_groups(campaign: Campaign) -> list[str]:
    """The group names an ``autodialer`` campaign names, each once (none for other types)."""
    if campaign.type is not CampaignType.AUTODIALER:
        return []
    return list(dict.fromkeys(g for g in campaign.groups or [] if group_problem(g) is None))


def named_agents(agents: list[Agent], users: Iterable[str], groups: Iterable[str]) -> tuple[list[Agent], list[str]]:
    """The ``agents`` that ``users`` (lookup keys: :func:`user_key`) or ``groups`` name, in the order of
    ``agents``, each once; and the users naming none of them."""
    by_key = {key: a for a in agents for key in (a.agent_uuid, a.extension)}
    chosen: set[str] = set()
    missing: list[str] = []
    for user in users:
        agent = by_key.get(user)
        if agent is None:
            missing.append(user)
        else:
            chosen.add(agent.agent_uuid)
    wanted = set(groups)
    chosen |= {a.agent_uuid for a in agents if wanted.intersection(a.groups)}
    return [a for a in agents if a.agent_uuid in chosen], missing


def campaign_agents(agents: list[Agent], campaign: Campaign) -> list[Agent]:
    """The agents of ``agents`` an autodialer campaign's ``users`` and ``groups`` name (none for other types)."""
    return named_agents(agents, campaign_users(campaign), campaign_groups(campaign))[0]
