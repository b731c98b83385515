"""The agents on the live view (``GET /v3/live``, ``/live``): who is logged in, what mod_callcenter
says each is doing and since when, their calls, and which running campaigns they serve.

Two round trips whatever the number of agents (``store.agents.with_live``: the registry, then one
pipeline of every agent's hash and live hash; one when there is no agent); which campaigns an agent
serves is worked out from the running campaigns the snapshot has already read, at no cost.
How agents are counted: dialer/domain/agent_counts.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, Field

from dialer.domain.agent_counts import AgentTotals, count, current_status, epoch_ms, wrap_up_ends_ms
from dialer.domain.agents import AgentState, campaign_groups, campaign_users, serves
from dialer.domain.models import Campaign
from dialer.service.context import Services


class LiveAgent(BaseModel):
    """One agent now."""

    agent_uuid: str
    extension: str = Field(description="the FreeSWITCH user (mod_callcenter's <extension>@autocall)")
    name: str
    groups: list[str]
    status: str = Field(
        description="mod_callcenter's status once the engine heard one (callcenter_status), else the operator's"
    )
    requested_status: str = Field(description="the status the operator set (/v3/agent's status)")
    status_since_ms: int = Field(description="when mod_callcenter last changed the status (epoch ms); 0: unknown")
    state: AgentState | None = Field(description="mod_callcenter's state; null before the engine heard any")
    state_since_ms: int = Field(description="when the state last changed (epoch ms); 0: unknown")
    wrap_up_ends_ms: int = Field(
        description="a Waiting agent in wrap-up: when it is offered calls again (epoch ms); 0: not in wrap-up"
    )
    calls_answered: int = Field(description="calls bridged to the agent, as the live state counts them")
    talk_time: int = Field(description="seconds bridged to callers, summed")
    no_answer_count: int = Field(description="calls in a row the agent let ring out")
    campaigns: list[str] = Field(description="the running autodialer campaigns it serves (uuids, listing order)")


def agents_now(svc: Services, campaigns: Sequence[Campaign], now_ms: int) -> tuple[list[LiveAgent], AgentTotals]:
    """Every agent (creation order) and the totals; ``campaigns``: the running ones, in listing order."""
    pairs = svc.store.agents.with_live()
    named = [(c.campaign_uuid, set(campaign_users(c)), campaign_groups(c)) for c in campaigns]
    rows = [
        LiveAgent(
            agent_uuid=agent.agent_uuid,
            extension=agent.extension,
            name=agent.name,
            groups=agent.groups,
            status=current_status(agent, live),
            requested_status=agent.status.value,
            status_since_ms=epoch_ms(live.status_changed_at),
            state=live.state,
            state_since_ms=epoch_ms(live.state_changed_at),
            wrap_up_ends_ms=wrap_up_ends_ms(agent, live, now_ms),
            calls_answered=live.calls_answered,
            talk_time=live.talk_time,
            no_answer_count=live.no_answer_count,
            campaigns=[uuid for uuid, users, groups in named if serves(agent, users, groups)],
        )
        for agent, live in pairs
    ]
    return rows, count(pairs, now_ms)
