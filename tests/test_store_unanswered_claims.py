"""A claim whose answer never came (the connection broke after claim.lua ran: a failover, a
restart) is given back before the store's next claim (unclaim.lua): its leads were never dialled."""

from __future__ import annotations

import pytest
import redis

from dialer.store.store import Store
from tests import factories

LEASE_MS = 60_000


class CutOff:
    """The wait after a claim fails once, as when the primary dies between the claim and its answer."""

    def __init__(self, store: Store) -> None:
        self.confirm = store.replication.confirm
        self.cut = True
        store.replication.confirm = self  # type: ignore[method-assign]

    def __call__(self, what: str):
        if self.cut:
            self.cut = False
            raise redis.ConnectionError("the primary went away")
        return self.confirm(what)


def claim(store: Store, camp, want: int, now_ms: int, uuids: list[str]):
    return store.calls.claim(camp.campaign_uuid, want, "fs1", now_ms, LEASE_MS, uuids, owner="engine-1")


def test_the_leads_of_a_claim_cut_off_are_claimed_again_with_the_same_call_uuids(store):
    camp = factories.campaign(store, concurrent_call=10)
    factories.leads(store, camp, 5)
    CutOff(store)
    with pytest.raises(redis.ConnectionError):
        claim(store, camp, 2, 1_000, ["a-1", "a-2"])
    cut_off = sorted(store.r.zrange(store.keys.calls(camp.campaign_uuid), 0, -1))
    assert len(cut_off) == 2, "claim.lua ran: two slots nobody dials"
    again, _ = claim(store, camp, 2, 2_000, ["b-1", "b-2"])
    assert sorted(c.call_uuid for c in again) == cut_off, "the same attempts, at the front of the hopper"
    assert all(c.attempts == 0 for c in again)
    assert store.calls.in_flight(camp.campaign_uuid) == 2
    assert sum(int(v) for v in store.r.hvals(store.keys.busy(camp.campaign_uuid))) == 2, "counted once each"


def test_a_slot_adopted_before_the_next_claim_is_left_to_its_adopter(store):
    camp = factories.campaign(store, concurrent_call=10)
    factories.leads(store, camp, 3)
    CutOff(store)
    with pytest.raises(redis.ConnectionError):
        claim(store, camp, 1, 1_000, ["a-1"])
    cut_off = store.r.zrange(store.keys.calls(camp.campaign_uuid), 0, -1)
    adopted = store.calls.adopt_all(camp.campaign_uuid, 1_000 + LEASE_MS + 1, "engine-1", LEASE_MS, ["fs1"])
    assert [row[0] for row in adopted] == cut_off  # its lease ended: adoption settles it
    again, _ = claim(store, camp, 1, 70_000, ["b-1"])
    assert [c.call_uuid for c in again] != cut_off, "another lead: the cut-off one is the adopter's"
    assert store.calls.in_flight(camp.campaign_uuid) == 2


def test_while_redis_is_away_the_claim_to_give_back_is_kept(store, monkeypatch):
    camp = factories.campaign(store, concurrent_call=10)
    factories.leads(store, camp, 3)
    CutOff(store)
    with pytest.raises(redis.ConnectionError):
        claim(store, camp, 1, 1_000, ["a-1"])
    cut_off = store.r.zrange(store.keys.calls(camp.campaign_uuid), 0, -1)
    real = store.scripts.unclaim

    def away(*args):
        raise redis.ConnectionError("still away")

    monkeypatch.setattr(store.scripts, "unclaim", away)
    with pytest.raises(redis.ConnectionError):
        claim(store, camp, 1, 2_000, ["b-1"])
    monkeypatch.setattr(store.scripts, "unclaim", real)
    again, _ = claim(store, camp, 1, 3_000, ["c-1"])
    assert [c.call_uuid for c in again] == cut_off
