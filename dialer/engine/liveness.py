"""The signs that this engine is alive: its liveness key and the leases of its calls' slots.

While ``engine:<id>`` exists no other engine adopts this one's calls, and
while a slot's lease is renewed nobody reaps it (adoption.py). The key is
beaten every ``beat_s`` and lives ``beat_ttl_ms``. Leases are looked at four
times per lease and renewed once at most half of one is left (a failed
renewal is tried again at the next pass, a quarter lease before it would
expire): one renewal per half lease, not per quarter. They are renewed
``RENEW_CHUNK`` slots per command, yielding between commands, so neither
Redis nor this hub is busy for long with many calls up. After a Redis outage
every engine's key is gone at once,
so an engine judges others dead only once it has itself beaten without a
break for longer than a key lives (``may_judge_others``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import gevent

from dialer.engine.calls import CallTracker
from dialer.store.errors import StoreError
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")
BEAT_S = 1.0  # the engine's liveness key is refreshed this often...
BEAT_TTL_MS = 5000  # ...and expires this long after the last refresh: then its calls are adopted
RENEW_CHUNK = 1000  # slots renewed per ZADD: ~1.5 ms of Redis, a few of this hub


class Liveness:
    def __init__(
        self,
        store: Store,
        engine_id: str,
        tracker: CallTracker,
        *,
        info: Callable[[], dict[str, Any]],
        beat_s: float = BEAT_S,
        beat_ttl_ms: int = BEAT_TTL_MS,
        lease_ms: int = 60_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.engine_id = engine_id
        self.tracker = tracker
        self.info = info  # what the key says (autocall status shows it)
        self.beat_s = beat_s
        self.beat_ttl_ms = beat_ttl_ms
        self.lease_ms = lease_ms
        self.clock = clock
        self._in_touch_since: float | None = None  # since when every heartbeat reached Redis

    def beat(self) -> None:
        """Keep ``engine:<id>`` alive: while it exists nobody adopts our calls."""
        while True:
            try:
                self.store.engines.beat(self.engine_id, self.beat_ttl_ms, json.dumps(self.info()))
                if self._in_touch_since is None:
                    self._in_touch_since = time.monotonic()
            except StoreError as exc:
                self._in_touch_since = None
                log.error("engine heartbeat failed", extra={"error": str(exc)})
            gevent.sleep(self.beat_s)

    def may_judge_others(self) -> bool:
        """True once this engine has beaten without a break for longer than a liveness key
        lives: after a Redis outage every engine's key is gone, and one must give the
        others time to beat again before it takes any of their calls for dead."""
        since = self._in_touch_since
        return since is not None and time.monotonic() - since >= self.beat_ttl_ms / 1000 + self.beat_s

    def renew_leases(self) -> None:
        """Our calls' slots stay leased while we follow them: an expired lease is reaped by any engine."""
        while True:
            gevent.sleep(self.lease_ms / 4000)
            self.renew_due()

    def renew_due(self) -> int:
        """Renew the leases with at most half their time left (or never renewed here): one pass.
        Returns how many were renewed."""
        now = int(self.clock() * 1000)
        due_before, until = now + self.lease_ms // 2, now + self.lease_ms
        renewed = 0
        for campaign_uuid, calls in list(self.tracker.by_campaign.items()):
            due = [att for att in calls.values() if att.leased_until_ms <= due_before]
            for start in range(0, len(due), RENEW_CHUNK):
                chunk = due[start : start + RENEW_CHUNK]
                try:
                    self.store.calls.renew(campaign_uuid, [att.call_uuid for att in chunk], until)
                except StoreError as exc:  # the next pass tries again: half a lease is left at least
                    log.error("lease renewal failed", extra={"campaign": campaign_uuid, "error": str(exc)})
                    break
                for att in chunk:
                    att.leased_until_ms = until
                renewed += len(chunk)
                gevent.sleep(0)  # a long renewal must not hold the hub
        return renewed

    def forget(self) -> None:
        """Stopping: our calls still up (if any) can be adopted at once by another engine."""
        try:
            self.store.engines.forget(self.engine_id)
        except StoreError:
            pass
