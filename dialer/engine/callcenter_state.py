"""What mod_callcenter says, as it says it: each agent's status and state, each queue's members.

mod_callcenter's ``CUSTOM callcenter::info`` events (dialer/esl/callcenter_events.py) come from the
autodialer node (AUTOCALL_AUTODIALER_NODE) through the reader greenlet: :meth:`CallcenterState.on_event`
only updates dicts, and hands the agents' live state to the writer's queue (``write_live``, never
Redis here: dialer/engine/writer.py) and the pacers' wake-ups to ``wake``. Pacing reads it each turn
(dialer/engine/agent_pacing.py):

* per agent (by mod_callcenter name): status, state, when its last call ended (its wrap-up runs from
  there), until when mod_callcenter will not offer it a call (``ready_time``), its no-answers; the
  times are this engine's clock when the event came, not FreeSWITCH's epochs (the two hosts' clocks
  may differ; an agent list's are not taken: an agent seeded in wrap-up counts as free);
* per queue, the members waiting, offered to an agent, or bridged, by the lead's channel uuid
  (``CC-Member-Session-UUID``: the leg's ``origination_uuid``), and, for a while after they leave,
  whether they talked to an agent (the call's outcome, dialer/engine/agent_pacing.py).

A pacer is woken when an agent of its campaign becomes free (Available and Waiting), when its
wrap-up ends, and when a member leaves the campaign's queue. The agents are seeded from
``callcenter_config agent list`` at each sync (callcenter_sync.py): only those no event was heard
about since the list was asked for, so an older list never undoes a newer event. The members are
forgotten when the node's connection drops (their events were missed): their calls then count as
ringing, the cautious side.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import gevent

from dialer.domain.agents import AgentState, LiveUpdate
from dialer.esl.callcenter import AgentRow
from dialer.esl.callcenter_events import (
    AgentOffering,
    AgentStateChange,
    AgentStatusChange,
    BridgeAgentEnd,
    BridgeAgentFail,
    BridgeAgentStart,
    MemberQueueEnd,
    MemberQueueStart,
    parse_event,
)

AVAILABLE = ("Available", "Available (On Demand)")
WAITING = AgentState.WAITING.value
# How mod_callcenter.c takes a failed offer (its hangup cause switch): no delay and no no-answer
# counted; the busy or reject delay; 5 s for an unregistered agent; anything else is a no-answer
NO_DELAY = ("LOSE_RACE", "ORIGINATOR_CANCEL")
BUSY = ("NORMAL_CIRCUIT_CONGESTION", "USER_BUSY")
REJECTED = "CALL_REJECTED"
UNREGISTERED = "USER_NOT_REGISTERED"
UNREGISTERED_DELAY_S = 5
# An agent whose phone is not registered is not counted free (nor logged in) for this long after each
# offer that failed so (mod_callcenter itself offers it a waiting lead every 5 s, and each failure
# extends it): a call placed for it would only reach another agent, or be abandoned. Its next bridge or
# status change (the operator logs it in again) ends it; so does this long without a failed offer, so
# a campaign whose only agents were unreachable dials again once a phone may be back.
UNREACHABLE_S = 60
LEFT_KEPT = 10_000  # members that left, remembered for their call's outcome (the oldest go first)


@dataclass(slots=True)
class AgentView:
    status: str = ""
    state: str = ""
    last_bridge_end: float = 0.0  # epoch s (this engine's clock): its wrap-up runs from here
    ready_time: float = 0.0  # epoch s (this engine's clock): not offered a call before
    unreachable_until: float = 0.0  # epoch s (this engine's clock): its phone was not registered (UNREACHABLE_S)
    no_answer_count: int = 0
    heard: int = 0  # the event count when this agent was last heard of (seeds older than it are ignored)


@dataclass(slots=True)
class Member:
    session: str  # the lead's channel uuid
    offered: bool = False
    bridged: bool = False


@dataclass(frozen=True, slots=True)
class FreeAgents:
    free: int  # Available, Waiting, past wrap-up and ready_time
    logged_in: int  # Available, any state (an unreachable phone aside)
    wrap_up_ends: tuple[float, ...]  # Available and Waiting, but not before these (epoch s)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    waiting: int  # in the queue, not bridged (offered ones included)
    offered: int  # of them, an agent rings for
    bridged: int


def _time(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _state(value: str) -> AgentState | None:
    try:
        return AgentState(value)
    except ValueError:  # a state this version does not know: not written
        return None


class CallcenterState:
    def __init__(
        self,
        *,
        write_live: Callable[[str, LiveUpdate], None],
        wake_agent: Callable[[str], None],
        wake_queue: Callable[[str], None],
        wrap_up_of: Callable[[str], int],
        retry_delay_s: int = 0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # the agents' no_answer/busy/reject_delay_time, as the sync pushed them (callcenter_plan.py)
        self.retry_delay_s = retry_delay_s
        self.write_live = write_live  # (agent name, update): onto the writer's queue
        self.wake_agent = wake_agent  # the pacers of the campaigns this agent serves
        self.wake_queue = wake_queue  # the pacer of the campaign of this queue
        self.wrap_up_of = wrap_up_of  # the agent's wrap_up_time (s), as the operator set it
        self.clock = clock
        self.agents: dict[str, AgentView] = {}
        self.members: dict[str, dict[str, Member]] = {}  # queue -> session -> member
        self.left: OrderedDict[str, bool] = OrderedDict()  # session -> it talked to an agent
        self.heard = 0  # events handled (seeds compare with it)

    # -- events (the reader's greenlet: dicts only) ------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        cc = parse_event(event)
        if cc is None:
            return
        self.heard += 1
        now = self.clock()
        if isinstance(cc, AgentStatusChange):
            view = self._agent(cc.agent)
            view.status = cc.status
            view.unreachable_until = 0.0  # logged in again: its phone is worth a call
            self.write_live(cc.agent, LiveUpdate(callcenter_status=cc.status, status_changed_at=_time(now)))
            self._maybe_free(cc.agent, view)
        elif isinstance(cc, AgentStateChange):
            view = self._agent(cc.agent)
            view.state = cc.state
            state = _state(cc.state)
            if state is not None:
                self.write_live(cc.agent, LiveUpdate(state=state, state_changed_at=_time(now)))
            self._maybe_free(cc.agent, view)
        elif isinstance(cc, MemberQueueStart):
            self.members.setdefault(cc.queue, {})[cc.session] = Member(cc.session)
        elif isinstance(cc, AgentOffering):
            member = self.members.get(cc.queue, {}).get(cc.session)
            if member is not None:
                member.offered = True
        elif isinstance(cc, BridgeAgentStart):
            self._bridged(cc, now)
        elif isinstance(cc, BridgeAgentFail):
            self._failed(cc)
        elif isinstance(cc, BridgeAgentEnd):
            self._bridge_ended(cc)
        elif isinstance(cc, MemberQueueEnd):
            self._member_left(cc)

    def _agent(self, name: str) -> AgentView:
        view = self.agents.get(name)
        if view is None:
            view = self.agents[name] = AgentView()
        view.heard = self.heard
        return view

    def _maybe_free(self, name: str, view: AgentView) -> None:
        if view.status in AVAILABLE and view.state == WAITING:
            self.wake_agent(name)

    def _bridged(self, cc: BridgeAgentStart, now: float) -> None:
        member = self.members.get(cc.queue, {}).get(cc.session)
        if member is not None:
            member.bridged = True
        view = self._agent(cc.agent)
        view.no_answer_count = 0  # mod_callcenter resets it when the agent answers
        view.unreachable_until = 0.0
        started = cc.agent_answered or int(now)
        self.write_live(
            cc.agent,
            LiveUpdate(
                last_call_uuid=cc.session[:64],
                last_bridge_start=_time(started),
                no_answer_count=0,
                add_calls_answered=1,
            ),
        )

    def _failed(self, cc: BridgeAgentFail) -> None:
        member = self.members.get(cc.queue, {}).get(cc.session)
        if member is not None:
            member.offered = False  # the next agent may be offered it
        view = self._agent(cc.agent)
        if cc.cause in NO_DELAY:
            return
        delay = UNREGISTERED_DELAY_S if cc.cause == UNREGISTERED else self.retry_delay_s
        if cc.cause == UNREGISTERED:
            view.unreachable_until = self.clock() + UNREACHABLE_S
            gevent.spawn_later(UNREACHABLE_S, self.wake_agent, cc.agent)
        if delay > 0:  # mod_callcenter sets the agent's ready_time: offered nothing until then
            view.ready_time = max(view.ready_time, self.clock() + delay)
            gevent.spawn_later(delay, self.wake_agent, cc.agent)
        if cc.cause not in BUSY and cc.cause not in (REJECTED, UNREGISTERED):
            view.no_answer_count += 1
            self.write_live(cc.agent, LiveUpdate(no_answer_count=view.no_answer_count))

    def _bridge_ended(self, cc: BridgeAgentEnd) -> None:
        view = self._agent(cc.agent)
        view.last_bridge_end = self.clock()  # its wrap-up, on this engine's clock (FreeSWITCH's may differ)
        ended = cc.ended or view.last_bridge_end
        talk = max(0.0, ended - cc.agent_answered) if cc.agent_answered else 0.0
        self.write_live(cc.agent, LiveUpdate(last_bridge_end=_time(ended), add_talk_time=int(talk)))
        wrap = self.wrap_up_of(cc.agent)
        if wrap > 0:  # mod_callcenter offers it nothing until then, and says nothing when the time comes
            gevent.spawn_later(wrap + 0.01, self.wake_agent, cc.agent)

    def _member_left(self, cc: MemberQueueEnd) -> None:
        queue = self.members.get(cc.queue)
        member = queue.pop(cc.session, None) if queue is not None else None
        if queue is not None and not queue:
            del self.members[cc.queue]
        talked = cc.cause == "Terminated" or (member is not None and member.bridged)
        self.left[cc.session] = talked
        while len(self.left) > LEFT_KEPT:
            self.left.popitem(last=False)
        self.wake_queue(cc.queue)

    # -- what pacing reads --------------------------------------------------------------------------
    def free_agents(self, names: list[str], now: float) -> FreeAgents:
        """Among ``names``: the free ones, the logged-in ones, and when those held by a wrap-up (or a
        ready_time) may be offered again."""
        free = logged_in = 0
        ends: list[float] = []
        for name in names:
            view = self.agents.get(name)
            if view is None or view.status not in AVAILABLE or view.unreachable_until > now:
                continue
            logged_in += 1
            if view.state != WAITING:
                continue
            ready = max(view.last_bridge_end + self.wrap_up_of(name), view.ready_time)
            if ready > now:
                ends.append(ready)
            else:
                free += 1
        return FreeAgents(free, logged_in, tuple(ends))

    def queue_counts(self, queue: str) -> QueueCounts:
        members = self.members.get(queue, {})
        bridged = sum(1 for m in members.values() if m.bridged)
        offered = sum(1 for m in members.values() if m.offered and not m.bridged)
        return QueueCounts(len(members) - bridged, offered, bridged)

    def joined(self, queue: str, legs: list[str]) -> bool:
        """One of these legs is, or was, a member of ``queue`` (the call is no longer just ringing)."""
        members = self.members.get(queue, {})
        return any(leg in members or leg in self.left for leg in legs)

    def talked(self, legs: list[str]) -> bool:
        """One of these legs talked to an agent (bridged now, or it left the queue after talking)."""
        if any(self.left.get(leg) for leg in legs):
            return True
        return any(m.bridged for members in self.members.values() for leg in legs if (m := members.get(leg)))

    # -- the node ------------------------------------------------------------------------------------
    def seed(self, rows: list[AgentRow], heard_before: int) -> list[str]:
        """Take ``agent list``'s rows (asked for when ``heard`` was ``heard_before``) for the agents
        nothing was heard of since; write their live state. Returns the names taken."""
        taken = []
        for row in rows:
            view = self.agents.get(row.name)
            if view is not None and view.heard > heard_before:
                continue  # an event newer than the list
            if view is not None and (view.status, view.state, view.no_answer_count) == (
                row.status,
                row.state,
                row.no_answer_count,
            ):
                continue  # nothing new to write
            view = self.agents[row.name] = AgentView(
                status=row.status,
                state=row.state,
                no_answer_count=row.no_answer_count,
                heard=heard_before,
                unreachable_until=view.unreachable_until if view is not None else 0.0,  # no list says so
            )
            state = _state(row.state)
            self.write_live(
                row.name,
                LiveUpdate(
                    callcenter_status=row.status[:64],
                    state=state,
                    no_answer_count=row.no_answer_count,
                    last_bridge_start=_time(row.last_bridge_start) if row.last_bridge_start else None,
                    last_bridge_end=_time(row.last_bridge_end) if row.last_bridge_end else None,
                ),
            )
            taken.append(row.name)
            self._maybe_free(row.name, view)
        return taken

    def forget_agent(self, name: str) -> None:
        self.agents.pop(name, None)

    def node_down(self) -> None:
        """The connection dropped: what happened to the members meanwhile is unknown."""
        self.members.clear()
