"""Webhooks: queued atomically with the result, delivered with retries, never silently dropped."""

from __future__ import annotations

import json

import gevent
import gevent.pywsgi
import pytest

from dialer.simswitch import Scenario
from dialer.store.store import Store
from dialer.webhooks import MAX_TRIES, WebhookSender, backoff_ms
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads


@pytest.fixture
def store(redis_client) -> Store:
    return Store(redis_client)


@pytest.fixture
def receiver():
    got: list[tuple[str, dict]] = []
    status = {"code": "200 OK"}

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        got.append((environ["PATH_INFO"], json.loads(body)))
        start_response(status["code"], [("Content-Type", "text/plain")])
        return [b"ok"]

    server = gevent.pywsgi.WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    yield f"http://127.0.0.1:{server.server_port}", got, status
    server.stop()


def test_answer_and_cdr_webhooks_are_delivered(store, simswitch, tmp_path, receiver):
    url, got, _ = receiver
    answers = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}])
    engine = make_engine(store, simswitch(answers), tmp_path / "audio")
    sender = WebhookSender(store)
    sender.start()
    camp = audio_campaign(store, answer_callback_url=f"{url}/answer", callback_url=f"{url}/cdr")
    (lead,) = leads(store, camp, 1, prefix="098")
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: len(got) == 2)
    sender.stop()
    engine.stop(drain_timeout=5)
    paths = dict(got)
    assert paths["/answer"]["call_id"] == lead.call_id
    assert paths["/cdr"]["call_id"] == lead.call_id and paths["/cdr"]["report_key"] == "answered"
    assert store.r.zcard(store.keys.webhooks) == 0


def test_a_failing_endpoint_is_retried_with_backoff(store, receiver):
    url, _got, status = receiver
    status["code"] = "500 Internal Server Error"
    store.queue_webhooks([(f"{url}/cdr", "{}", "c1")], 0)
    sender = WebhookSender(store, clock=lambda: 0.0)
    (delivery,) = store.claim_webhooks(0, 1, 10)
    assert sender.deliver(delivery) is False
    assert store.r.zscore(store.keys.webhooks, delivery) == backoff_ms(1)
    assert store.r.hget(store.keys.webhook(delivery), "tries") == "1"


def test_a_delivery_that_keeps_failing_goes_to_the_dead_list(store, receiver):
    url, _got, status = receiver
    status["code"] = "500 Internal Server Error"
    store.queue_webhooks([(f"{url}/cdr", "{}", "c1")], 0)
    sender = WebhookSender(store, clock=lambda: 0.0)
    (delivery,) = store.claim_webhooks(0, 1, 10)
    store.r.hset(store.keys.webhook(delivery), "tries", MAX_TRIES - 1)
    sender.deliver(delivery)
    assert store.r.lrange(store.keys.webhooks_dead, 0, -1) == [delivery]
    assert store.r.hget(store.keys.webhook(delivery), "url").endswith("/cdr")


def test_a_claimed_delivery_is_not_taken_twice_while_leased(store):
    store.queue_webhooks([("http://127.0.0.1:9/x", "{}", "c1")], 0)
    assert len(store.claim_webhooks(0, 60_000, 10)) == 1
    assert store.claim_webhooks(1, 60_000, 10) == []
