"""mod_callcenter's tables (agents, tiers, members) and the names of its statuses and states.

mod_callcenter keeps everything in SQL (SQLite by default): these rows hold the same columns in
the same order (``agents_sql``, ``tiers_sql``, ``members_sql`` of mod_callcenter.c 1.10.12), so
``callcenter_config agent list`` prints what FreeSWITCH prints. Values are kept as the module
stores them: a status set as ``available`` stays ``available`` (the SQL that picks agents compares
case-sensitively, the checks before it do not), a column never written is NULL (None).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# AGENT_STATUS_CHART, AGENT_STATE_CHART, STATE_CHART (tiers), MEMBER_STATE_CHART, MEMBER_CANCEL_REASON_CHART
LOGGED_OUT, AVAILABLE, ON_DEMAND, ON_BREAK = "Logged Out", "Available", "Available (On Demand)", "On Break"
AGENT_STATUSES = ("Unknown", LOGGED_OUT, AVAILABLE, ON_DEMAND, ON_BREAK)
SELECTABLE = (AVAILABLE, ON_BREAK, ON_DEMAND)  # the statuses the dispatcher's SQL reads (case-sensitive)
WAITING, RECEIVING, IN_A_QUEUE_CALL, IDLE, RESERVED = "Waiting", "Receiving", "In a queue call", "Idle", "Reserved"
AGENT_STATES = ("Unknown", WAITING, RECEIVING, IN_A_QUEUE_CALL, IDLE, RESERVED)
NO_ANSWER, READY, OFFERING, ACTIVE_INBOUND, STANDBY = "No Answer", "Ready", "Offering", "Active Inbound", "Standby"
TIER_STATES = ("Unknown", NO_ANSWER, READY, OFFERING, ACTIVE_INBOUND, STANDBY)
M_WAITING, M_TRYING, M_ANSWERED, M_ABANDONED = "Waiting", "Trying", "Answered", "Abandoned"
CALLBACK, UUID_STANDBY = "Callback", "uuid-standby"
INSTANCE = "single_box"


def lookup(chart: tuple[str, ...], text: str) -> str | None:
    """``cc_*_str2*``: the chart's name equal to ``text`` ignoring case; None for Unknown or none."""
    low = text.lower()
    return next((name for name in chart[1:] if name.lower() == low), None)


def same(a: str | None, b: str) -> bool:
    """strcasecmp(a, b) == 0."""
    return a is not None and a.lower() == b.lower()


@dataclass
class Agent:
    """One row of ``agents``, in its columns' order."""

    name: str
    instance_id: str | None = INSTANCE
    uuid: str | None = None
    type: str | None = None
    contact: str | None = None
    status: str | None = LOGGED_OUT
    state: str | None = WAITING
    max_no_answer: int = 0
    wrap_up_time: int = 0
    reject_delay_time: int = 0
    busy_delay_time: int = 0
    no_answer_delay_time: int = 0
    last_bridge_start: int = 0
    last_bridge_end: int = 0
    last_offered_call: int = 0
    last_status_change: int = 0
    no_answer_count: int = 0
    calls_answered: int = 0
    talk_time: int = 0
    ready_time: int = 0
    external_calls_count: int = 0
    offered_seq: int = 0  # not a column: which of two offers in the same second came last


@dataclass
class Tier:
    queue: str
    agent: str
    state: str
    level: int = 1
    position: int = 1


@dataclass
class Member:
    """One row of ``members``, and what the member's session keeps beside it (not columns)."""

    queue: str
    instance_id: str
    uuid: str
    session_uuid: str
    cid_number: str
    cid_name: str
    system_epoch: int
    joined_epoch: int
    rejoined_epoch: int = 0
    bridge_epoch: int = 0
    abandoned_epoch: int = 0
    base_score: int = 0
    skill_score: int = 0
    serving_agent: str = ""
    serving_system: str = ""
    state: str = M_WAITING
    session: dict[str, Any] = field(default_factory=dict, repr=False)  # not a column


AGENT_COLUMNS = tuple(f.name for f in fields(Agent) if f.name != "offered_seq")
TIER_COLUMNS = tuple(f.name for f in fields(Tier))
MEMBER_COLUMNS = tuple(f.name for f in fields(Member) if f.name != "session")


def row(obj: Agent | Tier | Member, columns: tuple[str, ...]) -> list[str | None]:
    """The row as SQLite hands it to a callback: text, or None for NULL."""
    return [None if (v := getattr(obj, c)) is None else str(v) for c in columns]


@dataclass
class Tables:
    """The module's database: rows in insertion order (SQLite's rowid order)."""

    agents: dict[str, Agent] = field(default_factory=dict)
    tiers: list[Tier] = field(default_factory=list)
    members: dict[str, Member] = field(default_factory=dict)
    offers: int = 0  # counts offers (Agent.offered_seq)

    def tier(self, queue: str, agent: str) -> Tier | None:
        return next((t for t in self.tiers if t.queue == queue and t.agent == agent), None)

    def tiers_of(self, agent: str) -> list[Tier]:
        return [t for t in self.tiers if t.agent == agent]

    def in_queue(self, queue: str) -> list[tuple[Agent, Tier]]:
        """``agents LEFT JOIN tiers ON agents.name = tiers.agent WHERE tiers.queue = q``, in agent order."""
        by_agent: dict[str, list[Tier]] = {}
        for t in self.tiers:
            if t.queue == queue:
                by_agent.setdefault(t.agent, []).append(t)
        return [(a, t) for a in self.agents.values() for t in by_agent.get(a.name, ())]

    def waiting_count(self, queue: str) -> int:
        """members-count: the queue's members Waiting or Trying (``*``: every queue's)."""
        return sum(
            1 for m in self.members.values() if (queue == "*" or m.queue == queue) and m.state in (M_WAITING, M_TRYING)
        )
