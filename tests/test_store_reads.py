"""The store modules the services, status, metrics and the engine read Redis through (issue 16).

Their behaviour through the API, ``autocall status``, ``/metrics`` and the
engine is specified elsewhere (test_api_v3_cdrs, test_api_v3_webhooks,
test_live, test_status_cli, test_metrics, test_engine_reconcile); these pin
what each returns: plain values, never a raw Redis reply.
"""

from __future__ import annotations

import json

from dialer.store.engine_listing import EngineInfo
from dialer.store.queue_counts import CountsWanted, QueueCounts
from dialer.store.webhook_backlog import WebhookCounts


def test_queue_counts_of_no_campaign_is_no_round_trip(store, monkeypatch):
    monkeypatch.setattr(store.r, "pipeline", lambda *a, **k: (_ for _ in ()).throw(AssertionError("read")))
    assert store.queue_counts.of([], 1_000, (10, 60)) == []


def test_queue_counts_are_ints_per_campaign_in_order(store):
    k = store.keys
    store.r.zadd(k.calls("a"), {"c1": 1, "c2": 2})
    store.r.zadd(k.cdrs("a"), {"x": 55_000, "y": 95_000, "z": 99_000})
    store.r.zadd(k.recalls("b"), {"l1": 50_000, "l2": 200_000})
    store.r.hset(k.stats("b", "2022010110"), mapping={"total_calls": 3})
    store.r.hset(k.held, "b", json.dumps({"why": ["no carrier"], "since_ms": 1}))
    wanted = [CountsWanted("a", []), CountsWanted("b", ["2022010109", "2022010110"])]
    a, b = store.queue_counts.of(wanted, 100_000, (10, 60))
    assert a == QueueCounts(2, [2, 3], 0, 0, 0, 0, [], None)
    assert b.recalls == 2 and b.recalls_due == 1 and b.ended == [0, 0]
    assert b.hours == [{}, {"total_calls": "3"}] and json.loads(b.held or "")["why"] == ["no carrier"]
    assert store.queue_counts.recalls_due("b", 100_000) == 1


def test_engines_alive_are_listed_by_id_with_what_they_wrote(store):
    store.r.set(store.keys.engine("b"), json.dumps({"host": "h", "pid": 7}))
    store.r.set(store.keys.engine("a"), "not json")
    store.r.set(store.keys.engine("c"), "[1, 2]")
    alive = store.engine_listing.alive()
    assert alive == [EngineInfo("a", {}), EngineInfo("b", {"host": "h", "pid": 7}), EngineInfo("c", {})]


def test_webhook_counts_and_dead_letters(store):
    k = store.keys
    store.r.zadd(k.webhooks, {"1": 10, "2": 30})
    store.r.lpush(k.webhooks_dead, "3")
    store.r.hset(k.webhook("3"), mapping={"url": "http://x", "tries": 15})
    assert store.webhook_backlog.counts(20) == WebhookCounts(queued=2, due=1, dead=1)
    (dead,), total = store.webhook_backlog.dead(offset=0, limit=10)
    assert total == 1 and dead.delivery_id == "3" and dead.fields["url"] == "http://x"
    assert store.webhook_backlog.requeue("4", 50) is False  # not dead: nothing moved
    assert store.webhook_backlog.requeue("3", 50) is True
    assert store.r.zscore(k.webhooks, "3") == 50 and store.r.hget(k.webhook("3"), "tries") == "0"
    assert store.webhook_backlog.delete("3") is False  # queued again, so never deleted


def test_external_ids_walk_every_lead(store):
    store.r.hset(store.keys.external("c"), mapping={f"e{i}": f"lead{i}" for i in range(25)})
    assert sorted(store.external_ids.leads("c")) == sorted((f"e{i}", f"lead{i}") for i in range(25))


def test_a_subscription_gets_published_text_and_hands_its_connection_back(store):
    class Engine:  # redis-py keeps the callback as a weak method: it must be a bound one
        def resubscribed(self, _connection):
            pass

    engine = Engine()
    sub = store.subscriptions.subscribe(engine.resubscribed)
    callbacks = sub._pubsub.connection._connect_callbacks  # redis-py's weak methods
    assert engine.resubscribed in [ref() for ref in callbacks]
    store.campaigns.wake("camp")
    assert next(sub.messages()) == "wake camp"
    sub.close()
    assert engine.resubscribed not in [ref() for ref in callbacks]  # the connection goes back to the pool bare
