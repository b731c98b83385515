"""/v3/webhook/*: queue counts and the dead letters (list, requeue one or all, delete)."""

from __future__ import annotations

import json

import gevent.pywsgi
import pytest

from dialer.service import webhooks
from dialer.store import webhook_backlog
from dialer.webhooks import MAX_TRIES, WebhookSender
from tests.api_fixtures import snapshot
from tests.receivers import WebhookReceiver

DEAD = "/v3/webhook/dead"
GONE = "http://127.0.0.1:9/cdr"  # nothing listens on the discard port: the connection is refused


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r.url, r.record(lambda q: (q.headers.get("x-autocall-delivery", ""), q.json())), r.status


def kill(store, url: str = GONE, call: str = "call-1") -> str:
    """Queue one delivery and fail it for the last time: it is dead. Returns its id."""
    store.webhook_queue.queue([(url, json.dumps({"call_id": call}), "camp-1")], 0)
    (delivery,) = store.webhook_queue.claim(0, 1, 1)
    store.r.hset(store.keys.webhook(delivery), "tries", MAX_TRIES - 1)
    assert WebhookSender(store, allow_private=True, clock=lambda: 0.0, timeout=2).deliver(delivery) is False
    assert store.r.lpos(store.keys.webhooks_dead, delivery) is not None
    return delivery


def test_stats_count_queued_due_and_dead(api, store, services):
    services.clock = lambda: 100.0
    store.webhook_queue.queue([("http://x/1", "{}", "c"), ("http://x/2", "{}", "c")], 50_000)
    store.webhook_queue.queue([("http://x/3", "{}", "c")], 200_000)
    kill(store)
    res = api("GET", "/v3/webhook/stats")
    assert res.status_code == 200 and res.json == {"queued": 3, "due": 2, "dead": 1}


def test_dead_deliveries_are_listed_newest_first_with_their_last_error(api, store):
    first = kill(store, call="a")
    second = kill(store, url="http://127.0.0.1:9/other", call="b")
    res = api("GET", DEAD)
    assert res.status_code == 200 and (res.json["total"], res.json["limit"], res.json["offset"]) == (2, 100, 0)
    newest, oldest = res.json["data"]
    assert (newest["delivery_id"], oldest["delivery_id"]) == (second, first)
    assert newest["url"] == "http://127.0.0.1:9/other" and newest["campaign_uuid"] == "camp-1"
    assert newest["tries"] == MAX_TRIES and "refused" in newest["last_error"].lower()
    assert json.loads(newest["body"]) == {"call_id": "b"}
    page = api("GET", DEAD, query_string="limit=1&offset=1").json
    assert [d["delivery_id"] for d in page["data"]] == [first] and page["total"] == 2


def test_dead_list_paging_is_validated(api):
    res = api("GET", DEAD, query_string="limit=0&offset=-1")
    assert res.status_code == 400
    assert res.json == {
        "error": [{"limit": "Must be greater than or equal to 1"}, {"offset": "Must be greater than or equal to 0"}]
    }


def test_a_requeued_delivery_is_sent_again_with_its_tries_reset(api, store, services, receiver):
    url, got, status = receiver
    status["code"] = "502 Bad Gateway"
    delivery = kill(store, url=f"{url}/cdr")
    assert "502" in store.r.hget(store.keys.webhook(delivery), "last_error")
    status["code"] = "200 OK"
    got.clear()
    services.clock = lambda: 5.0
    res = api("POST", f"{DEAD}/{delivery}/retry")
    assert res.status_code == 200 and res.json == {"delivery_id": delivery}
    assert store.r.llen(store.keys.webhooks_dead) == 0
    assert store.r.zscore(store.keys.webhooks, delivery) == 5_000
    assert store.r.hget(store.keys.webhook(delivery), "tries") == "0"
    assert WebhookSender(store, allow_private=True, clock=lambda: 5.0).deliver_due() == 1
    gevent.sleep(0)
    for _ in range(200):
        if got:
            break
        gevent.sleep(0.01)
    assert got == [(delivery, {"call_id": "call-1"})]
    for _ in range(200):
        if not store.r.exists(store.keys.webhook(delivery)):
            break
        gevent.sleep(0.01)
    assert store.r.zcard(store.keys.webhooks) == 0 and not store.r.exists(store.keys.webhook(delivery))


