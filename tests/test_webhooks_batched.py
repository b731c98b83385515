"""The sender reads the deliveries it claims in one round trip and forgets the delivered ones
together, once no POST is left in flight: nothing is lost or sent twice on the way."""

from __future__ import annotations

import logging

from dialer.store.errors import StoreError
from dialer.webhooks import DELIVERY_HEADER, WebhookSender
from tests.receivers import WebhookReceiver


def queued(store) -> list[str]:
    return store.r.zrange(store.keys.webhooks, 0, -1)


def test_claimed_deliveries_are_each_posted_once_then_forgotten_together(store):
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: q.headers[DELIVERY_HEADER.lower()])
        store.webhook_queue.queue([(f"{receiver.url}/cdr", f'{{"n": {i}}}', "camp") for i in range(12)], 0)
        deliveries = queued(store)
        sender = WebhookSender(store, allow_private=True, clock=lambda: 0.0, per_host=12)
        assert sender.deliver_due() == 12
        sender.pool.join()
    assert sorted(got) == sorted(deliveries)
    assert queued(store) == []
    assert not any(store.r.exists(store.keys.webhook(d)) for d in deliveries)


def test_a_claimed_delivery_whose_hash_is_gone_is_forgotten_without_a_post(store):
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: q.path)
        store.webhook_queue.queue([(f"{receiver.url}/cdr", "{}", "camp")], 0)
        (delivery,) = queued(store)
        store.r.delete(store.keys.webhook(delivery))
        sender = WebhookSender(store, allow_private=True, clock=lambda: 0.0)
        assert sender.deliver_due() == 1
        sender.pool.join()
    assert got == [] and queued(store) == []


def test_when_forgetting_fails_the_deliveries_stay_leased_and_are_sent_again_later(store, caplog, monkeypatch):
    caplog.set_level(logging.INFO, logger="autocall.webhooks")

    def down(deliveries):
        raise StoreError("redis down")

    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: q.headers[DELIVERY_HEADER.lower()])
        store.webhook_queue.queue([(f"{receiver.url}/cdr", "{}", "camp") for _ in range(3)], 0)
        deliveries = queued(store)
        now = [0.0]
        sender = WebhookSender(store, allow_private=True, clock=lambda: now[0])
        monkeypatch.setattr(store.webhook_queue, "delivered_many", down)
        assert sender.deliver_due() == 3
        sender.pool.join()
        assert sorted(queued(store)) == sorted(deliveries)  # still queued, leased
        assert sender.deliver_due() == 0  # not due again before the lease ends
        monkeypatch.undo()
        now[0] = sender.lease_ms / 1000 + 1
        assert sender.deliver_due() == 3
        sender.pool.join()
    assert sorted(got) == sorted(deliveries * 2)  # at least once: the receiver drops the repeats by id
    assert queued(store) == []
    lines = [r for r in caplog.records if r.getMessage() == "webhook queue unreachable"]
    assert len(lines) == 1 and lines[0].deliveries == 3


def test_delivered_many_forgets_them_in_one_step(store):
    store.webhook_queue.queue([("http://a.example/x", "{}", "c1"), ("http://b.example/y", "[]", "c2")], 0)
    a, b = queued(store)
    store.webhook_queue.delivered_many([a, b])
    assert queued(store) == [] and store.webhook_queue.get(a) == {}
    store.webhook_queue.delivered_many([])  # nothing to do: no command
