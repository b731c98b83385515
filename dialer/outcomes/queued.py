"""An answered ``autodialer`` call: what its time in the campaign's mod_callcenter queue decides.

:func:`dialer.outcomes.classify` says how the call itself ended (answered, busy, a beep...); for an
autodialer call a human answered, the queue then says whether a person of ours talked to them
(docs/outcomes.md, "Autodialer calls"). In order:

1. Not answered, or rule 0 (nothing ran: ``failed``): the call's own outcome stands.
2. **Bridged** to an agent: ``answered`` / ``answered``, whatever else happened (a beep heard
   while the agent talked is the agent's business; seed 004's ``min_recall_duration`` is about a
   recorded message, and here a person talked).
3. **A beep** (mod_avmd) before any agent: ``voicemail`` / ``answered``, as for any call.
4. **Abandoned**: left the queue without an agent (``cc_cause`` ``cancel``: the queue's wait ran
   out, no agent logged in, the callee hung up waiting or pressed a key; or an agent answered
   after the callee had gone), or answered and never in the queue at all: ``abandoned`` /
   ``answered``. A human answered and no agent was there: every regulator's abandoned call.
5. No hangup to read (FreeSWITCH died under the call): the call's own outcome stands.
"""

from __future__ import annotations

from dialer.domain.agents import extension_of
from dialer.domain.enums import RecallStatus, ReportKey
from dialer.esl.callcenter_events import NOT_BRIDGED, QueueOutcome
from dialer.outcomes.classify import Outcome

__all__ = ["ABANDON_REASONS", "classify_queued"]

# mod_callcenter's cc_cancel_reason (and autocall's NOT_BRIDGED), in words for the CDR's reason.
ABANDON_REASONS = {
    "TIMEOUT": "no agent took the call within the queue's wait (TIMEOUT)",
    "NO_AGENT_TIMEOUT": "no agent was logged in to take it (NO_AGENT_TIMEOUT)",
    "BREAK_OUT": "the callee hung up waiting for an agent (BREAK_OUT)",
    "EXIT_WITH_KEY": "the callee left the queue with a key (EXIT_WITH_KEY)",
    NOT_BRIDGED: "an agent answered after the callee had gone (NOT_BRIDGED)",
}
NEVER_QUEUED = "abandoned: answered, but the call never joined the agents' queue"


def classify_queued(outcome: Outcome, queue: QueueOutcome | None, *, hangup_known: bool) -> Outcome:
    """The outcome of an autodialer attempt from the call's own ``outcome`` and its ``queue``
    (:func:`dialer.esl.callcenter_events.queue_outcome` of its hangup; None: it never joined
    a queue). ``hangup_known``: the lead's hangup was heard or read from FreeSWITCH's CDR."""
    if outcome.report_key is not ReportKey.ANSWERED:
        return outcome  # never answered, or answered into a dialplan that ran nothing (rule 0)
    if queue is not None and not queue.abandoned:
        agent = f" {extension_of(queue.agent) or queue.agent}" if queue.agent else ""
        reason = f"answered, bridged to agent{agent} after {queue.wait_s} s in the queue, {queue.talk_s} s talk"
        return Outcome(RecallStatus.ANSWERED, ReportKey.ANSWERED, outcome.cause, reason)
    if outcome.recall_status is RecallStatus.VOICEMAIL:
        return outcome  # the beep came before any agent: the dialplan hung up on the machine
    if queue is not None:
        why = ABANDON_REASONS.get(queue.reason, "it left the agents' queue without an agent")
        reason = f"abandoned after {queue.wait_s} s in the queue: {why}"
        return Outcome(RecallStatus.ABANDONED, ReportKey.ANSWERED, outcome.cause, reason)
    if hangup_known:
        return Outcome(RecallStatus.ABANDONED, ReportKey.ANSWERED, outcome.cause, NEVER_QUEUED)
    return outcome
