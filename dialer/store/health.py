"""Redis itself: does it answer, and is it fit to hold autocall's state (docs/deploy.md, "Redis")."""

from __future__ import annotations

import redis

from dialer.store.keys import Keys


def memory_headroom(maxmemory: int) -> int:
    """Below this much room under ``maxmemory``, Redis is full for autocall (an attempt's writes are
    kilobytes): 1 MiB, or 1% of a large ``maxmemory``."""
    return max(1 << 20, maxmemory // 100)


class Health:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def ping(self) -> None:
        """Raises a RedisError unless Redis answers (a refused write does not matter here)."""
        self.r.ping()

    def write_refusal(self) -> str:
        """ "" when Redis takes writes; else why it does not, or soon will not:

        * it refused a write, as Redis says it (``OutOfMemoryError: command not allowed when used memory >
          'maxmemory'``, ``ReadOnlyError`` of a replica, a ``MISCONF`` failed snapshot...);
        * it has less than :func:`memory_headroom` left under ``maxmemory`` and evicts no lead to make room
          (any policy but ``allkeys-*``): Redis checks the limit before a command, so a tiny write still
          passes when the engine's next CDR is refused.

        One round trip: a SET of a 1-byte key that expires after 10 s (it never accumulates) and
        ``INFO memory`` (skipped when refused, as on some managed Redis). Raises a ConnectionError /
        TimeoutError when Redis does not answer at all."""
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.probe, "1", px=10_000)
        pipe.info("memory")
        refused, memory = pipe.execute(raise_on_error=False)
        for result in (refused, memory):
            if isinstance(result, (redis.ConnectionError, redis.TimeoutError)):
                raise result
        if isinstance(refused, Exception):  # redis-py drops Redis's error code (OOM...): its class names it
            return f"refuses writes: {type(refused).__name__}: {refused}"
        if isinstance(memory, dict):
            limit, used = int(memory.get("maxmemory") or 0), int(memory.get("used_memory") or 0)
            policy = str(memory.get("maxmemory_policy") or "")
            if limit and not policy.startswith("allkeys-") and limit - used < memory_headroom(limit):
                return (
                    f"full: {used} bytes used of maxmemory {limit} ({policy or 'policy unknown'}); "
                    "writes are refused or about to be"
                )
        return ""

    def eviction_policy(self) -> str | None:
        """Redis's ``maxmemory-policy``, or None when this client may not read it (a managed Redis may
        refuse both ``INFO`` and ``CONFIG GET``, or rename them)."""
        try:
            policy = self.r.info("memory").get("maxmemory_policy")
            if policy:
                return str(policy)
        except (redis.ConnectionError, redis.TimeoutError):
            raise
        except redis.ResponseError:
            pass
        try:
            return str(self.r.config_get("maxmemory-policy").get("maxmemory-policy") or "") or None
        except (redis.ConnectionError, redis.TimeoutError):
            raise
        except redis.ResponseError:
            return None
