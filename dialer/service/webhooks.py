"""Webhook queue operations: counts, and the dead letters (list, requeue, delete).

A delivery that failed ``MAX_TRIES`` times sits in the dead list
(``autocall:webhooks:dead``, newest first) with its hash
(``autocall:webhook:<id>``: url, body, tries, last_error, campaign, call).
Requeueing moves it back to the due ZSET with ``tries`` reset, so the sender
takes it at once and retries it with the usual back-off. Every move is one
MULTI transaction guarded by WATCH: a delivery is never both dead and queued,
and one the sender (or another request) moves meanwhile is left alone.

Delivery ids are decimal numbers from the ``seq:webhook`` counter (used by
both ``finish.lua`` and :meth:`WebhookQueue.queue` (dialer/store/webhook_queue.py)); nothing else is
accepted, so no request text ever reaches a Redis key name.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import redis

from dialer.service.context import Services
from dialer.service.errors import NotFound
from dialer.store.sealing import SealError
from dialer.store.store import Store

log = logging.getLogger("autocall.api")

DELIVERY_ID = re.compile(r"^[1-9][0-9]{0,18}$")
BATCH = 500  # deliveries moved per transaction by requeue_all
WATCH_RETRIES = 20


def check_id(delivery_id: str) -> str:
    """The id if it is one autocall makes, else 404 (never a key name built from arbitrary text)."""
    if not DELIVERY_ID.match(delivery_id):
        raise NotFound()
    return delivery_id


def stats(svc: Services) -> dict[str, int]:
    """``queued``: deliveries waiting (due or not, and those being sent); ``due``: of those, due now;
    ``dead``: failed for good."""
    k = svc.store.keys
    pipe = svc.store.r.pipeline(transaction=False)
    pipe.zcard(k.webhooks)
    pipe.zcount(k.webhooks, "-inf", svc.now_ms())
    pipe.llen(k.webhooks_dead)
    queued, due, dead = pipe.execute()
    return {"queued": int(queued), "due": int(due), "dead": int(dead)}


def _body(store: Store, delivery: str, data: dict[str, str]) -> str:
    """The body as it is POSTed (enable_encrypt: opened); one that cannot be opened is shown as stored."""
    try:
        return store.sealed.open_webhook_body(data)
    except SealError as exc:
        log.error("webhook body cannot be opened", extra={"delivery": delivery, "error": str(exc)})
        return data.get("body", "")


def _view(store: Store, delivery: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "delivery_id": delivery,
        "url": data.get("url", ""),
        "campaign_uuid": data.get("campaign", ""),
        "call_id": data.get("call", ""),
        "tries": int(data.get("tries") or 0),
        "last_error": data.get("last_error", ""),
        "body": _body(store, delivery, data),
    }


def dead(svc: Services, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of dead deliveries, newest first, and how many there are."""
    k, r = svc.store.keys, svc.store.r
    pipe = r.pipeline(transaction=False)
    pipe.llen(k.webhooks_dead)
    pipe.lrange(k.webhooks_dead, offset, offset + limit - 1)
    total, ids = pipe.execute()
    pipe = r.pipeline(transaction=False)
    for delivery in ids:
        pipe.hgetall(k.webhook(delivery))
    hashes = pipe.execute() if ids else []
    return [_view(svc.store, d, h) for d, h in zip(ids, hashes, strict=True)], int(total)


def _watched(svc: Services, keys: list[str], step: Any) -> Any:
    """Run ``step(pipe)`` under WATCH keys; it reads, calls ``pipe.multi()`` and queues writes.
    Retried when a watched key changed before EXEC."""
    with svc.store.r.pipeline(transaction=True) as pipe:
        for _ in range(WATCH_RETRIES):
            try:
                pipe.watch(*keys)
                result = step(pipe)
                pipe.execute()
                return result
            except redis.WatchError:
                continue
    raise redis.WatchError("the dead-letter list kept changing; retry")


def requeue(svc: Services, delivery_id: str) -> None:
    """Move one dead delivery back to the due queue, ``tries`` reset (404 if it is not dead)."""
    delivery = check_id(delivery_id)
    k = svc.store.keys
    now = svc.now_ms()

    def step(pipe: Any) -> None:
        if pipe.lpos(k.webhooks_dead, delivery) is None:
            pipe.unwatch()
            raise NotFound()
        exists = pipe.exists(k.webhook(delivery))
        pipe.multi()
        pipe.lrem(k.webhooks_dead, 0, delivery)
        if exists:
            pipe.hset(k.webhook(delivery), "tries", 0)
            pipe.zadd(k.webhooks, {delivery: now})
        # else: nothing left to send (its hash is gone); dropping the stale id is all there is to do.

    _watched(svc, [k.webhooks_dead, k.webhook(delivery)], step)


def requeue_all(svc: Services) -> int:
    """Move every dead delivery back to the due queue, oldest first, in batches of ``BATCH``
    (one transaction each). Returns how many were requeued. Deliveries that die while this
    runs may be left for the next call: the loop is bounded by the list's length at the start."""
    k, r = svc.store.keys, svc.store.r

    def step(pipe: Any) -> int:
        ids = pipe.lrange(k.webhooks_dead, -BATCH, -1)  # the oldest, at the tail (LPUSH puts new ones first)
        if not ids:
            pipe.unwatch()
            return 0
        # Only ``delete`` removes a dead delivery's hash, and it changes the watched list too.
        check = r.pipeline(transaction=False)
        for delivery in ids:
            check.exists(k.webhook(delivery))
        alive = [d for d, n in zip(ids, check.execute(), strict=True) if n]
        now = svc.now_ms()
        pipe.multi()
        pipe.ltrim(k.webhooks_dead, 0, -len(ids) - 1)
        for delivery in alive:
            pipe.hset(k.webhook(delivery), "tries", 0)
        if alive:
            pipe.zadd(k.webhooks, dict.fromkeys(alive, now))
        return len(alive)

    moved = 0
    for _ in range(-(-r.llen(k.webhooks_dead) // BATCH)):
        moved += _watched(svc, [k.webhooks_dead], step)
    return moved


def delete(svc: Services, delivery_id: str) -> None:
    """Forget one dead delivery for good (404 if it is not dead: a queued one is never deleted)."""
    delivery = check_id(delivery_id)
    k = svc.store.keys

    def step(pipe: Any) -> None:
        if pipe.lpos(k.webhooks_dead, delivery) is None:
            pipe.unwatch()
            raise NotFound()
        pipe.multi()
        pipe.lrem(k.webhooks_dead, 0, delivery)
        pipe.delete(k.webhook(delivery))

    _watched(svc, [k.webhooks_dead, k.webhook(delivery)], step)
