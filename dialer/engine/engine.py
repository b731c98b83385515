"""The engine: its parts wired together, and its lifecycle (start, drain, stop).

Data flow for one attempt::

    pacer ──claim.lua──> Claim ──dial()──> bgapi originate (node) ──> InFlight
    node events ──> CallTracker ──end──> recorder.build_finish ──> writer ──finish.lua──> Redis
                                                                     └──> wake the campaign's pacer

The parts, one job each: campaigns.py (which campaigns run here, a pacer
for each, the subscription to changes), dialing.py (claims become
originates), events.py (FreeSWITCH's events become records), writer.py
(the bounded write queue and its greenlet), recovery.py (calls whose
events we may have missed on our nodes), adoption.py (calls of dead
engines), liveness.py (the heartbeat and the slots' leases). This module
builds them, starts them, and drains and stops them.

Everything runs in one gevent hub. Event handlers never block on I/O (the
writer batches; when Redis is slow its queue fills and the ESL readers stop
reading, so TCP pushes back on FreeSWITCH instead of memory growing).
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

import gevent

from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignType
from dialer.engine.adoption import Adoption
from dialer.engine.autodialer import Autodialer
from dialer.engine.campaigns import Campaigns
from dialer.engine.cdr_wait import CdrWait
from dialer.engine.counts import Counts
from dialer.engine.dialing import Dialer
from dialer.engine.events import Events
from dialer.engine.holds import EVERY_S, Holds
from dialer.engine.liveness import BEAT_S, BEAT_TTL_MS, Liveness
from dialer.engine.recovery import GONE_AFTER_REFUSED_S, Recovery
from dialer.engine.writer import Writer
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles
from dialer.pacing.agents import ABANDON_CAP_PCT
from dialer.pacing.pacer import CampaignPacer, PacerPorts
from dialer.store.records import Claim
from dialer.store.script_results import ClaimInfo
from dialer.store.store import Store
from dialer.store.switch_cdrs import SwitchCdrs

log = logging.getLogger("autocall.engine")


class Engine:
    def __init__(
        self,
        store: Store,
        nodes: list[NodeConfig],
        files: MessageFiles,
        *,
        default_gateway: str = "",
        default_caller_id: str = "",
        clock: Callable[[], float] = time.time,
        lease_s: float = 60.0,
        grace_s: float = 2.0,
        queue_size: int = 20_000,
        command_timeout: float = 10.0,
        render_concurrency: int = 8,
        max_call_s: float = 3600.0,
        keepalive_s: float = 5.0,
        adopt_every_s: float = 2.0,
        beat_s: float = BEAT_S,
        beat_ttl_s: float = BEAT_TTL_MS / 1000,
        switch_cdrs: bool = False,
        cdr_wait_s: float = 60.0,
        reconcile_every_s: float = 30.0,
        hold_check_s: float = EVERY_S,
        gone_after_refused_s: float = GONE_AFTER_REFUSED_S,
        autodialer_node: str = "",
        abandon_cap_pct: float = ABANDON_CAP_PCT,
        autodialer_max_wait_s: int = 5,
    ) -> None:
        self.store = store
        self.engine_id = uuid.uuid4().hex  # owner of the slots this process claims (adoption)
        self.started = int(time.time())
        self.clock = clock
        self.lease_ms = int(lease_s * 1000)
        self._greenlets: list[gevent.Greenlet] = []
        self.counts = Counts()
        self.writer = Writer(store, clock=clock, size=queue_size, on_written=self._written)
        self.events = Events(self.writer, self.counts, grace=grace_s, clock=clock)
        self.tracker = self.events.tracker
        self.liveness = Liveness(
            store,
            self.engine_id,
            self.tracker,
            info=self.beat_info,
            beat_s=beat_s,
            beat_ttl_ms=int(beat_ttl_s * 1000),
            lease_ms=self.lease_ms,
            clock=clock,
        )
        # FreeSWITCH's CDRs (AUTOCALL_CDR_SECRET): results of calls nobody heard end, originates never run
        self.cdrs = CdrWait(SwitchCdrs(store), self.tracker, enabled=switch_cdrs, wait_s=cdr_wait_s, clock=clock)
        self.recovery = Recovery(
            self.tracker,
            self.cdrs,
            max_call_ms=int(max_call_s * 1000),
            gone_after_refused_s=gone_after_refused_s,
            clock=clock,
        )
        self.tracker.on_undecided = lambda att: gevent.spawn(self.recovery.resettle, att)
        # autodialer campaigns: their agents, mod_callcenter, their pacing (autodialer.py)
        self.autodialer = Autodialer(
            store,
            self.tracker,
            self.writer,
            engine_id=self.engine_id,
            node_name=autodialer_node or (nodes[0].name if nodes else ""),
            abandon_cap_pct=abandon_cap_pct,
            max_wait_s=autodialer_max_wait_s,
            clock=clock,
        )
        self.events.on_finish = self.autodialer.finished
        self.nodes = [
            Node(
                c,
                on_event=self._on_event,
                on_up=self._node_up,
                on_down=self.autodialer.node_down,
                command_timeout=command_timeout,
                keepalive=keepalive_s,
                clock=clock,
                engine_tag=self.engine_id,
            )
            for c in nodes
        ]
        for node in self.nodes:
            node.expects_cdrs = switch_cdrs
        self.recovery.nodes = self.nodes
        self.holds = Holds(
            store,
            lambda: self.dialer.means(),
            self.engine_id,
            every_s=hold_check_s,
            clock=clock,
            agents=self.autodialer.agents_serving,
        )
        self.dialer = Dialer(
            self.nodes,
            self.tracker,
            self.counts,
            files,
            held_now=self.holds.recheck,
            default_gateway=default_gateway,
            default_caller_id=default_caller_id,
            clock=clock,
            lease_ms=self.lease_ms,
            render_concurrency=render_concurrency,
        )
        self.campaigns = Campaigns(
            store,
            self.holds,
            new_pacer=self._new_pacer,
            cancel_ringing=self.dialer.cancel_ringing,
            reconcile_every_s=reconcile_every_s,
        )
        self.pacers = self.campaigns.pacers
        self.autodialer.campaigns = self.campaigns
        self.campaigns.on_change = self.autodialer.campaign_changed
        self.campaigns.on_agents = self.autodialer.agents_changed
        self.adoption = Adoption(
            store,
            self.nodes,
            self.events,
            self.recovery,
            self.writer,
            self.counts,
            self.cdrs,
            to_record=self.campaigns.to_record,
            route=self.dialer.route,
            may_judge_others=self.liveness.may_judge_others,
            engine_id=self.engine_id,
            lease_ms=self.lease_ms,
            max_call_ms=int(max_call_s * 1000),
            every_s=adopt_every_s,
            clock=clock,
        )
        self.pacer_ports = PacerPorts(
            context=self.campaigns.context,
            held=self.holds.why,
            hold_every_s=self.holds.every_s,
            clock=clock,
            can_open_sealed=lambda: store.sealer.ready,
            pick_node=self._pick_node,
            why_not_dialled=self._why_not_dialled,
            claim=self._claim,
            dial=self.dial,
            fail_unreadable=self.dialer.fail_unreadable,
            paces=self.autodialer.paces,
            agent_allowance=self.autodialer.allowance,
            stopped=self.autodialer.pacer_stopped,
        )

    def _on_event(self, node: Node, event: dict[str, Any]) -> None:
        if not self.autodialer.on_event(node, event):  # mod_callcenter's callcenter::info, or a call's
            self.events.on_event(node, event)
            self.autodialer.beep(node, event)  # a machine on an autodialer lead waiting for an agent

    def _node_up(self, node: Node) -> None:
        self.recovery.node_up(node)
        self.autodialer.node_up(node)

    def _only(self, ctx: CampaignContext) -> str:
        """The one node a campaign may be dialled on ("": any): an autodialer campaign's agents are on one."""
        return self.autodialer.node_name if ctx.campaign.type is CampaignType.AUTODIALER else ""

    def _pick_node(self, ctx: CampaignContext) -> Node | None:
        return self.dialer.pick_node(ctx.campaign.voicemail_detection, self._only(ctx))

    def _why_not_dialled(self, ctx: CampaignContext) -> str:
        return self.dialer.why_not_dialled(ctx.campaign.voicemail_detection, self._only(ctx))

    def _new_pacer(self, campaign_uuid: str) -> CampaignPacer:
        return CampaignPacer(self.pacer_ports, campaign_uuid)

    def _claim(
        self, campaign_uuid: str, want: int, node: str, now_ms: int, call_uuids: list[str]
    ) -> tuple[list[Claim], ClaimInfo]:
        """claim.lua for a pacer: the slots are leased for lease_s and owned by this engine."""
        return self.store.calls.claim(
            campaign_uuid, want, node, now_ms, self.lease_ms, call_uuids, owner=self.engine_id
        )

    def _written(self, campaign_uuids: set[str]) -> None:
        self.campaigns.wake_pacers(campaign_uuids)  # their finished calls freed slots

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> None:
        self._greenlets = [
            gevent.spawn(self.liveness.beat),
            gevent.spawn(self.writer.run),
            gevent.spawn(self.liveness.renew_leases),
            gevent.spawn(self.adoption.run),
            gevent.spawn(self.campaigns.listen),
            gevent.spawn(self.campaigns.reconcile_loop),
            gevent.spawn(self.autodialer.sync.run),
        ]
        for node in self.nodes:
            node.start()

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return all(node.up.wait(timeout) for node in self.nodes)

    def stop(self, drain_timeout: float = 300.0) -> None:
        """Drain: start nothing new, let calls in flight finish (or record them), stop."""
        self.campaigns.stop()
        deadline = time.monotonic() + drain_timeout
        while self.tracker.count() and time.monotonic() < deadline:
            gevent.sleep(0.05)
        for att in [a for calls in list(self.tracker.by_campaign.values()) for a in calls.values()]:
            log.warning("call still up at shutdown; the next engine on its FreeSWITCH adopts it", extra=att.log_extra())
        self.flush()
        for g in self._greenlets:
            g.kill()
        for node in self.nodes:
            node.stop()
        self.liveness.forget()  # our calls still up (if any) can be adopted at once by another engine
        self.autodialer.leases.give_up_all()  # another engine may pace our autodialer campaigns at once

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued write reached Redis."""
        self.writer.flush(timeout)

    def write_queue_size(self) -> int:
        return self.writer.size()

    def beat_info(self) -> dict[str, Any]:
        """What ``engine:<id>`` says about this engine (``autocall status`` shows it)."""
        return {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": self.started,
            "nodes": {n.name: n.status() for n in self.nodes},
            "in_flight": self.tracker.count(),
            "pacing": sorted(self.pacers),
        }

    # -- what callers outside the engine use (the daemon, test-call, metrics, tests) ------------
    @property
    def files(self) -> MessageFiles:
        return self.dialer.files

    @files.setter
    def files(self, files: MessageFiles) -> None:
        self.dialer.files = files

    @property
    def adopting(self) -> bool:
        return self.adoption.adopting

    @adopting.setter
    def adopting(self, value: bool) -> None:
        """False: a one-off process (test-call) that does not take over others' calls."""
        self.adoption.adopting = value

    @property
    def finished(self) -> int:
        return self.writer.finished

    @property
    def adopted(self) -> int:
        return self.adoption.adopted

    @property
    def lost(self) -> int:
        return self.recovery.lost

    def dial(self, node: Node, ctx: CampaignContext, claims: list[Claim]) -> None:
        self.dialer.dial(node, ctx, claims)

    def pick_node(self, voicemail_detection: bool = False) -> Node | None:
        return self.dialer.pick_node(voicemail_detection)

    def why_not_dialled(self, voicemail_detection: bool = False) -> str:
        return self.dialer.why_not_dialled(voicemail_detection)

    def campaign_changed(self, campaign_uuid: str) -> None:
        self.campaigns.changed(campaign_uuid)

    def reconcile_campaigns(self) -> int:
        return self.campaigns.reconcile()

    def wake(self, campaign_uuid: str) -> None:
        self.campaigns.wake(campaign_uuid)

    def reap(self) -> int:
        return self.adoption.reap()
