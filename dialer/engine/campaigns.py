"""The campaigns this engine paces: loaded from Redis, a pacer for each running one, kept current.

A campaign's context (the campaign with its carrier and template) is loaded
once and again after each change. Any process (the API, another engine)
publishes a change or a wake-up on the events channel; this engine
subscribes and acts on each: a pacer started, woken or stopped, ringing
calls cancelled on stop. Messages published while the subscription was down
(a Redis outage, a dropped connection) are lost, so every campaign is read
again after each resubscribe, and periodically anyway.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gevent

from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignStatus
from dialer.engine.holds import Holds
from dialer.pacing.pacer import CampaignPacer
from dialer.retry import redis_forever
from dialer.store.agents import AGENTS_EVENT
from dialer.store.errors import StoreError
from dialer.store.store import Store
from dialer.store.subscription import Subscription

log = logging.getLogger("autocall.engine")
SUBSCRIBE_FIRST_S, SUBSCRIBE_CAP_S = 0.1, 5.0  # the subscription is made again after 0.1 s, doubling to 5 s


class Campaigns:
    def __init__(
        self,
        store: Store,
        holds: Holds,
        *,
        new_pacer: Callable[[str], CampaignPacer],
        cancel_ringing: Callable[[str], None],
        reconcile_every_s: float = 30.0,
    ) -> None:
        self.store = store
        self.holds = holds
        self.new_pacer = new_pacer
        self.cancel_ringing = cancel_ringing  # a stopped campaign's ringing calls (dialing.py)
        self.reconcile_every_s = reconcile_every_s  # campaigns re-read from Redis (missed pub/sub messages)
        self.pacers: dict[str, CampaignPacer] = {}
        # autodialer campaigns (dialer/engine/autodialer.py): a campaign reloaded (None: gone), the agents changed
        self.on_change: Callable[[CampaignContext | None], None] = lambda ctx: None
        self.on_agents: Callable[[], None] = lambda: None
        self.stopping = False  # the engine drains: no pacer is started any more
        self._contexts: dict[str, CampaignContext] = {}
        self._retry = redis_forever(SUBSCRIBE_FIRST_S, SUBSCRIBE_CAP_S)

    # -- contexts ---------------------------------------------------------------------
    def context(self, campaign_uuid: str) -> CampaignContext | None:
        ctx = self._contexts.get(campaign_uuid)
        if ctx is None:
            ctx = self._load(campaign_uuid)
        return ctx

    def _load(self, campaign_uuid: str) -> CampaignContext | None:
        campaign = self.store.campaigns.get(campaign_uuid)
        if campaign is None:
            self._contexts.pop(campaign_uuid, None)
            return None
        carrier = self.store.catalog.carriers.get(campaign.carrier_uuid) if campaign.carrier_uuid else None
        template = self.store.catalog.templates.get(campaign.template_uuid) if campaign.template_uuid else None
        ctx = CampaignContext(campaign, carrier, template)
        self._contexts[campaign_uuid] = ctx
        return ctx

    def loaded(self) -> list[CampaignContext]:
        """Every campaign context loaded here (running or not)."""
        return list(self._contexts.values())

    def to_record(self, campaign_uuid: str) -> CampaignContext | None:
        """The campaign of a call another process started, even if deleted since: its
        slot must still be recorded (the janitor purges a campaign only once it has none)."""
        ctx = self.context(campaign_uuid)
        if ctx is not None:
            return ctx
        campaign = self.store.campaigns.get(campaign_uuid, deleted_too=True)
        if campaign is None:
            return None
        carrier = self.store.catalog.carriers.get(campaign.carrier_uuid) if campaign.carrier_uuid else None
        return CampaignContext(campaign, carrier, None)

    # -- acting on changes ------------------------------------------------------------
    def changed(self, campaign_uuid: str) -> None:
        """Reload a campaign after a change (any process) and act on its status."""
        ctx = self._load(campaign_uuid)
        self.on_change(ctx)
        status = ctx.campaign.status if ctx else CampaignStatus.STOP
        running = ctx is not None and status is CampaignStatus.START and ctx.campaign.active
        pacer = self.pacers.get(campaign_uuid)
        if running and not self.stopping:
            if pacer is None or pacer.stopped:
                pacer = self.pacers[campaign_uuid] = self.new_pacer(campaign_uuid)
                pacer.start()
            pacer.wake()
            return
        if pacer is not None:
            pacer.stop()
            self.pacers.pop(campaign_uuid, None)
            self.holds.forget(campaign_uuid)
        if status is CampaignStatus.STOP or (ctx is not None and not ctx.campaign.active):
            self.cancel_ringing(campaign_uuid)

    def wake(self, campaign_uuid: str) -> None:
        pacer = self.pacers.get(campaign_uuid)
        if pacer is not None:
            pacer.wake()
        elif campaign_uuid in self.store.campaigns.running():
            self.changed(campaign_uuid)

    def wake_pacers(self, campaign_uuids: set[str]) -> None:
        """Wake the pacers of these campaigns, if any (a slot of theirs was freed)."""
        for campaign_uuid in campaign_uuids:
            pacer = self.pacers.get(campaign_uuid)
            if pacer is not None:
                pacer.wake()

    def stop(self) -> None:
        """Start nothing new: every pacer stops."""
        self.stopping = True
        for pacer in list(self.pacers.values()):
            pacer.stop()

    def reconcile(self) -> int:
        """Re-read every campaign this engine runs, has loaded or should run, and act as if each had
        just changed: pub/sub messages published while the subscription was down (a Redis outage, a
        dropped connection) are lost, and a campaign started, stopped or re-routed meanwhile must not
        stay as it was. Returns how many campaigns were looked at."""
        uuids = self.store.campaigns.running() | set(self.pacers) | set(self._contexts)
        for campaign_uuid in sorted(uuids):
            self.changed(campaign_uuid)
        self.on_agents()  # an ``agents`` message may have been lost too
        return len(uuids)

    # -- the subscription --------------------------------------------------------------
    def _resubscribed(self, _connection: Any, first: bool = False) -> None:
        """What was published while we were not subscribed is lost: re-read it (at start: the
        campaigns already running)."""
        if not first:
            log.info("event subscription back; reconciling campaigns with Redis")
        gevent.spawn(self._reconcile_once)

    def _reconcile_once(self) -> None:
        if self.stopping:
            return
        try:
            self.reconcile()
        except StoreError as exc:  # the periodic reconcile tries again
            log.error("reconciling campaigns failed; retried later", extra={"error": str(exc)})
        except Exception:  # a bug with one campaign (or a client closed under it) must not end the loop
            log.exception("reconciling campaigns failed")

    def reconcile_loop(self) -> None:
        while True:
            gevent.sleep(self.reconcile_every_s)
            self._reconcile_once()

    def listen(self) -> None:
        """Status changes and wake-ups published by any process (the API, another engine)."""
        first = True
        while True:
            # While Redis is away: subscribing again after 0.1 s, doubling to 5 s.
            subscription = self._retry.call_with_retry(self._subscribe, self._lost)
            try:
                # Subscribed first, then read: a campaign started at any moment is either in what the
                # reconcile reads or in a message we now receive (at start too: no gap between the two).
                self._resubscribed(None, first)
                first = False
                for data in subscription.messages():
                    kind, _, rest = data.partition(" ")
                    campaign_uuid = rest.split(" ", 1)[0]
                    if kind == "wake":
                        self.wake(campaign_uuid)
                    elif kind in ("status", "changed"):
                        self.changed(campaign_uuid)
                    elif kind == AGENTS_EVENT:  # an operator wrote an agent (dialer/store/agents.py)
                        self.on_agents()
            except StoreError as exc:
                self._lost(exc)
                gevent.sleep(SUBSCRIBE_FIRST_S)  # the back-off's first step: never a busy loop
            finally:
                subscription.close()

    def _subscribe(self) -> Subscription:
        # redis-py resubscribes by itself after a dropped connection, silently: _resubscribed learns of it.
        return self.store.subscriptions.subscribe(self._resubscribed)

    def _lost(self, exc: Exception) -> None:
        log.error("event subscription lost; resubscribing", extra={"error": str(exc)})
