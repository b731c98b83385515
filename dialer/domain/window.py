"""Calling windows: ``schedules`` in the campaign's time zone.

A campaign with no schedules may call at any time. With schedules, a call
may *start* only inside one of the windows of the current local weekday
(calls in progress finish). Several schedule objects are OR-ed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from dialer.domain.models import NS_PER_DAY, Schedule


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(now_s: float, tz: str) -> datetime:
    return datetime.fromtimestamp(now_s, zone(tz))


def in_window(schedules: list[Schedule] | None, tz: str, now_s: float) -> bool:
    if not schedules:
        return True
    local = _local(now_s, tz)
    since_midnight = (local - local.replace(hour=0, minute=0, second=0, microsecond=0)).total_seconds()
    ns = int(since_midnight * 1e9)
    for schedule in schedules:
        window = schedule.window(local.weekday())
        if window and window[0] <= ns < window[1]:
            return True
    return False


def next_opening(schedules: list[Schedule] | None, tz: str, now_s: float) -> float | None:
    """Epoch seconds when the next window opens (``now_s`` if open now); None if never."""
    if in_window(schedules, tz, now_s):
        return now_s
    assert schedules
    local = _local(now_s, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    best: float | None = None
    for day in range(8):
        day_start = midnight + timedelta(days=day)
        # Re-localise: a DST change would shift the wall-clock midnight.
        day_start = day_start.replace(tzinfo=None).replace(tzinfo=zone(tz))
        for schedule in schedules:
            window = schedule.window(day_start.weekday())
            if not window:
                continue
            opens = day_start.timestamp() + window[0] / 1e9
            if opens > now_s and (best is None or opens < best):
                best = opens
        if best is not None:
            return best
    return None


__all__ = ["NS_PER_DAY", "in_window", "next_opening"]
