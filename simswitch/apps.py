"""The dialplan applications a simulated leg runs (mod_dptools, mod_avmd), and the channel variables they read.

One application at a time: CHANNEL_EXECUTE, what the application does (playback's length,
sleep, sched_hangup, avmd's beep, set/export, ...), CHANNEL_EXECUTE_COMPLETE, the next one;
after the last, the leg hangs up NORMAL_CLEARING.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simswitch.calls import Channel, playback_ms
from simswitch.causes import str2cause
from simswitch.dialplan_xml import DESTINATION, expand_variables, route
from simswitch.ids import random_uuid

if TYPE_CHECKING:
    from simswitch.switch import Switch

APP_MODULES = {
    "avmd_start": "mod_avmd",
    "avmd_stop": "mod_avmd",
    "avmd": "mod_avmd",
    "callcenter": "mod_callcenter",
    "callcenter_track": "mod_callcenter",
}
HOLD = "@hold"  # not an application: an originated leg with nowhere to go waits (mod_callcenter's agent)
RETURN = "@return"  # not an application: the end of an execute_extension's applications


def next_app(sw: Switch, ch: Channel) -> None:
    """Run the leg's next application, or end the leg when none is left."""
    if ch.hung_up:
        return
    if not ch.apps:
        ch.app = ""
        sw.hangup(ch, "NORMAL_CLEARING", "end")
        return
    app, data = ch.apps.pop(0)
    if app == HOLD:
        ch.app = ""
        return
    if app == RETURN:  # the extension's applications ran: execute_extension returns
        if ch.frames:
            ch.frames.pop()
        ch.ctx.update(app="execute_extension", app_data=data, app_no_data=not data)
        ch.app = "execute_extension"
        app_done(sw, ch)
        return
    if APP_MODULES.get(app, "mod_dptools") not in sw.modules:
        # switch_core_session_execute_application: "Invalid Application", hung up
        ch.apps = []
        sw.hangup(ch, "DESTINATION_OUT_OF_ORDER", "end")
        return
    # switch_core_session_exec: the data is expanded when the app runs, and
    # CHANNEL_EXECUTE's Application-Data carries the expanded text.
    no_data = not data
    if "${" in data:
        data = expand_variables(data, lambda name: variable(ch, name))
    ch.app = app
    ch.ctx.update(app=app, app_data=data, app_uuid=random_uuid(), app_response="_none_", app_no_data=no_data)
    ch.ctx.setdefault("app_log", []).append((app, data, sw.clock.now_us()))  # the CDR's app_log
    if app == "park":
        sw.emit(ch, "bye:CHANNEL_EXECUTE(park)")
        sw.emit(ch, "bye:CHANNEL_PARK")
        return
    apps = apps_family(ch)
    sw.emit(ch, app_slot(sw, apps, "CHANNEL_EXECUTE", app))
    if app == "playback":
        ms = playback_ms(data, sw.scenario.playback_seconds)
        ch.ctx["playback_ms"] = ms
        ch.ctx["playback_type"] = data.split("://", 1)[0] if "://" in data else "native"
        sw.emit(ch, f"{apps}:PLAYBACK_START")
        sw.after(ch, ms / 1000, playback_done, sw, ch)
    elif app == "sleep":
        ms = int(data) if data.strip().isdigit() else 0
        sw.after(ch, ms / 1000, app_done, sw, ch)
    elif app == "hangup":
        sw.hangup(ch, str2cause(data) if data else "NORMAL_CLEARING", "end")
    elif app == "play_and_get_digits":
        args = data.split()
        ms = playback_ms(args[5], sw.scenario.playback_seconds) if len(args) > 5 else 0
        wait = ms / 1000 + (
            1.0 if ch.outcome.dtmf else (int(args[3]) / 1000 if len(args) > 3 and args[3].isdigit() else 5)
        )
        if ch.outcome.dtmf and len(args) > 7:
            ch.var(args[7], ch.outcome.dtmf)
        sw.after(ch, wait, app_done, sw, ch)
    elif app == "avmd_start":
        ch.avmd = True
        if ch.outcome.beep:
            sw.after(ch, 1.0, beep, sw, ch)
        app_done(sw, ch)
    elif app == "avmd_stop":
        ch.avmd = False  # no beep once the detector is removed
        app_done(sw, ch)
    elif app == "sched_hangup":
        # sched_hangup [+]<seconds> [<cause>]: +N from now, else an epoch time.
        when, _, cause = data.strip().partition(" ")
        if when.lstrip("+").isdigit():
            now = sw.clock.now_us() / 1e6
            delay = int(when[1:]) if when.startswith("+") else int(when) - now
            cause = str2cause(cause) if cause.strip() else "ALLOTTED_TIMEOUT"
            sw.after(ch, max(0.0, delay), sched_hangup, sw, ch, cause)
        app_done(sw, ch)
    elif app == "execute_extension":
        execute_extension(sw, ch, data)
    elif app == "callcenter":
        sw.callcenter.app(ch, data)  # mod_callcenter's member: it ends the application itself (app_done)
    elif app in ("set", "export") and "=" in data:
        k, _, v = data.partition("=")
        ch.var(k, v)
        app_done(sw, ch)
    else:  # answer, pre_answer, ring_ready, log, ... : done at once
        app_done(sw, ch)


