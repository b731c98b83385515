"""The report counters' local hour is worked out once per zone and minute, and is always datetime's answer."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from dialer.engine.recorder import report_hour

ZONES = ["Asia/Ho_Chi_Minh", "Europe/London", "Australia/Lord_Howe", "America/St_Johns", "Asia/Kathmandu", "UTC"]


def by_datetime(ms: int, tz: str) -> str:
    return datetime.fromtimestamp(ms / 1000, ZoneInfo(tz)).strftime("%Y%m%d%H")


def test_every_minute_around_the_offset_changes_of_a_year_gets_its_local_hour():
    rng = random.Random(17)
    for tz in ZONES:
        zone = ZoneInfo(tz)
        start = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1000)
        changes = []
        for day in range(365):  # the days whose offset differs from the day before's
            a, b = start + day * 86_400_000, start + (day + 1) * 86_400_000
            if datetime.fromtimestamp(a / 1000, zone).utcoffset() != datetime.fromtimestamp(b / 1000, zone).utcoffset():
                changes.append(a)
        for day_start in changes:
            for minute in range(0, 26 * 60):
                ms = day_start + minute * 60_000 + rng.randrange(60_000)
                other = rng.choice(ZONES)  # calls of campaigns in other zones interleave
                assert report_hour(ms, tz) == by_datetime(ms, tz), (tz, ms)
                assert report_hour(ms, other) == by_datetime(ms, other), (other, ms)


def test_instants_in_any_order_get_their_local_hour():
    rng = random.Random(18)
    now = int(datetime(2026, 12, 3, tzinfo=UTC).timestamp() * 1000)
    for _ in range(5000):
        ms = now + rng.randrange(-3_600_000, 3_600_000)
        tz = rng.choice(ZONES)
        assert report_hour(ms, tz) == by_datetime(ms, tz)
