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

**The figures** (dialer/pacing/call_stats.py's ``CallStats``): finish.lua adds each autodialer
attempt's sample to its campaign's minute in Redis with its result (dialer/store/call_stats.py).
:class:`CampaignFigures` reads the day once when this engine starts pacing a campaign (a start, a
takeover of its lease) and then keeps it up to date from the results this engine queues
(:meth:`CampaignFigures.record`), never re-reading every turn (a day is 1,440 reads).

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
from dialer.engine.calls import CallTracker
from dialer.pacing.agents import ABANDON_CAP_PCT, Decision, PacingInputs, decide
from dialer.pacing.call_stats import CallStats, Outcome
from dialer.store.records import Finish
from dialer.store.store import Store

log = logging.getLogger("autocall.pacer")
ANSWERED = (Outcome.CONNECTED, Outcome.ABANDONED, Outcome.VOICEMAIL)  # a sample's counter for each
NOT_SYNCED = "the campaign's queue and tiers are not in mod_callcenter yet (the sync has not run)"


class CampaignFigures:
    """Each autodialer campaign's call figures, as this engine paces it (see the module)."""

    def __init__(self, store: Store, wrap_up_of: Callable[[str], int], clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.wrap_up_of = wrap_up_of  # an agent's wrap_up_time by extension (finish.lua adds it in Redis)
        self.clock = clock
        self._stats: dict[str, CallStats] = {}

    def of(self, campaign_uuid: str) -> CallStats:
        """The campaign's figures: the day read from Redis the first time (raises StoreError)."""
        stats = self._stats.get(campaign_uuid)
        if stats is None:
            window = self.store.call_stats.read(campaign_uuid, int(self.clock() * 1000))
            try:
                stats = CallStats.from_dict(window.saved(), self.clock)
            except ValueError as exc:  # nothing the pacer can use: it starts over (warm-up)
                log.error("call stats unreadable", extra={"campaign": campaign_uuid, "error": str(exc)})
                stats = CallStats(self.clock)
            self._stats[campaign_uuid] = stats
        return stats

    def record(self, finish: Finish) -> None:
        """An attempt this engine recorded: its sample, for a campaign whose day was read already (one
        read later has it from Redis)."""
        stats = self._stats.get(finish.campaign_uuid)
        sample = finish.call_stats
        if stats is None or not sample:
            return
        outcome = next((o for o in ANSWERED if sample.get(o.value)), Outcome.UNANSWERED)
        ring = sample["ring_ms"] / 1000 if sample.get("ring_n") else None
        stats.attempt(outcome, ring)
        if sample.get("handled"):
            wrap = self.wrap_up_of(finish.wrap_agent) if finish.wrap_agent else 0
            stats.handled(float(sample.get("talk_s", 0)), float(wrap))

    def forget(self, campaign_uuid: str) -> None:
        """No longer paced here: the next start reads the day again (other engines may have added to it)."""
        self._stats.pop(campaign_uuid, None)


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
        # each campaign paced here: its queue and the agents (tiered) that serve it, as of its last turn
        self._serving: dict[str, tuple[str, frozenset[str]]] = {}
        # each campaign's last allowance and its calls tracked then: the calls it may still be claiming
        # and originating (its pacer yields to the others meanwhile, before the tracker has them)
        self._granted: dict[str, tuple[int, int]] = {}
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
        # read (Redis: it yields) before the rest, which must not: another pacer sharing these agents
        # would otherwise decide between this one's count and its grant, and dial for them too
        figures = self.figures.of(uuid).figures()
        self._serving[uuid] = (queue, frozenset(names))
        agents = self.state.free_agents(names, now)
        members = self.state.queue_counts(queue)
        dialling = self._dialling(uuid, queue)
        decision = decide(
            PacingInputs(
                now=now,
                ratio=campaign.ratio,
                free_agents=max(0, agents.free - self._taken_by_others(uuid, frozenset(names), now)),
                logged_in_agents=agents.logged_in,
                dialling=dialling,
                waiting=members.waiting,
                bridged=members.bridged,
                figures=figures,
                offered=members.offered,
                wrap_up_ends=agents.wrap_up_ends,
                abandon_cap_pct=self.abandon_cap_pct,
            )
        )
        self.decisions[uuid] = decision
        self._granted[uuid] = (decision.calls, len(self.tracker.of_campaign(uuid)))
        self._say(uuid, decision, decision.reason)
        return decision.calls

    def _dialling(self, uuid: str, queue: str) -> int:
        return sum(1 for att in self.tracker.of_campaign(uuid) if not self.state.joined(queue, att.legs))

    def _taken_by_others(self, uuid: str, names: frozenset[str], now: float) -> int:
        """Free agents of ``names`` the calls in progress of the other campaigns paced here that share
        them will take: each free agent serving two campaigns is counted by both pacers, so what one
        has dialled for it must not be dialled again by the other (the other's calls go to its own
        agents first). Their members waiting are the queue's, whatever engine dialled them."""
        taken = 0
        for other, (queue, theirs) in self._serving.items():
            shared = names & theirs
            if other == uuid or not shared:
                continue
            members = self.state.queue_counts(queue)
            granted, tracked = self._granted.get(other, (0, 0))
            placing = max(0, granted - (len(self.tracker.of_campaign(other)) - tracked))
            pending = self._dialling(other, queue) + placing + members.waiting - members.offered
            own = self.state.free_agents(list(theirs - names), now).free
            taken += min(self.state.free_agents(list(shared), now).free, max(0, pending - own))
        return taken

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
        self._serving.pop(campaign_uuid, None)
        self._granted.pop(campaign_uuid, None)
        self.decisions.pop(campaign_uuid, None)
        self.figures.forget(campaign_uuid)
