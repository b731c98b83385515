"""In-flight attempts and the rule that decides when one is over.

An attempt is one originate: one leg (``direct``) or several (``serial``
``|``, ``parallel`` ``,``), each with its own origination uuid. It ends at
the first *final* signal (esl-captures README, "Things a dialer author
should know"):

* the CHANNEL_HANGUP_COMPLETE of its only leg, or of the leg that answered
  (the winner): it carries the CDR timings;
* a BACKGROUND_JOB ``-ERR <CAUSE>`` once every leg's HANGUP_COMPLETE has
  been seen, or after a short grace if some never comes (``error/…``, a bad
  profile or a refused session create no channel at all). The job and the
  hangup arrive in either order; whichever is second is ignored.

An attempt ends exactly once: ``end`` removes it from every index first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import gevent

from dialer.domain.enums import ModeCall
from dialer.domain.models import Campaign
from dialer.esl.json_cdr import HANGUP_FIELDS
from dialer.esl.node import Node
from dialer.store.records import Claim

INF = float("inf")


@dataclass(slots=True, eq=False)
class InFlight:
    claim: Claim
    campaign: Campaign
    node: Node
    job_uuid: str
    legs: list[str]
    numbers: list[str]  # dialled, in leg order
    start_ms: int
    answered_ms: int = 0
    answered_leg: str = ""
    job_ok: bool | None = None
    job_text: str = ""
    winner: str = ""
    hangups: dict[str, dict[str, str]] = field(default_factory=dict)
    dtmf: str = ""
    beep: bool = False
    cancelled: bool = False  # ringing when the operator stopped the campaign
    # NOT_SENT (never reached FreeSWITCH: retried), or an AUTOCALL_* cause (outcomes/own_causes.py)
    # when autocall itself ended the attempt (no gateway, no message, lost).
    problem: str = ""
    done: bool = False
    timer: gevent.Greenlet | None = None
    caller_ids: list[str] = field(default_factory=list)  # the caller ID (hotline) of each leg, in leg order
    detail: str = ""  # why autocall itself ended it (e.g. the tts error): the CDR's reason
    tts_voice: str = ""  # the voice(s) that spoke its message, comma-separated (the CDR's tts_voice)
    tts_engine: str = ""  # their engines, in the same order
    # The originate's job result may never arrive: the originate was sent but not
    # acknowledged (the connection broke), or the call was adopted from an engine
    # that died. Such an attempt ends when its answered leg hangs up, or when
    # every leg FreeSWITCH still had (``live_legs``) has hung up.
    unknown_job: bool = False
    live_legs: set[str] = field(default_factory=set)
    # FreeSWITCH itself died under the call (it came back with a new Core-UUID): when
    # the call ended (the connection dropped), for its CDR; 0 when the call's own hangup says.
    ended_ms: int = 0
    # Until when its slot's lease was last renewed by this engine (liveness.py); 0: not yet,
    # so the next renewal pass renews it (the claim's or the adoption's own lease is not assumed).
    leased_until_ms: int = 0

    @property
    def call_uuid(self) -> str:
        return self.claim.call_uuid

    def log_extra(self) -> dict[str, Any]:
        return {
            "campaign": self.claim.campaign_uuid,
            "lead": self.claim.lead_uuid,
            "call": self.call_uuid,
            "node": self.node.name,
        }


class CallTracker:
    def __init__(
        self,
        on_end: Callable[[InFlight], None],
        *,
        on_answer: Callable[[InFlight], None] | None = None,
        grace: float = 2.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.on_end = on_end
        self.on_answer = on_answer or (lambda att: None)
        self.on_undecided: Callable[[InFlight], None] = lambda att: self.end(att)
        self.grace = grace
        self.clock = clock
        self.by_leg: dict[str, InFlight] = {}
        self.by_job: dict[str, InFlight] = {}
        self.by_campaign: dict[str, dict[str, InFlight]] = {}
        # The earliest start_ms + call timeout of the calls added since recovery.py last took it:
        # its look for over-long calls scans every call only once one may be over long.
        self.earliest_added_due_ms = INF

    def count(self) -> int:
        return sum(len(v) for v in self.by_campaign.values())

    def add(self, att: InFlight) -> None:
        for leg in att.legs:
            self.by_leg[leg] = att
        self.by_job[att.job_uuid] = att
        self.by_campaign.setdefault(att.claim.campaign_uuid, {})[att.call_uuid] = att
        att.node.legs += self._leg_weight(att)
        due = att.start_ms + att.campaign.call_timeout * 1000
        if due < self.earliest_added_due_ms:
            self.earliest_added_due_ms = due

    def take_earliest_added_due(self) -> float:
        """The earliest start_ms + call timeout of the calls added since the last take (INF if none)."""
        due, self.earliest_added_due_ms = self.earliest_added_due_ms, INF
        return due

    @staticmethod
    def _leg_weight(att: InFlight) -> int:
        return len(att.legs) if att.campaign.mode_call is ModeCall.PARALLEL else 1

    def of_campaign(self, campaign_uuid: str) -> list[InFlight]:
        return list(self.by_campaign.get(campaign_uuid, {}).values())

    def of_node(self, node: Node) -> list[InFlight]:
        return [a for calls in self.by_campaign.values() for a in calls.values() if a.node is node]

    # -- events ------------------------------------------------------------
    def on_event(self, event: dict[str, Any]) -> None:
        name = event.get("Event-Name")
        if name == "CHANNEL_HANGUP_COMPLETE":
            self._hangup(event)
        elif name == "BACKGROUND_JOB":
            self._job(event)
        elif name == "CHANNEL_ANSWER":
            att = self.by_leg.get(event.get("Unique-ID", ""))
            if att is not None and not att.answered_ms:
                att.answered_ms = int(self.clock() * 1000)
                att.answered_leg = event["Unique-ID"]
                self.on_answer(att)
        elif name == "DTMF":
            att = self.by_leg.get(event.get("Unique-ID", ""))
            if att is not None:
                att.dtmf += event.get("DTMF-Digit", "")
        elif name == "CUSTOM" and event.get("Event-Subclass") == "avmd::beep":
            att = self.by_leg.get(event.get("Unique-ID", ""))
            if att is not None:
                att.beep = True

    def _hangup(self, event: dict[str, Any]) -> None:
        leg = event.get("Unique-ID", "")
        att = self.by_leg.get(leg)
        if att is not None and not att.done:  # untracked: not ours (yet); adoption settles it without this event
            self.hung_up(att, leg, {k: event[k] for k in HANGUP_FIELDS if k in event})

    def hung_up(self, att: InFlight, leg: str, hangup: dict[str, str]) -> None:
        """One leg's CHANNEL_HANGUP_COMPLETE (live, or kept while nobody tracked the call)."""
        att.hangups[leg] = hangup
        if hangup.get("variable_avmd_detect") == "TRUE":
            att.beep = True
        if len(att.legs) == 1 or leg == att.winner or leg == att.answered_leg:
            self.end(att)
        elif att.job_ok is False and all(x in att.hangups for x in att.legs):
            self.end(att)
        elif att.unknown_job and att.job_ok is None:
            if hangup.get("variable_answer_uepoch", "0") not in ("", "0"):
                att.answered_leg = att.answered_leg or leg  # the leg that answered is the winner
                self.end(att)
            elif att.live_legs and all(x in att.hangups for x in att.live_legs):
                if att.campaign.mode_call is ModeCall.SERIAL and leg != att.legs[-1]:
                    # FreeSWITCH may be starting the next number: ask it again after a moment
                    self.on_undecided(att)
                else:
                    self.end(att)

    def _job(self, event: dict[str, Any]) -> None:
        att = self.by_job.pop(event.get("Job-UUID", ""), None)
        if att is None or att.done:
            return
        body = (event.get("_body") or "").strip()
        if body.startswith("+OK"):
            att.job_ok = True
            att.winner = body[3:].strip()
            if att.winner in att.hangups:  # a very short call: its hangup came first
                self.end(att)
            return
        att.job_ok = False
        att.job_text = body
        if all(x in att.hangups for x in att.legs):
            self.end(att)
        else:
            att.timer = gevent.spawn_later(self.grace, self.end, att)

    # -- ending ----------------------------------------------------------------
    def fail(self, att: InFlight, problem: str) -> None:
        """The call never reached FreeSWITCH, or it was lost: end it now."""
        if not att.done:
            att.problem = problem
            self.end(att)

    def end(self, att: InFlight) -> None:
        if att.done:
            return
        att.done = True
        if att.timer is not None and att.timer is not gevent.getcurrent():
            att.timer.kill(block=False)
        for leg in att.legs:
            if self.by_leg.get(leg) is att:
                del self.by_leg[leg]
        self.by_job.pop(att.job_uuid, None)
        calls = self.by_campaign.get(att.claim.campaign_uuid)
        if calls is not None:
            calls.pop(att.call_uuid, None)
            if not calls:
                del self.by_campaign[att.claim.campaign_uuid]
        att.node.legs -= self._leg_weight(att)
        self.on_end(att)
