"""Running campaigns an engine holds because they cannot place a call (dialer/engine/holds.py).

One hash, ``held``: campaign uuid -> ``{"why": [...], "since_ms": ..., "engine": ...}``.
An engine writes a campaign's entry when it starts holding it and deletes it
when it dials it again (or stops pacing it), so ``/v3/live`` and ``autocall
status`` read why without asking any engine. Engines share their settings:
when several pace one campaign, the last to change its mind wins.
"""

from __future__ import annotations

import json
from typing import Any

from dialer.store.replies import text
from dialer.store.store import Store


def parse(raw: str | None) -> dict[str, Any] | None:
    """An entry as stored (None: not held, or an entry this version cannot read)."""
    try:
        entry = json.loads(raw) if raw else None
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and entry.get("why") else None


class HeldCampaigns:
    def __init__(self, store: Store) -> None:
        self.r = store.r
        self.key = store.keys.held

    def hold(self, campaign_uuid: str, why: list[str], since_ms: int, engine: str) -> None:
        entry = {"why": why, "since_ms": since_ms, "engine": engine}
        self.r.hset(self.key, campaign_uuid, json.dumps(entry, ensure_ascii=False))

    def release(self, campaign_uuid: str) -> None:
        self.r.hdel(self.key, campaign_uuid)

    def of(self, campaign_uuids: list[str]) -> dict[str, dict[str, Any]]:
        """The entries of these campaigns (those not held left out)."""
        if not campaign_uuids:
            return {}
        raws = self.r.hmget(self.key, campaign_uuids)
        return {u: e for u, raw in zip(campaign_uuids, raws, strict=True) if (e := parse(text(raw))) is not None}
