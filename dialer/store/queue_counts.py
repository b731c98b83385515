"""What running campaigns' queues hold now, as the live view and ``autocall status`` read it.

One pipeline for any number of campaigns (``/v3/live``: a round trip whatever
the load): slots held (``:calls``), attempts that ended within each window
(``:cdrs`` by end ms), recalls (all, and due), fresh leads, the hopper, the
report counters of the hours asked (``:stats:<YYYYMMDDHH>``) and the ``held``
entry. What the numbers mean (rates, today's totals) is the caller's business.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis

from dialer.store.keys import Keys


@dataclass(slots=True, frozen=True)
class CountsWanted:
    """A campaign to count, and the local hours (``YYYYMMDDHH``) whose report counters to read."""

    campaign_uuid: str
    hours: list[str]


@dataclass(slots=True, frozen=True)
class QueueCounts:
    in_flight: int  # slots held: attempts dialling now
    ended: list[int]  # attempts that ended in (now - window, now], one per window asked
    recalls: int  # recalls scheduled
    recalls_due: int  # of those, due now
    fresh: int  # leads never dialled
    hopper: int  # pre-loaded, next to dial
    hours: list[dict[str, str]]  # the report counters of each hour asked, in order ({} when none)
    held: str | None  # the campaign's ``held`` entry as stored (dialer/store/holds.py parses it); None: not held


class QueueCountReads:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def of(self, wanted: Sequence[CountsWanted], now_ms: int, windows_s: Sequence[int]) -> list[QueueCounts]:
        """The counts of these campaigns at ``now_ms``, in their order (one round trip; none for none)."""
        if not wanted:
            return []
        k = self.keys
        pipe = self.r.pipeline(transaction=False)
        for w in wanted:
            uuid = w.campaign_uuid
            pipe.zcard(k.calls(uuid))
            for window in windows_s:
                pipe.zcount(k.cdrs(uuid), f"({now_ms - window * 1000}", now_ms)
            pipe.zcard(k.recalls(uuid))
            pipe.zcount(k.recalls(uuid), "-inf", now_ms)
            pipe.zcard(k.fresh(uuid))
            pipe.zcard(k.hopper(uuid))
            for hour in w.hours:
                pipe.hgetall(k.stats(uuid, hour))
        pipe.hmget(k.held, [w.campaign_uuid for w in wanted])
        replies: list[Any] = pipe.execute()
        held = replies.pop()
        out: list[QueueCounts] = []
        at = 0
        for w, hold in zip(wanted, held, strict=True):
            in_flight = int(replies[at])
            ended = [int(n) for n in replies[at + 1 : at + 1 + len(windows_s)]]
            at += 1 + len(windows_s)
            recalls, recalls_due, fresh, hopper = (int(n) for n in replies[at : at + 4])
            hours = list(replies[at + 4 : at + 4 + len(w.hours)])
            at += 4 + len(w.hours)
            counts = QueueCounts(in_flight, ended, recalls, recalls_due, fresh, hopper, hours, hold)
            out.append(counts)
        return out

    def recalls_due(self, campaign_uuid: str, now_ms: int) -> int:
        """Recalls of the campaign due at ``now_ms``."""
        return int(self.r.zcount(self.keys.recalls(campaign_uuid), "-inf", now_ms))
