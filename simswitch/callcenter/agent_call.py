"""One offer of a member to one agent: outbound_agent_thread_run.

agent-offering; the agent's contact rung as FreeSWITCH rings it (a real originate: the leg's
channel events, its session counted, its CDR; ``ignore_early_media=true``, 60 s, the cc_*
variables of the offer); then either the bridge (bridge-agent-start, the member's cc_agent and
cc_queue_answered_epoch, the agent In a queue call, ... until the agent's side ends:
bridge-agent-end, member-queue-end Terminated) or the failure (bridge-agent-fail, the delay the
cause earns: busy, reject, 5 s for USER_NOT_REGISTERED, no answer; max_no_answer puts the agent
On Break). Either way the agent's tiers go back to Ready (No Answer after a no answer) and its
state to Waiting (Idle for an agent Available (On Demand) that took the call).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simswitch import apps
from simswitch.callcenter import bridge
from simswitch.callcenter import member as member_app
from simswitch.callcenter.core import MemberSession
from simswitch.callcenter.model import (
    ACTIVE_INBOUND,
    CALLBACK,
    IN_A_QUEUE_CALL,
    LOGGED_OUT,
    M_ABANDONED,
    M_ANSWERED,
    M_TRYING,
    M_WAITING,
    NO_ANSWER,
    ON_DEMAND,
    READY,
    UUID_STANDBY,
    Agent,
    Member,
    same,
)
from simswitch.calls import OriginateJob
from simswitch.dialplan_xml import expand_variables
from simswitch.dialstring import DialStringError, parse_originate

if TYPE_CHECKING:
    from simswitch.callcenter.core import CallCenter
    from simswitch.callcenter.queues import Queue
    from simswitch.calls import Channel

BUSY = ("NORMAL_CIRCUIT_CONGESTION", "USER_BUSY")
NO_DELAY = ("LOSE_RACE", "ORIGINATOR_CANCEL")


@dataclass
class Offer:
    """The call_helper of one offer: the agent's row as the dispatcher read it, and the member."""

    cc: CallCenter
    queue: str
    strategy: str
    member_uuid: str
    session_uuid: str
    cid_name: str
    cid_number: str
    joined: int
    agent: str
    agent_type: str
    agent_status: str  # at the offer: Available (On Demand) turns Idle after a bridged call
    agent_uuid: str
    contact: str | None
    no_answer_count: int
    max_no_answer: int
    reject_delay: int
    busy_delay: int
    no_answer_delay: int
    no_answer_status: str
    session: MemberSession | None
    called: int = 0
    answered: int = 0
    agent_ch: Channel | None = None
    ringing: bool = False  # counted in the member's CC_APP_AGENT_CONNECTING

    def values(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "agent": self.agent,
            "member_uuid": self.member_uuid,
            "member_session_uuid": self.session_uuid,
            "member_cid_name": self.cid_name,
            "member_cid_number": self.cid_number,
            "joined": self.joined,
            "called": self.called,
            "answered": self.answered,
        }


def offer(cc: CallCenter, member: Member, agent: Agent, queue: Queue, status: str) -> None:
    """Start the offer (the dispatcher set the agent Receiving and its tiers Offering)."""
    o = Offer(
        cc,
        queue.name,
        queue.strategy,
        member.uuid,
        member.session_uuid,
        member.cid_name,
        member.cid_number,
        member.joined_epoch,
        agent.name,
        agent.type or "",
        status,
        agent.uuid or "",
        agent.contact,
        agent.no_answer_count,
        agent.max_no_answer,
        agent.reject_delay_time,
        agent.busy_delay_time,
        agent.no_answer_delay_time,
        queue.text("agent-no-answer-status") or "On Break",
        cc.sessions.get(member.uuid),
    )
    _start(o)


def _member_channel(o: Offer) -> Channel | None:
    ch = o.cc.sw.channels.get(o.session_uuid)
    return ch if ch is not None and not ch.hung_up else None


def _start(o: Offer) -> None:
    cc = o.cc
    member_ch = _member_channel(o)
    if member_ch is None or o.session is None:  # "gone just before we assigned an agent"
        row = cc.tables.members.get(o.member_uuid)
        if row is not None and row.state != M_ABANDONED:
            row.state, row.session_uuid, row.abandoned_epoch = M_ABANDONED, "", cc.epoch()
        _done(o, READY, bridged=False)
        return
    cc.fire("agent-offering", agent_type=o.agent_type, member_dnis=member_ch.ctx.get("dest", ""), **o.values())
    if same(o.agent_type, CALLBACK):
        _ring(o, member_ch)
    elif same(o.agent_type, UUID_STANDBY):
        standby = cc.sw.channels.get(o.agent_uuid)
        if standby is not None and not standby.hung_up:
            o.agent_ch = standby
            _answered(o)
        else:
            cc.update_agent("status", LOGGED_OUT, o.agent)
            cc.update_agent("uuid", "", o.agent)
            _failed(o, "NONE")
    else:
        _failed(o, "USER_NOT_REGISTERED")  # "Invalid agent type"


