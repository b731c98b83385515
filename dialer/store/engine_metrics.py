"""Workers' engine metric families (``autocall serve --workers N``): each worker's latest, in a hash
per engine that expires, so the worker serving ``/metrics`` shows the whole host's
(dialer/worker_metrics.py writes and reads the values; this module only keeps them)."""

from __future__ import annotations

import redis

from dialer.store.keys import Keys
from dialer.store.replies import fields, record, texts


class EngineMetrics:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def publish(self, engine_id: str, values: dict[str, str], ttl_ms: int) -> None:
        """This engine's latest values, kept ``ttl_ms`` (a dead worker's vanish with it)."""
        pipe = self.r.pipeline(transaction=True)  # the hash never exists without its TTL
        pipe.hset(self.keys.engine_metrics(engine_id), mapping=fields(values))
        pipe.pexpire(self.keys.engine_metrics(engine_id), ttl_ms)
        pipe.execute()

    def published(self) -> dict[str, dict[str, str]]:
        """engine id -> its published values, for every engine that has beaten and published lately
        (``engines`` lists every engine, so nothing is scanned)."""
        ids = sorted(texts(self.r.smembers(self.keys.engines)))
        if not ids:
            return {}
        pipe = self.r.pipeline(transaction=False)
        for engine_id in ids:
            pipe.hgetall(self.keys.engine_metrics(engine_id))
        return {e: record(v) for e, v in zip(ids, pipe.execute(), strict=True) if v}
