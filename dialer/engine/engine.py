"""The engine: pacers, FreeSWITCH nodes, the call tracker and the Redis writer.

Data flow for one attempt::

    pacer ──claim.lua──> Claim ──dial()──> bgapi originate (node) ──> InFlight
    node events ──> CallTracker ──end──> recorder.build_finish ──> writer ──finish.lua──> Redis
                                                                     └──> wake the campaign's pacer

Everything runs in one gevent hub. Event handlers never block on I/O: the
writer drains its bounded queue in batches (one script call for many
finished attempts), which is what lets one core keep up with thousands of
calls per second; when Redis is slow the queue fills and the ESL readers
stop reading, so TCP pushes back on FreeSWITCH instead of memory growing.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.pool
import gevent.queue
import redis

from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignStatus, TypeAutocall
from dialer.domain.ids import job_uuid, leg_uuid
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.cdr_wait import CdrWait
from dialer.engine.holds import EVERY_S, Holds
from dialer.engine.recorder import REFUSALS, answer_body, build_finish, dialled, message_played
from dialer.esl.connection import NotConnectedError, WriteFailed
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles, MessageUnavailable, NoSpeech
from dialer.outcomes.own_causes import LOST, NOT_RUN, SWITCH_LOST, UNREADABLE
from dialer.pacing.pacer import CampaignPacer, PacerPorts
from dialer.routing.dialstring import Leg, UnsafeValue, build_originate
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.service.readiness import Means
from dialer.store.store import Claim, Finish, Store
from dialer.store.switch_cdrs import SwitchCdrs

log = logging.getLogger("autocall.engine")
DESTINATION = "autocall XML autocall"  # freeswitch-conf/dialplan/autocall.xml
WRITE_BATCH = 500
BEAT_S = 1.0  # the engine's liveness key is refreshed this often...
BEAT_TTL_MS = 5000  # ...and expires this long after the last refresh: then its calls are adopted
ORPHANS_MAX = 50_000  # hangups of untracked autocall calls kept for adoption (by leg uuid)
ORPHAN_AGE_S = 600.0


class NoRoute(ValueError):
    """No gateway to send this number to: the attempt fails as INVALID_GATEWAY."""


@dataclass(slots=True)
class Counts:
    """Plain counters for /metrics (dialer/metrics.py reads them at scrape time)."""

    attempts: dict[tuple[str, str], int] = field(default_factory=dict)  # (campaign, node) -> originates sent
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (campaign, recall_status, cause)

    def attempt(self, campaign_uuid: str, node: str, n: int) -> None:
        self.attempts[(campaign_uuid, node)] = self.attempts.get((campaign_uuid, node), 0) + n

    def outcome(self, finish: Finish) -> None:
        if finish.reported:
            cdr = finish.cdr
            key = (finish.campaign_uuid, str(cdr.get("recall_status", "")), str(cdr.get("hangup_cause", "")))
            self.outcomes[key] = self.outcomes.get(key, 0) + 1


class Engine:
    def __init__(self, store: Store, nodes: list[NodeConfig], files: MessageFiles, *, default_gateway: str = "",
                 default_caller_id: str = "", clock: Callable[[], float] = time.time, lease_s: float = 60.0,
                 grace_s: float = 2.0, queue_size: int = 20_000, command_timeout: float = 10.0,
                 render_concurrency: int = 8, max_call_s: float = 3600.0, keepalive_s: float = 5.0,
                 adopt_every_s: float = 2.0, beat_s: float = BEAT_S, beat_ttl_s: float = BEAT_TTL_MS / 1000,
                 switch_cdrs: bool = False, cdr_wait_s: float = 60.0,
                 reconcile_every_s: float = 30.0, hold_check_s: float = EVERY_S) -> None:  # fmt: skip
        self.store = store
        self.engine_id = uuid.uuid4().hex  # owner of the slots this process claims (adoption)
        self.started = int(time.time())
        self.max_call_ms = int(max_call_s * 1000)
        self.adopt_every_s = adopt_every_s
        self.reconcile_every_s = reconcile_every_s  # campaigns re-read from Redis (missed pub/sub messages)
        self.beat_s, self.beat_ttl_ms = beat_s, int(beat_ttl_s * 1000)
        self.files = files
        self.default_gateway = default_gateway
        self.default_caller_id = default_caller_id
        self.clock = clock
        self.lease_ms = int(lease_s * 1000)
        self.nodes = [Node(c, on_event=self._on_event, on_up=self._node_up, command_timeout=command_timeout,
                           keepalive=keepalive_s, clock=clock) for c in nodes]  # fmt: skip
        self.tracker = CallTracker(self._ended, on_answer=self._answered, on_orphan=self._orphan, grace=grace_s,
                                   clock=clock)  # fmt: skip
        self.tracker.on_undecided = lambda att: gevent.spawn(self._resettle, att)
        # FreeSWITCH's CDRs (AUTOCALL_CDR_SECRET): results of calls nobody heard end, originates never run
        for node in self.nodes:
            node.expects_cdrs = switch_cdrs
        self.cdrs = CdrWait(SwitchCdrs(store), self.tracker, enabled=switch_cdrs, wait_s=cdr_wait_s, clock=clock)
        self._orphans: OrderedDict[str, tuple[float, dict[str, str]]] = OrderedDict()
        self.adopted = 0
        self.lost = 0
        self.counts = Counts()
        self.adopting = True  # False: a one-off process (test-call) that must not take over others' calls
        self._in_touch_since: float | None = None  # since when every heartbeat reached Redis
        self._killed: dict[str, float] = {}  # over-long calls we sent uuid_kill (monotonic time)
        self.pacers: dict[str, CampaignPacer] = {}
        self.holds = Holds(store, self._means, self.engine_id, every_s=hold_check_s, clock=clock)
        self._contexts: dict[str, CampaignContext] = {}
        self._writes: gevent.queue.Queue = gevent.queue.Queue(maxsize=queue_size)
        self._greenlets: list[gevent.Greenlet] = []
        self._render_pool = gevent.pool.Pool(render_concurrency)  # TTS/OTP messages rendered at once
        self.stopping = False
        self.finished = 0
        self.writes_idle = gevent.event.Event()
        self.writes_idle.set()
        self.pacer_ports = PacerPorts(
            context=self.campaign_context, held=self.holds.why, hold_every_s=self.holds.every_s, clock=clock,
            can_open_sealed=lambda: store.sealer.ready, pick_node=self.pick_node,
            why_not_dialled=self.why_not_dialled, claim=self._claim, dial=self.dial,
            fail_unreadable=self.fail_unreadable)  # fmt: skip

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        self._greenlets = [gevent.spawn(self._beat), gevent.spawn(self._writer), gevent.spawn(self._renew_leases),
                           gevent.spawn(self._reap_loop), gevent.spawn(self._listen),
                           gevent.spawn(self._reconcile_loop)]  # fmt: skip
        for node in self.nodes:
            node.start()

    def beat_info(self) -> dict[str, Any]:
        """What ``engine:<id>`` says about this engine (``autocall status`` shows it)."""
        return {"host": socket.gethostname(), "pid": os.getpid(), "started": self.started,
                "nodes": {n.name: n.status() for n in self.nodes},
                "in_flight": self.tracker.count(), "pacing": sorted(self.pacers)}  # fmt: skip

    def _beat(self) -> None:
        """Keep ``engine:<id>`` alive: while it exists nobody adopts our calls."""
        while True:
            try:
                self.store.beat(self.engine_id, self.beat_ttl_ms, json.dumps(self.beat_info()))
                if self._in_touch_since is None:
                    self._in_touch_since = time.monotonic()
            except redis.RedisError as exc:
                self._in_touch_since = None
                log.error("engine heartbeat failed", extra={"error": str(exc)})
            gevent.sleep(self.beat_s)

    def may_judge_others(self) -> bool:
        """True once this engine has beaten without a break for longer than a liveness key
        lives: after a Redis outage every engine's key is gone, and one must give the
        others time to beat again before it takes any of their calls for dead."""
        since = self._in_touch_since
        return since is not None and time.monotonic() - since >= self.beat_ttl_ms / 1000 + self.beat_s

    def wait_connected(self, timeout: float = 10.0) -> bool:
        return all(node.up.wait(timeout) for node in self.nodes)

    def stop(self, drain_timeout: float = 300.0) -> None:
        """Drain: start nothing new, let calls in flight finish (or record them), stop."""
        self.stopping = True
        for pacer in list(self.pacers.values()):
            pacer.stop()
        deadline = time.monotonic() + drain_timeout
        while self.tracker.count() and time.monotonic() < deadline:
            gevent.sleep(0.05)
        for att in [a for calls in list(self.tracker.by_campaign.values()) for a in calls.values()]:
            log.warning("call still up at shutdown; the next engine on its FreeSWITCH adopts it",
                        extra=att.log_extra())  # fmt: skip
        self.flush()
        for g in self._greenlets:
            g.kill()
        for node in self.nodes:
            node.stop()
        try:  # our calls still up (if any) can be adopted at once by another engine
            self.store.forget_engine(self.engine_id)
        except redis.RedisError:
            pass

    def write_queue_size(self) -> int:
        return self._writes.qsize()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued write reached Redis."""
        deadline = time.monotonic() + timeout
        while (not self._writes.empty() or not self.writes_idle.is_set()) and time.monotonic() < deadline:
            gevent.sleep(0.005)

    # -- campaigns ---------------------------------------------------------
    def _means(self) -> Means:
        return Means(self.files, self.default_gateway, not isinstance(self.files.renderer, NoSpeech))

    def campaign_context(self, campaign_uuid: str) -> CampaignContext | None:
        ctx = self._contexts.get(campaign_uuid)
        if ctx is None:
            ctx = self._load(campaign_uuid)
        return ctx

    def _load(self, campaign_uuid: str) -> CampaignContext | None:
        campaign = self.store.get_campaign(campaign_uuid)
        if campaign is None:
            self._contexts.pop(campaign_uuid, None)
            return None
        carrier = self.store.get_carrier(campaign.carrier_uuid) if campaign.carrier_uuid else None
        template = self.store.get_template(campaign.template_uuid) if campaign.template_uuid else None
        ctx = CampaignContext(campaign, carrier, template)
        self._contexts[campaign_uuid] = ctx
        return ctx

    def campaign_changed(self, campaign_uuid: str) -> None:
        """Reload a campaign after a change (any process) and act on its status."""
        ctx = self._load(campaign_uuid)
        status = ctx.campaign.status if ctx else CampaignStatus.STOP
        running = ctx is not None and status is CampaignStatus.START and ctx.campaign.active
        pacer = self.pacers.get(campaign_uuid)
        if running and not self.stopping:
            if pacer is None or pacer.stopped:
                pacer = self.pacers[campaign_uuid] = CampaignPacer(self.pacer_ports, campaign_uuid)
                pacer.start()
            pacer.wake()
            return
        if pacer is not None:
            pacer.stop()
            self.pacers.pop(campaign_uuid, None)
            self.holds.forget(campaign_uuid)
        if status is CampaignStatus.STOP or (ctx is not None and not ctx.campaign.active):
            self.cancel_ringing(campaign_uuid)

    def reconcile_campaigns(self) -> int:
        """Re-read every campaign this engine runs, has loaded or should run, and act as if each had
        just changed: pub/sub messages published while the subscription was down (a Redis outage, a
        dropped connection) are lost, and a campaign started, stopped or re-routed meanwhile must not
        stay as it was. Returns how many campaigns were looked at."""
        uuids = self.store.running_campaigns() | set(self.pacers) | set(self._contexts)
        for campaign_uuid in sorted(uuids):
            self.campaign_changed(campaign_uuid)
        return len(uuids)

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
            self.reconcile_campaigns()
        except redis.RedisError as exc:  # the periodic reconcile tries again
            log.error("reconciling campaigns failed; retried later", extra={"error": str(exc)})
        except Exception:  # a bug with one campaign (or a client closed under it) must not end the loop
            log.exception("reconciling campaigns failed")

    def _reconcile_loop(self) -> None:
        while True:
            gevent.sleep(self.reconcile_every_s)
            self._reconcile_once()

    def wake(self, campaign_uuid: str) -> None:
        pacer = self.pacers.get(campaign_uuid)
        if pacer is not None:
            pacer.wake()
        elif campaign_uuid in self.store.running_campaigns():
            self.campaign_changed(campaign_uuid)

    def cancel_ringing(self, campaign_uuid: str) -> None:
        """stop: ringing calls are cancelled (ORIGINATOR_CANCEL); answered ones finish."""
        for att in self.tracker.of_campaign(campaign_uuid):
            if att.answered_ms or att.cancelled:
                continue
            att.cancelled = True
            if att.node.conn is None or not att.node.up.is_set():
                continue
            commands = [f"bgapi uuid_kill {leg} ORIGINATOR_CANCEL" for leg in att.legs]
            try:
                att.node.conn.send_nowait(commands)
            except NotConnectedError:
                pass

    # -- dialling ------------------------------------------------------------
    def pick_node(self, voicemail_detection: bool = False) -> Node | None:
        """The node with the most free sessions among those a campaign may be dialled on now."""
        best, room = None, 0
        for node in self.nodes:
            if node.dialable(voicemail_detection) is None:
                free = node.free_sessions()
                if free > room:
                    best, room = node, free
        return best

    def why_not_dialled(self, voicemail_detection: bool = False) -> str:
        """Why no node may take a campaign's calls now (each node's reason), "" if one may."""
        reasons = [(node.name, node.dialable(voicemail_detection)) for node in self.nodes]
        if any(why is None for _, why in reasons):
            return ""
        return "; ".join(f"{name}: {why}" for name, why in reasons)

    def dial(self, node: Node, ctx: CampaignContext, claims: list[Claim]) -> None:
        commands: list[str] = []
        sent: list[InFlight] = []
        now_ms = int(self.clock() * 1000)
        messages = self._messages(ctx, claims)
        for claim in claims:
            att = InFlight(claim, ctx.campaign, node, job_uuid(claim.call_uuid), [], [], now_ms)
            try:
                commands.append(self._originate(att, ctx, messages.get(claim.call_uuid)))
            except (MessageUnavailable, UnsafeValue, InvalidNumber, ValueError) as exc:
                log.error("cannot originate", extra={**att.log_extra(), "error": str(exc)})
                att.legs = att.legs or [claim.call_uuid]
                att.detail = str(exc)
                self.tracker.add(att)
                if not isinstance(exc, InvalidNumber) and not ctx.directory_user and self.holds.recheck(ctx):
                    self.tracker.fail(att, "not-sent")  # the campaign itself lost what it needs: held, not counted
                    continue
                if isinstance(exc, InvalidNumber):
                    cause = "INVALID_NUMBER_FORMAT"  # an invalid-number outcome (VBot 101), not a system error
                else:
                    cause = "INVALID_GATEWAY" if isinstance(exc, NoRoute) else "AUTOCALL_NO_MESSAGE"
                self.tracker.fail(att, cause)
                continue
            self.tracker.add(att)
            sent.append(att)
        if not commands:
            return
        try:
            # Tokens taken before a drop must not send on the next connection before it is checked
            # (and before the calls of the one before are settled): those are retried, not counted.
            results = node.conn.send_nowait(commands) if node.ready and node.conn is not None else None
        except WriteFailed:
            # Some of the batch may have reached FreeSWITCH: never send it again
            # (at most one originate per attempt); the reconnect settles each one.
            self._unacknowledged(sent, "the connection broke while sending")
            return
        except NotConnectedError:
            results = None
        if results is None:  # nothing was written: the attempts are retried, not counted
            for att in sent:
                self.tracker.fail(att, "not-sent")
            return
        self.counts.attempt(ctx.campaign.campaign_uuid, node.name, len(sent))
        gevent.spawn(self._check_replies, node, sent, results)

    def _claim(self, campaign_uuid: str, want: int, node: str, now_ms: int,
               call_uuids: list[str]) -> tuple[list[Claim], dict[str, Any]]:  # fmt: skip
        """claim.lua for a pacer: the slots are leased for lease_s and owned by this engine."""
        return self.store.claim(campaign_uuid, want, node, now_ms, self.lease_ms, call_uuids, owner=self.engine_id)

    def fail_unreadable(self, ctx: CampaignContext, node: Node, claims: list[Claim]) -> None:
        """Attempts whose lead cannot be opened end at once (cause AUTOCALL_UNREADABLE, recall_status
        failed): recorded like any attempt autocall itself ended, never originated."""
        now_ms = int(self.clock() * 1000)
        for claim in claims:
            att = InFlight(claim, ctx.campaign, node, str(uuid.uuid4()), [claim.call_uuid], [], now_ms,
                           detail=f"the lead cannot be opened: {claim.unreadable}")  # fmt: skip
            log.error("lead cannot be opened: attempt failed", extra={**att.log_extra(), "error": claim.unreadable})
            self.tracker.add(att)
            self.tracker.fail(att, UNREADABLE)

    def _check_replies(self, node: Node, sent: list[InFlight], results: list[Any]) -> None:
        unacked: list[InFlight] = []
        deadline = time.monotonic() + node.command_timeout  # one wait for the whole batch
        conn = node.conn
        for att, result in zip(sent, results, strict=True):
            try:
                reply = result.get(timeout=max(0.0, deadline - time.monotonic()))
            except (NotConnectedError, gevent.Timeout):
                unacked.append(att)  # written, but was it run? the reconnect will tell
                if conn is not None:
                    conn.close("no reply to an originate")  # replies match in order: it cannot be trusted
                continue
            if not reply.ok:  # FreeSWITCH refused the command itself: no call was placed
                self.tracker.fail(att, "not-sent")
        if unacked:
            self._unacknowledged(unacked, "no reply to the originate")

    def _unacknowledged(self, atts: list[InFlight], why: str) -> None:
        for att in atts:
            if not att.done:
                att.unknown_job = True
                log.warning("originate not acknowledged; it is settled after the reconnect",
                            extra={**att.log_extra(), "why": why})  # fmt: skip

    def _messages(self, ctx: CampaignContext, claims: list[Claim]) -> dict[str, Path | Exception]:
        """Spoken messages (TTS, OTP) of a batch, rendered concurrently before any originate,
        so a callee never waits for synthesis. The batch's claims are not tracked yet (their
        leases are not renewed): rendering gets a third of the lease, and a message not ready
        by then fails its attempt, so a slow or dead TTS engine can never outlive a lease."""
        if ctx.campaign.type_autocall is TypeAutocall.AUDIO or not claims:
            return {}
        out: dict[str, Path | Exception] = {}

        def one(claim: Claim) -> None:
            try:
                out[claim.call_uuid] = self.files.for_call(ctx.campaign, ctx.template, claim.fields)
            except Exception as exc:  # MessageUnavailable, or anything a renderer raised
                out[claim.call_uuid] = exc

        group = [self._render_pool.spawn(one, claim) for claim in claims]
        gevent.joinall(group, timeout=self.lease_ms / 3000)
        late = [g for g in group if not g.dead]
        gevent.killall(late, block=True)
        for claim in claims:
            out.setdefault(claim.call_uuid, MessageUnavailable(
                f"tts: the message was not ready within {self.lease_ms / 3000:.0f} s"))  # fmt: skip
        return out

    def _route(self, claim: Claim, ctx: CampaignContext) -> list[Leg]:
        """The legs of an attempt: numbers to dial, each with its gateway and caller ID."""
        campaign = ctx.campaign
        if campaign.mode_call.value == "direct":
            numbers = [claim.numbers[claim.number_idx % len(claim.numbers)]]
        else:
            numbers = list(claim.numbers)
        if ctx.directory_user:
            return [Leg(uuid=leg_uuid(claim.call_uuid, i), gateway="", number=number, caller_id=self.default_caller_id,
                        directory_user=True) for i, number in enumerate(numbers)]  # fmt: skip
        legs: list[Leg] = []
        for i, number in enumerate(numbers):
            network = normalize(number).network
            if campaign.carrier_uuid:
                # A named carrier is the only way out: never leak its calls to the default trunk.
                if ctx.carrier is None:
                    raise NoRoute(f"carrier {campaign.carrier_uuid} does not exist: no gateway")
                route = ctx.carrier.route(network)
                if route is None:
                    raise NoRoute(f"carrier {ctx.carrier.carrier_name!r} has no gateway for {network.value}")
                gateway, caller_id = route
            else:
                gateway, caller_id = self.default_gateway, self.default_caller_id
            if not gateway:
                raise NoRoute(f"no gateway for network {network.value}")
            legs.append(Leg(uuid=leg_uuid(claim.call_uuid, i), gateway=gateway, number=number, caller_id=caller_id))
        return legs

    def _originate(self, att: InFlight, ctx: CampaignContext, message: Path | Exception | None = None) -> str:
        claim, campaign = att.claim, ctx.campaign
        mode = campaign.mode_call
        legs = self._route(claim, ctx)
        att.legs = [leg.uuid for leg in legs]
        att.numbers = [leg.number for leg in legs]
        att.caller_ids = [leg.caller_id for leg in legs]
        if isinstance(message, Exception):
            raise message if isinstance(message, MessageUnavailable) else MessageUnavailable(str(message))
        path = message or self.files.for_call(campaign, ctx.template, claim.fields)
        variables = {"autocall_campaign": campaign.campaign_uuid, "autocall_lead": claim.lead_uuid,
                     "autocall_call": claim.call_uuid, "autocall_file": str(path)}  # fmt: skip
        if not campaign.voicemail_detection:  # the dialplan skips avmd_start/avmd_stop
            variables["autocall_avmd"] = "false"
        if campaign.dtmf_wait_ms:  # the dialplan waits for a key after the message
            variables["autocall_dtmf_ms"] = str(campaign.dtmf_wait_ms)
        arg = build_originate(legs, mode, timeout=campaign.call_timeout, global_vars=variables,
                              destination=DESTINATION)  # fmt: skip
        return f"bgapi originate {arg}\nJob-UUID: {att.job_uuid}"

    # -- events and endings -------------------------------------------------------
    def _on_event(self, node: Node, event: dict[str, Any]) -> None:
        try:
            if event.get("Event-Name") == "BACKGROUND_JOB":
                cause = (event.get("_body") or "").strip().removeprefix("-ERR ").strip()
                if cause in REFUSALS and self.tracker.by_job.get(event.get("Job-UUID", "")) is not None:
                    node.refused(cause)  # slow down and look at the switch now, not after the job's grace
            self.tracker.on_event(event)
        except Exception:  # a bug with one call must not take the connection (and every call) down
            log.exception("event handling failed", extra={"node": node.name, "event": event.get("Event-Name"),
                                                          "uuid": event.get("Unique-ID")})  # fmt: skip

    def _answered(self, att: InFlight) -> None:
        url = att.campaign.answer_callback_url
        if url:
            body = answer_body(att)  # in the campaign's webhook_format
            self._writes.put(("answer", url, json.dumps(body, ensure_ascii=False), att.claim.campaign_uuid))

    def _ended(self, att: InFlight) -> None:
        # A refusal (not dialled: the lead goes back to its queue, build_finish) slowed the node
        # when its job came (_on_event).
        hang = att.hangups.get(att.answered_leg) or {}
        if att.answered_ms and message_played(hang) is False:  # answered, and the dialplan played nothing
            if hang.get("Hangup-Cause") == "NO_ROUTE_DESTINATION":
                # Answered into no dialplan: every call would end so until the context is back.
                att.node.suspect("dialplan", "an answered call found no dialplan (NO_ROUTE_DESTINATION, nothing "
                                             "played): checking the 'autocall' context")  # fmt: skip
            elif hang.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER":
                att.node.recheck()  # an application of the dialplan is missing (mod_avmd unloaded?)
        finish = build_finish(att, int(self.clock() * 1000))
        self.counts.outcome(finish)
        if finish.reported:
            log.info("call ended", extra={**att.log_extra(), "cause": finish.cdr.get("hangup_cause"),
                                          "recall_status": finish.cdr.get("recall_status")})  # fmt: skip
        self._writes.put(finish)

    # -- crashes: reconnects, adoption, lost calls (docs/engine.md, "Crashes") -----------
    def _node_up(self, node: Node) -> None:
        """Connected (first time or again): settle what happened while we were not listening.
        Only the attempts started before this connection (taken now, before any pacer can
        dial on it): one dialled on the new connection is followed normally. A new Core-UUID
        means FreeSWITCH itself restarted: none of the old calls exists any more, and each
        is settled at once, ended when the connection dropped."""
        # dial() sends nothing before this runs (the node is not up until its checks are answered), so
        # every attempt here was sent on an earlier connection.
        before = [a for a in self.tracker.of_node(node) if not a.done]
        if node.previous_core and node.core_uuid and node.previous_core != node.core_uuid:
            log.warning("freeswitch restarted (new Core-UUID): its calls ended when the connection dropped",
                        extra={"node": node.name, "calls": len(before), "core": node.core_uuid})  # fmt: skip
            gevent.spawn(self._dead_core, node, before, node.dropped_ms)
            return
        gevent.spawn(self._reconcile, node, before)

    def _dead_core(self, node: Node, atts: list[InFlight], dropped_ms: int) -> None:
        """The calls of a FreeSWITCH process that is gone: those whose CDR came (they ended before it
        went, e.g. in a shutdown) are settled from it, the others ended when the connection dropped."""
        try:
            self.cdrs.apply_kept(atts)
        except redis.RedisError as exc:
            log.error("reading kept hangups failed; settling without them", extra={"error": str(exc)})
        for att in atts:
            try:
                if att.hangups and not att.done:
                    self.tracker.end(att)
                self._switch_lost(att, dropped_ms, "FreeSWITCH restarted under the call (new Core-UUID)")
            except Exception:  # one bad record must not leave the others unsettled
                log.exception("settling a call of a restarted FreeSWITCH failed", extra=att.log_extra())

    def _switch_lost(self, att: InFlight, ended_ms: int, why: str) -> None:
        """The call's FreeSWITCH died: recorded as ended at ``ended_ms`` (talk time until
        then if it was answered), recalled without using up an attempt (recorder.py)."""
        if att.done:
            return
        att.ended_ms = max(att.start_ms, ended_ms or att.start_ms)
        att.detail = att.detail or why
        self.tracker.fail(att, SWITCH_LOST)

    def _orphan(self, campaign_uuid: str, call: str, leg: str, hangup: dict[str, str]) -> None:
        """An autocall call we do not track hung up (its engine died, or it is another
        engine's): keep the hangup in memory for our own adoption, and in the call's hash
        (keep_hangups.lua) for whichever engine adopts it, even after we die too."""
        if not self.adopting:  # a one-off process (test-call) keeps nothing for others
            return
        hangup = {k: v for k, v in hangup.items() if k != "Caller-Destination-Number"}  # no number at rest
        self._writes.put(("hangup", campaign_uuid, call, leg, hangup))
        now = time.monotonic()
        self._orphans[leg] = (now, hangup)
        while self._orphans:
            first = next(iter(self._orphans.values()))
            if len(self._orphans) <= ORPHANS_MAX and now - first[0] < ORPHAN_AGE_S:
                break
            self._orphans.popitem(last=False)

    def _reconcile(self, node: Node, before: list[InFlight]) -> None:
        """After a (re)connect: settle the calls on this node whose events we may have
        missed, from FreeSWITCH's channels (adoption of dead engines' calls is the reap
        loop's, once this engine has been in touch with Redis long enough)."""
        try:
            self._settle(before, node)
        except Exception:  # never let one bad record stop the others being settled
            log.exception("settling calls after a reconnect failed", extra={"node": node.name})

    def _resettle(self, att: InFlight) -> None:
        """A serial attempt whose result is unknown lost its live leg unanswered: after a
        moment, FreeSWITCH either has its next leg up, or the attempt is over."""
        gevent.sleep(self.tracker.grace)
        if not att.done:
            try:
                self._settle([att], att.node, recheck=False)
            except Exception:
                log.exception("settling a call failed", extra=att.log_extra())

    def _adopt(self, node: Node) -> list[InFlight]:
        """Re-own the slots on ``node`` whose engine died; track their calls from now on.
        Hangups that arrived while nobody tracked them are applied at once."""
        now_ms = int(self.clock() * 1000)
        adopted: list[InFlight] = []
        for campaign_uuid in self.store.campaigns_with_slots():
            try:
                rows = self.store.adopt(campaign_uuid, now_ms, self.engine_id, self.lease_ms, [node.name])
            except redis.RedisError as exc:  # keep what was adopted so far: it must be settled
                log.error("adoption failed; retried later", extra={"node": node.name, "error": str(exc)})
                break
            tracked = self.tracker.by_campaign.get(campaign_uuid, {})
            for call, lead, network, _node_name, start_ms, kept in rows:
                if call in tracked:
                    continue  # ours, its renewal was only late (Redis was away); adopt.lua renewed it
                att = self._rebuild(campaign_uuid, lead, call, network, node, start_ms)
                if att is None:  # its lead or campaign is gone: nothing to record it against
                    log.warning("slot with no lead or campaign released", extra={"campaign": campaign_uuid,
                                                                                  "call": call})  # fmt: skip
                    self.store.release_slot(campaign_uuid, call, network)
                    continue
                att.unknown_job = True
                self.tracker.add(att)
                self.adopted += 1
                adopted.append(att)
                for leg in att.legs:
                    memory = self._orphans.pop(leg, None)
                    hangup = memory[1] if memory is not None else kept.get(leg)
                    if hangup is not None and not att.done:
                        att.live_legs.update(x for x in att.legs if x not in att.hangups)
                        self.tracker.hung_up(att, leg, hangup)
        return adopted

    def _rebuild(self, campaign_uuid: str, lead: str, call: str, network: str, node: Node,
                 start_ms: int) -> InFlight | None:  # fmt: skip
        """An attempt another process started, as the tracker needs it (legs derive from the call uuid)."""
        ctx = self._context_to_record(campaign_uuid)
        claim = self.store.rebuild_claim(campaign_uuid, lead, call, network) if ctx else None
        if ctx is None or claim is None:
            return None
        att = InFlight(claim, ctx.campaign, node, job_uuid(call), [call], [], start_ms)
        try:
            legs = self._route(claim, ctx)
            att.legs = [leg.uuid for leg in legs]
            att.numbers = [leg.number for leg in legs]
            att.caller_ids = [leg.caller_id for leg in legs]
        except (NoRoute, InvalidNumber, ValueError, IndexError):
            # The route changed since (or there never was one): one leg, the call uuid, and
            # the number it would have dialled.
            att.numbers = dialled(att)[:1]
        return att

    def _context_to_record(self, campaign_uuid: str) -> CampaignContext | None:
        """The campaign of a call another process started, even if deleted since: its
        slot must still be recorded (the janitor purges a campaign only once it has none)."""
        ctx = self.campaign_context(campaign_uuid)
        if ctx is not None:
            return ctx
        campaign = self.store.get_campaign(campaign_uuid, deleted_too=True)
        if campaign is None:
            return None
        carrier = self.store.get_carrier(campaign.carrier_uuid) if campaign.carrier_uuid else None
        return CampaignContext(campaign, carrier, None)

    def _live_channels(self, node: Node) -> dict[str, str] | None:
        """Every channel FreeSWITCH has now (``show channels as json``): uuid -> callstate."""
        try:
            text = node.conn.api("show channels as json").text if node.conn else ""
        except NotConnectedError:
            return None
        try:
            rows = json.loads(text).get("rows") or []
        except (ValueError, AttributeError):
            log.error("unexpected 'show channels' answer", extra={"node": node.name, "answer": text[:200]})
            return None
        return {row.get("uuid", ""): row.get("callstate", "") for row in rows}

    def _settle(self, atts: list[InFlight], node: Node, *, recheck: bool = True) -> None:
        """Each attempt keeps going if FreeSWITCH still has one of its legs (an ACTIVE one
        is the answered leg). One with no leg is asked about once more after a moment (a
        just-sent originate may not have its channel yet, a serial one may be between two
        numbers, its job result may still come); still none: its kept hangups are the
        result, and with none it ended while nobody listened and is recorded lost (counted:
        it may have rung). Events FreeSWITCH sent before the ``show channels`` answer are
        already applied (it writes them first on the same socket)."""
        atts = [a for a in atts if not a.done]
        if not atts:
            return
        live = self._live_channels(node)
        if live is None:
            return  # the connection dropped again: the next reconnect settles them
        absent: list[InFlight] = []
        now_ms = int(self.clock() * 1000)
        for att in atts:
            if att.done:
                continue
            alive = [leg for leg in att.legs if leg in live]
            if not alive:
                absent.append(att)
                continue
            if att.job_ok is None and len(att.legs) > 1:
                att.unknown_job = True  # its job result may have gone by while we were away
            att.live_legs = set(alive)
            up = next((leg for leg in alive if live[leg] == "ACTIVE"), None)
            if up and not att.answered_ms:  # answered while we were away: stop must not cancel it
                att.answered_ms, att.answered_leg = now_ms, up
        if absent and recheck:
            gevent.sleep(self.tracker.grace)
            self._settle(absent, node, recheck=False)
            return
        self.cdrs.apply_kept(absent)  # hangups kept in Redis: FreeSWITCH's CDRs, other engines' hangups
        unheard: list[InFlight] = []
        for att in absent:
            if att.done:
                continue
            if att.hangups:  # every leg is gone, and we hold the hangup of some: that is the result
                self.tracker.end(att)
                continue
            if node.core_started_ms > att.start_ms:
                # Placed on an earlier FreeSWITCH process of this node (an adopted call, or one
                # whose restart we did not see): it died with that process.
                ended = node.dropped_ms if att.start_ms < node.dropped_ms <= node.core_started_ms else 0
                self._switch_lost(att, ended or node.core_started_ms, "FreeSWITCH restarted under the call")
                continue
            unheard.append(att)
        core = node.core_uuid
        not_run, lost = self.cdrs.settle(unheard, node)
        if node.core_uuid != core:  # FreeSWITCH restarted while we waited for their CDRs
            for att in lost:
                self._switch_lost(att, node.dropped_ms, "FreeSWITCH restarted under the call")
            lost = []
        for att in not_run:
            log.warning("originate never ran (no channel, no CDR): dialled again, not counted", extra=att.log_extra())
            att.detail = att.detail or "FreeSWITCH has no channel and no CDR of the call: the originate never ran"
            self.tracker.fail(att, NOT_RUN)
        for att in lost:
            self.lost += 1
            log.warning("call ended while autocall was not listening: recorded as lost", extra=att.log_extra())
            att.detail = att.detail or "the call ended while autocall was disconnected from FreeSWITCH"
            self.tracker.fail(att, LOST)

    def _check_long_calls(self) -> None:
        """A call older than max_call_s (the dialplan's sched_hangup should have ended it):
        asked about on its node; one FreeSWITCH no longer has is recorded lost, one it
        still has is hung up. On a node down that long, it is recorded lost."""
        now_ms = int(self.clock() * 1000)
        old = [a for calls in list(self.tracker.by_campaign.values()) for a in calls.values()
               if now_ms - a.start_ms > self.max_call_ms + a.campaign.call_timeout * 1000]  # fmt: skip
        by_node: dict[Node, list[InFlight]] = {}
        for att in old:
            by_node.setdefault(att.node, []).append(att)
        for node, atts in by_node.items():
            if not node.up.is_set():
                if time.monotonic() - node.down_since < self.max_call_ms / 1000:
                    continue  # down, but not for that long: the reconnect settles them
                for att in atts:
                    att.detail = "FreeSWITCH unreachable for longer than the longest call"
                    self.tracker.fail(att, LOST)
                continue
            live = self._live_channels(node)
            if live is None:
                continue
            self.cdrs.apply_kept([a for a in atts if not any(leg in live for leg in a.legs)])
            for att in atts:
                if att.done:
                    continue
                alive = [leg for leg in att.legs if leg in live]
                if not alive:
                    if att.hangups:
                        self.tracker.end(att)
                        continue
                    att.detail = "the call ended but neither its hangup nor its CDR arrived"
                    self.tracker.fail(att, LOST)
                    continue
                if time.monotonic() - self._killed.get(att.call_uuid, -1e9) < 60:
                    continue  # asked to hang up less than a minute ago
                self._killed[att.call_uuid] = time.monotonic()
                log.warning("call longer than AUTOCALL_MAX_CALL_SECONDS: hanging it up", extra=att.log_extra())
                try:
                    node.conn.send_nowait([f"bgapi uuid_kill {leg} ALLOTTED_TIMEOUT" for leg in alive])
                except NotConnectedError:
                    pass

    # -- background work -------------------------------------------------------------
    def _writer(self) -> None:
        while True:
            item = self._writes.get()
            self.writes_idle.clear()
            batch = [item]
            while len(batch) < WRITE_BATCH:
                try:
                    batch.append(self._writes.get_nowait())
                except gevent.queue.Empty:
                    break
            finishes = [b for b in batch if isinstance(b, Finish)]
            answers = [b for b in batch if not isinstance(b, Finish) and b[0] == "answer"]
            hangups = [b[1:] for b in batch if not isinstance(b, Finish) and b[0] == "hangup"]
            delay = 0.05
            while True:
                try:
                    self.store.keep_hangups(hangups)
                    self.store.finish(finishes, int(self.clock() * 1000))
                    if answers:
                        self.store.queue_webhooks([(url, body, camp) for _, url, body, camp in answers],
                                                  int(self.clock() * 1000))  # fmt: skip
                    break
                except redis.RedisError as exc:  # never drop a result: retry until Redis is back
                    log.error("redis write failed; retrying", extra={"error": str(exc), "batch": len(batch)})
                    gevent.sleep(delay)
                    delay = min(delay * 2, 5.0)
            self.finished += sum(1 for f in finishes if f.reported)
            for campaign_uuid in {f.campaign_uuid for f in finishes}:
                pacer = self.pacers.get(campaign_uuid)
                if pacer is not None:
                    pacer.wake()
            if self._writes.empty():
                self.writes_idle.set()

    def _renew_leases(self) -> None:
        while True:
            gevent.sleep(self.lease_ms / 4000)
            until = int(self.clock() * 1000) + self.lease_ms
            for campaign_uuid, calls in list(self.tracker.by_campaign.items()):
                try:
                    self.store.renew(campaign_uuid, list(calls), until)
                except redis.RedisError as exc:
                    log.error("lease renewal failed", extra={"campaign": campaign_uuid, "error": str(exc)})

    def _reap_loop(self) -> None:
        """Every few seconds: adopt the calls of an engine that died meanwhile (its
        liveness key expired), check calls that outlived the longest call, and
        record slots of dead engines on other FreeSWITCH nodes once their lease expired."""
        last_reap = time.monotonic()
        every = max(1.0, self.lease_ms / 4000)
        while True:
            gevent.sleep(self.adopt_every_s)
            try:
                self._check_long_calls()
                if not self.may_judge_others():
                    continue
                # Slots are scanned when an engine just died, and anyway once per reap period
                # (ownerless slots, our own we stopped renewing); not every 2 s for nothing.
                dead = self.store.dead_engines()
                periodic = time.monotonic() - last_reap >= every
                if self.adopting and (dead or periodic):
                    for node in self.nodes:
                        if node.up.is_set():
                            adopted = self._adopt(node)
                            if adopted:
                                log.info("adopted calls of a dead engine",
                                         extra={"node": node.name, "calls": len(adopted)})  # fmt: skip
                                gevent.spawn(self._settle, adopted, node)
                    self.store.bury_engines(dead)
                if periodic:
                    last_reap = time.monotonic()
                    self.reap()
            except redis.RedisError as exc:
                log.error("reaping failed", extra={"error": str(exc)})
            except Exception:  # this loop must outlive any bug in one record
                log.exception("reap loop turn failed")

    def reap(self) -> int:
        """Record attempts whose slot lease expired (their process died)."""
        now_ms = int(self.clock() * 1000)
        reaped = 0
        ours = {node.name for node in self.nodes}
        for campaign_uuid in self.store.campaigns_with_slots():
            mine = self.tracker.by_campaign.get(campaign_uuid, {})
            for call, lead, network, node_name, start_ms in self.store.expired(campaign_uuid, now_ms):
                if call in mine:
                    continue
                if node_name in ours and now_ms - start_ms < self.max_call_ms:
                    continue  # on our FreeSWITCH: adoption asks it what became of the call
                ctx = self._context_to_record(campaign_uuid)
                claim = self.store.rebuild_claim(campaign_uuid, lead, call, network) if ctx else None
                if ctx is None or claim is None:  # nothing to record it against: free the slot
                    self.store.release_slot(campaign_uuid, call, network)
                    continue
                ghost = Node(NodeConfig(node_name or "?", "", 0, "-"), on_event=lambda n, e: None)
                kept = self.cdrs.cdrs.kept([call]).get(call, {})  # its CDR, if FreeSWITCH's came
                att = InFlight(claim, ctx.campaign, ghost, "", list(kept) or [call], claim.numbers[:1], start_ms,
                               problem="" if kept else LOST, done=True, hangups=kept,
                               detail="its engine died and its FreeSWITCH is not one of this engine's")  # fmt: skip
                log.warning("slot lease expired: recording the call" + (" from its CDR" if kept else " as lost"),
                            extra=att.log_extra())  # fmt: skip
                finish = build_finish(att, now_ms)
                self.counts.outcome(finish)
                self._writes.put(finish)
                reaped += 1
        return reaped

    def _listen(self) -> None:
        """Status changes and wake-ups published by any process (the API, another engine)."""
        delay = 0.1
        first = True
        while True:
            pubsub = self.store.r.pubsub(ignore_subscribe_messages=True)
            watched = None
            try:
                pubsub.subscribe(self.store.keys.events)
                # redis-py reconnects and resubscribes by itself after a dropped connection, silently:
                # this callback (run after its resubscription) is how we learn of it.
                watched = pubsub.connection
                watched.register_connect_callback(self._resubscribed)
                delay = 0.1
                # Subscribed first, then read: a campaign started at any moment is either in what the
                # reconcile reads or in a message we now receive (at start too: no gap between the two).
                self._resubscribed(None, first)
                first = False
                for message in pubsub.listen():
                    kind, _, rest = str(message.get("data", "")).partition(" ")
                    campaign_uuid = rest.split(" ", 1)[0]
                    if kind == "wake":
                        self.wake(campaign_uuid)
                    elif kind in ("status", "changed"):
                        self.campaign_changed(campaign_uuid)
            except redis.RedisError as exc:
                log.error("event subscription lost; resubscribing", extra={"error": str(exc)})
                gevent.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                if watched is not None:  # the connection goes back to the shared pool: not ours to watch
                    watched.deregister_connect_callback(self._resubscribed)
                pubsub.close()
