"""Webhooks: queued atomically with the result, delivered with retries, never silently dropped."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import re
from pathlib import Path

import pytest

from dialer.logs import JsonFormatter
from dialer.webhooks import DELIVERY_HEADER, MAX_TRIES, SIGNATURE_HEADER, WebhookSender, backoff_ms, signature
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads
from tests.receivers import DripReceiver, GarbageReceiver, WebhookReceiver


@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r.url, r.record(lambda q: (q.path, q.json())), r.status


def test_answer_and_cdr_webhooks_are_delivered(store, simswitch, tmp_path, receiver):
    url, got, _ = receiver
    answers = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}])
    engine = make_engine(store, simswitch(answers), tmp_path / "audio")
    sender = WebhookSender(store, allow_private=True)
    sender.start()
    camp = audio_campaign(store, answer_callback_url=f"{url}/answer", callback_url=f"{url}/cdr")
    (lead,) = leads(store, camp, 1, prefix="098")
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: len(got) == 2)
    sender.stop()
    engine.stop(drain_timeout=5)
    paths = dict(got)
    assert paths["/answer"]["call_id"] == lead.call_id
    assert paths["/cdr"]["call_id"] == lead.call_id and paths["/cdr"]["status"] == "answered"
    assert store.r.zcard(store.keys.webhooks) == 0


def test_a_failing_endpoint_is_retried_with_backoff(store, receiver):
    url, _got, status = receiver
    status["code"] = "500 Internal Server Error"
    store.webhook_queue.queue([(f"{url}/cdr", "{}", "c1")], 0)
    sender = WebhookSender(store, allow_private=True, clock=lambda: 0.0)
    (delivery,) = store.webhook_queue.claim(0, 1, 10)
    assert sender.deliver(delivery) is False
    assert store.r.zscore(store.keys.webhooks, delivery) == backoff_ms(1)
    assert store.r.hget(store.keys.webhook(delivery), "tries") == "1"


def test_a_delivery_that_keeps_failing_goes_to_the_dead_list(store, receiver):
    url, _got, status = receiver
    status["code"] = "500 Internal Server Error"
    store.webhook_queue.queue([(f"{url}/cdr", "{}", "c1")], 0)
    sender = WebhookSender(store, allow_private=True, clock=lambda: 0.0)
    (delivery,) = store.webhook_queue.claim(0, 1, 10)
    store.r.hset(store.keys.webhook(delivery), "tries", MAX_TRIES - 1)
    sender.deliver(delivery)
    assert store.r.lrange(store.keys.webhooks_dead, 0, -1) == [delivery]
    assert store.r.hget(store.keys.webhook(delivery), "url").endswith("/cdr")


def test_a_claimed_delivery_is_not_taken_twice_while_leased(store):
    store.webhook_queue.queue([("http://127.0.0.1:9/x", "{}", "c1")], 0)
    assert len(store.webhook_queue.claim(0, 60_000, 10)) == 1
    assert store.webhook_queue.claim(1, 60_000, 10) == []


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
    store.webhook_queue.queue([(f"{url}/cdr", body, "c1")], 0)
    sender = WebhookSender(store, allow_private=True, secret="s3cret")
    (delivery,) = store.webhook_queue.claim(0, 60_000, 10)
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
    store.webhook_queue.queue([(f"{url}/cdr", "{}", "c1")], 0)
    (delivery,) = store.webhook_queue.claim(0, 60_000, 10)
    assert WebhookSender(store, allow_private=True).deliver(delivery) is True
    ((headers, _),) = got
    assert "x-autocall-signature" not in headers and headers["x-autocall-delivery"] == delivery


def test_a_retry_carries_the_same_delivery_id_signed_anew(store, raw_receiver):
    url, got, status = raw_receiver
    status["code"] = "503 Service Unavailable"
    store.webhook_queue.queue([(f"{url}/cdr", "{}", "c1")], 0)
    now = [1_700_000_000.0]
    sender = WebhookSender(store, allow_private=True, clock=lambda: now[0], secret="k")
    (delivery,) = store.webhook_queue.claim(1_700_000_000_000, 1, 10)
    assert sender.deliver(delivery) is False
    status["code"] = "202 Accepted"
    now[0] += 1
    assert sender.deliver(delivery) is True
    (first, _), (second, _) = got
    assert first["x-autocall-delivery"] == second["x-autocall-delivery"] == delivery
    assert first["x-autocall-signature"] != second["x-autocall-signature"]
    assert second["x-autocall-signature"].startswith("t=1700000001,")


# -- hostile receivers: a total deadline, free-slot claims, a cap per receiver, every failure a try --------
def queued(store) -> list[str]:
    return store.r.zrange(store.keys.webhooks, 0, -1)


def test_dripping_receivers_do_not_stop_another_campaigns_deliveries(store):
    drippers = [DripReceiver(interval=0.05) for _ in range(25)]
    with WebhookReceiver() as good, contextlib.ExitStack() as stack:
        for drip in drippers:
            stack.enter_context(drip)
        got = good.record(lambda q: q.headers["x-autocall-delivery"])
        store.webhook_queue.queue([(f"{d.url}/cdr", "{}", "camp-a") for d in drippers for _ in range(2)], 0)
        store.webhook_queue.queue([(f"{good.url}/cdr", "{}", "camp-b") for _ in range(100)], 1)
        expected = set(queued(store)) - {d for d in queued(store) if store.webhook_queue.get(d)["campaign"] == "camp-a"}
        sender = WebhookSender(store, allow_private=True, timeout=0.5)  # 20 slots: more drippers than slots
        sender.start()
        try:
            wait_until(lambda: len(got) == 100, timeout=60)
        finally:
            sender.stop()
    assert sorted(got) == sorted(expected)
    assert all(d.connections for d in drippers)  # every dripper held a slot, and was cut off


def test_a_dripping_answer_is_cut_at_the_deadline_and_counted_as_a_try(store):
    with DripReceiver(interval=0.05) as drip:  # a byte every 0.05 s: each read is in time, the answer never ends
        store.webhook_queue.queue([(f"{drip.url}/cdr", "{}", "c1")], 0)
        (delivery,) = store.webhook_queue.claim(0, 1, 1)
        assert WebhookSender(store, allow_private=True, clock=lambda: 0.0, timeout=0.5).deliver(delivery) is False
        wait_until(lambda: drip.hung_up == 1)  # the sender hung up
    data = store.webhook_queue.get(delivery)
    assert data["tries"] == "1" and data["last_error"] == "DeadlineExceeded: no complete answer within 0.5 s"
    assert store.r.zscore(store.keys.webhooks, delivery) == backoff_ms(1)


@pytest.mark.parametrize("reply", [b"garbage\r\n\r\n", b""], ids=["BadStatusLine", "RemoteDisconnected"])
def test_a_garbage_answer_is_a_try_each_time_until_the_dead_list_with_one_log_line_each(store, caplog, reply):
    caplog.set_level(logging.INFO, logger="autocall.webhooks")
    now = [1_000.0]
    with GarbageReceiver(reply) as garbage:
        store.webhook_queue.queue([(f"{garbage.url}/cdr", "{}", "camp-g")], 0)
        (delivery,) = queued(store)
        sender = WebhookSender(store, allow_private=True, clock=lambda: now[0], max_tries=3)
        tries = []
        for _ in range(3):
            assert sender.deliver_due() == 1
            sender.pool.join()
            tries.append(store.webhook_queue.get(delivery)["tries"])
            now[0] += backoff_ms(3) / 1000  # the next try is due
        assert garbage.connections == 3
    assert tries == ["1", "2", "3"]
    assert store.r.lrange(store.keys.webhooks_dead, 0, -1) == [delivery] and queued(store) == []
    assert store.webhook_queue.get(delivery)["last_error"].startswith(("BadStatusLine", "RemoteDisconnected"))
    records = [r for r in caplog.records if r.name == "autocall.webhooks"]
    lines = [json.loads(JsonFormatter().format(r)) for r in records]
    assert [line["msg"] for line in lines] == ["webhook delivery failed"] * 2 + ["webhook failed for good"]
    port = garbage.server.server_port
    for n, line in enumerate(lines, 1):
        assert line["delivery"] == delivery and line["campaign"] == "camp-g" and line["host"] == f"127.0.0.1:{port}"
        assert line["tries"] == n and line["error"] == store.webhook_queue.get(delivery)["last_error"]
        assert "exc" not in line and all(r.exc_info is None for r in records)


def test_a_redirect_is_a_failed_try_and_its_target_gets_nothing(store):
    """Redirects are not followed: a receiver cannot send the POST on to another host (an internal one)."""
    with WebhookReceiver() as target, WebhookReceiver() as redirecting:
        got = target.record(lambda q: q.path)
        redirecting.status.update(code="302 Found", headers=[("Location", f"{target.url}/internal")])
        store.webhook_queue.queue([(f"{redirecting.url}/cdr", "{}", "c1")], 0)
        (delivery,) = store.webhook_queue.claim(0, 1, 10)
        assert WebhookSender(store, allow_private=True, clock=lambda: 0.0).deliver(delivery) is False
        assert got == [] and target.connections == 0
    data = store.webhook_queue.get(delivery)
    assert data["tries"] == "1" and data["last_error"] == "HTTPError: HTTP Error 302: Found"


def test_a_receivers_connection_is_kept_between_deliveries(store):
    with WebhookReceiver(nodelay=True) as receiver:
        got = receiver.record(lambda q: q.path)
        store.webhook_queue.queue([(f"{receiver.url}/cdr", "{}", "c1") for _ in range(5)], 0)
        sender = WebhookSender(store, allow_private=True)
        assert [sender.deliver(d) for d in store.webhook_queue.claim(0, 60_000, 10)] == [True] * 5
        sender.stop()
    assert len(got) == 5 and receiver.connections == 1


def test_no_more_than_the_cap_are_in_flight_to_one_receiver_while_another_is_served(store):
    with WebhookReceiver() as slow, WebhookReceiver() as fast:
        slow.gate.clear()  # the slow receiver answers nothing until the spec lets it
        slow_got, fast_got = slow.record(lambda q: q.path), fast.record(lambda q: q.path)
        store.webhook_queue.queue([(f"{slow.url}/cdr", "{}", "camp-a") for _ in range(10)], 0)
        store.webhook_queue.queue([(f"{fast.url}/cdr", "{}", "camp-b") for _ in range(5)], 1)
        sender = WebhookSender(store, allow_private=True, per_host=4)
        sender.start()
        try:
            wait_until(lambda: len(fast_got) == 5 and slow.in_flight == 4)
            assert slow.max_in_flight == 4 and len(slow_got) == 4
            slow.gate.set()
            wait_until(lambda: len(slow_got) == 10 and queued(store) == [])
        finally:
            sender.stop()
    assert slow.max_in_flight == 4


def test_a_backlog_for_a_receiver_at_its_cap_does_not_hide_the_deliveries_behind_it(store):
    store.webhook_queue.queue([("http://slow.example/cdr", "{}", "camp-a") for _ in range(250)], 0)
    store.webhook_queue.queue([("http://fast.example/cdr", "{}", "camp-b")], 1)
    claims = []
    while not any(host == "fast.example:80" for _, host in claims):
        assert len(claims) < 4, claims  # each claim moves the scanned capped ones behind the rest
        claims += store.webhook_queue.claim_capped(5, 60_000, 20, per_host=4, busy={"slow.example:80": 4}, scan=100)
    assert [host for _, host in claims] == ["fast.example:80"]
    assert store.r.zcount(store.keys.webhooks, "-inf", 5) == 250  # still due, nothing counted as a try
    assert {store.webhook_queue.get(d)["tries"] for d in queued(store)} == {"0"}


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://user:pw@Example.COM/cdr?x=1", "example.com:80"),
        ("https://h.example/", "h.example:443"),
        ("http://127.0.0.1:8080/a", "127.0.0.1:8080"),
        ("https://[::1]:9/", "[::1]:9"),
    ],
)
def test_the_cap_is_per_receiver_host_and_port(store, url, host):
    store.webhook_queue.queue([(url, "{}", "c1")], 0)
    assert [h for _, h in store.webhook_queue.claim_capped(0, 60_000, 10, per_host=1)] == [host]
