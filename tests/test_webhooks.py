"""Webhooks: queued atomically with the result, delivered with retries, never silently dropped."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path

import pytest

from dialer.simswitch import Scenario
from dialer.store.store import Store
from dialer.webhooks import DELIVERY_HEADER, MAX_TRIES, SIGNATURE_HEADER, WebhookSender, backoff_ms, signature
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads
from tests.receivers import WebhookReceiver


@pytest.fixture
def store(redis_client) -> Store:
    return Store(redis_client)


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r.url, r.record(lambda q: (q.path, q.json())), r.status


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


# -- headers: delivery id, user agent, signature -----------------------------------------
DOC = Path(__file__).parent.parent / "docs" / "api-cdrs-webhooks.md"


def documented_verify():
    """The receiver's recipe exactly as docs/api-cdrs-webhooks.md gives it."""
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)
    (source,) = [b for b in blocks if "def verify" in b]
    scope: dict = {}
    exec(source, scope)
    return scope["verify"]


@pytest.fixture
def raw_receiver():
    with WebhookReceiver() as r:
        yield r.url, r.record(lambda q: (q.headers, q.body)), r.status


def test_a_signed_delivery_verifies_with_the_documented_recipe(store, raw_receiver):
    url, got, _ = raw_receiver
    body = json.dumps({"call_id": "c1", "external_id": "Nguyễn Văn Ánh"}, ensure_ascii=False)
    store.queue_webhooks([(f"{url}/cdr", body, "c1")], 0)
    sender = WebhookSender(store, secret="s3cret")
    (delivery,) = store.claim_webhooks(0, 60_000, 10)
    assert sender.deliver(delivery) is True
    ((headers, raw),) = got
    assert raw == body.encode("utf-8")
    assert headers["x-autocall-delivery"] == delivery and headers["user-agent"] == "autocall-webhooks/1"
    verify = documented_verify()
    signed = headers["x-autocall-signature"]
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", signed)
    assert verify("s3cret", signed, raw)
    assert not verify("other", signed, raw)
    assert not verify("s3cret", signed, raw + b" ")
    assert not verify("s3cret", signed, raw, tolerance=-1)  # too old
    assert not verify("s3cret", "garbage", raw)


def test_the_signature_covers_timestamp_and_body(store):
    sender = WebhookSender(store, secret="k", clock=lambda: 1_700_000_000.9)
    headers = sender.headers(b'{"a":1}', "d1")
    expected = hmac.new(b"k", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == f"t=1700000000,v1={expected}" == signature("k", b'{"a":1}', 1_700_000_000)
    assert headers[DELIVERY_HEADER] == "d1"


def test_without_a_secret_nothing_is_signed_but_the_delivery_id_is_sent(store, raw_receiver):
    url, got, _ = raw_receiver
    store.queue_webhooks([(f"{url}/cdr", "{}", "c1")], 0)
    (delivery,) = store.claim_webhooks(0, 60_000, 10)
    assert WebhookSender(store).deliver(delivery) is True
    ((headers, _),) = got
    assert "x-autocall-signature" not in headers and headers["x-autocall-delivery"] == delivery


def test_a_retry_carries_the_same_delivery_id_signed_anew(store, raw_receiver):
    url, got, status = raw_receiver
    status["code"] = "503 Service Unavailable"
    store.queue_webhooks([(f"{url}/cdr", "{}", "c1")], 0)
    now = [1_700_000_000.0]
    sender = WebhookSender(store, clock=lambda: now[0], secret="k")
    (delivery,) = store.claim_webhooks(1_700_000_000_000, 1, 10)
    assert sender.deliver(delivery) is False
    status["code"] = "202 Accepted"
    now[0] += 1
    assert sender.deliver(delivery) is True
    (first, _), (second, _) = got
    assert first["x-autocall-delivery"] == second["x-autocall-delivery"] == delivery
    assert first["x-autocall-signature"] != second["x-autocall-signature"]
    assert second["x-autocall-signature"].startswith("t=1700000001,")
