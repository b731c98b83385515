"""What mod_callcenter tells: its ``CUSTOM callcenter::info`` events, and the ``cc_*`` variables it
leaves on a lead's channel. Sans-IO: header dicts in (as dialer/esl/connection.py hands events to
the engine), frozen dataclasses out.

FreeSWITCH 1.10.12's mod_callcenter.c fires, by ``CC-Action``:

* ``agent-status-change`` (``CC-Agent``, ``CC-Agent-Status``) and ``agent-state-change``
  (``CC-Agent-State``): from ``cc_agent_update``, with no channel data;
* ``member-queue-start`` (``-resume`` when an abandoned member is taken back) and
  ``member-queue-end``, with the lead's channel data (``Unique-ID``, every ``variable_*``, so
  ``variable_autocall_call``). ``member-queue-end`` says ``CC-Cause`` ``Terminated`` (it talked to
  ``CC-Agent``) or ``Cancel`` with ``CC-Cancel-Reason`` (``TIMEOUT``, ``NO_AGENT_TIMEOUT``,
  ``BREAK_OUT``: the lead hung up, ``EXIT_WITH_KEY``), and the epochs it joined and left;
* ``agent-offering`` and ``bridge-agent-fail`` (``CC-Hangup-Cause``: why the agent's leg failed),
  with no channel data; ``bridge-agent-start`` and ``bridge-agent-end`` with the AGENT's channel
  data (its ``Unique-ID``, not the lead's);
* ``members-count`` (``CC-Count`` waiting in ``CC-Queue``) after a member joins or leaves.

Every member event names the lead as ``CC-Member-Session-UUID``: its channel's uuid, which is
the leg's ``origination_uuid`` autocall dialled (dialer/routing/dialstring.py; leg 0's is the call
uuid, dialer/domain/ids.py). ``CC-Member-UUID`` is mod_callcenter's own id of the membership.
An action this module does not know, or a known one missing what it must carry, gives None:
never an exception.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "QUEUE_FIELDS",
    "AgentOffering",
    "AgentStateChange",
    "AgentStatusChange",
    "BridgeAgentEnd",
    "BridgeAgentFail",
    "BridgeAgentStart",
    "CallcenterEvent",
    "MemberQueueEnd",
    "MemberQueueStart",
    "MembersCount",
    "QueueOutcome",
    "parse_event",
    "queue_outcome",
]

SUBCLASS = "callcenter::info"


@dataclass(frozen=True, slots=True)
class AgentStatusChange:
    agent: str
    status: str  # Available, On Break, Logged Out, Available (On Demand)


@dataclass(frozen=True, slots=True)
class AgentStateChange:
    agent: str
    state: str  # Waiting, Receiving, In a queue call, Idle, Reserved


@dataclass(frozen=True, slots=True)
class MemberQueueStart:
    queue: str
    session: str  # the lead's channel uuid (CC-Member-Session-UUID)
    member: str  # CC-Member-UUID
    call: str = ""  # variable_autocall_call: the autocall call this channel is a leg of
    resumed: bool = False  # member-queue-resume (abandoned-resume-allowed; autocall's queues do not)


@dataclass(frozen=True, slots=True)
class AgentOffering:
    queue: str
    session: str
    member: str
    agent: str


@dataclass(frozen=True, slots=True)
class BridgeAgentStart:
    queue: str
    session: str
    member: str
    agent: str
    agent_session: str  # CC-Agent-UUID: the agent's channel
    agent_called: int  # epoch seconds (CC-Agent-Called-Time)
    agent_answered: int
    joined: int  # CC-Member-Joined-Time


@dataclass(frozen=True, slots=True)
class BridgeAgentEnd:
    queue: str
    session: str
    member: str
    agent: str
    agent_session: str
    agent_answered: int
    joined: int
    ended: int  # CC-Bridge-Terminated-Time
    bridged: bool  # CC-Agent-Bridged: false when the bridge itself failed


@dataclass(frozen=True, slots=True)
class BridgeAgentFail:
    queue: str
    session: str
    member: str
    agent: str
    cause: str  # CC-Hangup-Cause of the agent's leg (NO_ANSWER, USER_BUSY, CALL_REJECTED, ORIGINATOR_CANCEL…)
    agent_called: int
    aborted: int  # CC-Agent-Aborted-Time


@dataclass(frozen=True, slots=True)
class MemberQueueEnd:
    queue: str
    session: str
    member: str
    cause: str  # CC-Cause: Terminated (talked to an agent) or Cancel
    cancel_reason: str  # CC-Cancel-Reason (Cancel only): TIMEOUT, NO_AGENT_TIMEOUT, BREAK_OUT, EXIT_WITH_KEY
    agent: str  # Terminated only
    joined: int
    left: int  # CC-Member-Leaving-Time
    call: str = ""


@dataclass(frozen=True, slots=True)
class MembersCount:
    queue: str
    count: int  # members Waiting or Trying in the queue


CallcenterEvent = (
    AgentStatusChange
    | AgentStateChange
    | MemberQueueStart
    | AgentOffering
    | BridgeAgentStart
    | BridgeAgentEnd
    | BridgeAgentFail
    | MemberQueueEnd
    | MembersCount
)


def _epoch(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def parse_event(event: Mapping[str, Any]) -> CallcenterEvent | None:
    """The ``callcenter::info`` event as its dataclass; None for any other event, an action not
    known here, or one without the headers it always carries."""
    if event.get("Event-Subclass") != SUBCLASS:
        return None
    get = event.get
    action, agent, queue = get("CC-Action"), get("CC-Agent") or "", get("CC-Queue") or ""
    session, member = get("CC-Member-Session-UUID") or "", get("CC-Member-UUID") or ""
    status, state = get("CC-Agent-Status") or "", get("CC-Agent-State") or ""
    if action == "agent-status-change" and agent and status:
        return AgentStatusChange(agent, status)
    if action == "agent-state-change" and agent and state:
        return AgentStateChange(agent, state)
    if action == "members-count" and queue:
        return MembersCount(queue, _epoch(get("CC-Count")))
    if not (queue and session):  # every member event names its queue and the lead's channel
        return None
    call = get("variable_autocall_call") or ""
    if action in ("member-queue-start", "member-queue-resume"):
        return MemberQueueStart(queue, session, member, call, resumed=action == "member-queue-resume")
    if action == "member-queue-end":
        return MemberQueueEnd(
            queue,
            session,
            member,
            cause=get("CC-Cause") or "",
            cancel_reason=get("CC-Cancel-Reason") or "",
            agent=agent,
            joined=_epoch(get("CC-Member-Joined-Time")),
            left=_epoch(get("CC-Member-Leaving-Time")),
            call=call,
        )
    if not agent:  # the rest are about one agent
        return None
    if action == "agent-offering":
        return AgentOffering(queue, session, member, agent)
    if action == "bridge-agent-start":
        return BridgeAgentStart(
            queue,
            session,
            member,
            agent,
            agent_session=get("CC-Agent-UUID") or "",
            agent_called=_epoch(get("CC-Agent-Called-Time")),
            agent_answered=_epoch(get("CC-Agent-Answered-Time")),
            joined=_epoch(get("CC-Member-Joined-Time")),
        )
    if action == "bridge-agent-end":
        return BridgeAgentEnd(
            queue,
            session,
            member,
            agent,
            agent_session=get("CC-Agent-UUID") or "",
            agent_answered=_epoch(get("CC-Agent-Answered-Time")),
            joined=_epoch(get("CC-Member-Joined-Time")),
            ended=_epoch(get("CC-Bridge-Terminated-Time")),
            bridged=get("CC-Agent-Bridged") == "true",
        )
    if action == "bridge-agent-fail":
        return BridgeAgentFail(
            queue,
            session,
            member,
            agent,
            cause=get("CC-Hangup-Cause") or "",
            agent_called=_epoch(get("CC-Agent-Called-Time")),
            aborted=_epoch(get("CC-Agent-Aborted-Time")),
        )
    return None


# -- the lead's hangup --------------------------------------------------------------------------
# The variables callcenter_function and the agent thread set on the lead's channel "for xml_cdr
# needs", as CHANNEL_HANGUP_COMPLETE carries them (a JSON CDR has them without the prefix).
QUEUE_FIELDS = (
    "variable_cc_side",
    "variable_cc_queue",
    "variable_cc_queue_joined_epoch",
    "variable_cc_queue_answered_epoch",
    "variable_cc_queue_terminated_epoch",
    "variable_cc_queue_canceled_epoch",
    "variable_cc_cause",
    "variable_cc_cancel_reason",
    "variable_cc_agent",
    "variable_cc_agent_bridged",
)
NOT_BRIDGED = "NOT_BRIDGED"  # autocall's word: an agent answered, the bridge failed (the lead had gone)


@dataclass(frozen=True, slots=True)
class QueueOutcome:
    """How a lead's time in its queue went."""

    queue: str
    agent: str  # who talked to the lead ("": nobody)
    wait_s: int  # joined the queue -> an agent answered, or -> left it
    talk_s: int  # an agent answered -> the bridge ended (0: never bridged)
    abandoned: bool  # left the queue without talking to an agent
    reason: str  # abandoned: cc_cancel_reason (TIMEOUT, NO_AGENT_TIMEOUT, BREAK_OUT, EXIT_WITH_KEY) or NOT_BRIDGED


