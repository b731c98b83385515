"""How many originates one FreeSWITCH may take now: its session rate, its session count, its reply window.

FreeSWITCH admits at most ``sps - 1`` sessions per one-second window of its
own clock (``sessions-per-second``; inbound legs count too) and refuses the
rest with ``-ERR DESTINATION_OUT_OF_ORDER`` and no channel (esl-captures
batch2, "heartbeat-sps"/"throttle"). The limit is what ``fsctl sps`` says
(node.py learns it at connect and re-reads it every few seconds), capped by
``?sps=`` of ``AUTOCALL_FREESWITCH``. HEARTBEAT's ``Session-Per-Sec`` is only
what is left of the current window, sampled at a random moment: it is never
taken for the limit.

The originates go through a token bucket whose burst + rate stays within
``min(85 % of the limit, limit - 1)`` in any second, so no FreeSWITCH window
can overflow whatever its phase, and 15 % stays for inbound calls; every
number of a serial or parallel attempt is charged (``charge``). A refusal
all the same (another dialer, inbound calls, a lowered limit) halves the rate
for a while; it then climbs back by a tenth of the target per second.

The reply window bounds the ``bgapi originate`` commands awaiting their
``+OK Job-UUID`` reply (``ReplyWindow``): a FreeSWITCH slow to read its
socket slows the pacers instead of pushing a reply past the command timeout
(which drops the connection and leaves every call in flight to be settled
after the reconnect). A pacer reserves its slots when it takes tokens, so
pacers of several campaigns cannot overshoot together; each reply, or the
connection's drop, frees a slot, and a pacer waiting for room is woken then.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

RATE_SHARE = 0.85  # of FreeSWITCH's sps kept for us: inbound calls count against it too
BURST_SHARE = 0.1
THROTTLE_HOLD_S = 2.0  # after a refusal the halved rate holds this long, then recovers
RECOVERY_PER_S = 0.1  # of the target rate, per second
# bgapi originates awaiting their reply, per node (docs/engine.md, "Backpressure: the reply window"):
# FreeSWITCH writes "+OK Job-UUID" before the job runs, so an idle switch answers in milliseconds and
# 500 never limit the rate (2.5 pacer turns of 200); a reply waits behind at most 499 others, not the
# whole ramp (bench/backpressure.py: worst reply 1.7-3.9 s with 500; unbounded 4.6-8.6 s, or a timeout).
BGAPI_WINDOW = 500
WAKE_SHARE = 0.25  # a pacer waiting for room is woken once this share of the window is free


class ReplyWindow:
    """The ``bgapi originate`` commands of one node awaiting FreeSWITCH's reply, bounded by ``size``
    (0: no bound). Slots are reserved by a pacer's take, held from the write until the reply (or
    the connection's drop) by the reply itself, and freed exactly once each."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.reserved = 0  # taken by pacers, not written yet
        self.awaiting = 0  # written, "+OK Job-UUID" not read yet
        self.peak = 0  # the most awaiting at once (tests, bench/backpressure.py)
        self._wake_at = max(1, int(size * WAKE_SHARE))
        self._wakers: set[Callable[[], None]] = set()

    def room(self) -> int:
        return self.size - self.reserved - self.awaiting if self.size else sys.maxsize

    def reserve(self, n: int) -> None:
        self.reserved += n

    def unreserve(self, n: int) -> None:
        if n > 0:
            self.reserved -= n
            self._maybe_wake()

    def written(self, replies: Iterable[Any]) -> None:
        """Originates just written: each holds a slot until its reply (a gevent AsyncResult) is set,
        with FreeSWITCH's answer or with the error of a dropped connection."""
        for reply in replies:
            self.awaiting += 1
            reply.rawlink(self._replied)
        self.peak = max(self.peak, self.awaiting)

    def _replied(self, _reply: Any) -> None:
        self.awaiting -= 1
        self._maybe_wake()

    def wake_on_room(self, wake: Callable[[], None]) -> bool:
        """Full: call ``wake`` once a share of the window is free again (True); False if there is room."""
        if self.room() > 0:
            return False
        self._wakers.add(wake)
        return True

    def _maybe_wake(self) -> None:
        if self._wakers and self.room() >= self._wake_at:
            wakers, self._wakers = self._wakers, set()
            for wake in wakers:
                wake()


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, n: int) -> int:
        self._refill()
        k = min(n, int(self.tokens))
        self.tokens -= k
        return k

    def give_back(self, n: int) -> None:
        self.tokens = min(self.burst, self.tokens + n)

    def charge(self, n: int) -> None:
        """Spend ``n`` more tokens than were taken (the bucket may go below zero: later takes wait)."""
        self.tokens -= n

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


