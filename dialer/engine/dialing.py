"""Dialling: claims become originates on a FreeSWITCH node.

A pacer hands the engine a batch of claims for one node (``dial``): their
messages are rendered first, concurrently (TTS, OTP), each claim is routed
(gateway and caller ID per number, from the campaign's carrier) and turned
into one ``bgapi originate`` with a client-chosen Job-UUID, and the whole
batch goes out in one write. An attempt that cannot be sent (no route, no
message, an invalid number, a lead that cannot be opened) is tracked and
failed at once, so it is recorded like any other. What FreeSWITCH answers
to each command is checked in the background; an originate that may or may
not have run is never sent again: the reconnect settles it
(dialer/engine/recovery.py).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gevent
import gevent.pool

from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignType, ModeCall, TypeAutocall
from dialer.domain.ids import job_uuid, leg_uuid
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.counts import Counts
from dialer.esl.connection import NotConnectedError, WriteFailed
from dialer.esl.node import Node
from dialer.media import MessageFiles, MessageUnavailable, NoSpeech, spoken_by
from dialer.outcomes.own_causes import NO_MESSAGE, NOT_SENT, UNREADABLE
from dialer.readiness import Means
from dialer.routing.dialstring import Leg, OriginatePlan, UnsafeValue
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.store.records import Claim

log = logging.getLogger("autocall.engine")
DESTINATION = "autocall XML autocall"  # freeswitch-conf/dialplan/autocall.xml
AUTODIALER_DESTINATION = "autodialer XML autodialer"  # freeswitch-conf/dialplan/autodialer.xml


class NoRoute(ValueError):
    """No gateway to send this number to: the attempt fails as INVALID_GATEWAY."""


class Dialer:
    def __init__(
        self,
        nodes: list[Node],
        tracker: CallTracker,
        counts: Counts,
        files: MessageFiles,
        *,
        held_now: Callable[[CampaignContext], bool],
        default_gateway: str = "",
        default_caller_id: str = "",
        clock: Callable[[], float] = time.time,
        lease_ms: int = 60_000,
        render_concurrency: int = 8,
    ) -> None:
        self.nodes = nodes
        self.tracker = tracker
        self.counts = counts
        self.files = files
        self.held_now = held_now  # worked out now: the campaign as a whole cannot place a call (holds.py)
        self.default_gateway = default_gateway
        self.default_caller_id = default_caller_id
        self.clock = clock
        self.lease_ms = lease_ms
        self._render_pool = gevent.pool.Pool(render_concurrency)  # TTS/OTP messages rendered at once

    def means(self) -> Means:
        """What this engine dials with (for the campaign holds): read at each look, as ``files`` may change."""
        return Means(self.files, self.default_gateway, not isinstance(self.files.renderer, NoSpeech))

    # -- which node ---------------------------------------------------------------
    def pick_node(self, voicemail_detection: bool = False, only: str = "") -> Node | None:
        """The node that can take the most originates now among those with free sessions that a
        campaign may be dialled on: the fewer of its free sessions and of the room in its reply
        window (a pacer never waits on a full window while another node has room); between equals,
        and when every window is full (the pacer then waits for room), the most free sessions.
        ``only``: that node or none (an autodialer campaign's agents are on one node)."""
        best, rank = None, (0, 0)
        for node in self.nodes:
            if only and node.name != only:
                continue
            if node.dialable(voicemail_detection) is None:
                free = node.free_sessions()
                if free > 0:
                    here = (min(free, node.capacity.window.room()), free)
                    if here > rank:
                        best, rank = node, here
        return best

    def why_not_dialled(self, voicemail_detection: bool = False, only: str = "") -> str:
        """Why no node may take a campaign's calls now (each node's reason), "" if one may."""
        reasons = [
            (node.name, node.dialable(voicemail_detection)) for node in self.nodes if not only or node.name == only
        ]
        if only and not reasons:
            return f"{only}: no such FreeSWITCH node on this engine (AUTOCALL_AUTODIALER_NODE)"
        if any(why is None for _, why in reasons):
            return ""
        return "; ".join(f"{name}: {why}" for name, why in reasons)

    # -- originates ---------------------------------------------------------------
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
                if not isinstance(exc, InvalidNumber) and not ctx.directory_user and self.held_now(ctx):
                    self.tracker.fail(att, NOT_SENT)  # the campaign itself lost what it needs: held, not counted
                    continue
                if isinstance(exc, InvalidNumber):
                    cause = "INVALID_NUMBER_FORMAT"  # an invalid-number outcome (VBot 101), not a system error
                else:
                    cause = "INVALID_GATEWAY" if isinstance(exc, NoRoute) else NO_MESSAGE
                self.tracker.fail(att, cause)
                continue
            self.tracker.add(att)
            sent.append(att)
        if not commands:
            return
        try:
            # Tokens taken before a drop must not send on the next connection before it is checked
            # (and before the calls of the one before are settled): those are retried, not counted.
            # Each written originate holds a slot of the node's reply window until its reply (node.py).
            results = node.send_originates(commands)
        except WriteFailed:
            # Some of the batch may have reached FreeSWITCH: never send it again
            # (at most one originate per attempt); the reconnect settles each one.
            self._unacknowledged(sent, "the connection broke while sending")
            return
        except NotConnectedError:
            results = None
        if results is None:  # nothing was written: the attempts are retried, not counted
            for att in sent:
                self.tracker.fail(att, NOT_SENT)
            return
        self.counts.attempt(ctx.campaign.campaign_uuid, node.name, len(sent))
        gevent.spawn(self._check_replies, node, sent, results)

    def fail_unreadable(self, ctx: CampaignContext, node: Node, claims: list[Claim]) -> None:
        """Attempts whose lead cannot be opened end at once (cause AUTOCALL_UNREADABLE, recall_status
        failed): recorded like any attempt autocall itself ended, never originated."""
        now_ms = int(self.clock() * 1000)
        for claim in claims:
            att = InFlight(
                claim,
                ctx.campaign,
                node,
                str(uuid.uuid4()),
                [claim.call_uuid],
                [],
                now_ms,
                detail=f"the lead cannot be opened: {claim.unreadable}",
            )
            log.error("lead cannot be opened: attempt failed", extra={**att.log_extra(), "error": claim.unreadable})
            self.tracker.add(att)
            self.tracker.fail(att, UNREADABLE)

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

    def _check_replies(self, node: Node, sent: list[InFlight], results: list[Any]) -> None:
        unacked: list[InFlight] = []
        deadline = time.monotonic() + node.command_timeout  # one deadline for the whole batch
        conn = node.conn
        # FreeSWITCH replies in command order (a dropped connection fails every pending reply at
        # once): once the batch's last reply is in, so are the others. One timer for the batch.
        if results:
            results[-1].wait(node.command_timeout)
        for att, result in zip(sent, results, strict=True):
            try:
                if result.ready():
                    reply = result.get(block=False)
                else:  # not in order after all, or the deadline passed: what is left of it
                    reply = result.get(timeout=max(0.0, deadline - time.monotonic()))
            except (NotConnectedError, gevent.Timeout):
                unacked.append(att)  # written, but was it run? the reconnect will tell
                if conn is not None:
                    conn.close("no reply to an originate")  # replies match in order: it cannot be trusted
                continue
            if not reply.ok:  # FreeSWITCH refused the command itself: no call was placed
                self.tracker.fail(att, NOT_SENT)
        if unacked:
            self._unacknowledged(unacked, "no reply to the originate")

    def _unacknowledged(self, atts: list[InFlight], why: str) -> None:
        for att in atts:
            if not att.done:
                att.unknown_job = True
                log.warning(
                    "originate not acknowledged; it is settled after the reconnect",
                    extra={**att.log_extra(), "why": why},
                )

    def _messages(self, ctx: CampaignContext, claims: list[Claim]) -> dict[str, Path | Exception]:
        """Spoken messages (TTS, OTP) of a batch, rendered concurrently before any originate,
        so a callee never waits for synthesis. The batch's claims are not tracked yet (their
        leases are not renewed): rendering gets a third of the lease, and a message not ready
        by then fails its attempt, so a slow or dead TTS engine can never outlive a lease.
        An audio campaign's file is looked up once for the batch (the same file for each)."""
        if not claims:
            return {}
        if ctx.campaign.type_autocall is TypeAutocall.AUDIO:
            try:
                path = self.files.for_call(ctx.campaign, ctx.template, {})
            except MessageUnavailable as exc:
                return {claim.call_uuid: MessageUnavailable(str(exc)) for claim in claims}
            return dict.fromkeys((claim.call_uuid for claim in claims), path)
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
            out.setdefault(
                claim.call_uuid,
                MessageUnavailable(f"tts: the message was not ready within {self.lease_ms / 3000:.0f} s"),
            )
        return out

    def route(self, claim: Claim, ctx: CampaignContext) -> list[Leg]:
        """The legs of an attempt: numbers to dial, each with its gateway and caller ID."""
        campaign = ctx.campaign
        if campaign.mode_call is ModeCall.DIRECT:
            numbers = [claim.numbers[claim.number_idx % len(claim.numbers)]]
        else:
            numbers = list(claim.numbers)
        if ctx.directory_user or ctx.loopback_context:  # test-call, agent-test: FreeSWITCH's own users or dialplan
            return [
                Leg(
                    uuid=leg_uuid(claim.call_uuid, i),
                    gateway="",
                    number=number,
                    caller_id=self.default_caller_id,
                    directory_user=ctx.directory_user,
                    loopback_context=ctx.loopback_context,
                )
                for i, number in enumerate(numbers)
            ]
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
        legs = self.route(claim, ctx)
        att.legs = [leg.uuid for leg in legs]
        att.numbers = [leg.number for leg in legs]
        att.caller_ids = [leg.caller_id for leg in legs]
        if isinstance(message, Exception):
            raise message if isinstance(message, MessageUnavailable) else MessageUnavailable(str(message))
        path = message or self.files.for_call(campaign, ctx.template, claim.fields)
        att.tts_voice, att.tts_engine = spoken_by(path)
        variables = {
            "autocall_campaign": campaign.campaign_uuid,
            "autocall_lead": claim.lead_uuid,
            "autocall_call": claim.call_uuid,
            "autocall_file": str(path),
        }
        if att.node.engine_tag:  # the engine's ESL filter lets its calls' events through (esl/node.py)
            variables["autocall_engine"] = att.node.engine_tag
        if not campaign.voicemail_detection:  # the dialplan skips avmd_start/avmd_stop
            variables["autocall_avmd"] = "false"
        if campaign.dtmf_wait_ms:  # the dialplan waits for a key after the message
            variables["autocall_dtmf_ms"] = str(campaign.dtmf_wait_ms)
        if campaign.type is CampaignType.AUTODIALER:  # it joins the campaign's queue; abandoned, it hears the message
            variables["autocall_queue"] = campaign.call_center_queue_uuid
            variables["autocall_abandon_file"] = str(path)
        arg = self._plan(ctx).build(legs, variables)
        return f"bgapi originate {arg}\nJob-UUID: {att.job_uuid}"

    @staticmethod
    def _plan(ctx: CampaignContext) -> OriginatePlan:
        """The campaign's originate plan, kept with its context (a change of the campaign makes a new context):
        its mode, timeout and the values repeating from call to call are checked once (routing/dialstring.py)."""
        plan = ctx.prepared.get("originate")
        if not isinstance(plan, OriginatePlan):
            campaign = ctx.campaign
            autodialer = campaign.type is CampaignType.AUTODIALER
            destination = AUTODIALER_DESTINATION if autodialer else DESTINATION
            plan = OriginatePlan(campaign.mode_call, timeout=campaign.call_timeout, destination=destination)
            ctx.prepared["originate"] = plan
        return plan
