"""Webhook delivery: ``callback_url`` (the CDR) and ``answer_callback_url``.

Deliveries are queued in Redis in the same atomic step as the result they
report (finish.lua), so a crash cannot lose one. A sender takes due
deliveries with a lease, POSTs them, deletes them on a 2xx, and otherwise
retries with exponential back-off (1 s doubling to 10 min). After
``MAX_TRIES`` failures a delivery moves to the dead list
(``autocall:webhooks:dead``) with its last error: never silently dropped
(``dialer.service.webhooks`` lists, requeues and deletes dead deliveries).

Every POST carries ``X-Autocall-Delivery`` (the delivery id: the same on every
retry, so a receiver can drop duplicates) and, when the sender has a secret,
``X-Autocall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
(see :func:`signature` and docs/api-cdrs-webhooks.md for the receiver's check).
"""

from __future__ import annotations

import hashlib
import hmac
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
USER_AGENT = "autocall-webhooks/1"
SIGNATURE_HEADER = "X-Autocall-Signature"
DELIVERY_HEADER = "X-Autocall-Delivery"


def backoff_ms(tries: int) -> int:
    return min(1000 * 2 ** max(0, tries - 1), 600_000)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Autocall-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

    The timestamp is signed with the body, so a receiver that also checks it is
    recent (say within 5 minutes) refuses a captured request replayed later.
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class WebhookSender:
    def __init__(self, store: Store, *, clock: Callable[[], float] = time.time, timeout: float = 10.0,
                 concurrency: int = 20, secret: str = "") -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.timeout = timeout
        self.secret = secret  # "" = unsigned (AUTOCALL_WEBHOOK_SECRET)
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

    def headers(self, body: bytes, delivery: str = "") -> dict[str, str]:
        """The headers of one POST: content type, user agent, delivery id and, with a secret, the signature."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if delivery:
            headers[DELIVERY_HEADER] = delivery
        if self.secret:
            headers[SIGNATURE_HEADER] = signature(self.secret, body, int(self.clock()))
        return headers

    def post(self, url: str, body: str, delivery: str = "") -> None:
        data = body.encode("utf-8")
        request = urllib.request.Request(url, data=data, method="POST", headers=self.headers(data, delivery))
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
            # enable_encrypt: the body is stored sealed; one that cannot be opened (SealError,
            # a ValueError) counts as a failed try and ends in the dead list with the reason.
            self.post(data["url"], self.store.open_webhook_body(data), delivery)
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
