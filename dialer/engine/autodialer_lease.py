"""This engine's leases on pacing autodialer campaigns (dialer/store/pacer_leases.py says why one).

A pacer asks :meth:`AutodialerLeases.holds` at each turn that would dial: the lease is taken, or
renewed once less than two thirds of it is left, so a busy pacer renews it about every 5 s and
asks Redis nothing in between. A pacer without it claims nothing and looks again later
(dialer/pacing/pacer.py); a stopped pacer gives its lease up so another engine may take over at
once. A Redis error keeps what this engine holds until it lapses (the others cannot take it before
then either), and takes nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dialer.store.errors import StoreError
from dialer.store.pacer_leases import PacerLeases
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")
LEASE_S = 15.0  # an engine that died stops an autodialer campaign for at most this long
RENEW_LEFT = 2 / 3  # renewed once less than this share of the lease is left


class AutodialerLeases:
    def __init__(
        self,
        store: Store,
        engine_id: str,
        *,
        lease_s: float = LEASE_S,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.leases = PacerLeases(store)
        self.engine_id = engine_id
        self.lease_s = lease_s
        self.monotonic = monotonic
        self._until: dict[str, float] = {}  # campaign -> until when (monotonic) this engine holds it, at least
        self._said: dict[str, bool] = {}  # what was last logged of each campaign (held here or not)

    def holds(self, campaign_uuid: str) -> bool:
        """Whether this engine paces the campaign now (taken or renewed when due)."""
        now = self.monotonic()
        until = self._until.get(campaign_uuid)
        if until is not None and until - now > self.lease_s * RENEW_LEFT:
            return True
        try:
            held = self.leases.hold(campaign_uuid, self.engine_id, int(self.lease_s * 1000))
        except StoreError as exc:
            log.error("autodialer lease not renewed", extra={"campaign": campaign_uuid, "error": str(exc)})
            return until is not None and until > now
        if held:
            self._until[campaign_uuid] = now + self.lease_s  # from before the call: never later than Redis's
        else:
            self._until.pop(campaign_uuid, None)
        self._say(campaign_uuid, held)
        return held

    def give_up(self, campaign_uuid: str) -> None:
        """The pacer stopped: another engine may take the campaign at once."""
        self._said.pop(campaign_uuid, None)
        if self._until.pop(campaign_uuid, None) is None:
            return
        try:
            self.leases.give_up(campaign_uuid, self.engine_id)
        except StoreError as exc:  # it lapses by itself
            log.error("autodialer lease not given up", extra={"campaign": campaign_uuid, "error": str(exc)})

    def give_up_all(self) -> None:
        for campaign_uuid in list(self._until):
            self.give_up(campaign_uuid)

    def _say(self, campaign_uuid: str, held: bool) -> None:
        before = self._said.get(campaign_uuid)
        if before is held:
            return
        self._said[campaign_uuid] = held
        if held:
            log.info("pacing autodialer campaign here", extra={"campaign": campaign_uuid, "engine": self.engine_id})
        else:
            log.info(
                "autodialer campaign paced by another engine: this one claims nothing for it",
                extra={"campaign": campaign_uuid},
            )
