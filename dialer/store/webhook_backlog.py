"""The webhook queue as operators see it: its counts, and the dead letters (list, requeue, delete).

A delivery that failed for good sits in the dead list (``webhooks:dead``,
newest first) with its hash (``webhook:<id>``: url, body, tries, last_error,
campaign, call). Requeueing moves it back to the due ZSET (``webhooks``) with
``tries`` reset. Every move is one MULTI transaction guarded by WATCH: a
delivery is never both dead and queued, and one the sender (or another
request) moves meanwhile is left alone. Delivery ids reach key names only
after the service checked them (dialer/service/webhooks.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import redis

from dialer.store.keys import Keys

BATCH = 500  # deliveries moved per transaction by requeue_all
WATCH_RETRIES = 20  # WATCH conflicts in a row before giving up (each one means another client wrote)
T = TypeVar("T")


@dataclass(slots=True, frozen=True)
class WebhookCounts:
    queued: int  # waiting, due or not, and those being sent
    due: int  # of those, due now
    dead: int  # failed for good


@dataclass(slots=True, frozen=True)
class DeadDelivery:
    delivery_id: str
    fields: dict[str, str]  # its hash as stored ({} when it is gone): url, body, tries, last_error, campaign, call


class WebhookBacklog:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def counts(self, now_ms: int) -> WebhookCounts:
        """Queued, due at ``now_ms`` and dead deliveries (one round trip)."""
        k = self.keys
        pipe = self.r.pipeline(transaction=False)
        pipe.zcard(k.webhooks)
        pipe.zcount(k.webhooks, "-inf", now_ms)
        pipe.llen(k.webhooks_dead)
        queued, due, dead = pipe.execute()
        return WebhookCounts(queued=int(queued), due=int(due), dead=int(dead))

    def dead(self, *, offset: int, limit: int) -> tuple[list[DeadDelivery], int]:
        """One page of dead deliveries, newest first, and how many there are."""
        k = self.keys
        pipe = self.r.pipeline(transaction=False)
        pipe.llen(k.webhooks_dead)
        pipe.lrange(k.webhooks_dead, offset, offset + limit - 1)
        total, ids = pipe.execute()
        pipe = self.r.pipeline(transaction=False)
        for delivery in ids:
            pipe.hgetall(k.webhook(delivery))
        hashes = pipe.execute() if ids else []
        return [DeadDelivery(d, h) for d, h in zip(ids, hashes, strict=True)], int(total)

    def _watched(self, keys: list[str], step: Callable[[Any], T]) -> T:
        """Run ``step(pipe)`` under WATCH keys; it reads, calls ``pipe.multi()`` and queues writes.
        Retried when a watched key changed before EXEC."""
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(*keys)
                    result = step(pipe)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue
        raise redis.WatchError("the dead-letter list kept changing; retry")

    def requeue(self, delivery: str, now_ms: int) -> bool:
        """Move one dead delivery back to the due queue, ``tries`` reset. False: it is not dead."""
        k = self.keys

        def step(pipe: Any) -> bool:
            if pipe.lpos(k.webhooks_dead, delivery) is None:
                pipe.unwatch()
                return False
            exists = pipe.exists(k.webhook(delivery))
            pipe.multi()
            pipe.lrem(k.webhooks_dead, 0, delivery)
            if exists:
                pipe.hset(k.webhook(delivery), "tries", 0)
                pipe.zadd(k.webhooks, {delivery: now_ms})
            # else: nothing left to send (its hash is gone); dropping the stale id is all there is to do.
            return True

        return self._watched([k.webhooks_dead, k.webhook(delivery)], step)

    def requeue_all(self, now_ms: Callable[[], int]) -> int:
        """Move every dead delivery back to the due queue, oldest first, in batches of ``BATCH``
        (one transaction each, at ``now_ms()``). Returns how many were requeued. Deliveries that die
        while this runs may be left for the next call: the loop is bounded by the list's length at the start."""
        k = self.keys

        def step(pipe: Any) -> int:
            ids = pipe.lrange(k.webhooks_dead, -BATCH, -1)  # the oldest, at the tail (LPUSH puts new ones first)
            if not ids:
                pipe.unwatch()
                return 0
            # Only ``delete`` removes a dead delivery's hash, and it changes the watched list too.
            check = self.r.pipeline(transaction=False)
            for delivery in ids:
                check.exists(k.webhook(delivery))
            alive = [d for d, n in zip(ids, check.execute(), strict=True) if n]
            now = now_ms()
            pipe.multi()
            pipe.ltrim(k.webhooks_dead, 0, -len(ids) - 1)
            for delivery in alive:
                pipe.hset(k.webhook(delivery), "tries", 0)
            if alive:
                pipe.zadd(k.webhooks, dict.fromkeys(alive, now))
            return len(alive)

        moved = 0
        for _ in range(-(-self.r.llen(k.webhooks_dead) // BATCH)):
            moved += self._watched([k.webhooks_dead], step)
        return moved

    def delete(self, delivery: str) -> bool:
        """Forget one dead delivery for good. False: it is not dead (a queued one is never deleted)."""
        k = self.keys

        def step(pipe: Any) -> bool:
            if pipe.lpos(k.webhooks_dead, delivery) is None:
                pipe.unwatch()
                return False
            pipe.multi()
            pipe.lrem(k.webhooks_dead, 0, delivery)
            pipe.delete(k.webhook(delivery))
            return True

        return self._watched([k.webhooks_dead, k.webhook(delivery)], step)
