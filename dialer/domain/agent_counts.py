"""How agents are counted on the live view and in /metrics: one rule for both (docs/live.md, "Agents").

An agent's **status** here is what mod_callcenter last reported (``AgentLive.callcenter_status``)
once the engine heard one, else what the operator asked for (``Agent.status``): mod_callcenter puts
an agent On Break by itself after ``max_no_answer`` calls rang out, and that is the status calls
follow. Its **state** is mod_callcenter's, or None before the engine heard any.

mod_callcenter sets an agent back to ``Waiting`` the moment a call ends, then skips it until
``last_bridge_end + wrap_up_time`` (its agent query), so a ``Waiting`` agent in wrap-up is not free:
**waiting** counts the free ones, **wrap_up** the others (as the autodialer's pacing does:
docs/autodialer.md, "What the engine counts"; mod_callcenter's tier state and ``ready_time`` are not
kept by autocall, so they are not looked at).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pydantic import BaseModel, Field

from dialer.domain.agents import Agent, AgentLive, AgentState, AgentStatus

# mod_callcenter's statuses that are offered calls (autocall sets only the first; an operator may set
# the other with fs_cli on an agent autocall keeps).
AVAILABLE = frozenset({AgentStatus.AVAILABLE.value, "Available (On Demand)"})


def epoch_ms(moment: datetime | None) -> int:
    """A stored time as epoch ms (0: none). A time without a zone is UTC, as the engine writes it."""
    if moment is None:
        return 0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def current_status(agent: Agent, live: AgentLive) -> str:
    """mod_callcenter's status once the engine heard one, else the operator's."""
    return live.callcenter_status or agent.status.value


def wrap_up_ends_ms(agent: Agent, live: AgentLive, now_ms: int) -> int:
    """When a ``Waiting`` agent's wrap-up ends, if it has not yet at ``now_ms`` (0: not in wrap-up)."""
    if live.state is not AgentState.WAITING or live.last_bridge_end is None:
        return 0
    ends = epoch_ms(live.last_bridge_end) + agent.wrap_up_time * 1000
    return ends if ends > now_ms else 0


class AgentTotals(BaseModel):
    """Every agent counted by the rule above."""

    agents: int = Field(0, description="every agent")
    logged_in: int = Field(0, description="status not Logged Out (Available or On Break)")
    available: int = Field(0, description="status Available: offered calls")
    waiting: int = Field(0, description="Available, state Waiting and past its wrap-up: free for a call now")
    wrap_up: int = Field(0, description="Available, state Waiting, still in its wrap-up: free when it ends")
    in_a_call: int = Field(0, description="state In a queue call (whatever the status)")
    on_break: int = Field(0, description="status On Break (set by the operator, or by mod_callcenter)")


def count(agents: Iterable[tuple[Agent, AgentLive]], now_ms: int) -> AgentTotals:
    totals = AgentTotals()
    for agent, live in agents:
        status = current_status(agent, live)
        totals.agents += 1
        totals.logged_in += status != AgentStatus.LOGGED_OUT.value
        totals.on_break += status == AgentStatus.ON_BREAK.value
        totals.in_a_call += live.state is AgentState.IN_A_QUEUE_CALL
        if status in AVAILABLE:
            totals.available += 1
            if live.state is AgentState.WAITING:
                if wrap_up_ends_ms(agent, live, now_ms):
                    totals.wrap_up += 1
                else:
                    totals.waiting += 1
    return totals


def by_status(agents: Iterable[tuple[Agent, AgentLive]]) -> dict[str, int]:
    """Agents per status: every status an operator sets (0 when none), and any other mod_callcenter reported."""
    out = dict.fromkeys((s.value for s in AgentStatus), 0)
    for agent, live in agents:
        status = current_status(agent, live)
        out[status] = out.get(status, 0) + 1
    return out


def by_state(agents: Iterable[tuple[Agent, AgentLive]]) -> dict[str, int]:
    """Logged-in agents per mod_callcenter state, every state (0 when none); ``Unknown`` before any event.
    A logged-out agent keeps whatever state mod_callcenter last gave it, which says nothing: left out."""
    out = dict.fromkeys((s.value for s in AgentState), 0)
    for agent, live in agents:
        if current_status(agent, live) == AgentStatus.LOGGED_OUT.value:
            continue
        state = (live.state or AgentState.UNKNOWN).value
        out[state] += 1
    return out
