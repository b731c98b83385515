"""The ``callcenter <queue>`` dialplan application: a caller (the member) waits in a queue.

callcenter_function and its member thread (cc_member_thread_run): the queue is found (loaded on
first use), the member joins (member-queue-start, a members row Waiting, members-count), hears the
queue's music on hold (PLAYBACK_START/STOP per loop of the file) and leaves the application when
an agent is bridged to it (cc_cause=answered), when its wait runs out (max-wait-time: TIMEOUT;
max-wait-time-with-no-agent: NO_AGENT_TIMEOUT; checked every 0.5 s in whole seconds, and not
while an agent is being rung for it) or when it hangs up (BREAK_OUT): member-queue-end,
cc_cause=cancel, cc_cancel_reason. A queue nobody knows ends the application at once, with no
variable set, as FreeSWITCH's "Queue not found" does.

After a bridge the member's dialplan goes on with the next application once the agent's side
ends (uuid_bridge puts it back in CS_EXECUTE), or it hangs up if ``hangup_after_bridge`` is true.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simswitch import apps
from simswitch.callcenter.core import MemberSession
from simswitch.callcenter.model import INSTANCE, M_ABANDONED, M_WAITING, Member, same
from simswitch.callcenter.queues import Queue, atoi, switch_true
from simswitch.calls import playback_ms
from simswitch.dialplan_xml import expand_variables
from simswitch.ids import random_uuid

if TYPE_CHECKING:
    from simswitch.callcenter.core import CallCenter
    from simswitch.calls import Channel

TICK = 0.5  # the member thread's switch_yield(500000)
# A local stream plays only where its music is installed; autocall's FreeSWITCH has none, and
# batch5's cc-moh-local-stream shows what then happens: "Couldn't play file", no PLAYBACK events.
SILENT = ("local_stream://",)


def run(cc: CallCenter, ch: Channel, data: str) -> None:
    """The application starts: find the queue, then join it."""
    words = data.split()
    if not words:
        apps.app_done(cc.sw, ch)  # "No Queue name provided"
        return

    def found(queue: Queue | None) -> None:
        if ch.hung_up or ch.app != "callcenter":
            return
        if queue is None:
            apps.app_done(cc.sw, ch)  # "Queue %s not found": the dialplan goes on
            return
        join(cc, ch, queue)

    cc.get_queue(words[0], found)


def caller_id(ch: Channel) -> tuple[str, str]:
    """The member's caller_id_name and caller_id_number: an outbound call answered into the
    dialplan has its caller profile flipped, so both are the number dialled (batch5)."""
    dest = str(ch.ctx.get("dest", ""))
    return dest, dest


def join(cc: CallCenter, ch: Channel, queue: Queue) -> None:
    sw, tables = cc.sw, cc.tables
    now = cc.epoch()
    start_epoch = int(ch.ctx.get("answered_us", sw.clock.now_us())) // 1_000_000
    cid_name, cid_number = caller_id(ch)
    member_uuid, abandoned_epoch = "", 0
    if queue.flag("abandoned-resume-allowed"):
        earlier = sorted(
            (m for m in tables.members.values() if m.queue == queue.name and m.cid_number == cid_number),
            key=lambda m: -m.abandoned_epoch,
        )
        earlier = [m for m in earlier if m.state == M_ABANDONED]
        if earlier:
            member_uuid, abandoned_epoch = earlier[0].uuid, earlier[0].abandoned_epoch
    if not abandoned_epoch:
        member_uuid = random_uuid()
    ch.var("cc_side", "member")
    ch.var("cc_member_uuid", member_uuid)
    ch.unset("cc_agent_found")
    ch.unset("cc_agent_bridged")
    base_score = atoi(ch.get_var("cc_base_score") or "0")
    if same(queue.text("time-base-score"), "system"):
        base_score += now - start_epoch
    ch.var("cc_queue_joined_epoch", str(now))
    ch.var("cc_queue", queue.name)
    if abandoned_epoch:
        resumed = tables.members[member_uuid]
        resumed.session_uuid, resumed.state, resumed.rejoined_epoch = ch.uuid, M_WAITING, now
    session = MemberSession(ch, queue.name, member_uuid, now, sw.clock.now_us() / 1e6, cid_name, cid_number)
    cc.fire(
        "member-queue-start" if not abandoned_epoch else "member-queue-resume",
        ch,
        queue=queue.name,
        **_member_values(session),
    )
    if not abandoned_epoch:
        strategy = queue.strategy if queue.strategy in ("ring-all", "ring-progressively") else ""
        tables.members[member_uuid] = Member(
            queue.name,
            INSTANCE,
            member_uuid,
            ch.uuid,
            cid_number,
            cid_name,
            start_epoch,
            now,
            base_score=base_score,
            serving_agent=strategy,
        )
    cc.queue_count(queue.name)
    cc.sessions[member_uuid] = session
    ch.on_break = lambda: leave(cc, session)
    _schedule_check(cc, session, queue)
    moh = ch.get_var("cc_moh_override") or queue.text("moh-sound")
    if moh:
        _play(cc, session, expand_variables(moh, lambda name: apps.variable(ch, name)))
    cc.wake()


def _member_values(session: MemberSession) -> dict[str, str]:
    return {
        "member_uuid": session.member_uuid,
        "member_session_uuid": session.channel.uuid,
        "member_cid_name": session.cid_name,
        "member_cid_number": session.cid_number,
    }


# -- music on hold ------------------------------------------------------------------------
def _play(cc: CallCenter, session: MemberSession, path: str) -> None:
    """One switch_ivr_play_file of the music; the next starts 1 ms after it ends."""
    ch, sw = session.channel, cc.sw
    if session.left or ch.hung_up or path.startswith(SILENT):
        return
    endless = "loops=-1" in path  # plays until stopped
    ms = 0 if endless else playback_ms(path, sw.scenario.playback_seconds)
    ch.ctx.update(moh_path=path, playback_type=path.split("://", 1)[0] if "://" in path else "native")
    ch.ctx["playback_ms"] = ms
    ch.playing = True
    sw.emit(ch, f"{apps.apps_family(ch)}:PLAYBACK_START")
    if not endless:
        session.timers.append(sw.sched.after(ms / 1000, _played, cc, session, path))


def _played(cc: CallCenter, session: MemberSession, path: str) -> None:
    if session.left or session.channel.hung_up:
        return
    _stop_music(cc, session)
    session.timers.append(cc.sw.sched.after(0.001, _play, cc, session, path))


def _stop_music(cc: CallCenter, session: MemberSession) -> None:
    ch = session.channel
    if ch.playing and not ch.hung_up:
        ch.playing = False
        cc.sw.emit(ch, f"{apps.apps_family(ch)}:PLAYBACK_STOP")
    ch.ctx.pop("moh_path", None)


# -- the member thread ----------------------------------------------------------------------
def _schedule_check(cc: CallCenter, session: MemberSession, queue: Queue) -> None:
    """The member thread's next look that can change anything: every 0.5 s while the queue has a
    no-agent limit, else the first 0.5 s tick at which max-wait-time has passed."""
    if queue.number("max-wait-time-with-no-agent") > 0:
        wait = TICK
    elif queue.number("max-wait-time") > 0:
        now = cc.sw.clock.now_us() / 1e6
        deadline = session.joined + queue.number("max-wait-time")  # a whole second
        ticks = max(0, math.ceil(round((deadline - session.joined_at) / TICK, 9)))
        wait = max(0.0, session.joined_at + ticks * TICK - now)
        if wait == 0 and ticks:  # already past: the next tick
            wait = TICK - ((now - session.joined_at) % TICK)
    else:
        return
    session.timers.append(cc.sw.sched.after(wait, _check, cc, session))


def _check(cc: CallCenter, session: MemberSession) -> None:
    if session.left or session.channel.hung_up:
        return
    queue = cc.queues.get(session.queue)
    if queue is None:
        return  # "Queue %s not found": the member thread ends, the member waits on
    now = cc.epoch()
    reason = None
    wait = queue.number("max-wait-time")
    if wait > 0 and wait <= now - session.joined:
        if session.connecting:
            session.timeout_due = True  # an agent is being rung: the member gets that chance
        elif not session.bridged:
            reason = "TIMEOUT"
    no_agent = queue.number("max-wait-time-with-no-agent")
    if no_agent > 0:
        member = cc.tables.members.get(session.member_uuid)
        if member is not None and member.state == M_WAITING:  # the dispatcher looks at it now
            queue.last_agent_exist_check = now
            if any(
                a.status in ("Available", "On Break", "Available (On Demand)")
                for a, _ in cc.tables.in_queue(queue.name)
            ):
                queue.last_agent_exist = now
        check, exist = queue.last_agent_exist_check, queue.last_agent_exist
        if check > exist and session.joined <= check and check - exist >= no_agent:
            grace = queue.number("max-wait-time-with-no-agent-time-reached")
            if grace <= 0 or check - session.joined >= grace + no_agent:
                reason = "NO_AGENT_TIMEOUT"
    if reason is not None:
        session.cancel_reason = reason
        leave(cc, session)
        return
    _schedule_check(cc, session, queue)


def connect_ended(cc: CallCenter, session: MemberSession) -> None:
    """An agent rung for this member answered or failed (CC_APP_AGENT_CONNECTING cleared)."""
    session.connecting = max(0, session.connecting - 1)
    if session.connecting == 0 and session.timeout_due and not session.bridged and not session.left:
        session.cancel_reason = "TIMEOUT"
        leave(cc, session)


# -- leaving --------------------------------------------------------------------------------
def leave(cc: CallCenter, session: MemberSession) -> None:
    """The application's wait ends: bridged (answered), out of time, or the member hung up."""
    if session.left:
        return
    session.left = True
    sw, ch = cc.sw, session.channel
    for t in session.timers:
        t.cancel()
    _stop_music(cc, session)
    ch.on_break = None
    if session.cancel_reason == "NONE" and not session.agent_found:
        session.cancel_reason = "BREAK_OUT"
    ch.unset("cc_agent_found")
    queue = cc.queues.get(session.queue)
    now = cc.epoch()
    if ch.hung_up or session.cancel_reason != "NONE":
        member = cc.tables.members.get(session.member_uuid)
        if member is not None:
            member.state, member.session_uuid, member.abandoned_epoch = M_ABANDONED, "", now
        # the agents rung for it are cancelled; their hangup and bridge-agent-fail follow the
        # member's events (they run in other threads: batch5 cc-agent-ringing-past-max-wait)
        cc.sw.sched.after(0, cc.hupall_matching, "cc_member_pre_answer_uuid", session.member_uuid, "ORIGINATOR_CANCEL")
        cc.fire(
            "member-queue-end(cancel)",
            ch,
            queue=session.queue,
            leaving=now,
            joined=session.joined,
            cancel_reason=session.cancel_reason,
            **_member_values(session),
        )
        ch.var("cc_queue_canceled_epoch", str(now))
        ch.var("cc_cause", "cancel")
        ch.var("cc_cancel_reason", session.cancel_reason)
        if queue is not None:
            queue.calls_abandoned += 1
        cc.sessions.pop(session.member_uuid, None)
        cc.wake()  # the dispatcher discards the abandoned member in time
    else:
        ch.var("cc_cause", "answered")
        if queue is not None:
            queue.calls_answered += 1
    cc.queue_count(session.queue)
    if ch.hung_up:
        return  # hangup.py ends the application
    if session.bridged:
        # uuid_bridge took the channel: the application returns, the bridge holds the channel
        sw.emit(ch, apps.app_slot(sw, apps.apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", "callcenter"))
        ch.app = ""
    else:
        apps.app_done(sw, ch)


def after_bridge(cc: CallCenter, session: MemberSession) -> None:
    """The agent's side of the bridge ended: the member's dialplan goes on (CS_EXECUTE), or it
    hangs up when hangup_after_bridge is set."""
    ch = session.channel
    if ch.hung_up:
        return
    if switch_true(ch.get_var("hangup_after_bridge") or ""):
        cc.sw.hangup(ch, "NORMAL_CLEARING", "end")
    else:
        apps.next_app(cc.sw, ch)
