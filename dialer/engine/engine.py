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
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.pool
import gevent.queue
import redis

from dialer.domain.enums import CampaignStatus, TypeAutocall
from dialer.domain.models import Campaign, Carrier, Template
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.recorder import answer_body, build_finish, is_throttled
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles, MessageUnavailable
from dialer.pacing.pacer import CampaignPacer
from dialer.routing.dialstring import Leg, UnsafeValue, build_originate
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.store.store import Claim, Finish, Store

log = logging.getLogger("autocall.engine")
DESTINATION = "autocall XML autocall"  # freeswitch-conf/dialplan/autocall.xml
WRITE_BATCH = 500


class NoRoute(ValueError):
    """No gateway to send this number to: the attempt fails as INVALID_GATEWAY."""


@dataclass(slots=True)
class CampaignContext:
    campaign: Campaign
    carrier: Carrier | None
    template: Template | None


class Engine:
    def __init__(self, store: Store, nodes: list[NodeConfig], files: MessageFiles, *, default_gateway: str = "",
                 default_caller_id: str = "", clock: Callable[[], float] = time.time, lease_s: float = 60.0,
                 grace_s: float = 2.0, queue_size: int = 20_000, command_timeout: float = 10.0,
                 render_concurrency: int = 8) -> None:  # fmt: skip
        self.store = store
        self.files = files
        self.default_gateway = default_gateway
        self.default_caller_id = default_caller_id
        self.clock = clock
        self.lease_ms = int(lease_s * 1000)
        self.nodes = [Node(c, on_event=self._on_event, on_up=self._node_up, command_timeout=command_timeout)
                      for c in nodes]  # fmt: skip
        self.tracker = CallTracker(self._ended, on_answer=self._answered, grace=grace_s, clock=clock)
        self.pacers: dict[str, CampaignPacer] = {}
        self._contexts: dict[str, CampaignContext] = {}
        self._writes: gevent.queue.Queue = gevent.queue.Queue(maxsize=queue_size)
        self._greenlets: list[gevent.Greenlet] = []
        self._render_pool = gevent.pool.Pool(render_concurrency)  # TTS/OTP messages rendered at once
        self.stopping = False
        self.finished = 0
        self.writes_idle = gevent.event.Event()
        self.writes_idle.set()

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        for node in self.nodes:
            node.start()
        self._greenlets = [gevent.spawn(self._writer), gevent.spawn(self._renew_leases),
                           gevent.spawn(self._reap_loop), gevent.spawn(self._listen)]  # fmt: skip
        for campaign_uuid in self.store.running_campaigns():
            self.campaign_changed(campaign_uuid)

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
            log.warning("call still up at shutdown; its slot lease will expire", extra=att.log_extra())
        self.flush()
        for g in self._greenlets:
            g.kill()
        for node in self.nodes:
            node.stop()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued write reached Redis."""
        deadline = time.monotonic() + timeout
        while (not self._writes.empty() or not self.writes_idle.is_set()) and time.monotonic() < deadline:
            gevent.sleep(0.005)

    # -- campaigns ---------------------------------------------------------
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
                pacer = self.pacers[campaign_uuid] = CampaignPacer(self, campaign_uuid)
                pacer.start()
            pacer.wake()
            return
        if pacer is not None:
            pacer.stop()
            self.pacers.pop(campaign_uuid, None)
        if status is CampaignStatus.STOP or (ctx is not None and not ctx.campaign.active):
            self.cancel_ringing(campaign_uuid)

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
    def pick_node(self) -> Node | None:
        best, room = None, 0
        for node in self.nodes:
            if node.up.is_set():
                free = node.free_sessions()
                if free > room:
                    best, room = node, free
        return best

    def dial(self, node: Node, ctx: CampaignContext, claims: list[Claim]) -> None:
        commands: list[str] = []
        sent: list[InFlight] = []
        now_ms = int(self.clock() * 1000)
        messages = self._messages(ctx, claims)
        for claim in claims:
            att = InFlight(claim, ctx.campaign, node, str(uuid.uuid4()), [], [], now_ms)
            try:
                commands.append(self._originate(att, ctx, messages.get(claim.call_uuid)))
            except (MessageUnavailable, UnsafeValue, InvalidNumber, ValueError) as exc:
                log.error("cannot originate", extra={**att.log_extra(), "error": str(exc)})
                att.legs = att.legs or [claim.call_uuid]
                att.detail = str(exc)
                self.tracker.add(att)
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
            results = node.conn.send_nowait(commands) if node.conn else None
        except NotConnectedError:
            results = None
        if results is None:
            for att in sent:
                self.tracker.fail(att, "not-sent")
            return
        gevent.spawn(self._check_replies, node, sent, results)

    def _check_replies(self, node: Node, sent: list[InFlight], results: list[Any]) -> None:
        for att, result in zip(sent, results, strict=True):
            try:
                reply = result.get(timeout=node.command_timeout)
                ok = reply.ok
            except (NotConnectedError, gevent.Timeout):
                ok = False
            if not ok:
                self.tracker.fail(att, "not-sent")

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

    def _originate(self, att: InFlight, ctx: CampaignContext, message: Path | Exception | None = None) -> str:
        claim, campaign = att.claim, ctx.campaign
        mode = campaign.mode_call
        if mode.value == "direct":
            numbers = [claim.numbers[claim.number_idx % len(claim.numbers)]]
        else:
            numbers = list(claim.numbers)
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
            leg_uuid = claim.call_uuid if i == 0 else str(uuid.uuid4())
            legs.append(Leg(uuid=leg_uuid, gateway=gateway, number=number, caller_id=caller_id))
        att.legs = [leg.uuid for leg in legs]
        att.numbers = numbers
        att.caller_ids = [leg.caller_id for leg in legs]
        if isinstance(message, Exception):
            raise message if isinstance(message, MessageUnavailable) else MessageUnavailable(str(message))
        path = message or self.files.for_call(campaign, ctx.template, claim.fields)
        variables = {"autocall_campaign": campaign.campaign_uuid, "autocall_lead": claim.lead_uuid,
                     "autocall_call": claim.call_uuid, "autocall_file": str(path)}  # fmt: skip
        arg = build_originate(legs, mode, timeout=campaign.call_timeout, global_vars=variables,
                              destination=DESTINATION)  # fmt: skip
        return f"bgapi originate {arg}\nJob-UUID: {att.job_uuid}"

    # -- events and endings -------------------------------------------------------
    def _on_event(self, node: Node, event: dict[str, Any]) -> None:
        self.tracker.on_event(event)

    def _answered(self, att: InFlight) -> None:
        url = att.campaign.answer_callback_url
        if url:
            body = answer_body(att)  # in the campaign's webhook_format
            self._writes.put(("answer", url, json.dumps(body, ensure_ascii=False), att.claim.campaign_uuid))

    def _ended(self, att: InFlight) -> None:
        if is_throttled(att):
            att.node.throttled()
        finish = build_finish(att, int(self.clock() * 1000))
        if finish.reported:
            log.info("call ended", extra={**att.log_extra(), "cause": finish.cdr.get("hangup_cause"),
                                          "recall_status": finish.cdr.get("recall_status")})  # fmt: skip
        self._writes.put(finish)

    def _node_up(self, node: Node) -> None:
        """After a reconnect: calls we track on this node whose channels are gone
        ended while we were not listening; record them as lost."""
        if node.reconnects == 0:
            return
        gevent.spawn(self._reconcile, node)

    def _reconcile(self, node: Node) -> None:
        for att in self.tracker.of_node(node):
            alive = False
            for leg in att.legs:
                try:
                    alive = node.conn.api(f"uuid_exists {leg}").text.strip() == "true"
                except NotConnectedError:
                    return
                if alive:
                    break
            if not alive and not att.done:
                log.warning("call ended while disconnected from FreeSWITCH", extra=att.log_extra())
                self.tracker.fail(att, "AUTOCALL_LOST")

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
            answers = [b for b in batch if not isinstance(b, Finish)]
            delay = 0.05
            while True:
                try:
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
        while True:
            gevent.sleep(max(1.0, self.lease_ms / 4000))
            try:
                self.reap()
            except redis.RedisError as exc:
                log.error("reaping failed", extra={"error": str(exc)})

    def reap(self) -> int:
        """Record attempts whose slot lease expired (their process died)."""
        now_ms = int(self.clock() * 1000)
        reaped = 0
        for campaign_uuid in self.store.campaign_uuids():
            mine = self.tracker.by_campaign.get(campaign_uuid, {})
            for call, lead, network, node_name, start_ms in self.store.expired(campaign_uuid, now_ms):
                if call in mine:
                    continue
                ctx = self.campaign_context(campaign_uuid)
                data = self.store.get_lead(lead)
                if ctx is None or not data:
                    continue
                claim = Claim(campaign_uuid, lead, call, network, int(data.get("number_idx") or 0),
                              json.loads(data.get("numbers") or "[]"), json.loads(data.get("fields") or "{}"),
                              int(data.get("attempts") or 0), int(data.get("first_attempt_ms") or 0),
                              data.get("external_id", ""), int(data.get("max_attempts") or 0))  # fmt: skip
                ghost = Node(NodeConfig(node_name or "?", "", 0, ""), on_event=lambda n, e: None)
                att = InFlight(claim, ctx.campaign, ghost, "", [call], claim.numbers[:1], start_ms,
                               problem="AUTOCALL_LOST", done=True)  # fmt: skip
                log.warning("slot lease expired: recording the call as lost", extra=att.log_extra())
                self._writes.put(build_finish(att, now_ms))
                reaped += 1
        return reaped

    def _listen(self) -> None:
        """Status changes and wake-ups published by any process (the API, another engine)."""
        delay = 0.1
        while True:
            pubsub = self.store.r.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.store.keys.events)
                delay = 0.1
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
                pubsub.close()