def queue_outcome(hangup: Mapping[str, Any]) -> QueueOutcome | None:
    """The outcome from the lead's hangup fields (``variable_cc_*``, as in CHANNEL_HANGUP_COMPLETE or
    dialer/esl/json_cdr.py's reading of a CDR); None when the lead never joined a queue, and for an
    agent's leg (``cc_side`` ``agent``: mod_callcenter gives it the queue's variables too).

    The bridge's end is ``cc_queue_terminated_epoch``, set by the agent's thread once the agent's leg
    is down (it polls every 100 ms): the lead's channel is reported before that, whoever hung up
    first (tests/captures/batch5, cc-bridge-*), so the hangup's ``variable_end_uepoch`` stands for it."""
    get = hangup.get
    queue, joined = get("variable_cc_queue") or "", _epoch(get("variable_cc_queue_joined_epoch"))
    if get("variable_cc_side") != "member" or not queue or not joined:
        return None  # an agent's leg carries cc_queue, cc_agent and the joined epoch too (cc_side agent)
    end = _epoch(get("variable_end_uepoch")) // 1_000_000
    answered = _epoch(get("variable_cc_queue_answered_epoch"))
    bridged = get("variable_cc_agent_bridged") == "true" and answered > 0
    if bridged:
        ended = _epoch(get("variable_cc_queue_terminated_epoch")) or end or answered
        return QueueOutcome(
            queue, get("variable_cc_agent") or "", max(0, answered - joined), max(0, ended - answered), False, ""
        )
    left = _epoch(get("variable_cc_queue_canceled_epoch")) or end or joined
    cause = get("variable_cc_cause")
    reason = (
        (get("variable_cc_cancel_reason") or "") if cause == "cancel" else NOT_BRIDGED if cause == "answered" else ""
    )
    return QueueOutcome(queue, "", max(0, left - joined), 0, True, reason)
