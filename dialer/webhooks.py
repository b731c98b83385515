"""Webhook delivery: ``callback_url`` (the CDR) and ``answer_callback_url``.

Deliveries are queued in Redis in the same atomic step as the result they
report (finish.lua), so a crash cannot lose one. A sender takes due
deliveries with a lease, POSTs them, deletes them on a 2xx, and otherwise
retries with exponential back-off (1 s doubling to 10 min). After
``MAX_TRIES`` failures a delivery moves to the dead list
(``autocall:webhooks:dead``) with its last error: never silently dropped.
"""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import gevent
import gevent.pool
import redis

from dialer.store.store import Store

log = logging.getLogger("autocall.webhooks")
MAX_TRIES = 15
LEASE_MS = 60_000


def backoff_ms(tries: int) -> int:
    return min(1000 * 2 ** max(0, tries - 1), 600_000)


class WebhookSender:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time, timeout: float = 10.0,
                 concurrency: int = 20) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self.pool = gevent.pool.Pool(concurrency)
        self._greenlet: gevent.Greenlet | None = None

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        if self._greenlet is not None:
            self._greenlet.kill()
        self.pool.join(timeout=self.timeout)

    def _run(self) -> None:
        while True:
            try:
                sent = self.deliver_due()
            except redis.RedisError as exc:
                log.error("webhook queue unreachable", extra={"error": str(exc)})
                sent = 0
            gevent.sleep(0.05 if sent else 0.5)

    def deliver_due(self, limit: int = 100) -> int:
        ids = self.store.claim_webhooks(int(self.clock() * 1000), LEASE_MS, limit)
        for delivery in ids:
            self.pool.spawn(self.deliver, delivery)
        return len(ids)

    def post(self, url: str, body: str) -> None:
        request = urllib.request.Request(url, data=body.encode("utf-8"), method="POST",
                                         headers={"Content-Type": "application/json"})  # fmt: skip
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            if not 200 <= response.status < 300:
                raise urllib.error.HTTPError(url, response.status, "not 2xx", response.headers, None)

    def deliver(self, delivery: str) -> bool:
        keys, r = self.store.keys, self.store.r
        data = r.hgetall(keys.webhook(delivery))
        if not data:
            r.zrem(keys.webhooks, delivery)
            return False
        try:
            self.post(data["url"], data["body"])
        except (OSError, ValueError) as exc:
            tries = int(data.get("tries") or 0) + 1
            pipe = r.pipeline(transaction=True)
            pipe.hset(keys.webhook(delivery), mapping={"tries": tries, "last_error": str(exc)[:200]})
            if tries >= MAX_TRIES:
                pipe.zrem(keys.webhooks, delivery)
                pipe.lpush(keys.webhooks_dead, delivery)
                log.error("webhook failed for good", extra={"delivery": delivery, "url": data["url"]})
            else:
                pipe.zadd(keys.webhooks, {delivery: int(self.clock() * 1000) + backoff_ms(tries)})
            pipe.execute()
            return False
        pipe = r.pipeline(transaction=True)
        pipe.delete(keys.webhook(delivery))
        pipe.zrem(keys.webhooks, delivery)
        pipe.execute()
        return True
