"""How many calls an autodialer campaign's agents can take now: pacing's decision over what the engine knows.

A pacer turn of an autodialer campaign asks :meth:`AgentPacing.allowance` (the ``agent_allowance``
port, dialer/pacing/pacer.py) and claims at most that many leads; ``concurrent_call``, network
caps, sps and windows still clamp it. The decision itself is dialer/pacing/agents.py's ``decide``;
this module gathers its inputs:

* the agents that serve the campaign (its ``users`` and ``groups``: agent_roster.py) whose tier in
  the campaign's queue the sync has made sure of (callcenter_sync.py), and of them the free ones,
  the logged-in ones and the wrap-ups under way (callcenter_state.py); no queue loaded yet: 0;
* the campaign's calls in progress: ``dialling`` (this engine's calls of the campaign, CallTracker,
  that have not joined the queue: ringing, or answered and not there yet), and the queue's members
  ``waiting`` / ``offered`` / ``bridged`` (mod_callcenter's events: every engine's);
* ``ratio``, ``AUTOCALL_ABANDON_CAP_PERCENT``, and the campaign's call figures.

**The figures (a seam).** Until the outcome side persists each campaign's ``CallStats``
(dialer/pacing/call_stats.py) through the store, they live here, in memory, per campaign, fed by
this engine's own finished calls (:meth:`AgentPacing.call_ended`: unanswered, connected, abandoned,
voicemail) and the agents' finished calls (:meth:`AgentPacing.handled`). An engine restart forgets
them (warm-up again, and the abandon guard forgets the day); :class:`CampaignFigures` is the one
place to swap for the persisted ones.

The decision's reason is logged (INFO) when the campaign's mode changes or it starts or stops
having calls to place, and at DEBUG whenever it changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from dialer.domain.context import CampaignContext
from dialer.engine.agent_roster import AgentRoster
from dialer.engine.callcenter_state import CallcenterState
from dialer.engine.calls import CallTracker, InFlight
from dialer.pacing.agents import ABANDON_CAP_PCT, Decision, PacingInputs, decide
from dialer.pacing.call_stats import CallStats, Outcome

log = logging.getLogger("autocall.pacer")
NOT_SYNCED = "the campaign's queue and tiers are not in mod_callcenter yet (the sync has not run)"


class CampaignFigures:
    """Each autodialer campaign's call figures, in memory (see the module: the seam)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._stats: dict[str, CallStats] = {}

    def of(self, campaign_uuid: str) -> CallStats:
        stats = self._stats.get(campaign_uuid)
        if stats is None:
            stats = self._stats[campaign_uuid] = CallStats(self.clock)
        return stats


class AgentPacing:
    def __init__(
        self,
        *,
        state: CallcenterState,
        roster: AgentRoster,
        tiers: Callable[[str], set[str] | None],
        tracker: CallTracker,
        figures: CampaignFigures,
        abandon_cap_pct: float = ABANDON_CAP_PCT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.state = state
        self.roster = roster
        self.tiers = tiers  # queue -> the agents with a tier there (None: not loaded yet): callcenter_sync.py
        self.tracker = tracker
        self.figures = figures
        self.abandon_cap_pct = abandon_cap_pct
        self.clock = clock
        self.decisions: dict[str, Decision] = {}  # the last decision per campaign (logs, tests)
        self.campaign_of_queue: dict[str, str] = {}  # queues of the campaigns paced here
        self._said: dict[str, tuple[str, bool, str]] = {}

    def allowance(self, ctx: CampaignContext) -> int:
        campaign = ctx.campaign
        uuid, queue = campaign.campaign_uuid, campaign.call_center_queue_uuid
        self.campaign_of_queue[queue] = uuid
        tiered = self.tiers(queue)
        if tiered is None:
            self._say(uuid, None, NOT_SYNCED)
            return 0
        now = self.clock()
        names = [name for name in self.roster.names_serving(campaign) if name in tiered]
        agents = self.state.free_agents(names, now)
        members = self.state.queue_counts(queue)
        dialling = sum(1 for att in self.tracker.of_campaign(uuid) if not self.state.joined(queue, att.legs))
        decision = decide(
            PacingInputs(
                now=now,
                ratio=campaign.ratio,
                free_agents=agents.free,
                logged_in_agents=agents.logged_in,
                dialling=dialling,
                waiting=members.waiting,
                bridged=members.bridged,
                figures=self.figures.of(uuid).figures(),
                offered=members.offered,
                wrap_up_ends=agents.wrap_up_ends,
                abandon_cap_pct=self.abandon_cap_pct,
            )
        )
        self.decisions[uuid] = decision
        self._say(uuid, decision, decision.reason)
        return decision.calls

    def _say(self, uuid: str, decision: Decision | None, reason: str) -> None:
        mode = decision.mode.value if decision is not None else "not synced"
        placing = decision is not None and decision.calls > 0
        before = self._said.get(uuid)
        if before is not None and before[2] == reason:
            return
        if before is None or before[:2] != (mode, placing):
            log.info("autodialer pacing", extra={"campaign": uuid, "mode": mode, "why": reason})
        else:
            log.debug("autodialer pacing", extra={"campaign": uuid, "mode": mode, "why": reason})
        self._said[uuid] = (mode, placing, reason)

    def forget(self, campaign_uuid: str) -> None:
        """The campaign is no longer paced here."""
        self._said.pop(campaign_uuid, None)
        self.decisions.pop(campaign_uuid, None)

    # -- the figures (the seam: CampaignFigures) ----------------------------------------------------
    def call_ended(self, att: InFlight) -> None:
        """One of this engine's autodialer calls ended: its outcome for the campaign's figures."""
        if not att.campaign.call_center_queue_uuid or att.problem:
            return  # never placed (not sent, no route...): not an attempt the figures count
        if not att.answered_ms:
            outcome, ring = Outcome.UNANSWERED, None
        else:
            ring = max(0.0, (att.answered_ms - att.start_ms) / 1000)
            if self.state.talked(att.legs):
                outcome = Outcome.CONNECTED
            elif att.beep:
                outcome = Outcome.VOICEMAIL
            else:  # answered, and no agent took it (a machine that timed out before its beep counts here)
                outcome = Outcome.ABANDONED
        self.figures.of(att.claim.campaign_uuid).attempt(outcome, ring)

    def handled(self, queue: str, talk_s: float, wrap_s: float) -> None:
        """An agent finished a call of ``queue``: its talk and wrap-up for the campaign's figures."""
        uuid = self.campaign_of_queue.get(queue)
        if uuid is not None:
            self.figures.of(uuid).handled(talk_s, wrap_s)
