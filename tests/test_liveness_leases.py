"""Lease renewal with many calls up: every lease is renewed before it expires, each about once
per half lease (not per quarter), in commands of at most RENEW_CHUNK slots. Injected clock, no sleeps:
the test runs the passes renew_leases would run every lease/4."""

from __future__ import annotations

import pytest

from dialer.domain.models import Campaign
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.liveness import RENEW_CHUNK, Liveness
from dialer.esl.node import Node, NodeConfig
from dialer.store.errors import StoreError
from dialer.store.records import Claim

LEASE_MS = 60_000
PASS_MS = LEASE_MS // 4


class Clock:
    def __init__(self) -> None:
        self.ms = 1_000_000

    def __call__(self) -> float:
        return self.ms / 1000


class FakeCalls:
    """store.calls: the lease of each slot (ZADD XX GT), and every renew command sent."""

    def __init__(self) -> None:
        self.lease: dict[str, int] = {}
        self.commands: list[int] = []  # slots per command
        self.failing = False

    def renew(self, campaign_uuid: str, calls: list[str], until_ms: int) -> None:
        if self.failing:
            raise StoreError("redis down")
        self.commands.append(len(calls))
        for call in calls:
            if call in self.lease:
                self.lease[call] = max(self.lease[call], until_ms)


class FakeStore:
    def __init__(self) -> None:
        self.calls = FakeCalls()


NODE = Node(NodeConfig("fs1", "127.0.0.1", 8021, "x"), on_event=lambda n, e: None)
CAMPAIGNS = [Campaign(campaign_name="a"), Campaign(campaign_name="b")]


def call(n: int, now_ms: int) -> InFlight:
    camp = CAMPAIGNS[n % 2]
    claim = Claim(camp.campaign_uuid, f"lead-{n}", f"call-{n}", "viettel", 0, ["0980000001"], {}, 0, now_ms, "")
    return InFlight(claim, camp, NODE, f"job-{n}", [f"call-{n}"], ["0980000001"], now_ms)


def setup(calls: int):
    clock, store = Clock(), FakeStore()
    tracker = CallTracker(lambda att: None, clock=clock)
    liveness = Liveness(store, "engine-1", tracker, info=dict, lease_ms=LEASE_MS, clock=clock)  # type: ignore[arg-type]

    def claim(n: int) -> None:  # claim.lua leases the slot for lease_ms
        att = call(n, clock.ms)
        store.calls.lease[att.call_uuid] = clock.ms + LEASE_MS
        tracker.add(att)

    for n in range(calls):
        claim(n)
    return clock, store, tracker, liveness, claim


def expired(store: FakeStore, tracker: CallTracker, now_ms: int) -> list[str]:
    return [
        att.call_uuid
        for c in tracker.by_campaign.values()
        for att in c.values()
        if store.calls.lease[att.call_uuid] <= now_ms
    ]


def test_every_lease_is_renewed_before_it_expires_about_once_per_half_lease():
    clock, store, tracker, liveness, claim = setup(5_000)
    renewed = 0
    for step in range(1, 41):  # 10 leases of time; new calls come in between passes
        clock.ms += PASS_MS // 3
        claim(10_000 + step)
        clock.ms += PASS_MS - PASS_MS // 3
        assert expired(store, tracker, clock.ms) == []  # at the moment of the pass, before renewing
        renewed += liveness.renew_due()
        assert expired(store, tracker, clock.ms + PASS_MS) == []  # and until the next pass
    calls = tracker.count()
    # Every quarter lease renewed every call before: 40 passes x calls. Now about one per half lease.
    assert renewed <= 21 * calls
    assert renewed >= 19 * 5_000


def test_a_renewal_is_sent_in_commands_of_at_most_renew_chunk_slots():
    clock, store, _tracker, liveness, _ = setup(3 * RENEW_CHUNK + 7)
    clock.ms += PASS_MS
    assert liveness.renew_due() == 3 * RENEW_CHUNK + 7
    assert max(store.calls.commands) <= RENEW_CHUNK
    assert sum(store.calls.commands) == 3 * RENEW_CHUNK + 7


def test_a_failed_renewal_is_retried_at_the_next_pass_before_the_lease_expires():
    clock, store, tracker, liveness, _ = setup(100)
    clock.ms += PASS_MS
    liveness.renew_due()  # renewed until now + lease
    clock.ms += 2 * PASS_MS  # half the lease left: due
    store.calls.failing = True
    assert liveness.renew_due() == 0
    store.calls.failing = False
    clock.ms += PASS_MS  # a quarter left
    assert expired(store, tracker, clock.ms) == []
    assert liveness.renew_due() == 100
    assert expired(store, tracker, clock.ms + 3 * PASS_MS) == []


def test_a_call_never_renewed_here_is_renewed_at_the_first_pass():
    _clock, _store, _tracker, liveness, claim = setup(0)
    claim(1)  # its lease is the claim's: this engine does not assume how long it has left
    assert liveness.renew_due() == 1


@pytest.mark.parametrize("calls", [0, 1])
def test_a_pass_with_nothing_due_sends_nothing(calls):
    clock, store, _tracker, liveness, _ = setup(calls)
    liveness.renew_due()
    sent = len(store.calls.commands)
    clock.ms += PASS_MS
    assert liveness.renew_due() == 0
    assert len(store.calls.commands) == sent
