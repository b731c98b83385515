"""Agents of ``autodialer`` campaigns: create, list, read, update, delete, log in, log out, break; and
which agents a campaign's ``users`` and ``groups`` name.

An agent is a FreeSWITCH user mod_callcenter rings when a lead answers (docs/autodialer.md,
"Agents"). The operator writes its settings and its status; the engine pushes them into
mod_callcenter and writes back what mod_callcenter says (the live state, read only here).
Every refusal names the field and writes nothing; the writes are atomic (dialer/store/agents.py):
an extension is unique, an agent a campaign names in ``users`` is neither deleted nor renamed
under it.

Agents are not a catalog kind (dialer/service/catalog.py) although they are stored alike: they
have a second unique key (the extension), filters, status actions, live state and a version
the engines sync by, and campaigns name them in lists rather than through ``agent_uuid``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from dialer.domain.agents import (
    Agent,
    AgentLive,
    AgentStatus,
    campaign_groups,
    campaign_users,
    group_problem,
    user_key,
    user_problem,
)
from dialer.domain.enums import CampaignType
from dialer.domain.ids import new_uuid
from dialer.domain.models import Campaign
from dialer.service.catalog import local_now
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.schema_errors import schema_errors
from dialer.store.agents import Resolution
from dialer.store.errors import AgentTaken, NamedByCampaigns

# Set by autocall, never by a request: a body may carry them (echoing a GET), they are ignored.
READ_ONLY = frozenset({"created_at", "updated_at", "status_at", "live", "callcenter_name", "callcenter_contact"})
CREATE_FIRST = "create the agent first (POST /v3/agent)"


def _validated(values: dict[str, Any]) -> Agent:
    try:
        return Agent.model_validate(values)
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None


def _taken(exc: AgentTaken, extension: str) -> Conflict:
    if exc.field == "extension":
        return Conflict(f"extension {extension} is already taken by agent {exc.holder}")
    return Conflict("agent_uuid is already taken")


def _campaigns(exc: NamedByCampaigns) -> str:
    """How a refusal names the campaigns: 'campaign A', 'campaigns A, B'."""
    return f"campaign{'s' if len(exc.campaign_names) > 1 else ''} {', '.join(exc.campaign_names)}"


# -- operations ---------------------------------------------------------------------------------
def create(svc: Services, values: dict[str, Any]) -> Agent:
    """A new agent (status ``Logged Out`` unless given); its uuid may be chosen by the client.
    409 if the uuid or the extension is taken."""
    values = {k: v for k, v in values.items() if k not in READ_ONLY}
    uuid = values.pop("agent_uuid", "") or new_uuid()
    now = local_now(svc)
    agent = _validated({**values, "agent_uuid": uuid, "created_at": now, "updated_at": now, "status_at": now})
    try:
        svc.store.agents.create(agent, svc.now_ms())
    except AgentTaken as exc:
        raise _taken(exc, agent.extension) from None
    return agent


def get(svc: Services, uuid: str) -> Agent:
    agent = svc.store.agents.get(uuid)
    if agent is None:
        raise NotFound()
    return agent


def live(svc: Services, agents: list[Agent]) -> dict[str, AgentLive]:
    """What mod_callcenter last said about each agent, by uuid (empty before the engine heard anything)."""
    return svc.store.agents.live_many([a.agent_uuid for a in agents])


def page(
    svc: Services, *, group: str | None, status: AgentStatus | None, limit: int, offset: int
) -> tuple[list[Agent], int]:
    """Agents in creation order, optionally of one group and of one status: (the page, total matching)."""
    agents = svc.store.agents.all()
    if group is not None:
        agents = [a for a in agents if group in a.groups]
    if status is not None:
        agents = [a for a in agents if a.status is status]
    return agents[offset : offset + limit], len(agents)


def update(svc: Services, uuid: str, values: dict[str, Any], *, status_set: bool = False) -> Agent:
    """Change the fields given (a field left out keeps its value). An extension change is refused
    while a campaign names the agent by its old extension (409). ``status_set``: a status action
    (login, logout, break): the status counts as set even when it is the same (``status_at``: the
    engine pushes it into mod_callcenter again, undoing a break mod_callcenter gave)."""
    body_uuid = values.get("agent_uuid")
    if body_uuid and body_uuid.lower() != uuid.lower():
        raise Invalid.one("agent_uuid", "agent_uuid in the body differs from the one in the URL")
    values = {k: v for k, v in values.items() if k not in READ_ONLY and k != "agent_uuid"}
    now = local_now(svc)

    def change(current: Agent) -> Agent:
        new = _validated({**current.model_dump(), **values, "updated_at": now})
        if status_set or new.status is not current.status:
            new = new.model_copy(update={"status_at": now})
        return new

    try:
        return svc.store.agents.rewrite(uuid, change)
    except KeyError:
        raise NotFound() from None
    except AgentTaken as exc:
        raise _taken(exc, str(values.get("extension", ""))) from None
    except NamedByCampaigns as exc:
        raise Conflict(
            f"extension cannot change: the users of {_campaigns(exc)} name the agent by it; "
            "name it there by its agent_uuid, or remove it, first"
        ) from None


def set_status(svc: Services, uuid: str, status: AgentStatus) -> Agent:
    return update(svc, uuid, {"status": status}, status_set=True)


def login(svc: Services, uuid: str) -> Agent:
    """The agent takes calls: status ``Available``."""
    return set_status(svc, uuid, AgentStatus.AVAILABLE)


def logout(svc: Services, uuid: str) -> Agent:
    """The agent takes no call: status ``Logged Out``."""
    return set_status(svc, uuid, AgentStatus.LOGGED_OUT)


def take_break(svc: Services, uuid: str) -> Agent:
    """The agent is logged in but takes no call for now: status ``On Break``."""
    return set_status(svc, uuid, AgentStatus.ON_BREAK)


def delete(svc: Services, uuid: str) -> None:
    """Delete an agent no campaign names in its ``users`` (409 names the campaigns)."""
    try:
        svc.store.agents.delete(uuid)
    except KeyError:
        raise NotFound() from None
    except NamedByCampaigns as exc:
        raise Conflict(f"agent is named in the users of {_campaigns(exc)}: remove it there first") from None


# -- campaigns and their agents -------------------------------------------------------------------
def agents_for_campaign(svc: Services, campaign: Campaign) -> Resolution:
    """The agents an ``autodialer`` campaign's ``users`` and ``groups`` name (none for other types),
    and the users naming no agent."""
    return svc.store.agents.resolve(campaign_users(campaign), campaign_groups(campaign))


def campaign_problems(svc: Services, campaign: Campaign) -> list[tuple[str, str]]:
    """What is wrong with an ``autodialer`` campaign's ``users`` and ``groups``, per element: a user must
    name an existing agent (by extension or agent_uuid); a group must be a group name (one no agent
    is in yet is accepted: agents join groups later). Other campaign types do not use them."""
    if campaign.type is not CampaignType.AUTODIALER:
        return []
    users = campaign.users or []
    keys = [user_key(u) for u in users if user_problem(u) is None]
    missing = set(svc.store.agents.resolve(keys, []).missing_users) if keys else set()
    errors: list[tuple[str, str]] = []
    for i, user in enumerate(users):
        problem = user_problem(user)
        if problem is None and user_key(user) in missing:
            shown = json.dumps(user, ensure_ascii=False)
            problem = f"no agent has the extension or agent_uuid {shown}: {CREATE_FIRST}"
        if problem:
            errors.append((f"users.{i}", problem))
    for i, group in enumerate(campaign.groups or []):
        problem = group_problem(group)
        if problem:
            errors.append((f"groups.{i}", problem))
    return errors
