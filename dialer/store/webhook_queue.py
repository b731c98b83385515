"""The webhook delivery queue: deliveries due by time (a ZSET), each a hash, leased to one sender at
a time, retried, and moved to the dead list when they fail for good (docs/webhooks.md)."""

from __future__ import annotations

from collections.abc import Mapping

import redis

from dialer.store.keys import Keys
from dialer.store.replies import record
from dialer.store.script_results import ClaimedDelivery, LeasedDelivery
from dialer.store.scripts import Scripts
from dialer.store.sealed_fields import SealedFields


class WebhookQueue:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts, sealed: SealedFields) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts
        self.sealed = sealed

    def queue(self, hooks: list[tuple[str, str, str]], now_ms: int) -> None:
        """Queue webhook deliveries (url, body, campaign) in one transaction.

        Ids come from the same counter finish.lua uses (``seq:webhook``), so
        every delivery id is a decimal number.
        """
        if not hooks:
            return
        hooks = self.sealed.seal_webhooks(hooks)
        if not hooks:
            return
        last = int(self.r.incrby(self.keys.seq("webhook"), len(hooks)))
        pipe = self.r.pipeline(transaction=True)
        for n, (url, body, campaign_uuid) in enumerate(hooks):
            delivery = str(last - len(hooks) + 1 + n)
            pipe.hset(
                self.keys.webhook(delivery), mapping={"url": url, "body": body, "tries": 0, "campaign": campaign_uuid}
            )
            pipe.zadd(self.keys.webhooks, {delivery: now_ms})
        pipe.execute()

    def claim(self, now_ms: int, lease_ms: int, limit: int) -> list[str]:
        """Up to ``limit`` due deliveries, leased until ``now_ms + lease_ms`` (no per-receiver cap)."""
        return [claimed.delivery for claimed in self.claim_capped(now_ms, lease_ms, limit)]

    def claim_capped(
        self,
        now_ms: int,
        lease_ms: int,
        limit: int,
        *,
        per_host: int = 0,
        busy: Mapping[str, int] | None = None,
        scan: int = 100,
    ) -> list[ClaimedDelivery]:
        """Up to ``limit`` due deliveries with their receiver (``host:port``), leased until ``now_ms + lease_ms``,
        at most ``per_host`` in flight per receiver counting ``busy`` (what the sender is sending now).

        Of the first ``scan`` due deliveries, one whose receiver is at its cap is not claimed but moved to
        the back of the due line (due ``now_ms``; no try counted), so the next claim sees the ones behind it.
        """
        if limit <= 0:
            return []
        return self.scripts.claim_webhooks(now_ms, now_ms + lease_ms, limit, per_host, max(scan, limit), busy or {})

    def lease(
        self,
        now_ms: int,
        lease_ms: int,
        limit: int,
        *,
        per_host: int,
        ahead: int,
        free: int,
        held: Mapping[str, tuple[int, int]],
        delivered: list[str],
        scan: int = 100,
    ) -> tuple[list[LeasedDelivery], bool]:
        """Forget the ``delivered`` deliveries, then lease up to ``limit`` due ones with their hashes, in one
        round trip: what a sender sending each receiver's deliveries over up to ``per_host`` connections,
        each holding up to ``ahead`` of them, can take. ``free``: connections it may still open;
        ``held``: receiver -> (its connections, the room left in them). Capped deliveries go to the back
        of the due line as in :meth:`claim_capped`. Also returns whether more was due than was taken."""
        return self.scripts.lease_webhooks(
            now_ms, now_ms + lease_ms, max(0, limit), per_host, max(scan, limit), ahead, free, delivered, held
        )

    def release(self, deliveries: list[str], now_ms: int) -> None:
        """Leased deliveries that were not sent: due again at ``now_ms`` (no try counted)."""
        if deliveries:
            self.r.zadd(self.keys.webhooks, dict.fromkeys(deliveries, now_ms), xx=True)

    def get(self, delivery: str) -> dict[str, str]:
        """One delivery's hash (url, body, tries, last_error, campaign, call); {} if it is gone."""
        return record(self.r.hgetall(self.keys.webhook(delivery)))

    def delivered_many(self, deliveries: list[str]) -> None:
        """Forget these delivered deliveries (one transaction)."""
        if not deliveries:
            return
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(*[self.keys.webhook(delivery) for delivery in deliveries])
        pipe.zrem(self.keys.webhooks, *deliveries)
        pipe.execute()

    def delivered(self, delivery: str) -> None:
        """Forget a delivery: it was delivered (or its hash is gone, so there is nothing to send)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.webhook(delivery))
        pipe.zrem(self.keys.webhooks, delivery)
        pipe.execute()

    def failed(self, delivery: str, tries: int, error: str, retry_at_ms: int | None) -> None:
        """Record a failed try: ``tries`` and ``last_error``, then due again at ``retry_at_ms`` or,
        when that is None, moved to the dead list (one transaction)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.webhook(delivery), mapping={"tries": tries, "last_error": error})
        if retry_at_ms is None:
            pipe.zrem(self.keys.webhooks, delivery)
            pipe.lpush(self.keys.webhooks_dead, delivery)
        else:
            pipe.zadd(self.keys.webhooks, {delivery: retry_at_ms})
        pipe.execute()
