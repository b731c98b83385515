"""An ``autodialer`` campaign's agent figures in its report: the counters one attempt adds, and the
report object made of their sums (docs/autodialer.md, "Results and reports").

The counters go into the same hourly hash as the seed's report counters (``stats:<hour>``), in the
same write as the call's result; the report sums whole hours from them and, for the partial hours
at a range's edges, adds what :func:`queue_counters` makes of each CDR's own fields. One function
for both, so the two can never count differently.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CONNECTED = "q:connected"  # answered calls bridged to an agent
ABANDONED = "q:abandoned"  # answered calls no agent took (recall_status abandoned)
QUEUESEC = "q:queuesec"  # seconds those calls (both kinds) waited in the queue
AGENTSEC = "q:agentsec"  # seconds bridged to agents
# Per agent: the field's prefix, then the agent's extension (any text: it comes last).
AGENT_CALLS, AGENT_AGENTSEC, AGENT_QUEUESEC = "a:calls:", "a:agentsec:", "a:queuesec:"


def queue_counters(agent: str, queuesec: int, agentsec: int, abandoned: bool) -> dict[str, int]:
    """The report counters of one finished attempt, from its CDR's agent fields (nothing for an
    attempt that neither reached an agent nor was abandoned: every call of other campaign types)."""
    if abandoned:
        return {ABANDONED: 1, QUEUESEC: queuesec}
    if not agent:
        return {}
    return {
        CONNECTED: 1,
        QUEUESEC: queuesec,
        AGENTSEC: agentsec,
        AGENT_CALLS + agent: 1,
        AGENT_AGENTSEC + agent: agentsec,
        AGENT_QUEUESEC + agent: queuesec,
    }


def has_queue_figures(totals: Mapping[str, int]) -> bool:
    return bool(totals.get(CONNECTED) or totals.get(ABANDONED))


def autodialer_report(totals: Mapping[str, int]) -> dict[str, Any]:
    """The report's ``autodialer`` object from the summed counters: the campaign's answered humans,
    how many were abandoned and the rate, the queue and talk seconds, and each agent's figures
    (by extension)."""
    connected, abandoned = int(totals.get(CONNECTED, 0)), int(totals.get(ABANDONED, 0))
    humans = connected + abandoned
    agents: dict[str, dict[str, Any]] = {}
    for name, value in totals.items():
        for prefix, field in (
            (AGENT_CALLS, "calls"),
            (AGENT_AGENTSEC, "total_agentsec"),
            (AGENT_QUEUESEC, "total_queuesec"),
        ):
            if name.startswith(prefix):
                agent = name[len(prefix) :]
                figures = agents.setdefault(
                    agent, {"agent": agent, "calls": 0, "total_agentsec": 0, "total_queuesec": 0}
                )
                figures[field] += int(value)
    return {
        "humans": humans,
        "connected": connected,
        "abandoned": abandoned,
        # Regulators' figure: abandoned calls over live (human-answered) calls; machines do not count.
        "abandon_rate": round(abandoned / humans, 4) if humans else 0.0,
        "total_queuesec": int(totals.get(QUEUESEC, 0)),
        "total_agentsec": int(totals.get(AGENTSEC, 0)),
        "agents": [agents[name] for name in sorted(agents)],
    }
