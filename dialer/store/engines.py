"""Engines' liveness: each beats a key that expires when it dies, so the survivors find its calls
(docs/engine.md, "Crashes")."""

from __future__ import annotations

import redis

from dialer.store.keys import Keys
from dialer.store.replies import texts


class Engines:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def beat(self, engine_id: str, ttl_ms: int, info: str = "") -> None:
        """This engine is alive for ``ttl_ms`` more."""
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.engine(engine_id), info or "1", px=ttl_ms)
        pipe.sadd(self.keys.engines, engine_id)
        pipe.execute()

    def dead(self) -> list[str]:
        """Engines that beat once and whose liveness key has expired since (their calls are orphans)."""
        ids = sorted(texts(self.r.smembers(self.keys.engines)))
        if not ids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for engine_id in ids:
            pipe.exists(self.keys.engine(engine_id))
        return [e for e, alive in zip(ids, pipe.execute(), strict=True) if not alive]

    def bury(self, engine_ids: list[str]) -> None:
        """Dead engines whose calls were taken over: no longer a reason to look for orphans."""
        if engine_ids:
            self.r.srem(self.keys.engines, *engine_ids)

    def forget(self, engine_id: str) -> None:
        """This engine stops (its liveness key goes at once)."""
        self.r.delete(self.keys.engine(engine_id))
