"""One greenlet per running campaign: start attempts as fast as every limit allows.

Each turn asks, in order: is the campaign started and active; is it inside
a calling window; which FreeSWITCH node has capacity (rate and sessions);
then claims up to that many leads in one script (which enforces the
campaign's ``concurrent_call`` and per-network caps atomically) and hands
them to the engine to originate. With nothing to do it sleeps until woken:
a slot released, a lead imported, a status change, or the next recall due.

A campaign that cannot place a call (no usable template, no way out, a type
the engine does not run: dialer/readiness.py) is held: nothing is
claimed until it can (dialer/engine/holds.py).

An ``autodialer`` campaign (docs/autodialer.md, "The engine") is dialled on
one node (``pick_node`` is handed the campaign), by one engine at a time (a
lease, ``paces``: a pacer without it claims nothing and looks again every
``LEASE_POLL``), and never for more calls than its agents can take
(``agent_allowance``: pacing's decision over the free agents and the calls
in progress); no allowance, no claim: a free agent, a member leaving the
queue or a finished call wakes the pacer. The caps, sps and windows apply as
to any campaign.

``enable_encrypt`` (docs/api-v3.md): an engine without
``AUTOCALL_ENCRYPTION_KEY`` claims nothing of such a campaign (it is held,
with an error logged every minute), so no lead is dialled, used up or
recorded in the clear; a claimed lead whose numbers cannot be opened (a key
this engine does not have, a changed value) fails its attempt at once with
cause ``AUTOCALL_UNREADABLE`` and the reason in the CDR (the engine records it: a pacer
is handed what it may ask of the engine, ``PacerPorts``, never the engine).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.event

from dialer.domain.context import CampaignContext
from dialer.domain.enums import CampaignStatus, CampaignType, ModeCall
from dialer.domain.ids import random_uuids
from dialer.domain.window import in_window, next_opening
from dialer.esl.node import Node
from dialer.store.records import Claim
from dialer.store.script_results import ClaimInfo

log = logging.getLogger("autocall.pacer")
IDLE_POLL = 1.0  # s: re-check even without a wake-up (other processes' releases)
MAX_BATCH = 200
NO_NODE_POLL = 0.1  # s: no FreeSWITCH may be dialled now (down, shutting down, no dialplan): look again
NO_KEY_POLL = 5.0  # s: an enable_encrypt campaign without a key is looked at again this often
LEASE_POLL = 1.0  # s: an autodialer campaign another engine paces is looked at again this often
REPEAT_LOG_EVERY = 60.0  # s: a campaign held (no key, no FreeSWITCH to take it) is said so at most this often


@dataclass(frozen=True, slots=True)
class PacerPorts:
    """What a pacer may ask of the engine, handed to it: a pacer never sees the engine itself."""

    context: Callable[[str], CampaignContext | None]  # the campaign as loaded now (None: gone)
    held: Callable[[CampaignContext], list[str]]  # what it lacks to place a call (dialer/engine/holds.py)
    hold_every_s: float  # a held campaign is looked at again this often
    clock: Callable[[], float]  # wall clock, epoch seconds
    can_open_sealed: Callable[[], bool]  # this engine has AUTOCALL_ENCRYPTION_KEY
    pick_node: Callable[[CampaignContext], Node | None]  # the node to dial the campaign on now
    why_not_dialled: Callable[[CampaignContext], str]  # why no node may take the campaign's calls
    # (campaign, want, node name, now_ms, call uuids) -> claims and claim.lua's info; the engine
    # adds its lease and its id as the slots' owner
    claim: Callable[[str, int, str, int, list[str]], tuple[list[Claim], ClaimInfo]]
    dial: Callable[[Node, CampaignContext, list[Claim]], None]  # originate these claims on this node
    fail_unreadable: Callable[[CampaignContext, Node, list[Claim]], None]  # end at once: lead cannot be opened
    # autodialer campaigns: this engine holds the campaign's pacer lease (taken or renewed now)
    paces: Callable[[str], bool] = lambda campaign_uuid: True
    # autodialer campaigns: how many new calls their agents can take now (pacing's decision)
    agent_allowance: Callable[[CampaignContext], int] = lambda ctx: 0
    stopped: Callable[[str], None] = lambda campaign_uuid: None  # the pacer ended (its lease is given up)


class CampaignPacer:
    def __init__(self, ports: PacerPorts, campaign_uuid: str) -> None:
        self.ports = ports
        self.campaign_uuid = campaign_uuid
        self._wake = gevent.event.Event()
        self._greenlet: gevent.Greenlet | None = None
        self.stopped = False
        self._no_key_logged = float("-inf")
        self._why_not = ""  # why no node may take this campaign's calls (logged when it changes)
        self._why_not_logged = float("-inf")
        # Turns counted so a test can await one that started after a change and has decided
        # (tests/engine_fixtures.py await_turn) instead of sleeping and hoping.
        self.turns = 0  # turns started
        self.turns_decided = 0  # the last turn that has decided: it now waits, or has returned

    def start(self) -> None:
        self._greenlet = gevent.spawn(self._run)

    def stop(self) -> None:
        self.stopped = True
        self._wake.set()

    def join(self, timeout: float | None = None) -> None:
        if self._greenlet is not None:
            self._greenlet.join(timeout)

    def wake(self) -> None:
        self._wake.set()

    def _sleep(self, seconds: float) -> None:
        self.turns_decided = self.turns
        self._wake.wait(max(0.0, seconds))
        self._wake.clear()

    def _run(self) -> None:
        try:
            while not self.stopped:
                self.turns += 1
                try:
                    self._turn()
                except Exception:
                    log.exception("pacer turn failed", extra={"campaign": self.campaign_uuid})
                    self._sleep(IDLE_POLL)
                self.turns_decided = self.turns
        finally:
            self.ports.stopped(self.campaign_uuid)

    def _turn(self) -> None:
        ports = self.ports
        ctx = ports.context(self.campaign_uuid)
        if ctx is None or ctx.campaign.status is not CampaignStatus.START or not ctx.campaign.active:
            self.stopped = True  # the engine starts a new pacer when the campaign starts again
            return
        if ports.held(ctx):  # it cannot place a call (dialer/engine/holds.py): claim nothing
            self._sleep(ports.hold_every_s)  # a change of the campaign wakes us at once
            return
        campaign = ctx.campaign
        now = ports.clock()
        if not in_window(campaign.schedules, campaign.time_zone, now):
            opens = next_opening(campaign.schedules, campaign.time_zone, now)
            self._sleep(min(30.0, (opens - now) if opens else 30.0))
            return
        if campaign.enable_encrypt and not ports.can_open_sealed():
            self._hold_without_key()
            return
        node = ports.pick_node(ctx)
        if node is None:  # none connected, or none may take this campaign's calls now (node.dialable)
            self._say_why_not(ports.why_not_dialled(ctx))
            self._sleep(NO_NODE_POLL)
            return
        self._say_why_not("")
        want = min(MAX_BATCH, campaign.concurrent_call)
        if campaign.type is CampaignType.AUTODIALER:
            if not ports.paces(self.campaign_uuid):  # another engine paces it (its lease)
                self._sleep(LEASE_POLL)
                return
            want = min(want, ports.agent_allowance(ctx))
            if want <= 0:  # no agent to take another call: a free agent or a call ending wakes us
                self._sleep(IDLE_POLL)
                return
        k = node.take(want)
        if k == 0:
            if node.wake_on_room(self.wake):  # originates await FreeSWITCH's replies: one wakes us
                self._sleep(IDLE_POLL)
                return
            self._sleep(min(0.05, node.wait_time()) or 0.01)
            return
        try:
            claims, info = ports.claim(self.campaign_uuid, k, node.name, int(now * 1000), random_uuids(k))
        except Exception:
            node.give_back(k)
            raise
        node.give_back(k - len(claims))
        if claims:
            unreadable = [c for c in claims if c.unreadable]
            if unreadable:
                node.give_back(len(unreadable))  # nothing is sent for them
                ports.fail_unreadable(ctx, node, unreadable)
                claims = [c for c in claims if not c.unreadable]
            if claims:
                if campaign.mode_call is not ModeCall.DIRECT:  # each further number is a session request too
                    node.charge(sum(len(c.numbers) - 1 for c in claims))
                try:
                    ports.dial(node, ctx, claims)
                finally:
                    node.dialled(len(claims))  # their window slots: now held by the replies awaited
            gevent.sleep(0)
            return
        if info.busy >= info.cap:
            self._sleep(IDLE_POLL)  # a finished call wakes us
            return
        due = info.next_due
        wait = IDLE_POLL if due < 0 else min(IDLE_POLL, max(0.001, due / 1000 - now))
        self._sleep(wait)

    def _say_why_not(self, why: str) -> None:
        """Log once (and once a minute while it lasts) why no FreeSWITCH may take this campaign's calls."""
        now = time.monotonic()
        if why and (why != self._why_not or now - self._why_not_logged >= REPEAT_LOG_EVERY):
            log.error(
                "campaign not dialled: no FreeSWITCH node may take its calls now",
                extra={"campaign": self.campaign_uuid, "why": why},
            )
            self._why_not_logged = now
        elif not why and self._why_not:
            log.info("campaign dialled again", extra={"campaign": self.campaign_uuid})
        self._why_not = why

    def _hold_without_key(self) -> None:
        """enable_encrypt and no AUTOCALL_ENCRYPTION_KEY: claim nothing until the key is configured."""
        now = time.monotonic()
        if now - self._no_key_logged >= REPEAT_LOG_EVERY:
            self._no_key_logged = now
            log.error(
                "enable_encrypt campaign not dialled: this engine has no AUTOCALL_ENCRYPTION_KEY",
                extra={"campaign": self.campaign_uuid},
            )
        self._sleep(NO_KEY_POLL)