def test_requeueing_twice_or_a_live_delivery_is_not_found_and_touches_nothing(api, store, redis_client):
    delivery = kill(store)
    assert api("POST", f"{DEAD}/{delivery}/retry").status_code == 200
    before = snapshot(redis_client)
    res = api("POST", f"{DEAD}/{delivery}/retry")  # now queued, not dead
    assert res.status_code == 404 and res.json == {"error": "Not Found"}
    assert api("DELETE", f"{DEAD}/{delivery}").status_code == 404  # a live delivery is never deleted
    assert snapshot(redis_client) == before


def test_ids_autocall_does_not_make_are_not_found(api, store, redis_client):
    kill(store)
    before = snapshot(redis_client)
    for bad in ("abc", "0" * 31, "A" * 32, "01", "x" * 32, "%2A", "1" * 20):
        assert api("POST", f"{DEAD}/{bad}/retry").json == {"error": "Not Found"}, bad
        assert api("DELETE", f"{DEAD}/{bad}").status_code == 404, bad
    assert snapshot(redis_client) == before


def test_counter_ids_from_finish_lua_are_accepted(api, store):
    k = store.keys
    store.r.hset(k.webhook("42"), mapping={"url": GONE, "body": "{}", "tries": MAX_TRIES, "campaign": "c"})
    store.r.lpush(k.webhooks_dead, "42")
    assert [d["delivery_id"] for d in api("GET", DEAD).json["data"]] == ["42"]
    assert api("POST", f"{DEAD}/42/retry").json == {"delivery_id": "42"}
    assert store.r.zscore(k.webhooks, "42") is not None


def test_retry_all_requeues_every_dead_delivery_in_batches(api, store, monkeypatch):
    monkeypatch.setattr(webhook_backlog, "BATCH", 2)
    dead = [kill(store, call=str(i)) for i in range(5)]
    orphan = "f" * 32  # a dead id whose hash is gone: nothing to send, it is dropped
    store.r.lpush(store.keys.webhooks_dead, orphan)
    res = api("POST", f"{DEAD}/retry")
    assert res.status_code == 200 and res.json == {"requeued": 5}
    assert store.r.llen(store.keys.webhooks_dead) == 0
    assert sorted(store.r.zrange(store.keys.webhooks, 0, -1)) == sorted(dead)
    assert not store.r.exists(store.keys.webhook(orphan))
    assert {store.r.hget(store.keys.webhook(d), "tries") for d in dead} == {"0"}
    assert api("POST", f"{DEAD}/retry").json == {"requeued": 0}


def test_a_dead_delivery_can_be_deleted(api, store):
    keep, drop = kill(store, call="keep"), kill(store, call="drop")
    res = api("DELETE", f"{DEAD}/{drop}")
    assert res.status_code == 200 and res.json == {"delivery_id": drop}
    assert store.r.lrange(store.keys.webhooks_dead, 0, -1) == [keep]
    assert not store.r.exists(store.keys.webhook(drop)) and store.r.exists(store.keys.webhook(keep))
    assert api("DELETE", f"{DEAD}/{drop}").status_code == 404


def test_a_concurrent_change_to_the_dead_list_is_retried_not_lost(services, store, monkeypatch):
    first = kill(store, call="a")
    k = store.keys
    backlog = services.store.webhook_backlog
    real = backlog._watched
    raced, steps = [], []

    def racing(keys, step):
        def step_with_a_race(pipe):
            steps.append(1)
            result = step(pipe)
            if not raced:  # another delivery dies between our read and our EXEC
                raced.append(kill(store, call="late"))
            return result

        return real(keys, step_with_a_race)

    monkeypatch.setattr(backlog, "_watched", racing)
    webhooks.requeue(services, first)
    assert len(steps) == 2  # the first EXEC was refused (WATCH), the second went through
    assert store.r.lrange(k.webhooks_dead, 0, -1) == raced
    assert store.r.zscore(k.webhooks, first) is not None


def test_the_webhook_endpoints_need_the_bearer_token(api):
    for method, path in (
        ("GET", "/v3/webhook/stats"),
        ("GET", DEAD),
        ("POST", f"{DEAD}/retry"),
        ("POST", f"{DEAD}/{'a' * 32}/retry"),
        ("DELETE", f"{DEAD}/{'a' * 32}"),
    ):
        assert api(method, path, auth=False).status_code == 401
