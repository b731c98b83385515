"""Simulated time: call durations shrink by ``time_scale``; timers run in one greenlet."""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import gevent
from gevent.event import Event


class SimClock:
    """Wall clock for limits; simulated clock (epoch µs) for event timestamps.

    With ``time_scale`` 0.01 a 30 s call takes 0.3 s of wall time, and the
    CDR it produces still says 30 s: simulated time runs 1/scale times faster
    than the wall clock, from the moment the simulator started.

    What happens at one instant is stamped with one instant, however long a
    busy CPU takes to run it (at time-scale 0.01 a process held up 20 ms would
    otherwise add 2 s to a CDR): inside :meth:`frozen` "now" stays put for the
    greenlet. The scheduler runs each timer frozen at the moment it was due, so
    what the timer schedules next counts from there; an originate is frozen at
    its arrival, so its legs' creation and their first timers share a moment.
    """

    def __init__(self, time_scale: float = 1.0):
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self.scale = time_scale
        self._mono0 = time.monotonic()
        self._epoch0_us = time.time_ns() // 1000
        self._frozen: dict[object, float] = {}  # greenlet -> the monotonic moment it runs at

    def monotonic(self) -> float:
        """time.monotonic(), or the moment the current greenlet is frozen at."""
        if self._frozen:
            moment = self._frozen.get(gevent.getcurrent())
            if moment is not None:
                return moment
        return time.monotonic()

    @contextmanager
    def frozen(self, moment: float | None = None) -> Iterator[None]:
        """Within, now is ``moment`` (a monotonic time; default: now, or the moment already frozen
        at) for this greenlet. Only around code that does not wait: a greenlet that waited would
        stamp what comes after with the moment it started."""
        me = gevent.getcurrent()
        outer = self._frozen.get(me)
        self._frozen[me] = moment if moment is not None else outer if outer is not None else time.monotonic()
        try:
            yield
        finally:
            if outer is None:
                del self._frozen[me]
            else:
                self._frozen[me] = outer

    def now_us(self) -> int:
        return self.at_us(self.monotonic())

    def at_us(self, monotonic: float) -> int:
        """The simulated epoch µs of a moment on the monotonic clock."""
        return self._epoch0_us + int((monotonic - self._mono0) / self.scale * 1_000_000)

    def wall(self) -> float:
        return time.monotonic()


class Timer:
    __slots__ = ("args", "cancelled", "deadline", "fn")

    def __init__(self, deadline: float, fn: Callable[..., Any], args: tuple):
        self.deadline = deadline
        self.fn = fn
        self.args = args
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class Scheduler:
    """A heap of timers served by one greenlet (cheaper than a greenlet per call)."""

    def __init__(self, clock: SimClock):
        self.clock = clock
        self._heap: list[tuple[float, int, Timer]] = []
        self._count = itertools.count()
        self._wake = Event()
        self._greenlet: gevent.Greenlet | None = None

    def after(self, sim_seconds: float, fn: Callable[..., Any], *args: Any) -> Timer:
        """Run ``fn(*args)`` after ``sim_seconds`` of simulated time."""
        return self.after_wall(max(0.0, sim_seconds) * self.clock.scale, fn, *args)

    def after_wall(self, seconds: float, fn: Callable[..., Any], *args: Any) -> Timer:
        timer = Timer(self.clock.monotonic() + seconds, fn, args)
        first = not self._heap or timer.deadline < self._heap[0][0]
        heapq.heappush(self._heap, (timer.deadline, next(self._count), timer))
        if first:
            self._wake.set()
        return timer

    def start(self) -> None:
        if self._greenlet is None:
            self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
            self._greenlet = None

    def _fire(self, timer: Timer) -> None:
        # clock.frozen(timer.deadline), inlined: this runs for every timer of every call.
        frozen, me = self.clock._frozen, gevent.getcurrent()
        frozen[me] = timer.deadline
        try:
            timer.fn(*timer.args)
        finally:
            del frozen[me]

    def _run(self) -> None:
        heap = self._heap
        while True:
            now = time.monotonic()
            ran = 0
            while heap and heap[0][0] <= now:
                _, _, timer = heapq.heappop(heap)
                if not timer.cancelled:
                    self._fire(timer)
                ran += 1
                if ran % 256 == 0:
                    gevent.sleep(0)  # let sockets drain during a burst
                    now = time.monotonic()
            self._wake.clear()
            timeout = (heap[0][0] - time.monotonic()) if heap else None
            if timeout is None or timeout > 0:
                self._wake.wait(timeout)
            else:
                gevent.sleep(0)
