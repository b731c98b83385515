"""``/v3/agent``: the agents of ``autodialer`` campaigns (autocall's own; docs/api-agents.md).

The five routes every catalog kind has (dialer/api/v3/resource.py), in the same words, with the
listing's filters (``group``, ``status``), plus the status actions: log in, log out, and any status
(``On Break``). An agent's view is what the operator wrote, the names mod_callcenter knows it by,
and what mod_callcenter last said about it (``live``, written by the engine).
"""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call
from dialer.api.v3.agent_models import (
    AgentBody,
    AgentCreated,
    AgentPage,
    AgentQuery,
    AgentRef,
    AgentStatusBody,
    AgentStatusView,
    AgentUpdate,
    AgentView,
)
from dialer.api.v3.dialect import routes
from dialer.api.v3.types import EmptyBody
from dialer.domain.agents import Agent, AgentLive, callcenter_name, contact_of
from dialer.service import agents

TAG = "agents"
EVERY, ONE = "/v3/agent", "/v3/agent/{agent_uuid}"


def view(agent: Agent, live: AgentLive) -> dict[str, Any]:
    data = {
        **agent.model_dump(mode="json"),
        "callcenter_name": callcenter_name(agent),
        "callcenter_contact": contact_of(agent),
        "live": live.model_dump(mode="json"),
    }
    return AgentView.model_validate(data).model_dump(mode="json")


@routes.route("POST", EVERY, "Create an agent", body=AgentBody, response=AgentCreated, tag=TAG, errors=(400, 401, 409))
def create(call: Call) -> AgentCreated:
    agent = agents.create(call.services, call.body.given())
    return AgentCreated(agent_uuid=agent.agent_uuid)


@routes.route("GET", EVERY, "List agents (of a group, of a status)", query=AgentQuery, response=AgentPage, tag=TAG)
def listing(call: Call) -> dict[str, Any]:
    q: AgentQuery = call.query
    page, total = agents.page(call.services, group=q.group, status=q.status, limit=q.limit, offset=q.offset)
    live = agents.live(call.services, page)
    data = [view(a, live[a.agent_uuid]) for a in page]
    return {"data": data, "limit": q.limit, "offset": q.offset, "total": total}


@routes.route(
    "GET", ONE, "Get one agent, with what mod_callcenter says of it", response=AgentView, tag=TAG, errors=(401, 404)
)
def get(call: Call) -> dict[str, Any]:
    agent = agents.get(call.services, call.params["agent_uuid"])
    return view(agent, agents.live(call.services, [agent])[agent.agent_uuid])


@routes.route(
    "PUT",
    ONE,
    "Update an agent (fields left out keep their value)",
    body=AgentUpdate,
    response=AgentRef,
    tag=TAG,
    errors=(400, 401, 404, 409),
)
def update(call: Call) -> AgentRef:
    agents.update(call.services, call.params["agent_uuid"], call.body.given())
    return AgentRef(agent_uuid=call.params["agent_uuid"])


@routes.route(
    "DELETE", ONE, "Delete an agent no campaign names in its users", response=AgentRef, tag=TAG, errors=(401, 404, 409)
)
def delete(call: Call) -> AgentRef:
    agents.delete(call.services, call.params["agent_uuid"])
    return AgentRef(agent_uuid=call.params["agent_uuid"])


def _answer(agent: Agent) -> AgentStatusView:
    return AgentStatusView(agent_uuid=agent.agent_uuid, status=agent.status)


@routes.route(
    "POST",
    f"{ONE}/login",
    "Log the agent in: status Available (mod_callcenter offers it calls)",
    body=EmptyBody,
    body_optional=True,
    response=AgentStatusView,
    tag=TAG,
    errors=(400, 401, 404),
)
def login(call: Call) -> AgentStatusView:
    return _answer(agents.login(call.services, call.params["agent_uuid"]))


@routes.route(
    "POST",
    f"{ONE}/logout",
    "Log the agent out: status Logged Out (a call it is on goes on)",
    body=EmptyBody,
    body_optional=True,
    response=AgentStatusView,
    tag=TAG,
    errors=(400, 401, 404),
)
def logout(call: Call) -> AgentStatusView:
    return _answer(agents.logout(call.services, call.params["agent_uuid"]))


@routes.route(
    "PUT",
    f"{ONE}/status",
    "Set the agent's status: Available, On Break or Logged Out",
    body=AgentStatusBody,
    response=AgentStatusView,
    tag=TAG,
    errors=(400, 401, 404),
)
def put_status(call: Call) -> AgentStatusView:
    return _answer(agents.set_status(call.services, call.params["agent_uuid"], call.body.status))