def apps_family(ch: Channel) -> str:
    """The templates of a leg's applications: captured for gateway calls into the dialplan
    (batch2), else from the early-media capture's playback."""
    return "gwdp" if ch.src == "gwdp" else "early"


def app_slot(sw: Switch, family: str, event: str, app: str) -> str:
    """CHANNEL_EXECUTE[_COMPLETE] of ``app``: its own template if captured, else the family's
    template that has every header (the values are the application's, OPTIONAL ones dropped)."""
    key = (family, event, app)
    slot = _SLOTS.get(key)
    if slot is None:
        own = f"{family}:{event}({app})"
        if own in sw.templates.templates:
            slot = own
        else:
            slot = f"{family}:{event}(hangup)" if family == "gwdp" else f"{family}:{event}(playback)"
        if len(_SLOTS) < 4096:  # app names come from dialplans and originates: keep it bounded
            _SLOTS[key] = slot
    return slot


_SLOTS: dict[tuple[str, str, str], str] = {}  # (family, event, app) -> its slot (the library never changes)


def execute_extension(sw: Switch, ch: Channel, data: str) -> None:
    """``execute_extension EXTEN [DIALPLAN] [CONTEXT]``: the first extension of the context whose
    destination matches, routed now (its conditions see the variables set so far), run inline."""
    words = data.split()
    exten = words[0] if words else ""
    context = words[2] if len(words) > 2 else ch.job.spec.context
    found = next((e for e in sw.scenario.extensions.get(context, []) if e.matches(exten)), None)
    inner = []
    if found is not None:
        inner = route(found.apps, lambda name: exten if name == DESTINATION else variable(ch, name))
    ch.apps[:0] = [*inner, (RETURN, data)]
    ch.frames.append(data)
    next_app(sw, ch)


def sched_hangup(sw: Switch, ch: Channel, cause: str) -> None:
    if not ch.hung_up:
        sw.hangup(ch, cause, "kill")  # a local hangup, like uuid_kill


def variable(ch: Channel, name: str) -> str | None:
    """switch_channel_get_variable: the channel's variables (originate
    {}/[] ones, set/export, avmd_detect, ...), then caller-profile fields."""
    value = ch.get_var(name)
    if value is not None:
        return value
    spec = ch.job.spec
    if name == "uuid":
        return ch.uuid
    if name == "destination_number":
        return spec.exten or ch.endpoint.user
    if name == "context":
        return spec.context
    if name == "dialplan":
        return spec.dialplan
    if name == "caller_id_number":
        return ch.ctx.get("cid_num")
    return None


def playback_done(sw: Switch, ch: Channel) -> None:
    if ch.hung_up:
        return
    ch.ctx["app_response"] = "FILE PLAYED"
    sw.emit(ch, f"{apps_family(ch)}:PLAYBACK_STOP")
    app_done(sw, ch)


def app_done(sw: Switch, ch: Channel) -> None:
    """The running application finished: CHANNEL_EXECUTE_COMPLETE, then the next one."""
    if ch.hung_up:
        return
    sw.emit(ch, app_slot(sw, apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", ch.app))
    ch.app = ""
    next_app(sw, ch)


def beep(sw: Switch, ch: Channel) -> None:
    """mod_avmd hears the voicemail beep: avmd_detect=TRUE and CUSTOM avmd::beep."""
    if not ch.hung_up and ch.avmd:
        ch.var("avmd_detect", "TRUE")
        sw.emit(ch, "synth:CUSTOM(avmd::beep)", "avmd::beep")


def broadcast(sw: Switch, ch: Channel, path: str) -> None:
    """uuid_broadcast: play ``path`` now, then resume what was running."""
    if ch.app == "park":
        sw.emit(ch, "bye:CHANNEL_UNPARK")
        sw.emit(ch, "bye:CHANNEL_EXECUTE_COMPLETE(park)")
        ch.apps[:0] = [("playback", path), ("park", "")]
        next_app(sw, ch)
    else:
        ch.apps.insert(0, ("playback", path))
