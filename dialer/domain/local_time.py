"""An instant as ``YYYY-MM-DD HH:MM:SS`` in a time zone, worked out once per zone and minute.

CDRs and webhook bodies show three or four local times per call, and a call's
times fall in the same few minutes as the calls around it: the text up to the
minute is kept per (zone, minute) and the seconds are appended. Always
``datetime.fromtimestamp(ms / 1000, tz).strftime(LOCAL)``'s answer: a minute
is kept only when the zone's offset is a whole number of minutes and the same
at its first and last second (an offset change inside a minute, or an offset
with seconds as some zones had before 1972, is worked out by datetime every time).
"""

from __future__ import annotations

from datetime import datetime, tzinfo

LOCAL = "%Y-%m-%d %H:%M:%S"
_MINUTE_PREFIX = "%Y-%m-%d %H:%M:"
_KEPT_MAX = 4096  # (zone, minute) entries; cleared when full (calls run in a few recent minutes)

_minutes: dict[tuple[tzinfo, int], str | None] = {}  # None: this minute is not kept (datetime each time)
_SECONDS = tuple(f"{s:02d}" for s in range(60))


def _prefix(minute: int, tz: tzinfo) -> str | None:
    first = datetime.fromtimestamp(minute * 60, tz)
    offset = first.utcoffset()
    if offset is None or offset.microseconds or offset.seconds % 60:
        return None
    if datetime.fromtimestamp(minute * 60 + 59, tz).utcoffset() != offset:
        return None
    return first.strftime(_MINUTE_PREFIX)


def local_text(ms: int, tz: tzinfo) -> str:
    """``ms`` (epoch milliseconds) as local ``YYYY-MM-DD HH:MM:SS`` in ``tz``."""
    minute = ms // 60_000
    key = (tz, minute)
    try:
        prefix = _minutes[key]
    except KeyError:
        if len(_minutes) >= _KEPT_MAX:
            _minutes.clear()
        prefix = _minutes[key] = _prefix(minute, tz)
    if prefix is None:
        return datetime.fromtimestamp(ms / 1000, tz).strftime(LOCAL)
    return prefix + _SECONDS[ms // 1000 % 60]
