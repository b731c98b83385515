"""adopt.lua reads a campaign's slots one window at a time, for all of an engine's nodes at once
(issue 18): what it adopts over a whole campaign is what the script it replaced adopted running once
per node over every slot (tests/reference_lua/adopt_whole_campaign.lua), key for key, and no call
reads more than about a window of slots."""

from __future__ import annotations

import json
from pathlib import Path

import redis

from dialer.store.store import Store
from tests.test_store_batched_writes import copy_database, everything

REFERENCE = Path(__file__).parent / "reference_lua"
NOW, LEASE_MS, ME = 1_000_000, 60_000, "engine-me"


def slot(store: Store, campaign: str, call: str, lease_end: int, **fields: str) -> None:
    store.r.hset(store.keys.call(call), mapping={"lead": f"lead-{call}", "network": "viettel", "start_ms": 5, **fields})
    store.r.zadd(store.keys.calls(campaign), {call: lease_end})


def a_database(store: Store) -> list[str]:
    """Two campaigns (one over the listpack size: ZSCAN walks its hash table) with slots of every
    kind on three nodes, ``fs3`` not the adopter's."""
    store.engines.beat("live", 600_000)
    big, small = "camp-big", "camp-small"
    for i in range(900):
        node = ("fs1", "fs2", "fs3")[i // 9 % 3]
        kind = i % 9
        if kind == 0:  # the placing engine died
            slot(store, big, f"c{i}", NOW + 1000, owner="dead-1", node=node)
        elif kind == 1:  # adopted once already, that adopter died too: the placing engine stays
            slot(store, big, f"c{i}", NOW + 1000, owner="dead-2", origin="dead-1", node=node)
        elif kind == 2:  # a live engine's
            slot(store, big, f"c{i}", NOW - 1000, owner="live", node=node)
        elif kind == 3:  # ours, lease expired (we lost track of it)
            slot(store, big, f"c{i}", NOW - 1, owner=ME, node=node)
        elif kind == 4:  # ours, lease running
            slot(store, big, f"c{i}", NOW + 1, owner=ME, node=node)
        elif kind == 5:  # no owner (claimed before owners were written)
            slot(store, big, f"c{i}", NOW + 1000, node=node)
        elif kind == 6:  # a dead engine's with FreeSWITCH's CDRs kept for its legs
            slot(store, big, f"c{i}", NOW, owner="dead-3", node=node, **{"hangup:a": '{"x":"1"}', "hangup:b": "{}"})
        elif kind == 7:  # no node
            slot(store, big, f"c{i}", NOW, owner="dead-1")
        else:  # adopted by us before, our lease expired, placed by another
            slot(store, big, f"c{i}", NOW - 5, owner=ME, origin="dead-1", node=node)
    for i in range(20):
        slot(store, small, f"s{i}", NOW, owner="dead-1" if i % 2 else "live", node="fs2")
    return [big, small]


def test_the_windowed_adopt_adopts_what_the_whole_campaign_script_adopted_node_by_node(store, redis_server):
    campaigns = a_database(store)
    other = redis.Redis(host=redis_server["host"], port=redis_server["port"], db=1, decode_responses=True)
    copy_database(store.r, other)
    reference = other.register_script((REFERENCE / "adopt_whole_campaign.lua").read_text())
    keys = store.keys
    theirs, ours = [], []
    for campaign in campaigns:
        for node in ("fs1", "fs2"):  # the engine of before: one run per node, every slot
            args = [NOW, ME, LEASE_MS, json.dumps([node]), 1000]
            raw = reference(keys=[keys.calls(campaign), keys.call_prefix, keys.engine_prefix], args=args)
            for row in json.loads(raw):
                row[5] = {leg: json.loads(cdr) for leg, cdr in row[5].items()}  # as scripts.py decodes it
                theirs.append(row)
        cursor, calls = "0", 0
        while True:
            cursor, rows = store.calls.adopt(campaign, NOW, ME, LEASE_MS, ["fs1", "fs2"], cursor, window=50)
            ours += [list(row) for row in rows]
            calls += 1
            if cursor == "0":
                break
        assert calls > 1 or campaign == "camp-small"
    assert len(ours) == 6 * 67 + 10  # big: kinds 0, 1, 3, 5, 6 and 8 on fs1 and fs2 (67 of each 100); small: 10
    assert sorted(ours) == sorted(theirs)
    assert everything(store.r) == everything(other)
    other.close()


def test_a_window_read_again_adopts_nothing_again(store):
    (campaign, _) = a_database(store)
    _, first = store.calls.adopt(campaign, NOW, ME, LEASE_MS, ["fs1", "fs2"], "0", window=50)
    assert first
    _, again = store.calls.adopt(campaign, NOW, ME, LEASE_MS, ["fs1", "fs2"], "0", window=50)
    assert not {row.call for row in first} & {row.call for row in again}, "re-owned, lease renewed: ours now"


def test_no_call_reads_more_than_about_a_window_of_slots(store):
    for i in range(3000):
        slot(store, "camp", f"c{i}", NOW, owner="live", node="fs1")
    store.engines.beat("live", 600_000)

    def slot_reads() -> int:
        return int(store.r.info("commandstats").get("cmdstat_hmget", {}).get("calls", 0))

    cursor, reads = "0", []
    while True:
        before = slot_reads()
        cursor, _ = store.calls.adopt("camp", NOW, ME, LEASE_MS, ["fs1"], cursor, window=100)
        reads.append(slot_reads() - before)
        if cursor == "0":
            break
    assert sum(reads) >= 3000, "every slot read"
    assert max(reads) <= 200, f"one call read {max(reads)} slots"
