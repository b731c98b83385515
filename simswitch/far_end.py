"""The far end of a leg: what the callee's side sends (180, 183, 200, a SIP refusal, BYE, DTMF) and when.

The scenario's ``Outcome`` for the dialled number decides; each answer emits the captured
events of that moment and, on 200 or early media, settles the originate's job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simswitch.apps import HOLD, next_app
from simswitch.calls import ANSWER, Channel
from simswitch.causes import SIP_PHRASES, sip_to_cause
from simswitch.dialplan_xml import NO_ROUTE
from simswitch.scenario import Outcome

if TYPE_CHECKING:
    from simswitch.switch import Switch

RING_DELAY = 0.02  # the 180 arrived 20 ms after the INVITE in the captures


def schedule_outcome(sw: Switch, ch: Channel) -> None:
    """Schedule what the far end of a new leg does, and the leg's own leg_timeout."""
    o: Outcome = ch.outcome
    if o.kind == "sip":
        if ch.src == "cancel":  # 180 first, then the final response
            sw.after(ch, RING_DELAY, ringing, sw, ch)
        sw.after(ch, o.ring, refused, sw, ch)
    elif o.kind == "no_answer":
        sw.after(ch, RING_DELAY, ringing, sw, ch)
    elif o.early_media is not None:
        sw.after(ch, RING_DELAY, early_media, sw, ch)
        sw.after(ch, o.early_media, answer, sw, ch)
    else:
        sw.after(ch, min(RING_DELAY, o.ring), ringing, sw, ch)
        sw.after(ch, o.ring, answer, sw, ch)
    leg_timeout = ch.get_var("leg_timeout")
    if leg_timeout and leg_timeout.isdigit():
        sw.after(ch, float(leg_timeout), leg_timed_out, sw, ch)


def leg_timed_out(sw: Switch, ch: Channel) -> None:
    if not ch.answered and not ch.hung_up:
        sw.hangup(ch, "NO_ANSWER", "cancel")


def ringing(sw: Switch, ch: Channel) -> None:
    """180 Ringing."""
    if ch.hung_up or ch.answered:
        return
    ch.ctx["progress_us"] = sw.clock.now_us()
    src = "bye" if ch.src in ("bye", "refuse") else ch.src
    sw.emit(ch, f"{src}:CHANNEL_PROGRESS")
    sw.emit(ch, f"{src}:CHANNEL_CALLSTATE(RINGING)")


def early_media(sw: Switch, ch: Channel) -> None:
    """183 Session Progress with SDP."""
    if ch.hung_up:
        return
    ch.ctx["progress_media_us"] = sw.clock.now_us()
    sw.emit(ch, "CHANNEL_PROGRESS_MEDIA")
    sw.emit(ch, "CHANNEL_CALLSTATE(EARLY)")
    if ch.get_var("ignore_early_media") not in ("true", "ring_ready", "consume"):
        # Without ignore_early_media, early media is success (a carrier's
        # announcement would count as an answered call).
        ch.job.leg_answered(ch)
        ch.job.finish(f"+OK {ch.uuid}\n")


def refused(sw: Switch, ch: Channel) -> None:
    """A final SIP error response (486, 404, 503, ...)."""
    if ch.hung_up or ch.answered:
        return
    status = ch.outcome.sip
    ch.ctx.update(sip_status=status, sip_fail_status=status, sip_fail_phrase=SIP_PHRASES.get(status, "Unknown"))
    sw.hangup(ch, sip_to_cause(status), "refuse")


def answer(sw: Switch, ch: Channel) -> None:
    """200 OK: the leg is answered, the job succeeds, the leg's applications run."""
    if ch.hung_up or ch.answered:
        return
    ch.answered = True
    ch.ctx["answered_us"] = sw.clock.now_us()
    sw.stats.answered += 1
    job = ch.job
    if job.spec.app == HOLD:
        # nowhere to go (mod_callcenter's agent leg): it stays in CS_CONSUME_MEDIA and sofia
        # fires CHANNEL_OUTGOING again; the originator bridges it (batch5 cc-bridge-*)
        for slot in ANSWER[:-1]:
            sw.emit(ch, slot)
        sw.emit(ch, "CHANNEL_OUTGOING")
        if ch.outcome.hangup == "remote":
            ch.bye = sw.sched.after(ch.outcome.talk, remote_bye, sw, ch)
            ch.timers.append(ch.bye)
        if not job.finished:
            job.leg_answered(ch)
            job.finish(f"+OK {ch.uuid}\n")
        return
    # ``&app(...)``: CALL_UPDATE, then the job. ``EXTEN XML CONTEXT``: the job, then the
    # leg goes back to CS_ROUTING for the dialplan, then CALL_UPDATE (batch2 captures).
    dialplan = not job.spec.app
    for slot in ANSWER[:-1] if dialplan else ANSWER:
        sw.emit(ch, slot)
    if not job.finished:
        job.leg_answered(ch)
        job.finish(f"+OK {ch.uuid}\n")
    if dialplan:
        ch.ctx["profile_created_us"] = sw.clock.now_us()  # the transfer into the dialplan (bl_xfer)
        routing = f"{ch.src}:CHANNEL_STATE(CS_ROUTING)#2"  # the second CS_ROUTING of a captured call
        sw.emit(ch, routing if routing in sw.templates.templates else "CHANNEL_STATE(CS_ROUTING)")
        if ch.apps and ch.apps[0][0] == NO_ROUTE:  # mod_dialplan_xml found no extension
            ch.apps = []
            sw.hangup(ch, "NO_ROUTE_DESTINATION", "noroute")
            return
        sw.emit(ch, ANSWER[-1])
    sw.emit(ch, "CHANNEL_STATE(CS_EXECUTE)")
    o = ch.outcome
    if o.hangup == "remote":
        ch.bye = sw.sched.after(o.talk, remote_bye, sw, ch)
        ch.timers.append(ch.bye)
    if o.dtmf:
        sw.after(ch, 1.0, send_dtmf, sw, ch)
    next_app(sw, ch)


def remote_bye(sw: Switch, ch: Channel) -> None:
    """The callee hangs up: BYE."""
    if not ch.hung_up:
        ch.ctx["sip_status"] = 200
        sw.hangup(ch, "NORMAL_CLEARING", "bye")


def send_dtmf(sw: Switch, ch: Channel) -> None:
    """The callee presses the scenario's digits (RFC 2833 DTMF events)."""
    if ch.hung_up:
        return
    for digit in ch.outcome.dtmf:
        ch.ctx["dtmf_digit"] = digit
        sw.emit(ch, "synth:DTMF")
    ch.digits += ch.outcome.dtmf
