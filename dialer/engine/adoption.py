"""Crash recovery across engines: the calls of an engine that died are taken over.

Every engine's slots are leased and owned (claim.lua); an engine beats its
liveness key while it lives. The reap loop here, every few seconds: asks
recovery.py about calls older than the longest call; once this engine has
been in touch with Redis long enough to judge others, re-owns the slots on
its own FreeSWITCH nodes whose engine died (``adopt``: adopt.lua), has
FreeSWITCH send it their events (an ESL filter on the tag of the engine that
placed them, esl/node.py ``follow``, removed once they are settled) and
follows those calls from then on (settled by recovery.py: still up, or
ended meanwhile and recorded from FreeSWITCH's CDR, or lost); and records, from their CDR or as lost,
the slots of dead engines on nodes that are not ours once their lease
expired (``reap``). Docs: docs/engine.md, "Crashes".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent

from dialer.domain.context import CampaignContext
from dialer.domain.ids import job_uuid
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.cdr_wait import CdrWait
from dialer.engine.counts import Counts
from dialer.engine.dialing import NoRoute
from dialer.engine.events import Events
from dialer.engine.recorder import build_finish, dialled
from dialer.engine.recovery import Recovery
from dialer.engine.writer import Writer
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node, NodeConfig
from dialer.outcomes.own_causes import LOST
from dialer.routing.dialstring import Leg
from dialer.routing.numbers import InvalidNumber
from dialer.store.errors import StoreError
from dialer.store.records import Claim
from dialer.store.script_results import AdoptedSlot
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")


class Adoption:
    def __init__(
        self,
        store: Store,
        nodes: list[Node],
        events: Events,
        recovery: Recovery,
        writer: Writer,
        counts: Counts,
        cdrs: CdrWait,
        *,
        to_record: Callable[[str], CampaignContext | None],
        route: Callable[[Claim, CampaignContext], list[Leg]],
        may_judge_others: Callable[[], bool],
        engine_id: str,
        lease_ms: int,
        max_call_ms: int,
        every_s: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.nodes = nodes
        self.events = events
        self.tracker: CallTracker = events.tracker
        self.recovery = recovery
        self.writer = writer
        self.counts = counts
        self.cdrs = cdrs
        self.to_record = to_record  # a call's campaign, even if deleted since (campaigns.py)
        self.route = route  # the legs an attempt dials (dialing.py)
        self.may_judge_others = may_judge_others
        self.engine_id = engine_id
        self.lease_ms = lease_ms
        self.max_call_ms = max_call_ms
        self.every_s = every_s
        self.clock = clock
        self.adopting = True  # False: a one-off process (test-call) that must not take over others' calls
        self.adopted = 0
        # The dead engines whose calls each node's connection lets through, and the calls adopted
        # under each: the filter goes once they are all settled (``unfollow_settled``).
        self.following: dict[tuple[Node, str], list[InFlight]] = {}
        self.passes = 0  # reap-loop passes finished (a test awaits one instead of sleeping)

    def run(self) -> None:
        """Every few seconds: adopt the calls of an engine that died meanwhile (its
        liveness key expired), check calls that outlived the longest call, and
        record slots of dead engines on other FreeSWITCH nodes once their lease expired."""
        last_reap = time.monotonic()
        every = max(1.0, self.lease_ms / 4000)
        while True:
            gevent.sleep(self.every_s)
            try:
                self.unfollow_settled()
                self.recovery.check_long_calls()
                if not self.may_judge_others():
                    continue
                # Slots are scanned when an engine just died, and anyway once per reap period
                # (ownerless slots, our own we stopped renewing); not every 2 s for nothing.
                dead = self.store.engines.dead()
                periodic = time.monotonic() - last_reap >= every
                if self.adopting and (dead or periodic):
                    for node, adopted in self.adopt([n for n in self.nodes if n.up.is_set()]).items():
                        log.info("adopted calls of a dead engine", extra={"node": node.name, "calls": len(adopted)})
                        gevent.spawn(self.recovery.settle_adopted, adopted, node)
                    self.store.engines.bury(dead)
                if periodic:
                    last_reap = time.monotonic()
                    self.reap()
            except StoreError as exc:
                log.error("reaping failed", extra={"error": str(exc)})
            except Exception:  # this loop must outlive any bug in one record
                log.exception("reap loop turn failed")
            finally:
                self.passes += 1

    def adopt(self, nodes: list[Node]) -> dict[Node, list[InFlight]]:
        """Re-own the slots on ``nodes`` whose engine died and track their calls from now on, per node:
        their events come from here on (the filter for the engine that placed them is in place on
        their node when this returns, before recovery asks FreeSWITCH about them). CDRs kept meanwhile
        are applied at once. One adopt.lua per window of each campaign's slots for all the nodes: a
        pass costs Redis the same whatever the number of nodes, and no call holds it long."""
        by_name = {node.name: node for node in nodes}
        adopted: dict[Node, list[InFlight]] = {}
        try:
            for campaign_uuid in self.store.calls.campaigns_with_slots() if nodes else []:
                cursor = "0"
                while True:
                    now_ms = int(self.clock() * 1000)
                    cursor, rows = self.store.calls.adopt(
                        campaign_uuid, now_ms, self.engine_id, self.lease_ms, list(by_name), cursor
                    )
                    for row in rows:
                        att = self._track(campaign_uuid, row, by_name[row.node])
                        if att is not None:
                            adopted.setdefault(att.node, []).append(att)
                    if rows:
                        self._follow(by_name)  # at once: a hangup before the filter is not heard
                    if cursor == "0":
                        break
        except StoreError as exc:  # keep what was adopted so far: it must be settled
            log.error("adoption failed; retried later", extra={"error": str(exc)})
        self._follow(by_name)
        return adopted

    def _follow(self, nodes: dict[str, Node]) -> None:
        """On each of ``nodes``, the filters of the engines whose calls were adopted there (a filter
        already in place is not sent again)."""
        for node, origin in list(self.following):
            if node.name in nodes:
                try:
                    node.follow(origin)
                except NotConnectedError:
                    pass  # dropped: the next connection has the filter, and its reconnect settles the calls

    def _track(self, campaign_uuid: str, row: AdoptedSlot, node: Node) -> InFlight | None:
        """Track one adopted slot's call (None: it was tracked already, or it had nothing to record against)."""
        call, lead, network, _node_name, start_ms, kept, origin = row
        if call in self.tracker.by_campaign.get(campaign_uuid, {}):
            return None  # ours, its renewal was only late (Redis was away); adopt.lua renewed it
        att = self._rebuild(campaign_uuid, lead, call, network, node, start_ms)
        if att is None:  # its lead or campaign is gone: nothing to record it against
            log.warning("slot with no lead or campaign released", extra={"campaign": campaign_uuid, "call": call})
            self.store.calls.release_slot(campaign_uuid, call, network)
            return None
        att.unknown_job = True
        self.tracker.add(att)
        self.adopted += 1
        if origin and origin != node.engine_tag:
            self.following.setdefault((node, origin), []).append(att)
        for leg in att.legs:
            hangup = kept.get(leg)
            if hangup is not None and not att.done:
                att.live_legs.update(x for x in att.legs if x not in att.hangups)
                self.tracker.hung_up(att, leg, hangup)
        return att

    def unfollow_settled(self) -> None:
        """Remove the filter of a dead engine from a node once every call adopted under it is settled."""
        for key, atts in list(self.following.items()):
            if all(a.done for a in atts):
                del self.following[key]
                key[0].unfollow(key[1])

    def _rebuild(
        self, campaign_uuid: str, lead: str, call: str, network: str, node: Node, start_ms: int
    ) -> InFlight | None:
        """An attempt another process started, as the tracker needs it (legs derive from the call uuid)."""
        ctx = self.to_record(campaign_uuid)
        claim = self.store.calls.rebuild_claim(campaign_uuid, lead, call, network) if ctx else None
        if ctx is None or claim is None:
            return None
        att = InFlight(claim, ctx.campaign, node, job_uuid(call), [call], [], start_ms)
        try:
            legs = self.route(claim, ctx)
            att.legs = [leg.uuid for leg in legs]
            att.numbers = [leg.number for leg in legs]
            att.caller_ids = [leg.caller_id for leg in legs]
        except (NoRoute, InvalidNumber, ValueError, IndexError):
            # The route changed since (or there never was one): one leg, the call uuid, and
            # the number it would have dialled.
            att.numbers = dialled(att)[:1]
        return att

    def reap(self) -> int:
        """Record attempts whose slot lease expired (their process died)."""
        now_ms = int(self.clock() * 1000)
        reaped = 0
        ours = {node.name for node in self.nodes}
        for campaign_uuid in self.store.calls.campaigns_with_slots():
            mine = self.tracker.by_campaign.get(campaign_uuid, {})
            for call, lead, network, node_name, start_ms in self.store.calls.expired(campaign_uuid, now_ms):
                if call in mine:
                    continue
                if node_name in ours and now_ms - start_ms < self.max_call_ms:
                    continue  # on our FreeSWITCH: adoption asks it what became of the call
                ctx = self.to_record(campaign_uuid)
                claim = self.store.calls.rebuild_claim(campaign_uuid, lead, call, network) if ctx else None
                if ctx is None or claim is None:  # nothing to record it against: free the slot
                    self.store.calls.release_slot(campaign_uuid, call, network)
                    continue
                ghost = Node(NodeConfig(node_name or "?", "", 0, "-"), on_event=lambda n, e: None)
                kept = self.cdrs.cdrs.kept([call]).get(call, {})  # its CDR, if FreeSWITCH's came
                att = InFlight(
                    claim,
                    ctx.campaign,
                    ghost,
                    "",
                    list(kept) or [call],
                    claim.numbers[:1],
                    start_ms,
                    problem="" if kept else LOST,
                    done=True,
                    hangups=kept,
                    detail="its engine died and its FreeSWITCH is not one of this engine's",
                )
                log.warning(
                    "slot lease expired: recording the call" + (" from its CDR" if kept else " as lost"),
                    extra=att.log_extra(),
                )
                finish = build_finish(att, now_ms)
                self.counts.outcome(finish)
                self.writer.put(finish)
                reaped += 1
        return reaped
