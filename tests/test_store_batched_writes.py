"""claim.lua and finish.lua gather their Redis writes per batch (issue 17): what they store is what
the scripts they replaced stored lead by lead and attempt by attempt (tests/reference_lua/), key for
key and field for field; and the enable_encrypt flags the store keeps for finishing are checked by
finish.lua, so a campaign that turned it on or off meanwhile is written as it now says."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import redis

from dialer.domain.cdr import CallRecord, RetryRecord
from dialer.store.records import CDR_SHAPES, Claim, Finish
from dialer.store.sealing import Sealer
from dialer.store.store import Store
from tests.factories import call_record, campaign, leads

REFERENCE = Path(__file__).parent / "reference_lua"
NOW = 10_000
KEY = base64.b64encode(bytes(range(32))).decode()


def old_payload(f: Finish) -> dict[str, Any]:
    """The JSON object the per-attempt finish.lua read (the Finish.as_lua of before)."""
    flat_cdr: list[str] = []
    for k, v in f.cdr.as_hash().items():
        flat_cdr += [k, v]
    flat_lead: list[str] = []
    for k, v in f.lead_update.items():
        flat_lead += [k, str(v)]
    stats: list[Any] = []
    for k, n in f.stats.items():
        stats += [k, n]
    return {
        "campaign": f.campaign_uuid,
        "lead": f.lead_uuid,
        "call": f.call_uuid,
        "network": f.network,
        "end_ms": f.end_ms,
        "hour": f.hour,
        "cdr": flat_cdr,
        "lead_update": flat_lead or ["updated_ms", str(f.end_ms)],
        "reported": f.reported,
        "requeue": f.requeue,
        "due_ms": f.due_ms,
        "next_call": f.next_call,
        "stats": stats,
        "webhooks": [list(w) for w in f.webhooks],
    }


def reference_store(client: redis.Redis) -> Store:
    """A store whose claim runs the per-lead claim.lua (which read its call uuids as a JSON list)."""
    ref = Store(client)
    script = client.register_script((REFERENCE / "claim_per_lead.lua").read_text())

    def claim(keys: list[str], args: list[Any], client: Any) -> Any:
        return script(keys=keys, args=[*args[:5], json.dumps(args[5].split()), *args[6:]], client=client)

    ref.scripts._scripts["claim"] = claim  # type: ignore[assignment]
    return ref


def reference_finish(ref: Store, batch: list[Finish], now_ms: int) -> list[str]:
    k = ref.keys
    keys = [k.webhooks, k.seq("webhook"), k.campaign_prefix, k.call_prefix, k.lead_prefix, k.webhook_prefix]
    script = ref.r.register_script((REFERENCE / "finish_per_attempt.lua").read_text())
    payload = json.dumps([old_payload(f) for f in batch], ensure_ascii=False, separators=(",", ":"))
    return [str(c) for c in script(keys=keys, args=[now_ms, payload])]


def everything(client: redis.Redis) -> dict[str, Any]:
    """Every key with its type and whole value."""
    out: dict[str, Any] = {}
    for key in sorted(client.keys("*")):
        kind = client.type(key)
        if kind == "hash":
            value: Any = client.hgetall(key)
        elif kind == "zset":
            value = client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            value = client.lrange(key, 0, -1)
        elif kind == "set":
            value = sorted(client.smembers(key))
        else:
            value = client.get(key)
        out[key] = (kind, value)
    return out


def copy_database(source: redis.Redis, target: redis.Redis) -> None:
    for key in source.keys("*"):
        target.restore(key, 0, source.dump(key), replace=True)


def finishes(claims: list[Claim], i0: int = 0) -> list[Finish]:
    """A mix: answered (done, webhook), busy (recalled now), refused (retried, not reported)."""
    out = []
    for i, c in enumerate(claims, i0):
        kind = i % 4
        if kind == 3:
            out.append(
                Finish(
                    c.campaign_uuid,
                    c.lead_uuid,
                    c.call_uuid,
                    c.network,
                    NOW,
                    "2026112309",
                    RetryRecord(hangup_cause="CALL_REJECTED", end_ms=NOW),
                    {},
                    reported=False,
                    requeue="fresh" if c.attempts == 0 else "recalls",
                    due_ms=NOW - 1,
                    next_call=c.call_uuid,
                )
            )
            continue
        answered = kind == 0
        cdr = call_record(
            campaign=c.campaign_uuid,
            lead=c.lead_uuid,
            numbers=c.numbers,
            legs=[c.call_uuid],
            network=c.network,
            answered_number=c.numbers[0] if answered else "",
            end_ms=NOW,
            billsec=i % 7 if answered else 0,
            duration=9,
            report_key="answered" if answered else "busy",
            reason="Trả lời" if answered else "busy",
        )
        out.append(
            Finish(
                c.campaign_uuid,
                c.lead_uuid,
                c.call_uuid,
                c.network,
                NOW + i,
                "2026112309" if i % 5 else "2026112310",
                cdr,
                {"attempts": c.attempts + 1, "last_status": cdr.report_key, "updated_ms": NOW},
                requeue=None if answered else "recalls",
                due_ms=NOW - 2,
                stats={"total_calls": 1, "total_billsec": cdr.billsec, cdr.report_key: 1},
                webhooks=[("http://127.0.0.1:9/cdr", json.dumps({"call": c.call_uuid, "số": c.numbers}))]
                if answered
                else [],
            )
        )
    return out


def test_batched_claims_and_finishes_store_what_the_per_attempt_scripts_stored(store, redis_client, redis_server):
    big = campaign(store, concurrent_call=3000, network={"viettel": 700}, priority_recall="recall")
    small = campaign(store, concurrent_call=50)
    leads(store, big, 900, prefix="098")  # over the cap of viettel: its count is read and kept in the script
    leads(store, big, 500, prefix="090")
    leads(store, small, 40, prefix="091")
    dnc = store.r.zrange(store.keys.fresh(big.campaign_uuid), 5, 7)
    for lead in dnc:  # do-not-call while queued: leaves the hopper for good
        store.r.hset(store.keys.lead(lead), "dnc", "1")
    other = redis.Redis(host=redis_server["host"], port=redis_server["port"], db=1, decode_responses=True)
    copy_database(redis_client, other)
    ref = reference_store(other)
    uuids = [f"call-{i}" for i in range(2000)]

    def both_claim(camp, want, now_ms=NOW):
        ours = store.calls.claim(camp.campaign_uuid, want, "fs1", now_ms, 60_000, uuids, "engine-1")
        theirs = ref.calls.claim(camp.campaign_uuid, want, "fs1", now_ms, 60_000, uuids, "engine-1")
        assert ours == theirs
        return ours[0]

    claimed = both_claim(big, 1500)  # over 1,000 leads: the scripts' writes go in slices
    claimed_small = both_claim(small, 40)
    assert len(claimed) > 1000
    for client in (redis_client, other):
        client.hset(store.keys.busy(big.campaign_uuid), "mobi", 3)  # counted down below 0: stays 0
        client.hset(store.keys.call(claimed[0].call_uuid), "hangup:leg-a", "{}")  # kept for an adopter
    batch = finishes(claimed) + finishes(claimed_small, 1)
    batch.insert(5, batch[3])  # the same attempt twice in a batch: recorded once
    batch.append(finishes([Claim(big.campaign_uuid, "lead-x", "call-gone", "viettel", 0, ["1"], {}, 0, 0, "")])[0])
    recorded = store.calls.finish(batch, NOW)
    assert recorded == reference_finish(ref, batch, NOW)
    assert everything(redis_client) == everything(other)

    again = both_claim(big, 300, NOW + 1)  # recalls (ahead) and retries due: back through the hopper
    assert again
    assert store.calls.finish(finishes(again), NOW + 2) == reference_finish(ref, finishes(again), NOW + 2)
    assert everything(redis_client) == everything(other)
    other.close()


def test_a_finish_names_its_record_by_shape_and_sends_only_the_values():
    cdr = call_record(campaign="c", numbers=["0981234567"], legs=["a", "b"], billsec=3)
    retry = RetryRecord(hangup_cause="CALL_REJECTED", end_ms=5)
    for record in (cdr, retry):
        f = Finish("c", "l", "u", "viettel", 5, "2026112309", record, {})
        sent = f.as_lua()
        assert CDR_SHAPES[sent[6] - 1] == tuple(record.as_hash())
        assert dict(zip(CDR_SHAPES[sent[6] - 1], sent[7], strict=True)) == record.as_hash()
    assert isinstance(cdr, CallRecord)


# -- enable_encrypt, as the store last saw it ---------------------------------------------------------------
@pytest.fixture
def sealed_store(redis_client) -> Store:
    return Store(redis_client, sealer=Sealer(KEY))


def _finish_one(store: Store, c: Claim) -> None:
    cdr = call_record(campaign=c.campaign_uuid, lead=c.lead_uuid, numbers=c.numbers, answered_number=c.numbers[0])
    hooks = [("http://127.0.0.1:9/cdr", json.dumps({"phone": c.numbers[0]}))]
    f = Finish(c.campaign_uuid, c.lead_uuid, c.call_uuid, c.network, NOW, "2026112309", cdr, {}, webhooks=hooks)
    assert store.calls.finish([f], NOW) == [c.call_uuid]


def test_a_campaign_that_turned_enable_encrypt_on_since_the_last_finish_has_its_next_results_sealed(
    sealed_store, redis_client
):
    camp = campaign(sealed_store, concurrent_call=2)
    leads(sealed_store, camp, 2)
    first, second = sealed_store.calls.claim(camp.campaign_uuid, 2, "fs1", NOW, 60_000, ["c-1", "c-2"])[0]
    _finish_one(sealed_store, first)
    assert redis_client.hget(sealed_store.keys.call(first.call_uuid), "answered_number") == first.numbers[0]
    redis_client.hset(sealed_store.keys.campaign(camp.campaign_uuid), "enable_encrypt", "true")
    _finish_one(sealed_store, second)
    raw = redis_client.hgetall(sealed_store.keys.call(second.call_uuid))
    assert raw["answered_number"].startswith("enc:") and raw["numbers"].startswith("enc:")
    bodies = [redis_client.hget(sealed_store.keys.webhook(str(d)), "body") for d in (1, 2)]
    assert bodies[0].startswith("{") and bodies[1].startswith("enc:")
    assert sealed_store.calls.get(second.call_uuid)["answered_number"] == second.numbers[0]
    assert sealed_store.sealed.as_known([camp.campaign_uuid]) == {camp.campaign_uuid: True}


def test_a_campaign_that_turned_enable_encrypt_off_since_the_last_finish_has_its_next_results_plain(
    sealed_store, redis_client
):
    camp = campaign(sealed_store, concurrent_call=2, enable_encrypt=True)
    leads(sealed_store, camp, 2)
    first, second = sealed_store.calls.claim(camp.campaign_uuid, 2, "fs1", NOW, 60_000, ["c-1", "c-2"])[0]
    _finish_one(sealed_store, first)
    assert redis_client.hget(sealed_store.keys.call(first.call_uuid), "answered_number").startswith("enc:")
    redis_client.hset(sealed_store.keys.campaign(camp.campaign_uuid), "enable_encrypt", "false")
    _finish_one(sealed_store, second)
    assert redis_client.hget(sealed_store.keys.call(second.call_uuid), "answered_number") == second.numbers[0]


def test_the_flags_kept_for_finishing_are_read_once_per_campaign_until_a_script_says_otherwise(store, redis_client):
    camp = campaign(store)
    assert store.sealed.as_known([camp.campaign_uuid, camp.campaign_uuid]) == {camp.campaign_uuid: False}
    redis_client.hset(store.keys.campaign(camp.campaign_uuid), "enable_encrypt", "true")
    assert store.sealed.as_known([camp.campaign_uuid]) == {camp.campaign_uuid: False}  # as last seen
    store.sealed.learn({camp.campaign_uuid: True})
    assert store.sealed.as_known([camp.campaign_uuid]) == {camp.campaign_uuid: True}


# -- call uuids ---------------------------------------------------------------------------------------
def test_a_claim_reads_only_the_call_uuids_it_needs_and_ends_when_they_run_out(store):
    camp = campaign(store, concurrent_call=10)
    imported = leads(store, camp, 3)
    first = store.calls.claim(camp.campaign_uuid, 3, "fs1", NOW, 60_000, [])[0]  # each lead's own call id
    assert [c.call_uuid for c in first] == [lead.call_id for lead in imported]
    store.calls.finish([finishes([c], 1)[0] for c in first], NOW)  # busy: recalled, with no next call of their own
    again, info = store.calls.claim(camp.campaign_uuid, 3, "fs1", NOW + 1, 60_000, ["new-1", "new-2"])
    assert [c.call_uuid for c in again] == ["new-1", "new-2"] and info.busy == 2
    assert store.calls.in_flight(camp.campaign_uuid) == 2
    assert store.r.hget(store.keys.busy(camp.campaign_uuid), "viettel") == "2"
    (left,) = set(store.r.zrange(store.keys.hopper(camp.campaign_uuid), 0, -1))
    assert store.leads.get(left)["state"] == "queued"
