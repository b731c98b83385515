"""One autodialer shift as a discrete-event simulation: leads, a mod_callcenter-like queue, agents.

In-process and deterministic (one seeded ``random.Random``, events ordered by time then by a
counter), no sockets, no clock but the simulation's. A pacer turn runs after every event and once a
simulated second (the engine's pacer wakes on events and polls every second): it builds
``PacingInputs`` from the state, asks ``decide()`` and originates what it says (the engine's other
limits, ``concurrent_call``, sps, windows, are not modelled).

A call: rings, then is answered by a human (``human_rate``), by a machine (``machine_rate``), fails
quickly (``fail_rate``: busy, unreachable, after ``fail_s``) or rings out (``no_answer_s``). Answered
calls ring ``ring_mean_s`` on average (gamma, shape 4) and join the queue at once. The queue works
as mod_callcenter with ``longest-idle-agent``: a member goes to the agent free longest; an agent that
frees takes the member waiting longest; no agent within ``max_wait_s`` ends the member as abandoned.
A machine's beep (uniform ``beep_s``) before an agent takes it ends it as voicemail; an agent who
takes a machine hangs up after ``machine_talk_s``. Talk times of humans are lognormal
(``talk_mean_s``, ``talk_sd_s``); every call is followed by ``wrap_s`` of wrap-up, during which the
agent is not offered calls (and is passed to decide() in ``wrap_up_ends``). Agents never log out,
never miss an offer and are offered instantly (no agent ring time).

Abandon figures: ``abandon_rate`` is what the engine sees and paces on (a machine that timed out in
the queue counts as abandoned, one an agent took as connected); ``true_abandon_rate`` counts humans
only.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from dataclasses import dataclass, field

from dialer.pacing.agents import Decision, PacingInputs, decide
from dialer.pacing.call_stats import CallStats, Outcome

HUMAN, MACHINE = "human", "machine"


@dataclass(frozen=True)
class Shift:
    leads: int = 2000
    agents: int = 10
    ratio: int = 100
    human_rate: float = 0.30
    machine_rate: float = 0.08
    fail_rate: float = 0.15
    ring_mean_s: float = 15.0
    no_answer_s: float = 30.0
    fail_s: float = 3.0
    talk_mean_s: float = 90.0
    talk_sd_s: float = 40.0
    machine_talk_s: float = 8.0
    beep_s: tuple[float, float] = (4.0, 15.0)
    wrap_s: float = 10.0
    max_wait_s: float = 5.0
    abandon_cap_pct: float = 3.0
    spread_z: float = 1.0  # decide()'s margin for chance (dialer/pacing/agents.py SPREAD_Z)
    seed: int = 1


@dataclass
class Result:
    shift: Shift
    attempts: int = 0
    humans: int = 0  # humans answered (true)
    connected_humans: int = 0
    abandoned_humans: int = 0
    seen_connected: int = 0  # as the engine records them
    seen_abandoned: int = 0
    voicemail: int = 0
    agent_busy_s: float = 0.0  # talk + wrap-up, all agents
    agent_talk_s: float = 0.0  # talk with humans
    length_s: float = 0.0
    decisions: int = 0
    modes: dict[str, int] = field(default_factory=dict)  # decisions that started calls, by mode

    @property
    def abandon_rate(self) -> float:
        seen = self.seen_connected + self.seen_abandoned
        return self.seen_abandoned / seen if seen else 0.0

    @property
    def true_abandon_rate(self) -> float:
        return self.abandoned_humans / self.humans if self.humans else 0.0

    @property
    def idle_share(self) -> float:
        """Share of the agents' logged-in time with no call and no wrap-up."""
        return 1.0 - self.agent_busy_s / (self.shift.agents * self.length_s) if self.length_s else 1.0

    @property
    def calls_per_agent_hour(self) -> float:
        return self.connected_humans / (self.shift.agents * self.length_s / 3600) if self.length_s else 0.0


@dataclass
class _Call:
    kind: str | None  # HUMAN, MACHINE, or None (never answered)
    ring_s: float
    queued: bool = False


def run(shift: Shift) -> Result:
    return _Sim(shift).run()


