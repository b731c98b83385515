"""Outages around the engine: Redis restarts, the webhook receiver fails, a second
daemon shares the Redis by mistake. Each ends with the crash checks
(tests/crash_checks.py): nothing lost, nothing dialled twice, no slot stuck."""

from __future__ import annotations

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
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads
from tests.processes import AofRedis
from tests.receivers import WebhookReceiver

MIXED = Scenario(
    rules=[],
    default={"mix": {"answer": 0.6, "sip486": 0.2, "no_answer": 0.1, "sip404": 0.1}, "talk": [20, 60], "ring": [2, 10]},
)


@pytest.fixture
def aof_redis(tmp_path):
    server = AofRedis(tmp_path)
    server.start()
    yield server
    if server.proc and server.proc.poll() is None:
        server.proc.kill()


def test_a_redis_restart_mid_campaign_loses_nothing(aof_redis, simswitch, tmp_path):
    store = Store.from_url(aof_redis.url)
    server = simswitch(MIXED, time_scale=0.02, seed=5, limits=Limits(sps=400))
    engine = make_engine(store, server, tmp_path / "audio", lease_s=3, adopt_every_s=0.2)
    client = TestClient(build_app(Services(store, tmp_path / "audio"), ["tok"]))
    auth = {"Authorization": "Bearer tok"}
    outage: dict[str, object] = {}

    def restart_redis(n: int) -> None:
        if n == 150 and "at" not in outage:
            outage["at"] = n
            gevent.spawn(bounce)

    def bounce() -> None:
        # A lead the API acknowledged just before the restart survives it (AOF, SIGTERM).
        acked = client.simulate_post(
            "/v3/autocall/import",
            headers=auth,
            json={"campaign_uuid": outage["campaign"], "phone_number": "0971234567", "param": {}},
        )
        outage["acked"] = (acked.status_code, acked.json.get("lead_uuid"))
        aof_redis.stop()
        reply = client.simulate_get("/v3/campaign", headers=auth)
        outage["api"] = (reply.status_code, reply.json)
        gevent.sleep(1.0)
        aof_redis.start()

    server.switch.on_originate.append(restart_redis)
    try:
        camp = audio_campaign(store, concurrent_call=60, call_timeout=20)
        outage["campaign"] = camp.campaign_uuid
        batch = leads(store, camp, 400)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: "api" in outage, timeout=30)
        wait_until(lambda: _settled(store, camp.campaign_uuid), timeout=60)
        engine.flush()
        status, acked_lead = outage["acked"]
        assert status == 200
        result = check_nothing_lost(
            store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch] + [acked_lead]
        )
    finally:
        engine.stop(drain_timeout=2)
    assert result["done"] == 401
    status, body = outage["api"]
    assert status == 503 and body["error"], "the API answers 503 in its dialect while Redis is away"


def _settled(store: Store, campaign_uuid: str) -> bool:
    try:
        return campaign_settled(store, campaign_uuid)
    except redis.RedisError:
        return False


def test_a_webhook_receiver_down_for_minutes_loses_nothing_and_slows_no_call(store, simswitch, tmp_path):
    """The receiver hangs while the campaign dials (which finishes regardless: deliveries
    wait in Redis, never in the dialling path), answers 500 for minutes, then recovers:
    every delivery arrives exactly once in the end, none is dead-lettered."""
    skew = {"s": 0.0}  # the sender's clock runs ahead: minutes pass in a moment
    server = simswitch(MIXED, time_scale=0.01, seed=6, limits=Limits(sps=400))
    engine = make_engine(store, server, tmp_path / "audio")
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda r: r.headers.get("x-autocall-delivery"))
        receiver.status["hang"] = 1.0  # while the campaign dials, every POST hangs past the sender's timeout
        sender = WebhookSender(store, allow_private=True, clock=lambda: time.time() + skew["s"], timeout=0.2)
        sender.start()
        try:
            camp = audio_campaign(store, concurrent_call=50, call_timeout=20, callback_url=receiver.url + "/cdr")
            batch = leads(store, camp, 200)
            engine.wake(camp.campaign_uuid)
            wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=30)
            engine.flush()
            check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
            queued = store.r.zcard(store.keys.webhooks)
            assert queued == 200 and store.r.llen(store.keys.webhooks_dead) == 0
            # Then minutes of 500s ...
            receiver.status.update(code="500 Internal Server Error", hang=0)
            for _ in range(3):  # each step: two minutes pass, every delivery is due and fails once more
                tried = len(got)
                skew["s"] += 120
                wait_until(lambda tried=tried: len(got) >= tried + 200, timeout=20)
            assert store.r.zcard(store.keys.webhooks) == 200 and store.r.llen(store.keys.webhooks_dead) == 0
            failed_posts = len(got)
            # ... then it recovers: everything is delivered, once.
            receiver.status["code"] = "200 OK"
            skew["s"] += 600
            wait_until(lambda: store.r.zcard(store.keys.webhooks) == 0, timeout=20)
        finally:
            sender.stop()
            engine.stop(drain_timeout=2)
    delivered = got[failed_posts:]
    assert len(set(delivered)) == 200 and store.r.llen(store.keys.webhooks_dead) == 0


def test_two_daemons_on_one_redis_keep_caps_exact_and_never_share_a_lead(store, simswitch, tmp_path):
    server = simswitch(MIXED, time_scale=0.02, seed=7, limits=Limits(sps=400))
    # Each daemon's own rate limit (sps) is below what the campaign could use, so both claim all along.
    one = make_engine(store, server, tmp_path / "audio", sps=60)
    two = make_engine(store, server, tmp_path / "audio", sps=60)
    peak = {"calls": 0}

    def watch() -> None:
        while True:
            peak["calls"] = max(peak["calls"], len(server.switch.channels))
            gevent.sleep(0.005)

    watcher = gevent.spawn(watch)
    try:
        camp = audio_campaign(store, concurrent_call=40, call_timeout=20)
        batch = leads(store, camp, 300)
        one.wake(camp.campaign_uuid)
        two.wake(camp.campaign_uuid)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=60)
        one.flush()
        two.flush()
        result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    finally:
        watcher.kill()
        one.stop(drain_timeout=2)
        two.stop(drain_timeout=2)
    assert result["done"] == 300 and result["lost"] == 0
    assert peak["calls"] <= 40, "concurrent_call is a cap across every daemon"
    assert one.finished > 50 and two.finished > 50, "both daemons dialled"
    assert one.finished + two.finished == 300
