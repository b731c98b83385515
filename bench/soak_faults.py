"""Helpers of bench/soak.py: the daemon as a process, a restartable Redis with AOF, the fault schedule.

Each fault fires at a seeded originate count (as simswitch/faults.py's FaultPlan), but never
before autocall dials again after the previous one: a fault whose moment comes meanwhile waits for the
next originate after that, so each time to dial again is one fault's alone.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import gevent

from tests.conftest import free_port  # noqa: F401 - soak.py takes it from here
from tests.processes import AofRedis, Daemon  # noqa: F401 - soak.py takes them from here


@dataclass
class Fault:
    kind: str  # kill9 | esl_drop | fs_restart | redis_restart
    at: int  # the originate count it was planned at
    fired_at: int = 0  # the count it fired at (later when the previous fault was still recovering)
    t0: float = 0.0  # monotonic time it fired
    wall: float = 0.0  # seconds since the soak started
    back: float | None = None  # seconds until the faulty part was back (daemon started, FS listening, Redis up)
    dialling: float | None = None  # seconds until the first originate of an autocall call after it was back
    reconnect: float | None = None  # ESL drop: seconds until autocall's new Event Socket connection
    live: set[str] = field(default_factory=set)  # autocall calls up in the simulator when it fired
    settled: float | None = None  # seconds until every one of them had its CDR in Redis (-1: not in 180 s)


@dataclass
class Schedule:
    """The faults at seeded originate counts, one at a time: the next fires once the current one's
    part is back and autocall dialled again (the calls up at a fault may still be settling then)."""

    faults: list[Fault]
    actions: dict[str, Callable[[Fault], None]]  # each runs in its own greenlet and sets fault.back
    live_calls: Callable[[], set[str]]
    last_command: Callable[[], str]
    pending: list[Fault] = field(default_factory=list)
    current: Fault | None = None

    @classmethod
    def seeded(cls, seed: int, kinds: list[str], span: tuple[int, int], **kw) -> Schedule:
        rng = random.Random(seed)
        kinds = list(kinds)
        rng.shuffle(kinds)
        lo, hi = span
        width = max(1, (hi - lo) // max(1, len(kinds)))  # one fault per slot of the span, anywhere in its middle
        moments = [
            lo + i * width + rng.randrange(width // 4, max(width // 4 + 1, 3 * width // 4)) for i in range(len(kinds))
        ]
        faults = [Fault(kind, at) for kind, at in zip(kinds, moments, strict=True)]
        return cls(faults, pending=list(faults), **kw)

    def on_originate(self, n: int) -> None:
        now = time.monotonic()
        fault = self.current
        if fault is not None:
            if fault.back is not None and fault.dialling is None and "null/" not in self.last_command():
                fault.dialling = now - fault.t0  # the first originate of a call (not a CDR barrier) since
            if fault.dialling is None:
                return
            self.current = None
        if self.pending and n >= self.pending[0].at:
            fault = self.current = self.pending.pop(0)
            fault.fired_at, fault.t0, fault.live = n, now, self.live_calls()
            gevent.spawn(self.actions[fault.kind], fault)

    @property
    def done(self) -> bool:
        return not self.pending and self.current is None