def _ring(o: Offer, member_ch: Channel) -> None:
    """switch_ivr_originate of the agent's contact, with the offer's variables."""
    cc, sw = o.cc, o.cc.sw
    ovars = [
        ("cc_queue", o.queue),
        ("cc_queue_joined_epoch", str(o.joined)),
        ("cc_member_uuid", o.member_uuid),
        ("cc_member_session_uuid", o.session_uuid),
        ("cc_member_pre_answer_uuid", o.member_uuid),
        ("cc_agent", o.agent),
        ("cc_agent_type", o.agent_type),
        ("cc_side", "agent"),
        ("loopback_bowout", "false"),
        ("loopback_bowout_on_execute", "false"),
        ("ignore_early_media", "true"),
    ]
    o.called = cc.epoch()
    if o.session is not None:
        o.session.connecting += 1
        o.ringing = True
    dial = expand_variables(o.contact or "", lambda name: apps.variable(member_ch, name))
    try:
        spec = parse_originate(f"{dial} &{apps.HOLD}()")
    except DialStringError:
        sw.sched.after(0, _originated, o, "-ERR DESTINATION_OUT_OF_ORDER\n")
        return
    given = dict(spec.global_vars)  # the contact's own {variables} win over the offer's
    spec.global_vars = [(k, given.pop(k, v)) for k, v in ovars] + list(given.items())
    spec.cid_name = member_ch.get_var("effective_caller_id_name") or o.cid_name
    prefix = member_ch.get_var("cc_outbound_cid_name_prefix")
    if prefix:
        spec.cid_name = prefix + spec.cid_name
    spec.cid_num = member_ch.get_var("effective_caller_id_number") or o.cid_number
    spec.timeout = cc.agent_originate_timeout
    OriginateJob(sw, f"{dial} &{apps.HOLD}()", spec, lambda result: _originated(o, result), None).start()


def _originated(o: Offer, result: str) -> None:
    """The originate's result: the agent answered (+OK <uuid>) or why not (-ERR <cause>)."""
    if result.startswith("+OK"):
        o.agent_ch = o.cc.sw.channels.get(result[3:].strip())
        o.cc.sw.sched.after(0, _answered, o)  # once the answer's own events are out
    else:
        _failed(o, result[4:].strip() or "NONE")


def _answered(o: Offer) -> None:
    cc, sw = o.cc, o.cc.sw
    agent_ch = o.agent_ch
    if agent_ch is None or agent_ch.hung_up:
        _failed(o, "NORMAL_CLEARING")
        return
    agent_ch.unset("cc_member_pre_answer_uuid")
    if o.strategy in ("ring-all", "ring-progressively"):
        row = cc.tables.members.get(o.member_uuid)
        if row is not None and row.state == M_TRYING and row.serving_agent == o.strategy:
            row.serving_agent, row.serving_system = o.agent, "single_box"
        if row is None or row.serving_agent != o.agent:
            _connect_ended(o)
            _done(o, READY, bridged=False)  # another agent won the race; this leg stays up
            return
        cc.hupall_matching("cc_member_pre_answer_uuid", o.member_uuid, "LOSE_RACE")
    o.answered = cc.epoch()
    cc.fire(
        "bridge-agent-start",
        agent_ch,
        agent_uuid=agent_ch.uuid,
        member_dnis=(_member_channel(o) or agent_ch).ctx.get("dest", ""),
        **o.values(),
    )
    member_ch = _member_channel(o)
    session = o.session
    if member_ch is not None:
        member_ch.var("cc_agent_found", "true")
        member_ch.var("cc_agent_uuid", agent_ch.uuid)
    if member_ch is None or session is None or session.left:
        # "member has gone just before we called agent"
        agent_ch.var("cc_agent_bridged", "false")
        row = cc.tables.members.get(o.member_uuid)
        if row is not None:
            row.state, row.session_uuid, row.abandoned_epoch = M_ABANDONED, "", cc.epoch()
        if same(o.agent_type, CALLBACK):
            sw.kill(agent_ch, "ORIGINATOR_CANCEL")
        _connect_ended(o)
        _done(o, READY, bridged=False)
        return
    # uuid_bridge: the member's application sees its channel transferred and returns (its
    # members-count still counts it: the row is Trying until the bridge is up, batch5)
    session.agent_found = session.bridged = True
    member_app.leave(cc, session)
    bridge.start(sw, member_ch, agent_ch)
    member_ch.var("cc_agent_bridged", "true")
    agent_ch.var("cc_agent_bridged", "true")
    row = cc.tables.members.get(o.member_uuid)
    now = cc.epoch()
    if row is not None:
        row.state, row.bridge_epoch = M_ANSWERED, now
    member_ch.var("cc_agent", o.agent)
    member_ch.var("cc_queue_answered_epoch", str(now))
    agent = cc.tables.agents.get(o.agent)
    if agent is not None:
        agent.uuid, agent.last_bridge_start = agent_ch.uuid, now
        agent.calls_answered += 1
        agent.no_answer_count = 0
    tier = cc.tables.tier(o.queue, o.agent)
    if tier is not None:
        tier.state = ACTIVE_INBOUND
    cc.update_agent("state", IN_A_QUEUE_CALL, o.agent)
    _connect_ended(o)
    bridge.talk(
        sw,
        member_ch,
        agent_ch,
        on_unbridge=lambda: member_app.after_bridge(cc, session),
        on_end=lambda: _bridge_ended(o, member_ch, agent_ch),
    )


