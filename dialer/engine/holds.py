"""Holding a running campaign that cannot place a call (dialer/readiness.py says what it lacks).

Before each claim the pacer asks :meth:`Holds.why`: a held campaign claims no
lead, so no attempt is counted and no lead used up, and it dials again by
itself once fixed. The answer is cached per campaign and worked out again
when the engine reloads the campaign (a change, the periodic reconcile: a
new context object) or every ``every_s`` (an audio file may vanish from
disk), never per call: a stat of one file at most. A change is said once,
in one JSON log line, and written to Redis (``held``) for ``/v3/live``, the
``/live`` page and ``autocall status``.

An attempt that fails for want of what the campaign as a whole needs (the
cache was a moment old) asks :meth:`recheck`: when the campaign is held now
the attempt is not counted and its lead goes back to wait (dialer/engine/dialing.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from dialer.domain.context import CampaignContext
from dialer.readiness import Means, missing
from dialer.store.errors import StoreError
from dialer.store.holds import HeldCampaigns
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")
EVERY_S = 2.0  # a held (or dialling) campaign is looked at again this often without any change


@dataclass(slots=True)
class _Seen:
    ctx: CampaignContext
    at: float  # monotonic
    why: list[str]


class Holds:
    def __init__(
        self,
        store: Store,
        means: Callable[[], Means],
        engine_id: str,
        *,
        every_s: float = EVERY_S,
        clock: Callable[[], float] = time.time,
        agents: Callable[[CampaignContext], int | None] = lambda ctx: None,
    ) -> None:
        self.records = HeldCampaigns(store)
        self.agents = agents  # how many agents an autodialer campaign's users and groups name (agent_roster.py)
        self.means = means  # read at each look: the speech renderer may be set after the engine is built
        self.engine_id = engine_id
        self.every_s = every_s
        self.clock = clock
        self._seen: dict[str, _Seen] = {}
        self._said: dict[str, list[str]] = {}  # what this engine last said of each campaign ([]: dialling)
        self.held_turns: dict[str, int] = {}  # pacer turns that found the campaign held (tests, debugging)

    def why(self, ctx: CampaignContext) -> list[str]:
        """What the campaign lacks to place a call, as last worked out ([]: it may dial)."""
        uuid = ctx.campaign.campaign_uuid
        seen = self._seen.get(uuid)
        if seen is None or seen.ctx is not ctx or time.monotonic() - seen.at >= self.every_s:
            why = self._look(ctx)
        else:
            why = seen.why
        if why:
            self.held_turns[uuid] = self.held_turns.get(uuid, 0) + 1
        return why

    def recheck(self, ctx: CampaignContext) -> bool:
        """Worked out now, cache or not: whether the campaign is held."""
        return bool(self._look(ctx))

    def forget(self, campaign_uuid: str) -> None:
        """The campaign is no longer paced here (stopped, paused, deleted): its hold, if any, goes."""
        self._seen.pop(campaign_uuid, None)
        if self._said.pop(campaign_uuid, None):
            try:
                self.records.release(campaign_uuid)
            except StoreError as exc:  # readers show holds of running campaigns only
                log.error("could not clear a campaign's hold", extra={"campaign": campaign_uuid, "error": str(exc)})

    def _look(self, ctx: CampaignContext) -> list[str]:
        uuid = ctx.campaign.campaign_uuid
        why = missing(
            ctx.campaign, ctx.template, ctx.carrier, self.means(), route=not ctx.directory_user, agents=self.agents(ctx)
        )
        self._say(uuid, why)
        self._seen[uuid] = _Seen(ctx, time.monotonic(), why)
        return why

    def _say(self, uuid: str, why: list[str]) -> None:
        """Log and record a change (written first: a Redis error is retried at the next look)."""
        before = self._said.get(uuid)
        if before == why:
            return
        if why:
            self.records.hold(uuid, why, int(self.clock() * 1000), self.engine_id)
            log.error(
                "campaign held: it cannot place a call, and no lead is claimed until it can",
                extra={"campaign": uuid, "why": "; ".join(why)},
            )
        else:
            # Also the first look at a campaign that dials: clears what an engine that died holding it left.
            self.records.release(uuid)
            if before:
                log.info("campaign no longer held: dialling again", extra={"campaign": uuid})
        self._said[uuid] = why
