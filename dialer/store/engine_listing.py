"""The engines alive now, each as its liveness key (``engine:<id>``) describes it.

An engine refreshes its key with a TTL (:meth:`Store.beat`), so a dead one
simply has none: listing the keys lists the engines sharing this Redis,
whether or not any of them is this process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import redis

from dialer.store.keys import Keys


@dataclass(slots=True, frozen=True)
class EngineInfo:
    engine_id: str
    info: dict[str, Any]  # what the engine wrote (host, pid, in_flight, nodes...); {} when unreadable


class EngineListing:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def alive(self) -> list[EngineInfo]:
        """Every engine with a liveness key, by id."""
        prefix = self.keys.engine("")
        out: list[EngineInfo] = []
        for key in sorted(cast(Iterator[str], self.r.scan_iter(match=f"{prefix}*", count=1000))):
            raw = cast(str | None, self.r.get(key))
            try:
                info = json.loads(raw) if raw else {}
            except ValueError:
                info = {}
            out.append(EngineInfo(key[len(prefix) :], info if isinstance(info, dict) else {}))
        return out
