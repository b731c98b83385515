"""The engine's autodialer parts, built and wired together (docs/autodialer.md, "The engine").

* agent_roster.py: the agents, and which serve each campaign;
* callcenter_state.py: mod_callcenter's events (agents, queue members), from the autodialer node;
* callcenter_sync.py (+ callcenter_plan.py): agents, tiers and queues pushed into mod_callcenter;
* autodialer_lease.py: one engine paces an autodialer campaign at a time;
* agent_pacing.py: how many calls a campaign's agents can take now.

The engine hands this object its call tracker, writer and campaigns, and wires its methods into
the pacers' ports (``paces``, ``agent_allowance``, ``stopped``), the nodes' up/down hooks, the
events (``on_event``: callcenter::info), the end of each call (``call_ended``) and the events
channel (``agents_changed``, ``campaign_changed``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from dialer.domain.agents import CALLCENTER_DOMAIN
from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignStatus, CampaignType
from dialer.engine.agent_pacing import AgentPacing, CampaignFigures
from dialer.engine.agent_roster import AgentRoster
from dialer.engine.autodialer_lease import AutodialerLeases
from dialer.engine.callcenter_plan import AgentDefaults, QueueWant
from dialer.engine.callcenter_state import CallcenterState
from dialer.engine.callcenter_sync import CallcenterSync
from dialer.engine.calls import CallTracker
from dialer.engine.campaigns import Campaigns
from dialer.engine.writer import AgentLiveWrite, Writer
from dialer.esl.callcenter_events import SUBCLASS
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node
from dialer.pacing.agents import ABANDON_CAP_PCT
from dialer.store.errors import StoreError
from dialer.store.records import Finish
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")


def _dialled(ctx: CampaignContext | None) -> bool:
    """A started, active autodialer campaign with a queue (its tiers are wanted in mod_callcenter)."""
    if ctx is None:
        return False
    c = ctx.campaign
    return (
        c.type is CampaignType.AUTODIALER
        and c.status is CampaignStatus.START
        and c.active
        and bool(c.call_center_queue_uuid)
    )


class Autodialer:
    def __init__(
        self,
        store: Store,
        tracker: CallTracker,
        writer: Writer,
        *,
        engine_id: str,
        node_name: str,
        abandon_cap_pct: float = ABANDON_CAP_PCT,
        max_wait_s: int = 5,
        clock: Callable[[], float] = time.time,
        sync_every_s: float = 30.0,
    ) -> None:
        # every agent's contact rings at most the queue's max wait (AUTOCALL_AUTODIALER_MAX_WAIT)
        defaults = AgentDefaults(ring_s=max_wait_s)
        self.store = store
        self.tracker = tracker
        self.node_name = node_name  # AUTOCALL_AUTODIALER_NODE: the one node autodialer campaigns dial on
        self.writer = writer
        self.campaigns: Campaigns | None = None  # set by the engine once built (it is built after this)
        self.roster = AgentRoster(store)
        self.state = CallcenterState(
            write_live=lambda name, update: writer.put(AgentLiveWrite(name, update)),
            wake_agent=self._wake_agent,
            wake_queue=self._wake_queue,
            wrap_up_of=self._wrap_up_of,
            retry_delay_s=defaults.retry_delay_s,
            clock=clock,
        )
        self.sync = CallcenterSync(
            store,
            self.roster,
            self.state,
            node_name=node_name,
            queues=self._queues,
            on_synced=self._wake_all,
            every_s=sync_every_s,
            defaults=defaults,
        )
        self.leases = AutodialerLeases(store, engine_id)
        self.figures = CampaignFigures(store, lambda ext: self._wrap_up_of(f"{ext}@{CALLCENTER_DOMAIN}"), clock)
        self.pacing = AgentPacing(
            state=self.state,
            roster=self.roster,
            tiers=self._tiers,
            tracker=tracker,
            figures=self.figures,
            abandon_cap_pct=abandon_cap_pct,
            clock=clock,
        )

    # -- ports --------------------------------------------------------------------------------------
    def paces(self, campaign_uuid: str) -> bool:
        return self.leases.holds(campaign_uuid)

    def allowance(self, ctx: CampaignContext) -> int:
        return self.pacing.allowance(ctx)

    def pacer_stopped(self, campaign_uuid: str) -> None:
        self.leases.give_up(campaign_uuid)
        self.pacing.forget(campaign_uuid)

    def agents_serving(self, ctx: CampaignContext) -> int | None:
        """How many agents an autodialer campaign's users and groups name (None: another type)."""
        if ctx.campaign.type is not CampaignType.AUTODIALER:
            return None
        return len(self.roster.serving(ctx.campaign))

    # -- hooks ----------------------------------------------------------------------------------------
    def on_event(self, node: Node, event: dict[str, Any]) -> bool:
        """A callcenter::info event (True: it was one, and taken here when it is the autodialer node's)."""
        if event.get("Event-Subclass") != SUBCLASS:
            return False
        if node.name == self.node_name:
            try:
                self.state.on_event(event)
            except Exception:  # one bad event must not take the connection down
                log.exception("callcenter event handling failed", extra={"node": node.name})
        return True

    def beep(self, node: Node, event: dict[str, Any]) -> None:
        """mod_avmd heard a machine on a lead: one no agent talks to yet is hung up at once (the
        dialplan only listens; left in the queue it would be bridged to an agent, who would talk to a
        machine, and the call would count as a human connected). Its result reads the beep: voicemail."""
        if event.get("Event-Subclass") != "avmd::beep":
            return
        leg = event.get("Unique-ID", "")
        att = self.tracker.by_leg.get(leg)
        if att is None or att.campaign.type is not CampaignType.AUTODIALER or self.state.talked(att.legs):
            return
        conn = node.conn
        if conn is not None:
            try:
                conn.send_nowait([f"bgapi uuid_kill {leg} NORMAL_CLEARING"])
            except NotConnectedError:
                pass  # the call went with the connection

    def node_up(self, node: Node) -> None:
        self.sync.node_up(node)

    def node_down(self, node: Node) -> None:
        self.sync.node_down(node)

    def finished(self, finish: Finish) -> None:
        """An attempt's result, as queued for Redis: its sample for the campaign's figures."""
        self.figures.record(finish)

    def agents_changed(self) -> None:
        """The events channel said ``agents``: read them again, push them, look at the holds again."""
        try:
            self.roster.refresh()
        except StoreError as exc:  # the sync reads them again anyway
            log.error("reading the agents failed", extra={"error": str(exc)})
        self.sync.kick()
        self._wake_all()

    def campaign_changed(self, ctx: CampaignContext | None) -> None:
        if ctx is None or ctx.campaign.type is CampaignType.AUTODIALER:
            self.sync.kick()

    # -- what the parts ask ------------------------------------------------------------------------
    def _tiers(self, queue: str) -> set[str] | None:
        return self.sync.tiers.get(queue)

    def _running(self) -> list[CampaignContext]:
        campaigns = self.campaigns
        if campaigns is None:
            return []
        contexts = [campaigns.context(uuid) for uuid in sorted(self.store.campaigns.running())]
        return [ctx for ctx in contexts if ctx is not None and _dialled(ctx)]

    def _queues(self) -> tuple[list[QueueWant], set[str]]:
        wanted = [
            QueueWant(
                ctx.campaign.call_center_queue_uuid,
                ctx.campaign.call_center_queue_strategy,
                tuple(self.roster.names_serving(ctx.campaign)),
            )
            for ctx in self._running()
        ]
        known = set()
        if self.campaigns is not None:
            known = {ctx.campaign.call_center_queue_uuid for ctx in self.campaigns.loaded()}
        return wanted, known

    def _wrap_up_of(self, name: str) -> int:
        agent = self.roster.by_name.get(name)
        return agent.wrap_up_time if agent is not None else 0

    def _paced(self) -> list[CampaignContext]:
        """The autodialer campaigns this engine runs a pacer for."""
        campaigns = self.campaigns
        if campaigns is None:
            return []
        contexts = [campaigns.context(uuid) for uuid in list(campaigns.pacers)]
        return [ctx for ctx in contexts if ctx is not None and ctx.campaign.type is CampaignType.AUTODIALER]

    def _wake_agent(self, name: str) -> None:
        if self.campaigns is not None:
            paced = [ctx.campaign for ctx in self._paced()]
            self.campaigns.wake_pacers(self.roster.campaigns_of(name, paced))

    def _wake_queue(self, queue: str) -> None:
        uuid = self.pacing.campaign_of_queue.get(queue)
        if uuid is not None and self.campaigns is not None:
            self.campaigns.wake_pacers({uuid})

    def _wake_all(self) -> None:
        if self.campaigns is not None:
            self.campaigns.wake_pacers({ctx.campaign.campaign_uuid for ctx in self._paced()})
