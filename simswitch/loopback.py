"""mod_loopback: a ``loopback/<exten>`` leg replays the captured loopback call, stretched to the talk time."""

from __future__ import annotations

import uuid as uuidlib
from typing import TYPE_CHECKING

from simswitch.calls import Channel, OriginateJob
from simswitch.causes import q850
from simswitch.dialstring import Endpoint, Leg
from simswitch.hangup import channel_cdr_of
from simswitch.scenario import Outcome
from simswitch.templates import Template

if TYPE_CHECKING:
    from simswitch.switch import Switch


def loopback(sw: Switch, job: OriginateJob, ep: Endpoint, leg: Leg, ch_uuid: str, index: int) -> None:
    """Replay the captured loopback call (legs -a and -b, the CHANNEL_UUID rename included)."""
    answer = sw.scenario.loopback.get(ep.user)
    replay = sw.templates.replays["loopback" if answer else "loopback_noroute"]
    cause = "NORMAL_CLEARING" if answer else "NO_ROUTE_DESTINATION"
    variables = job.spec.leg_vars(leg)
    ctx = {
        **sw.bus.base,
        "uuid": ch_uuid,
        "uuid_b": str(uuidlib.uuid4()),
        "uuid_tmp": str(uuidlib.uuid4()),
        "cid_num": next((v for k, v in variables if k == "origination_caller_id_number"), "0000000000"),
        "originate_vars": list(variables),
        "created_us": sw.clock.now_us(),
        # No app keys: the replay keeps the captured legs' applications
        # (the a-leg parks; the b-leg runs answer, sleep, hangup).
        "cause": cause,
        "q850": q850(cause),
        "replay": True,
    }
    talk = (answer.talk if isinstance(answer.talk, float) else answer.talk[0]) if answer else 2.0
    stretch = talk / 2.0  # the captured extension sleeps 2 s
    ch = Channel(ch_uuid, ep, job, Outcome("answer" if answer else "sip"), "bye", ctx, index=index)
    sw.add_channel(ch)
    t0 = replay[0][0]
    for n, (offset, template) in enumerate(replay):
        last = n == len(replay) - 1
        sw.after(ch, (offset - t0) / 1_000_000 * stretch, replay_event, sw, ch, template, last)


def replay_event(sw: Switch, ch: Channel, template: Template, last: bool) -> None:
    """One captured event of the replay; the job's result goes with its BACKGROUND_JOB."""
    name, ctx = template.event_name, ch.ctx
    if name == "API":
        return  # sent with the job's result
    if name == "BACKGROUND_JOB":
        if ch.outcome.kind == "answer":
            sw.stats.answered += 1
            ch.job.finish(f"+OK {ch.uuid}\n")
        else:
            ch.job.failures.append((ch.index, "NO_ROUTE_DESTINATION"))
            ch.job.finish("-ERR NO_ROUTE_DESTINATION\n")
        return
    if name == "CHANNEL_ANSWER":
        ctx.setdefault("answered_us", sw.clock.now_us())
    elif name == "CHANNEL_HANGUP":
        ctx.setdefault("hangup_us", sw.clock.now_us())
    elif name == "CHANNEL_HANGUP_COMPLETE" and sw.json_cdr is not None and not sw.json_cdr.shutdown:
        sw.json_cdr.on_reporting(channel_cdr_of(sw, template, ctx))
    sw.bus.emit(template, ctx)
    if last:
        ch.hung_up = True
        sw.stats.by_cause[ctx["cause"]] += 1
        sw.remove_channel(ch)
