"""The look for over-long calls (recovery.check_long_calls, every adoption pass): it still finds
every call once it is over long, but with many calls up and none near over long it looks at none
of them (idle cost not proportional to the calls in flight), except once per FULL_LOOK_S."""

from __future__ import annotations

import time

from dialer.domain.models import Campaign
from dialer.engine import recovery as recovery_mod
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.recovery import Recovery
from dialer.esl.node import Node, NodeConfig
from dialer.outcomes.own_causes import LOST
from dialer.store.records import Claim

MAX_CALL_MS = 3_600_000
CAMPAIGN = Campaign(campaign_name="c", call_timeout=30)


class Clock:
    def __init__(self) -> None:
        self.ms = 10_000_000_000

    def __call__(self) -> float:
        return self.ms / 1000


class CountingLooks(dict):
    """tracker.by_campaign that counts how often every call in flight is looked at."""

    looks = 0

    def values(self):  # type: ignore[override]
        CountingLooks.looks += 1
        return super().values()


def setup():
    clock = Clock()
    ended: list[InFlight] = []
    tracker = CallTracker(ended.append, clock=clock)
    tracker.by_campaign = CountingLooks()
    node = Node(NodeConfig("fs1", "127.0.0.1", 8021, "x"), on_event=lambda n, e: None)
    node.down_since = time.monotonic() - 2 * MAX_CALL_MS / 1000  # down longer than the longest call: lost
    recovery = Recovery(tracker, None, max_call_ms=MAX_CALL_MS, clock=clock)  # type: ignore[arg-type]
    n = [0]

    def add(start_ms: int) -> InFlight:
        n[0] += 1
        claim = Claim(
            CAMPAIGN.campaign_uuid, f"lead-{n[0]}", f"call-{n[0]}", "viettel", 0, ["0980000001"], {}, 0, 0, ""
        )
        att = InFlight(claim, CAMPAIGN, node, f"job-{n[0]}", [f"call-{n[0]}"], ["0980000001"], start_ms)
        tracker.add(att)
        return att

    return clock, tracker, recovery, add, ended


def over_long_after(att: InFlight) -> int:
    return att.start_ms + CAMPAIGN.call_timeout * 1000 + MAX_CALL_MS


def test_with_no_call_near_over_long_a_pass_looks_at_no_call():
    clock, _tracker, recovery, add, ended = setup()
    for _ in range(1000):
        add(clock.ms)
    recovery.check_long_calls()  # the first look
    looks = CountingLooks.looks
    for _ in range(25):  # 50 s of passes, every 2 s
        clock.ms += 2000
        recovery.check_long_calls()
    assert CountingLooks.looks == looks
    assert ended == []


def test_every_call_is_still_found_once_over_long():
    clock, tracker, recovery, add, ended = setup()
    first = add(clock.ms)
    recovery.check_long_calls()
    clock.ms += 1_000_000
    later = add(clock.ms)
    adopted = add(clock.ms - 3_000_000)  # adopted from a dead engine: started long before
    recovery.check_long_calls()
    clock.ms = over_long_after(adopted)
    recovery.check_long_calls()
    assert ended == []  # not over long yet: exactly at its limit
    clock.ms += 1
    recovery.check_long_calls()
    assert ended == [adopted] and adopted.problem == LOST
    clock.ms = over_long_after(first) + 1
    recovery.check_long_calls()
    assert ended == [adopted, first]
    clock.ms = over_long_after(later) + 1
    recovery.check_long_calls()
    assert ended == [adopted, first, later]
    assert tracker.count() == 0


def test_every_call_is_looked_at_once_per_full_look_anyway(monkeypatch):
    clock, _tracker, recovery, add, _ended = setup()
    add(clock.ms)
    recovery.check_long_calls()
    looks = CountingLooks.looks
    now = [time.monotonic()]
    monkeypatch.setattr(recovery_mod.time, "monotonic", lambda: now[0])
    recovery.check_long_calls()
    assert CountingLooks.looks == looks
    now[0] += recovery_mod.FULL_LOOK_S
    recovery.check_long_calls()
    assert CountingLooks.looks == looks + 1
