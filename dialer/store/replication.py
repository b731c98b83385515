"""Writes autocall acts on reach a replica first: ``WAIT`` after a fence write.

Redis replicates asynchronously: a write the primary acknowledged but had not yet sent to its
replica is gone if that replica is promoted (a failover). Where losing one breaks a promise,
autocall waits for the replica first (``confirm``): an import before the API answers it, a claim
batch before its originates are sent (a lost claim would have its leads dialled again), a batch of
results before the engine forgets the calls.

``WAIT`` counts the replicas that acknowledged the *calling connection's* last write; a pooled
client may send it on a connection that wrote nothing. So a fence (a 1-byte key expiring after
10 s) is written first on the same connection, in one round trip: once a replica acknowledges
it, it has every write the primary took before it, whoever made them.

The wait must be answered by the server that took the write: with Sentinel the client never retries
a command by itself (connect.py), so a write and its ``confirm`` either both reach the same primary
or the ``confirm`` fails (a RedisError: the caller does not act on the write, and redoes it).

A bounded wait, never a refusal: when no replica answers within ``timeout_ms`` autocall goes on
(and logs it), and when none is online and keeping up (``INFO replication``, read at most once a
second) it does not wait at all: the survivor of a failover runs alone until the old primary
rejoins, and a Redis that loses its replica must not stop the dialling. Refusing writes then is
Redis's own ``min-replicas-to-write`` (docs/deploy.md, "Redis failover").
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis

from dialer.store.connect import WaitPolicy
from dialer.store.keys import Keys

log = logging.getLogger("autocall.store")
ONLINE_CHECK_S = 1.0  # how stale the count of replicas online may be
MAX_LAG_S = 2  # a replica acknowledges every second: one silent for longer is not keeping up
LOG_EVERY_S = 60.0  # the same complaint at most this often


class Replication:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        policy: WaitPolicy | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.r = client
        self.keys = keys
        self.policy = policy or WaitPolicy()
        self.clock = clock
        self._online = 0
        self._checked = float("-inf")
        self._said: dict[str, float] = {}
        self.waits = self.short = self.skipped = 0  # WAITs sent, fewer acknowledgements than asked, not waited

    @property
    def enabled(self) -> bool:
        return self.policy.replicas > 0

    def confirm(self, what: str) -> int | None:
        """Wait until the replicas asked for (or as many as are online and keeping up, if fewer)
        have every write the primary took so far, at most ``timeout_ms``. Returns how many did
        (None when not asked to wait). Raises a RedisError when the primary does not answer."""
        if not self.policy.replicas:
            return None
        want = min(self.policy.replicas, self.online())
        if want == 0:
            self.skipped += 1
            self._say(
                "alone",
                "no replica online: writes are not waited for, a failover now could lose the last ones",
                what,
            )
            return 0
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.wait_fence, "1", px=10_000)
        pipe.execute_command("WAIT", want, self.policy.timeout_ms)
        _, acks = pipe.execute()
        self.waits += 1
        acks = int(acks)
        if acks < want:
            self.short += 1
            self._checked = float("-inf")  # look at the replicas again before the next wait
            self._say(
                "short",
                f"{acks} of {want} replicas acknowledged within {self.policy.timeout_ms} ms: going on",
                what,
            )
        return acks

    def online(self) -> int:
        """Replicas online whose last acknowledgement is recent (cached for a second)."""
        now = self.clock()
        if now - self._checked < ONLINE_CHECK_S:
            return self._online
        try:
            info = self.r.info("replication")
        except redis.ResponseError:  # INFO refused (a managed Redis): assume they are there
            info = None
        if info is None:
            self._online = self.policy.replicas
        else:
            replicas = [v for k, v in info.items() if k.startswith("slave") and isinstance(v, dict)]
            self._online = sum(1 for v in replicas if v.get("state") == "online" and int(v.get("lag", 0)) <= MAX_LAG_S)
        self._checked = now
        return self._online

    def _say(self, kind: str, message: str, what: str) -> None:
        now = self.clock()
        if now - self._said.get(kind, float("-inf")) >= LOG_EVERY_S:
            self._said[kind] = now
            log.warning(message, extra={"write": what})
