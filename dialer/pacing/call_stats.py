"""An autodialer campaign's measured call figures, over rolling windows, for pacing (dialer/pacing/agents.py).

Pure: no Redis, no gevent; time is read from an injected clock (epoch seconds). The engine records
each attempt once its outcome is known and each agent's handle time once its wrap-up is over, asks
``figures()`` each pacer turn, and persists ``to_dict()`` through dialer/store (``from_dict()`` on
start), so a restarted engine keeps the day's abandon figure.

What is counted:

* an **attempt** is one originate whose outcome is known: ``unanswered`` (busy, no answer, failed),
  ``connected`` (answered, bridged to an agent), ``abandoned`` (answered, no agent took it within
  the queue's max wait, or the callee hung up first while waiting), ``voicemail`` (answered by a
  machine: a beep before an agent answered). Answered attempts carry their time to answer
  (originate → answer), the horizon a dialled call needs before it wants an agent.
* a **handled** call: talk (bridge → bridge end) and wrap-up (mod_callcenter's ``wrap_up_time``, or
  what the agent took) of one connected call.

Windows, all on per-minute buckets (at most 24 h of them, so memory is bounded whatever the rate):

* **abandon rate**: abandoned / answered humans (connected + abandoned) over the last 24 h, the
  regulators' figure: Ofcom's persistent-misuse policy counts abandoned calls as a share of live
  calls per campaign over any 24 hours (its 2008 statement: at most 3 %; the 2016 statement keeps
  the annex "Calculating the Abandoned Call Rate"); the US Telemarketing Sales Rule's safe
  harbour, 3 % of calls answered by a live person per campaign over 30 days (16 CFR
  310.4(b)(4)(i)), is a longer window of the same ratio. Machines
  do not count; a machine the engine could not tell (it timed out in the queue before its beep)
  counts as abandoned, so the figure errs high, never low. The window is the current minute and
  the 1,439 before it.
* **answer rate, time to answer** (from attempts) and **talk, wrap-up** (from handled calls): the
  last 15 minutes, or further back (up to 24 h) until the window holds 200 attempts (50 handled
  calls for talk and wrap-up). 15 minutes follows the Predict algorithms of UNICOM Intelligence's
  Interviewer Server dialer (statistics over "15 minutes (900 seconds) of call attempts"); the
  minimum count keeps a slow campaign's figures from resting on a handful of calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

BUCKET_S = 60
DAY_BUCKETS = 24 * 60  # the abandon window: 24 h of minutes
SHORT_BUCKETS = 15  # the answer-rate and handle-time window: at least 15 minutes ...
SHORT_MIN_ATTEMPTS = 200  # ... or back until this many attempts
SHORT_MIN_HANDLED = 50  # ... or this many handled calls


class Outcome(StrEnum):
    UNANSWERED = "unanswered"
    CONNECTED = "connected"
    ABANDONED = "abandoned"
    VOICEMAIL = "voicemail"


# One bucket is a list (cheap to update, to serialise, and to validate as a tuple), indexed so:
_MINUTE, _ATTEMPTS, _CONNECTED, _ABANDONED, _VOICEMAIL, _RING_N, _RING_SUM, _HANDLED, _TALK_SUM, _WRAP_SUM = range(10)
_COUNT = {Outcome.CONNECTED: _CONNECTED, Outcome.ABANDONED: _ABANDONED, Outcome.VOICEMAIL: _VOICEMAIL}


@dataclass(frozen=True, slots=True)
class CallFigures:
    """The figures pacing reads, as of one moment. Rates are 0.0 when nothing was measured."""

    attempts: int  # short window
    answered: int  # connected + abandoned + voicemail: every answered call joins the queue
    humans: int  # connected + abandoned
    handled: int  # handled calls in their (short) window
    answer_rate: float  # humans / attempts: the campaign's live answer rate
    connect_rate: float  # answered / attempts: how many attempts end up in the queue wanting an agent
    mean_ring_s: float  # time to answer of answered calls
    mean_talk_s: float
    mean_wrap_s: float
    humans_24h: int
    abandoned_24h: int
    abandon_rate: float  # abandoned_24h / humans_24h
    window_s: int  # how far back the attempts' window reached

    @property
    def handle_s(self) -> float:
        return self.mean_talk_s + self.mean_wrap_s


NO_FIGURES = CallFigures(0, 0, 0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0, 0, 0.0, 0)

_Count = Annotated[int, Field(ge=0)]
_Seconds = Annotated[float, Field(ge=0)]


class _Saved(BaseModel):
    """``to_dict()``'s shape: checked on the way back in, as anything read from Redis is."""

    model_config = ConfigDict(extra="forbid")
    version: Literal[1]
    bucket_s: Literal[60]
    buckets: list[tuple[int, _Count, _Count, _Count, _Count, _Count, _Seconds, _Count, _Seconds, _Seconds]]


