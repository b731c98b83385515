"""What an ``autodialer`` attempt's time in its mod_callcenter queue adds to its result: the outcome
(:mod:`dialer.outcomes.queued`), the CDR's agent fields, the report's agent counters and the pacer's
call stats sample (docs/autodialer.md, "Results and reports"). The recorder asks; nothing here
writes.

The queue's facts are the ``cc_*`` variables mod_callcenter leaves on the lead's channel, read from
its hangup as the engine heard it or as FreeSWITCH's own CDR gave it (POST /freeswitch/cdr, kept
for the call and settled like a heard hangup): both carry json_cdr.HANGUP_FIELDS.
"""

from __future__ import annotations

from typing import Any

from dialer.domain.agent_figures import queue_counters
from dialer.domain.agents import extension_of
from dialer.domain.cdr import AgentCallRecord
from dialer.domain.enums import CampaignType, RecallStatus, ReportKey
from dialer.engine.calls import InFlight
from dialer.esl.callcenter_events import QueueOutcome, queue_outcome
from dialer.outcomes.classify import Outcome
from dialer.outcomes.queued import classify_queued


def is_autodialer(att: InFlight) -> bool:
    return att.campaign.type is CampaignType.AUTODIALER


def queue_of(att: InFlight, hang: dict[str, str]) -> QueueOutcome | None:
    """The lead's time in its queue (None: not an autodialer call, or it never joined one)."""
    return queue_outcome(hang) if hang and is_autodialer(att) else None


def refine(att: InFlight, outcome: Outcome, hang: dict[str, str]) -> Outcome:
    """The attempt's outcome once the queue is taken into account (only autodialer calls change)."""
    if not is_autodialer(att):
        return outcome
    return classify_queued(outcome, queue_of(att, hang), hangup_known=bool(hang))


def agent_fields(outcome: Outcome, queue: QueueOutcome | None) -> dict[str, Any] | None:
    """The CDR's agent fields (:class:`AgentCallRecord`), or None when the call has none to tell
    (it never reached the queue and was not abandoned: its CDR shows them empty)."""
    abandoned = outcome.recall_status is RecallStatus.ABANDONED
    if queue is None and not abandoned:
        return None
    agent = "" if queue is None or queue.abandoned else extension_of(queue.agent) or queue.agent
    return {
        "agent": agent,
        "queuesec": queue.wait_s if queue else 0,
        "agentsec": queue.talk_s if queue and not queue.abandoned else 0,
        "abandoned": 1 if abandoned else 0,
    }


def report_counters(cdr: AgentCallRecord) -> dict[str, int]:
    return queue_counters(cdr.agent, cdr.queuesec, cdr.agentsec, cdr.abandoned == 1)


def call_sample(cdr: Any, outcome: Outcome) -> tuple[dict[str, int], str]:
    """The attempt's sample for its campaign's call stats (dialer/store/call_stats.py), and the agent
    whose wrap-up time finish.lua adds to it ("": none)."""
    sample = {"attempts": 1}
    answered = outcome.report_key is ReportKey.ANSWERED
    agent = cdr.agent if type(cdr) is AgentCallRecord else ""
    if type(cdr) is AgentCallRecord and cdr.abandoned:
        sample["abandoned"] = 1
    elif agent:
        sample.update(connected=1, handled=1, talk_s=cdr.agentsec)
    elif answered and outcome.recall_status is RecallStatus.VOICEMAIL:
        sample["voicemail"] = 1
    else:
        return sample, ""  # not answered, or nothing known of who answered
    if cdr.answer_ms and cdr.start_ms:
        sample.update(ring_n=1, ring_ms=max(0, cdr.answer_ms - cdr.start_ms))
    return sample, agent
