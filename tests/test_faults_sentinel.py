"""Redis failover under Sentinel: a real primary, one replica and three Sentinels on loopback
(tests/sentinels.py). kill -9 of the primary mid-campaign: the engine dials on through the new
primary, no lead is dialled twice, no import the API acknowledged is lost, webhooks resume."""

from __future__ import annotations

import collections
import time

import gevent
import pytest
import redis
from falcon.testing import TestClient

from dialer.api.app import build_app
from dialer.service.context import Services
from dialer.store.store import Store
from dialer.webhooks import WebhookSender
from simswitch import Limits, Scenario
from simswitch.originate_log import OriginateLog
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads
from tests.receivers import WebhookReceiver
from tests.sentinels import RedisHa

MIXED = Scenario(
    rules=[],
    default={"mix": {"answer": 0.6, "sip486": 0.2, "no_answer": 0.1, "sip404": 0.1}, "talk": [20, 60], "ring": [2, 10]},
)
KILL_AT = 150  # from this originate on, the primary dies at the next claim (after the imports)
IMPORTED_BEFORE = 20  # leads the API acknowledges just before the kill


@pytest.fixture
def redis_ha(tmp_path):
    workdir = tmp_path / "redis-ha"
    workdir.mkdir()
    ha = RedisHa(workdir)
    try:
        ha.start()
        yield ha
    finally:
        ha.stop()


def originates(path) -> collections.Counter[str]:
    """Originates the simulator received, per call uuid (leg 0's origination_uuid is the call uuid)."""
    lines = path.read_text().splitlines() if path.exists() else []
    return collections.Counter(line.split(" ")[1] for line in lines)


def test_kill9_of_the_primary_mid_campaign_fails_over_and_loses_nothing(redis_ha, simswitch, tmp_path):
    store = Store.from_url(redis_ha.url())
    assert store.replication.enabled, "Sentinel mode waits for a replica by default"
    server = simswitch(MIXED, time_scale=0.02, seed=5, limits=Limits(sps=400))
    log_path = tmp_path / "originates.log"
    server.switch.originate_log = OriginateLog(str(log_path))
    # The lease outlives the failover: a claim cut off by the kill is given back (unclaim.lua), not adopted.
    engine = make_engine(store, server, tmp_path / "audio", lease_s=10, adopt_every_s=0.2)
    client = TestClient(build_app(Services(store, tmp_path / "audio"), ["tok"]))
    auth = {"Authorization": "Bearer tok"}
    outage: dict[str, object] = {}

    def at_originate(n: int) -> None:
        if n >= KILL_AT and "at" not in outage:
            outage["at"] = n
            gevent.spawn(failover)
        elif "killed_at" in outage and "resumed_after" not in outage:
            outage["resumed_after"] = time.monotonic() - outage["killed_at"]

    def import_one(i: int) -> tuple[int, str | None]:
        reply = client.simulate_post(
            "/v3/autocall/import",
            headers=auth,
            json={"campaign_uuid": outage["campaign"], "phone_number": f"09712{i:05d}", "param": {}},
        )
        return reply.status_code, (reply.json or {}).get("lead_uuid")

    def failover() -> None:
        # Leads the API acknowledged before the kill survive it: each answer waited for the replica.
        outage["acked"] = [import_one(i) for i in range(IMPORTED_BEFORE)]
        outage["armed"] = True  # the next claim is cut off: the primary dies before its answer
        wait_until(lambda: "killed_at" in outage, timeout=30)
        redis_ha.wait_failover(outage["old"])
        outage["failover_s"] = time.monotonic() - outage["killed_at"]
        # And the API takes imports again on the new primary.
        outage["after"] = import_one(IMPORTED_BEFORE)

    real_confirm = store.replication.confirm

    def confirm(what: str) -> int | None:
        # The worst moment: claim.lua ran and its slots are on the replica, the engine has not heard
        # back (it must dial none of them; they are given back on the new primary, not dialled twice).
        acks = real_confirm(what)
        if what == "claim" and outage.get("armed") and "killed_at" not in outage:
            outage["old"] = redis_ha.kill9_primary()
            outage["killed_at"] = time.monotonic()
            raise redis.ConnectionError("test: the primary died before the claim's answer")
        return acks

    store.replication.confirm = confirm  # type: ignore[method-assign]

    server.switch.on_originate.append(at_originate)
    with WebhookReceiver() as receiver:
        bodies = receiver.record(lambda q: q.body.decode())
        sender = WebhookSender(store, allow_private=True)
        sender.start()
        try:
            camp = audio_campaign(store, concurrent_call=60, call_timeout=20, callback_url=receiver.url + "/cdr")
            outage["campaign"] = camp.campaign_uuid
            batch = leads(store, camp, 400)
            engine.wake(camp.campaign_uuid)
            wait_until(lambda: "after" in outage, timeout=60)
            wait_until(lambda: _settled(store, camp.campaign_uuid), timeout=90)
            engine.flush()
            acked = outage["acked"]
            assert all(status == 200 for status, _ in acked), acked
            status, late_lead = outage["after"]
            assert status == 200, "the API takes imports on the new primary"
            lead_uuids = [x.lead_uuid for x in batch] + [lead for _, lead in acked] + [late_lead]
            result = check_nothing_lost(store, server.switch, camp.campaign_uuid, lead_uuids)
            cdrs = store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)
            wait_until(lambda: all(any(c in b for b in bodies) for c in cdrs), timeout=30)
        finally:
            sender.stop()
            engine.stop(drain_timeout=2)
    assert result["done"] == 400 + IMPORTED_BEFORE + 1, "every lead, acknowledged imports included, was recorded"
    sent = originates(log_path)
    assert max(sent.values()) == 1, "no call was originated twice"
    print(
        f"\nfailover: Sentinels named the new primary {outage['failover_s']:.2f} s after kill -9; "
        f"the next originate came {outage.get('resumed_after', float('nan')):.2f} s after it; {result}; "
        f"slots of claims cut off by the kill, given back: {store.calls.given_back}"
    )
    assert store.calls.given_back > 0, "the claim cut off was given back"
    assert result["lost"] == 0
    for lead in lead_uuids:
        calls = store.r.lrange(store.keys.lead_calls(lead), 0, -1)
        dialled = sum(sent[c] for c in calls)
        assert dialled == len(calls) == 1, f"lead {lead}: {len(calls)} attempts, {dialled} originates"
    known = {c for lead in lead_uuids for c in store.r.lrange(store.keys.lead_calls(lead), 0, -1)}
    assert set(sent) <= known, "every originate belongs to a recorded attempt"
    assert store.replication.waits > 0


