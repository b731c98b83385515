"""An autodialer campaign's call stats for its pacer: per-minute counters of its finished attempts.

Written by finish.lua in the same step as each attempt's result (``Finish.call_stats``: so a
crash loses none and counts none twice), into one hash per campaign and minute of the attempt's
end (``campaign:<uuid>:callstats:<minute>``, minute = epoch s // 60), which expires a day after
that minute: the size is bounded by time, whatever the rate (at most 1,441 small hashes per
campaign). The fields (:data:`SAMPLE_FIELDS`) are what the recorder samples
(dialer/engine/recorder.py, ``call_sample``), plus ``wrap_s``, which finish.lua adds from the
agent's own ``wrap_up_time`` (mod_callcenter keeps the agent from its next call that long after
each bridge ends: docs/autodialer.md, "Results and reports").

:meth:`CallStatsReads.read` gives the minutes back oldest first, as rows in the order of the
pacing model's buckets: ``CallStats.from_dict(window.saved(), clock).figures()``
(dialer/pacing/call_stats.py) is what the pacer reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import redis

from dialer.store.keys import Keys

BUCKET_S = 60
DAY_MINUTES = 24 * 60  # the abandon rate's window (regulators count it per 24 h)
# What one attempt adds to its minute: every attempt counts in ``attempts``; an answered one in one
# of connected (bridged to an agent) / abandoned / voicemail, with its time to answer (``ring_ms``,
# originate -> answer); a connected one is also ``handled``, with its talk (``talk_s``) and the
# agent's wrap-up (``wrap_s``, added by finish.lua).
SAMPLE_FIELDS = ("attempts", "connected", "abandoned", "voicemail", "ring_n", "ring_ms", "handled", "talk_s")
WRAP_FIELD = "wrap_s"
_READ = (*SAMPLE_FIELDS, WRAP_FIELD)


class MinuteStats(NamedTuple):
    """One minute's counters, in the order of dialer/pacing/call_stats.py's bucket."""

    minute: int  # epoch seconds // 60
    attempts: int = 0
    connected: int = 0
    abandoned: int = 0
    voicemail: int = 0
    ring_n: int = 0  # answered calls whose time to answer is in ring_s
    ring_s: float = 0.0
    handled: int = 0  # connected calls whose talk and wrap-up are in talk_s / wrap_s
    talk_s: float = 0.0
    wrap_s: float = 0.0


@dataclass(frozen=True, slots=True)
class CallStatsWindow:
    """The minutes read, oldest first; minutes without attempts are left out."""

    now_minute: int
    rows: list[MinuteStats]

    def saved(self) -> dict[str, Any]:
        """The rows in the shape dialer/pacing/call_stats.py's ``CallStats.from_dict`` reads: the pacing
        model does the arithmetic (windows, rates, means), so it is done in one place."""
        return {"version": 1, "bucket_s": BUCKET_S, "buckets": [list(row) for row in self.rows]}


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


class CallStatsReads:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def read(self, campaign_uuid: str, now_ms: int, minutes: int = DAY_MINUTES) -> CallStatsWindow:
        """The campaign's last ``minutes`` minutes (to the one of ``now_ms``), in one round trip."""
        now_minute = now_ms // 1000 // BUCKET_S
        first = now_minute - max(1, min(minutes, DAY_MINUTES)) + 1
        pipe = self.r.pipeline(transaction=False)
        for minute in range(first, now_minute + 1):
            pipe.hmget(self.keys.call_stats(campaign_uuid, minute), _READ)
        rows: list[MinuteStats] = []
        for minute, values in zip(range(first, now_minute + 1), pipe.execute(), strict=True):
            if not any(values):
                continue
            n = [_int(v) for v in values]
            rows.append(MinuteStats(minute, n[0], n[1], n[2], n[3], n[4], n[5] / 1000, n[6], float(n[7]), float(n[8])))
        return CallStatsWindow(now_minute, rows)
