"""The end of a leg: the hangup's events in the captured order, the CDR handed to mod_json_cdr,
and where a failed originate's result falls among them (``RACE_WEIGHTS`` in calls.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from simswitch.apps import app_slot, apps_family
from simswitch.calls import AFTER_COMPLETE, AFTER_DESTROY, BETWEEN, RACE_WEIGHTS, Channel
from simswitch.causes import q850
from simswitch.json_cdr import Cdr
from simswitch.json_cdr_doc import channel_cdr
from simswitch.templates import Template

if TYPE_CHECKING:
    from simswitch.switch import Switch

# The captured hangup templates of each kind of hangup (``kind`` of hangup_leg).
SOURCE = {"refuse": "refuse", "cancel": "cancel", "bye": "bye", "kill": "kill", "end": "early", "noroute": "early"}


def hangup_leg(sw: Switch, ch: Channel, cause: str, kind: str) -> None:
    """End a leg. ``kind``: refuse | cancel (before answer); bye (far end),
    kill (uuid_kill/hupall), end (the last app finished) after answer."""
    if ch.hung_up:
        return
    ch.hung_up = True
    for t in ch.timers:
        t.cancel()
    ch.ctx.update(cause=cause, q850=q850(cause), hangup_us=sw.clock.now_us())
    job = ch.job
    final = False
    if not ch.answered:
        if kind == "kill":
            kind = "cancel"
        if kind == "cancel":
            ch.ctx.setdefault("sip_fail_status", 487)
            ch.ctx.setdefault("sip_fail_phrase", "CANCEL")
        final = job.leg_failed(ch.index, cause, ch)
    sw.stats.by_cause[cause] += 1
    src = SOURCE[kind]
    if ch.src.startswith("gw") and kind in ("refuse", "end", "noroute"):
        src = ch.src  # the captured gateway call's own hangup (busy; the dialplan's end; no route)
    position = job_position(sw, kind) if final else None

    def job_here(where: str) -> None:
        if position == where:
            job.finish(f"-ERR {job.cause()}\n")

    sw.emit(ch, f"{src}:CHANNEL_HANGUP")
    if ch.app == "park" and kind in ("bye", "kill"):
        sw.emit(ch, f"{src}:CHANNEL_UNPARK")
        sw.emit(ch, f"{src}:CHANNEL_EXECUTE_COMPLETE(park)")
    else:
        if ch.app == "playback" or ch.playing:
            ch.playing = False
            sw.emit(ch, f"{apps_family(ch)}:PLAYBACK_STOP")
        if ch.on_break is not None:  # the application sees the hangup and ends its own way first
            on_break, ch.on_break = ch.on_break, None
            on_break()
        if ch.app:
            sw.emit(ch, app_slot(sw, apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", ch.app))
        while ch.frames:  # the execute_extension(s) it ran inside return too (batch5)
            ch.ctx.update(app="execute_extension", app_data=ch.frames.pop(), app_no_data=False)
            sw.emit(ch, app_slot(sw, apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", "execute_extension"))
    job_here(BETWEEN)
    sw.emit(ch, f"{src}:CHANNEL_STATE(CS_HANGUP)")
    sw.emit(ch, f"{src}:CHANNEL_CALLSTATE(HANGUP)")
    sw.emit(ch, f"{src}:CHANNEL_STATE(CS_REPORTING)")
    # serial failover: the next leg starts before this one is destroyed
    failover = not ch.answered and not final and not job.finished and not any(not c.hung_up for c in job.legs)
    mod = sw.json_cdr
    cdr = channel_cdr_of(sw, sw.templates[f"{src}:CHANNEL_HANGUP_COMPLETE"], ch.ctx) if mod is not None else None
    if mod is not None and mod.holds_hangup():
        # mod_json_cdr posts in the channel's thread before HANGUP_COMPLETE; the originate does
        # not wait for it (json_cdr/J3: a busy call's -ERR came 2 s before its HANGUP_COMPLETE).
        job_here(AFTER_COMPLETE)
        job_here(AFTER_DESTROY)
        if failover:
            job.next_group()
        mod.on_reporting(cdr, then=lambda: complete(sw, ch, src))
        return
    if mod is not None:
        mod.on_reporting(cdr)
    complete(sw, ch, src, job_here, failover)


def channel_cdr_of(sw: Switch, template: Template, ctx: dict[str, Any]) -> Cdr | None:
    """The CDR of the channel whose CHANNEL_HANGUP_COMPLETE is ``template`` (None: none made)."""
    if sw.json_cdr is None or sw.json_cdr.shutdown:
        return None
    return Cdr(*channel_cdr(template, ctx, encode_values=sw.json_cdr.settings.encode_values))


def complete(
    sw: Switch, ch: Channel, src: str, job_here: Callable[[str], None] | None = None, failover: bool = False
) -> None:
    """The end of a hangup, from CHANNEL_HANGUP_COMPLETE on."""
    if ch.uuid == ch.get_var("autocall_call"):
        sw.first_leg_hangups[ch.uuid] = (time.monotonic(), sw.bus.wants("CHANNEL_HANGUP_COMPLETE"))
    sw.emit(ch, f"{src}:CHANNEL_HANGUP_COMPLETE")
    if job_here is not None:
        job_here(AFTER_COMPLETE)
    if failover:
        ch.job.next_group()
    sw.emit(ch, f"{src}:CHANNEL_DESTROY")
    sw.emit(ch, f"{src}:CHANNEL_STATE(CS_DESTROY)")
    sw.remove_channel(ch)
    if job_here is not None:
        job_here(AFTER_DESTROY)
    for waiter in ch.on_hangup:
        waiter()


def job_position(sw: Switch, kind: str) -> str:
    """Where a failed originate's API + BACKGROUND_JOB falls among its last leg's hangup events."""
    if kind == "cancel":  # originate_timeout / cancel: 6 of 6 captures
        return BETWEEN
    if sw.race_rng is None:
        return AFTER_COMPLETE
    positions, weights = zip(*RACE_WEIGHTS.items(), strict=True)
    return sw.race_rng.choices(positions, weights)[0]