def _settled(store: Store, campaign_uuid: str) -> bool:
    try:
        return campaign_settled(store, campaign_uuid)
    except redis.RedisError:
        return False


def test_after_a_switchover_the_next_claim_goes_to_the_new_primary(redis_ha, tmp_path):
    """SENTINEL FAILOVER: the old primary lives on as a replica (Sentinel kills its clients'
    connections; one that still reached it would be answered READONLY, which redis-py's Sentinel
    pool turns into a reconnect): the next claim is made on the new primary."""
    store = Store.from_url(redis_ha.url())
    camp = audio_campaign(store, concurrent_call=10)
    leads(store, camp, 5)
    first, _ = store.calls.claim(camp.campaign_uuid, 1, "fs1", int(time.time() * 1000), 60_000, ["c-1"])
    old = redis_ha.primary_name()
    redis_ha.sentinel_client().execute_command("SENTINEL", "FAILOVER", "autocall")
    wait_until(lambda: redis_ha.client(old).role()[0] == "slave", timeout=60)
    second, _ = store.calls.claim(camp.campaign_uuid, 1, "fs1", int(time.time() * 1000), 60_000, ["c-2"])
    assert redis_ha.primary_name() != old
    assert len(first) == len(second) == 1 and first[0].lead_uuid != second[0].lead_uuid


def test_the_servers_password_and_the_sentinels_own_are_each_sent_where_they_belong(tmp_path):
    workdir = tmp_path / "redis-ha-auth"
    workdir.mkdir()
    ha = RedisHa(workdir, password="data-pw", sentinel_password="sentinel-pw")
    try:
        ha.start()
        store = Store.from_url(ha.url(query="sentinel_password=sentinel-pw"))
        camp = audio_campaign(store, concurrent_call=10)
        assert store.campaigns.get(camp.campaign_uuid) is not None
        assert store.replication.confirm("test") == 1
        with pytest.raises(redis.ConnectionError):  # the Sentinels refuse a client without their password
            Store.from_url(ha.url()).r.ping()
    finally:
        ha.stop()