def rates(sps: int, share: float = 1.0) -> tuple[float, float]:
    """(rate, burst) for a FreeSWITCH limit of ``sps``: burst + rate <= min(85 % of sps, sps - 1),
    times ``share`` (one of N worker processes dialling the same node: ``autocall serve --workers N``)."""
    budget = min(sps * RATE_SHARE, sps - 1.0) * share
    burst = max(1.0, sps * BURST_SHARE * share)
    return max(0.5, budget - burst), burst


class Capacity:
    """The rate and session budget of one node (its limits as FreeSWITCH states them). ``share``: the
    part of the sps budget that is this process's (``bgapi_window`` comes already divided: node_config.py);
    max-sessions is not divided: each process counts the others' legs in HEARTBEAT's Session-Count."""

    def __init__(
        self,
        *,
        sps_cap: int | None = None,
        max_sessions_cap: int | None = None,
        bgapi_window: int = BGAPI_WINDOW,
        share: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sps_cap, self.max_sessions_cap = sps_cap, max_sessions_cap
        self.share = share  # of the node's sps budget this process paces to (1/N of N workers)
        self.window = ReplyWindow(bgapi_window)
        self.clock = clock
        self.sps_limit: int | None = None  # FreeSWITCH's, from fsctl sps
        self.max_sessions: int | None = None
        self.target = 0.0  # originates per second aimed at
        self.bucket = TokenBucket(0.5, 1.0, clock)
        self.throttled_until = 0.0
        self.hb_sessions = 0  # Session-Count at the last HEARTBEAT
        self.legs = 0  # legs of ours alive on this node now
        self._legs_at_hb = 0
        self.refusals = 0
        self._recovered_at = 0.0

    @property
    def known(self) -> bool:
        return self.sps_limit is not None and self.max_sessions is not None

    def limits(self, sps: int | None, max_sessions: int | None) -> bool:
        """FreeSWITCH's limits as it states them; True if they changed."""
        changed = False
        if sps is not None and sps != self.sps_limit:
            self.sps_limit, changed = sps, True
            effective = min(sps, self.sps_cap) if self.sps_cap else sps
            self.target, burst = rates(max(1, effective), self.share)
            self.bucket.burst = burst
            self.bucket.rate = min(self.bucket.rate, self.target) if self.throttled() else self.target
        if max_sessions is not None:
            capped = min(max_sessions, self.max_sessions_cap) if self.max_sessions_cap else max_sessions
            changed = changed or capped != self.max_sessions
            self.max_sessions = capped
        return changed

    def sessions(self, session_count: int, max_sessions: int | None) -> None:
        """A HEARTBEAT's Session-Count (every direction) and Max-Sessions (the live value)."""
        self.hb_sessions = session_count
        self._legs_at_hb = self.legs
        if max_sessions is not None:
            self.limits(None, max_sessions)

    def free_sessions(self) -> int:
        if self.max_sessions is None:
            return 0
        others = max(0, self.hb_sessions - self._legs_at_hb)  # sessions that are not ours
        return self.max_sessions - others - self.legs - max(1, self.max_sessions // 50)

    def take(self, want: int) -> int:
        """Reserve up to ``want`` originates now (rate, session count, reply window)."""
        if not self.known:
            return 0
        self._recover()
        taken = self.bucket.take(max(0, min(want, self.free_sessions(), self.window.room())))
        self.window.reserve(taken)
        return taken

    def give_back(self, n: int) -> None:
        """Originates taken and not sent after all: their tokens and window slots."""
        if n > 0:
            self.bucket.give_back(n)
            self.window.unreserve(n)

    def charge(self, legs: int) -> None:
        """Sessions an attempt requests beyond its first (serial and parallel numbers): each is a
        session request against FreeSWITCH's per-second budget like the first."""
        if legs > 0:
            self.bucket.charge(legs)

    def throttled(self) -> bool:
        return self.clock() < self.throttled_until

    def refused(self) -> bool:
        """FreeSWITCH refused a session for its limits: halve the rate (at most once per hold).
        True if this refusal changed the rate."""
        self.refusals += 1
        now = self.clock()
        if now < self.throttled_until:
            return False
        self.bucket.rate = max(0.5, self.bucket.rate * 0.5)
        self.throttled_until = now + THROTTLE_HOLD_S
        return True

    def _recover(self) -> None:
        now = self.clock()
        rate = self.bucket.rate
        if rate < self.target and now >= self.throttled_until:
            since = now - max(self.throttled_until, self._recovered_at)
            self.bucket.rate = min(self.target, rate + self.target * RECOVERY_PER_S * max(0.0, since))
            self._recovered_at = now