def _bridge_ended(o: Offer, member_ch: Channel, agent_ch: Channel) -> None:
    """The agent thread sees the agent's channel down: the bridge's end, the member's row gone."""
    cc = o.cc
    now = cc.epoch()
    values = o.values()
    cc.fire(
        "bridge-agent-end",
        agent_ch,
        hangup_cause="SUCCESS",
        agent_uuid=agent_ch.uuid,
        bridged="true",
        terminated=now,
        **values,
    )
    member_ch.var("cc_queue_terminated_epoch", str(now))  # too late for a member that hung up already
    agent = cc.tables.agents.get(o.agent)
    if agent is not None:
        agent.uuid = ""
        agent.last_bridge_end = now
        agent.talk_time += now - agent.last_bridge_start
    cc.tables.members.pop(o.member_uuid, None)
    cc.sessions.pop(o.member_uuid, None)
    cc.fire(
        "member-queue-end(terminated)",
        member_ch,
        hangup_cause="SUCCESS",
        agent_uuid=agent_ch.uuid,
        leaving=now,
        **values,
    )
    _done(o, READY, bridged=True)


def _connect_ended(o: Offer) -> None:
    if o.ringing and o.session is not None:
        o.ringing = False
        member_app.connect_ended(o.cc, o.session)


def _failed(o: Offer, cause: str) -> None:
    """The agent did not answer, or could not be rung: the member waits again, the agent may rest."""
    cc = o.cc
    row = cc.tables.members.get(o.member_uuid)
    if row is not None and row.serving_agent == o.agent:
        row.state = M_WAITING if row.state == M_TRYING else row.state
        row.serving_agent = row.serving_system = ""
    tier_state = READY
    delay = 0
    if cause in NO_DELAY:
        pass
    elif cause in BUSY:
        delay = o.busy_delay
    elif cause == "CALL_REJECTED":
        delay = o.reject_delay
    elif cause == "USER_NOT_REGISTERED":
        delay = 5  # "Protection againts super fast loop due to unregistrer"
    else:
        delay, tier_state = o.no_answer_delay, NO_ANSWER
        agent = cc.tables.agents.get(o.agent)
        if agent is not None:
            agent.no_answer_count += 1
        if o.max_no_answer > 0 and o.no_answer_count + 1 >= o.max_no_answer:
            cc.fire(
                "agent-max-no-answer",
                agent=o.agent,
                count=o.max_no_answer,
                value=o.no_answer_status,
                member_uuid=o.member_uuid,
                member_session_uuid=o.session_uuid,
            )
            cc.update_agent("status", o.no_answer_status, o.agent)
    if delay > 0:
        cc.update_agent("ready_time", str(cc.epoch() + delay), o.agent)
    cc.fire("bridge-agent-fail", hangup_cause=cause, aborted=cc.epoch(), **o.values())
    _connect_ended(o)
    _done(o, tier_state, bridged=False)


def _done(o: Offer, tier_state: str, bridged: bool) -> None:
    """done: the agent's tiers and state, whatever happened."""
    cc = o.cc
    cc.set_tiers_after(o.agent, o.queue, tier_state)
    state = "Idle" if same(o.agent_status, ON_DEMAND) and bridged else "Waiting"
    cc.update_agent("state", state, o.agent)
