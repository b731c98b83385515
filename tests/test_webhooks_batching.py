"""Webhook delivery in batches (issue 17): one claim forgets what was delivered and leases more with
their bodies; a receiver's deliveries go over at most ``per_host`` connections, each holding a few;
a slow receiver's connection gives back what it holds."""

from __future__ import annotations

from dialer.webhooks import AHEAD, WebhookSender
from tests.receivers import WebhookReceiver


def queued(store) -> dict[str, float]:
    return dict(store.r.zrange(store.keys.webhooks, 0, -1, withscores=True))


def lease(store, **kw):
    args = {"per_host": 2, "ahead": 3, "free": 2, "held": {}, "delivered": []} | kw
    leased, _more = store.webhook_queue.lease(5, 60_000, args.pop("limit", 100), **args)
    return leased


def test_a_lease_spreads_a_receiver_over_its_connections_then_fills_them_and_brings_the_bodies(store):
    store.webhook_queue.queue([("http://a.example/cdr", f'{{"n": {n}}}', "camp-a") for n in range(10)], 0)
    store.webhook_queue.queue([("http://b.example/cdr", "{}", "camp-b")], 1)
    leased = lease(store)  # 2 connections to a.example (both free slots), 3 deliveries each
    assert [d.receiver for d in leased] == ["a.example:80"] * 6
    assert all(d.fields == store.webhook_queue.get(d.delivery) for d in leased)
    assert {d.fields["campaign"] for d in leased} == {"camp-a"} and len({d.fields["body"] for d in leased}) == 6
    due = queued(store)
    assert all(due[d.delivery] == 60_005 for d in leased)  # leased
    rest = [d for d in due if d not in {x.delivery for x in leased}]
    # a.example at its cap and full: to the back of the line, due now; b.example waits for a slot in its place
    assert sorted(due[d] for d in rest) == [1, 5, 5, 5, 5]


def test_room_in_held_connections_is_filled_without_opening_more(store):
    store.webhook_queue.queue([("http://a.example/cdr", "{}", "c") for _ in range(5)], 0)
    leased = lease(store, free=0, held={"a.example:80": (1, 2)})
    assert len(leased) == 2


def test_a_lease_says_whether_more_was_due_than_it_took(store):
    store.webhook_queue.queue([("http://a.example/cdr", "{}", "c") for _ in range(4)], 0)
    args = {"per_host": 1, "ahead": 3, "free": 1, "held": {}, "delivered": []}
    assert [len(leased) for leased, more in [store.webhook_queue.lease(5, 60_000, 100, **args)]] == [3]
    leased, more = store.webhook_queue.lease(5, 60_000, 100, **args | {"held": {"a.example:80": (1, 0)}})
    assert (leased, more) == ([], True)  # the fourth waits for room
    leased, more = store.webhook_queue.lease(5, 60_000, 100, **args | {"held": {"a.example:80": (1, 1)}})
    assert (len(leased), more) == (1, False)


def test_a_lease_forgets_the_delivered_ones_first(store):
    store.webhook_queue.queue([("http://a.example/cdr", "{}", "c") for _ in range(3)], 0)
    first = lease(store)
    done = [d.delivery for d in first[:2]]
    assert lease(store, delivered=done) == []  # nothing else due: the third is leased
    assert set(queued(store)) == {first[2].delivery}
    assert not any(store.r.exists(store.keys.webhook(d)) for d in done)


def test_a_gone_delivery_is_leased_with_no_fields_and_forgotten_by_the_sender(store):
    store.webhook_queue.queue([("http://a.example/cdr", "{}", "c")], 0)
    (delivery,) = queued(store)
    store.r.delete(store.keys.webhook(delivery))
    sender = WebhookSender(store, allow_private=True, clock=lambda: 0.0)
    assert sender.deliver_due() == 1
    sender.pool.join()
    assert queued(store) == {}


def test_a_busy_receiver_gets_many_deliveries_per_claim_over_at_most_per_host_connections(store, monkeypatch):
    with WebhookReceiver(nodelay=True) as receiver:
        got = receiver.record(lambda q: q.headers["x-autocall-delivery"])
        store.webhook_queue.queue([(f"{receiver.url}/cdr", "{}", "c") for _ in range(200)], 0)
        calls = []
        real = store.webhook_queue.lease
        monkeypatch.setattr(store.webhook_queue, "lease", lambda *a, **kw: calls.append(1) or real(*a, **kw))
        sender = WebhookSender(store, allow_private=True, per_host=4)
        sender.start()
        try:
            while queued(store):
                receiver.gate.wait(0.01)  # a cooperative sleep
        finally:
            sender.stop()
    assert sorted(got) == sorted(set(got)) and len(got) == 200
    assert receiver.max_in_flight <= 4 and receiver.connections <= 4
    assert len(calls) <= 100  # a few deliveries per round trip, not three round trips per delivery


def test_a_slow_receivers_connection_gives_back_what_it_holds(store):
    with WebhookReceiver(nodelay=True) as receiver:
        got = receiver.record(lambda q: q.headers["x-autocall-delivery"])
        receiver.status["hang"] = 0.2  # each answer takes 0.2 s: slow for a 1 s deadline (over 1/10 of it)
        store.webhook_queue.queue([(f"{receiver.url}/cdr", "{}", "c") for _ in range(3)], 0)
        sender = WebhookSender(store, allow_private=True, per_host=1, timeout=1.0, clock=lambda: 5.0)
        assert sender.deliver_due() == 3 <= AHEAD  # one connection holds all three
        sender.pool.join()
    assert len(got) == 1  # the other two went back to the queue, due now, no try counted
    due = queued(store)
    assert sorted(due) == sorted(d for d in due if d != got[0]) and list(due.values()) == [5000, 5000]
    assert {store.webhook_queue.get(d)["tries"] for d in due} == {"0"}
    assert not store.r.exists(store.keys.webhook(got[0]))  # delivered, and forgotten