class _Sim:
    def __init__(self, shift: Shift) -> None:
        self.s = shift
        self.rng = random.Random(shift.seed)
        self.now = 0.0
        self.stats = CallStats(clock=lambda: self.now)
        self.events: list[tuple[float, int, str, int]] = []
        self.seq = 0
        self.calls: dict[int, _Call] = {}
        self.leads_left = shift.leads
        self.dialling = 0
        self.queue: deque[int] = deque()  # members waiting, longest first
        self.free: deque[int] = deque(range(shift.agents))  # agents free, longest idle first
        self.wrap_ends: dict[int, float] = {}  # agent -> end of its wrap-up
        self.talking: dict[int, tuple[int, float]] = {}  # agent -> (call, talk seconds)
        self.talks: dict[int, float] = {}  # agent in wrap-up -> the talk it follows
        self.dialled = 0  # call ids
        self.result = Result(shift)
        sigma2 = math.log(1 + (shift.talk_sd_s / shift.talk_mean_s) ** 2)
        self.talk_mu, self.talk_sigma = math.log(shift.talk_mean_s) - sigma2 / 2, math.sqrt(sigma2)

    def run(self) -> Result:
        self._at(0.0, "tick", 0)
        while self.events:
            self.now, _, kind, ident = heapq.heappop(self.events)
            getattr(self, "_on_" + kind)(ident)
            if self.leads_left:
                self._turn()
        return self.result

    def _at(self, t: float, kind: str, ident: int) -> None:
        self.seq += 1
        heapq.heappush(self.events, (t, self.seq, kind, ident))

    def _turn(self) -> None:
        decision = decide(self.inputs())
        self.result.decisions += 1
        n = min(decision.calls, self.leads_left)
        if n:
            self.result.modes[decision.mode] = self.result.modes.get(decision.mode, 0) + 1
        for _ in range(n):
            self._dial()

    def inputs(self) -> PacingInputs:
        return PacingInputs(
            now=self.now,
            ratio=self.s.ratio,
            free_agents=len(self.free),
            logged_in_agents=self.s.agents,
            dialling=self.dialling,
            waiting=len(self.queue),
            bridged=len(self.talking),
            figures=self.stats.figures(),
            wrap_up_ends=tuple(self.wrap_ends.values()),
            abandon_cap_pct=self.s.abandon_cap_pct,
            spread_z=self.s.spread_z,
        )

    def decision(self) -> Decision:
        return decide(self.inputs())

    def _dial(self) -> None:
        s, rng = self.s, self.rng
        self.leads_left -= 1
        self.dialling += 1
        self.result.attempts += 1
        self.dialled += 1
        ident = self.dialled
        draw = rng.random()
        if draw < s.human_rate + s.machine_rate:
            ring = min(rng.gammavariate(4.0, s.ring_mean_s / 4.0), s.no_answer_s - 0.1)
            self.calls[ident] = _Call(HUMAN if draw < s.human_rate else MACHINE, ring)
            self._at(self.now + ring, "answer", ident)
        else:
            quick = draw < s.human_rate + s.machine_rate + s.fail_rate
            self.calls[ident] = _Call(None, 0.0)
            self._at(self.now + (s.fail_s if quick else s.no_answer_s), "unanswered", ident)

    def _on_tick(self, _: int) -> None:
        if self.leads_left:
            self._at(self.now + 1.0, "tick", 0)

    def _on_unanswered(self, ident: int) -> None:
        self.dialling -= 1
        del self.calls[ident]
        self.stats.attempt(Outcome.UNANSWERED)

    def _on_answer(self, ident: int) -> None:
        self.dialling -= 1
        call = self.calls[ident]
        if call.kind == HUMAN:
            self.result.humans += 1
        if self.free:
            self._bridge(ident, self.free.popleft())
            return
        call.queued = True
        self.queue.append(ident)
        self._at(self.now + self.s.max_wait_s, "timeout", ident)
        if call.kind == MACHINE:
            self._at(self.now + self.rng.uniform(*self.s.beep_s), "beep", ident)

    def _leave_queue(self, ident: int) -> _Call | None:
        call = self.calls.get(ident)
        if call is None or not call.queued:
            return None  # bridged (or gone) before this event
        self.queue.remove(ident)
        del self.calls[ident]
        return call

    def _on_timeout(self, ident: int) -> None:
        call = self._leave_queue(ident)
        if call is None:
            return
        self.result.seen_abandoned += 1
        if call.kind == HUMAN:
            self.result.abandoned_humans += 1
        self.stats.attempt(Outcome.ABANDONED, call.ring_s)

    def _on_beep(self, ident: int) -> None:
        call = self._leave_queue(ident)
        if call is None:
            return
        self.result.voicemail += 1
        self.stats.attempt(Outcome.VOICEMAIL, call.ring_s)

    def _bridge(self, ident: int, agent: int) -> None:
        call = self.calls[ident]
        call.queued = False
        self.result.seen_connected += 1
        self.stats.attempt(Outcome.CONNECTED, call.ring_s)
        if call.kind == HUMAN:
            self.result.connected_humans += 1
            talk = self.rng.lognormvariate(self.talk_mu, self.talk_sigma)
            self.result.agent_talk_s += talk
        else:
            talk = self.s.machine_talk_s
        self.talking[agent] = (ident, talk)
        self._at(self.now + talk, "talk_end", agent)

    def _on_talk_end(self, agent: int) -> None:
        ident, talk = self.talking.pop(agent)
        del self.calls[ident]
        self.result.agent_busy_s += talk + self.s.wrap_s
        self.talks[agent] = talk
        self.wrap_ends[agent] = self.now + self.s.wrap_s
        self._at(self.now + self.s.wrap_s, "wrap_end", agent)
        self.result.length_s = max(self.result.length_s, self.now + self.s.wrap_s)

    def _on_wrap_end(self, agent: int) -> None:
        del self.wrap_ends[agent]
        # The wrap-up's length is known only now: the engine records handled calls at this point.
        self.stats.handled(self.talks.pop(agent), self.s.wrap_s)
        if self.queue:
            self._bridge(self.queue.popleft(), agent)
        else:
            self.free.append(agent)