class CallStats:
    """Rolling per-minute counts of one campaign's attempts and handled calls."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._buckets: deque[list[Any]] = deque()  # oldest first; minute numbers strictly increasing
        self._humans_24h = 0
        self._abandoned_24h = 0
        self._version = 0  # bumped by every record: figures() is cached per (version, minute)
        self._cached: tuple[int, int, CallFigures] | None = None

    def attempt(self, outcome: Outcome, ring_s: float | None = None) -> None:
        """One originate's outcome; ``ring_s`` (originate → answer) for an answered one."""
        bucket = self._bucket()
        bucket[_ATTEMPTS] += 1
        index = _COUNT.get(outcome)
        if index is not None:
            bucket[index] += 1
            if ring_s is not None and ring_s >= 0:
                bucket[_RING_N] += 1
                bucket[_RING_SUM] += ring_s
        if outcome is Outcome.CONNECTED or outcome is Outcome.ABANDONED:
            self._humans_24h += 1
            self._abandoned_24h += outcome is Outcome.ABANDONED
        self._version += 1

    def handled(self, talk_s: float, wrap_s: float = 0.0) -> None:
        """An agent finished a connected call: its talk and its wrap-up, in seconds."""
        bucket = self._bucket()
        bucket[_HANDLED] += 1
        bucket[_TALK_SUM] += max(0.0, talk_s)
        bucket[_WRAP_SUM] += max(0.0, wrap_s)
        self._version += 1

    def figures(self) -> CallFigures:
        minute = self._minute()
        self._expire(minute)
        cached = self._cached
        if cached is not None and cached[0] == self._version and cached[1] == minute:
            return cached[2]
        figures = self._figures(minute)
        self._cached = (self._version, minute, figures)
        return figures

    def to_dict(self) -> dict[str, Any]:
        self._expire(self._minute())
        return {"version": 1, "bucket_s": BUCKET_S, "buckets": [list(b) for b in self._buckets]}

    @classmethod
    def from_dict(cls, data: object, clock: Callable[[], float]) -> CallStats:
        """The figures ``to_dict()`` saved (buckets older than 24 h are dropped); ValueError if malformed."""
        saved = _Saved.model_validate(data)  # pydantic's ValidationError is a ValueError
        stats = cls(clock)
        for row in sorted(saved.buckets):
            bucket: list[Any] = list(row)
            if stats._buckets and stats._buckets[-1][_MINUTE] == bucket[_MINUTE]:
                raise ValueError(f"call stats: minute {bucket[_MINUTE]} saved twice")
            stats._buckets.append(bucket)
            stats._humans_24h += bucket[_CONNECTED] + bucket[_ABANDONED]
            stats._abandoned_24h += bucket[_ABANDONED]
        stats._expire(stats._minute())
        return stats

    def _minute(self) -> int:
        return int(self.clock() // BUCKET_S)

    def _bucket(self) -> list[Any]:
        minute = self._minute()
        self._expire(minute)
        buckets = self._buckets
        # A clock stepped back (NTP) records into the newest minute rather than out of order.
        if buckets and buckets[-1][_MINUTE] >= minute:
            return buckets[-1]
        bucket: list[Any] = [minute, 0, 0, 0, 0, 0, 0.0, 0, 0.0, 0.0]
        buckets.append(bucket)
        return bucket

    def _expire(self, minute: int) -> None:
        oldest = minute - DAY_BUCKETS + 1
        buckets = self._buckets
        while buckets and buckets[0][_MINUTE] < oldest:
            gone = buckets.popleft()
            self._humans_24h -= gone[_CONNECTED] + gone[_ABANDONED]
            self._abandoned_24h -= gone[_ABANDONED]
            self._version += 1

    def _figures(self, minute: int) -> CallFigures:
        attempts = answered = humans = ring_n = handled = 0
        ring_sum = talk_sum = wrap_sum = 0.0
        reach = 0
        recent = minute - SHORT_BUCKETS  # buckets after this one are always in the short window
        for b in reversed(self._buckets):
            inside = b[_MINUTE] > recent
            if inside or attempts < SHORT_MIN_ATTEMPTS:
                attempts += b[_ATTEMPTS]
                answered += b[_CONNECTED] + b[_ABANDONED] + b[_VOICEMAIL]
                humans += b[_CONNECTED] + b[_ABANDONED]
                ring_n += b[_RING_N]
                ring_sum += b[_RING_SUM]
                reach = minute - b[_MINUTE] + 1
            if inside or handled < SHORT_MIN_HANDLED:
                handled += b[_HANDLED]
                talk_sum += b[_TALK_SUM]
                wrap_sum += b[_WRAP_SUM]
            elif attempts >= SHORT_MIN_ATTEMPTS:
                break
        h24, a24 = self._humans_24h, self._abandoned_24h
        return CallFigures(
            attempts=attempts,
            answered=answered,
            humans=humans,
            handled=handled,
            answer_rate=humans / attempts if attempts else 0.0,
            connect_rate=answered / attempts if attempts else 0.0,
            mean_ring_s=ring_sum / ring_n if ring_n else 0.0,
            mean_talk_s=talk_sum / handled if handled else 0.0,
            mean_wrap_s=wrap_sum / handled if handled else 0.0,
            humans_24h=h24,
            abandoned_24h=a24,
            abandon_rate=a24 / h24 if h24 else 0.0,
            window_s=max(reach, SHORT_BUCKETS) * BUCKET_S,
        )
