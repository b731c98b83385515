"""The simulated FreeSWITCH core: sessions, limits, originate, channels, apps."""

from __future__ import annotations

import random
import socket
import time
import uuid as uuidlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from simswitch.bus import EventBus
from simswitch.calls import (
    AFTER_COMPLETE,
    AFTER_DESTROY,
    ANSWER,
    BETWEEN,
    RACE_WEIGHTS,
    SETUP,
    Channel,
    OriginateJob,
    playback_ms,
)
from simswitch.causes import SIP_PHRASES, q850, sip_to_cause, str2cause
from simswitch.clock import Scheduler, SimClock
from simswitch.dialplan_xml import NO_ROUTE, context_xml, expand_variables, route
from simswitch.dialstring import Leg, parse_endpoint
from simswitch.json_cdr import Cdr, JsonCdr, JsonCdrSettings
from simswitch.json_cdr_doc import channel_cdr
from simswitch.limits import Limits, SessionLimits
from simswitch.null_endpoint import null_channel
from simswitch.scenario import Outcome, Scenario
from simswitch.templates import library

VERSION_TEXT = "FreeSWITCH Version 1.10.12-release~64bit ( 64bit)"
RING_DELAY = 0.02  # the 180 arrived 20 ms after the INVITE in the captures
APP_MODULES = {"avmd_start": "mod_avmd", "avmd_stop": "mod_avmd", "avmd": "mod_avmd"}
# The modules of a FreeSWITCH built for autocall (FREESWITCH-BUILD.md), as ``module_exists`` names them.
MODULES = frozenset({
    "mod_console", "mod_logfile", "mod_event_socket", "mod_sofia", "mod_loopback", "mod_commands", "mod_dptools",
    "mod_db", "mod_hash", "mod_expr", "mod_avmd", "mod_dialplan_xml", "mod_sndfile", "mod_native_file",
    "mod_tone_stream", "mod_json_cdr",
})  # fmt: skip


class Stats:
    """What tests and benchmarks read (``--stats-file``)."""

    def __init__(self) -> None:
        self.originated = 0  # originate commands received
        self.legs = 0  # channels created
        self.answered = 0
        self.by_cause: Counter[str] = Counter()
        self.attempts_by_number: Counter[str] = Counter()
        self.peak_concurrent = 0
        self.concurrent = 0
        self.sps_rejected = 0
        self.sessions_rejected = 0
        self.shutdown_rejected = 0  # refused while shutting down or paused (no new outbound sessions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "originated": self.originated,
            "legs": self.legs,
            "answered": self.answered,
            "by_cause": dict(self.by_cause),
            "peak_concurrent": self.peak_concurrent,
            "concurrent": self.concurrent,
            "attempts_by_number": dict(self.attempts_by_number),
            "sps_rejected": self.sps_rejected,
            "sessions_rejected": self.sessions_rejected,
            "shutdown_rejected": self.shutdown_rejected,
        }


class Switch:
    def __init__(self, scenario: Scenario | None = None, *, time_scale: float = 1.0, seed: int | None = None,
                 limits: Limits | None = None, hostname: str | None = None, races: bool = False,
                 profiles: tuple[str, ...] = ("internal", "external"),
                 json_cdr: JsonCdrSettings | None = None) -> None:  # fmt: skip
        self.scenario = scenario or Scenario()
        self.clock = SimClock(time_scale)
        self.sched = Scheduler(self.clock)
        self.rng = random.Random(seed)
        self.race_rng = random.Random(seed) if races else None
        self.limits = limits or Limits()  # as configured: what a restart comes back with
        self.sessions = SessionLimits(self.limits)  # the running values (fsctl changes them)
        self.profiles = profiles
        self.templates = library()
        self.core_uuid = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
        self.modules = set(MODULES) - set(self.scenario.missing_modules)
        self.hostname = hostname or socket.gethostname()
        self.bus = EventBus(self.clock, self.core_uuid, self.hostname)
        self.channels: dict[str, Channel] = {}
        self.stats = Stats()
        self.started = time.time()
        self.since_startup = 0
        # The core's flags (switch_core.c): fsctl pause [outbound], and a shutdown in
        # progress (shutdown.py), during which no outbound session can be created.
        # SCF_NO_NEW_INBOUND_SESSIONS / _OUTBOUND_: fsctl pause sets both (SCF_NO_NEW_SESSIONS), as does
        # a shutdown asap; fsctl pause|resume outbound one.
        self.no_new_inbound = False
        self.no_new_outbound = False
        self.shutdown_requested = False  # SCF_SHUTDOWN_REQUESTED: fsctl shutdown elegant|asap, until cancelled
        self.stopping = False  # the plain shutdown runs: the core accepts no session any more
        # While mod_sofia unloads, an originate waits for its endpoint and then gets
        # CHAN_NOT_IMPLEMENTED; once unloaded, at once (shutdown.py).
        self.endpoints_waiting: list[Callable[[], None]] | None = None
        self.endpoints_gone = False
        self.session_ids = iter(range(1, 1 << 62))
        self.restarts = 0
        # Per-lead bookkeeping for the crash tests: a lead (the autocall_lead
        # variable) originated while a channel of it is still up is an overlap.
        self.live_leads: Counter[str] = Counter()
        self.overlaps: list[str] = []
        self.first_legs_by_call: Counter[str] = Counter()  # channels created as an attempt's first leg
        # first leg's uuid -> (monotonic time, whether any listener took its CHANNEL_HANGUP_COMPLETE)
        self.first_leg_hangups: dict[str, tuple[float, bool]] = {}
        self.on_originate: list[Callable[[int], None]] = []  # fault hooks (faults.py), called with the count
        self.json_cdr = JsonCdr(json_cdr) if json_cdr is not None else None  # mod_json_cdr, when loaded

    # -- sessions and limits -------------------------------------------------
    @property
    def no_new_sessions(self) -> bool:
        """SCF_NO_NEW_SESSIONS: both directions refused (switch_core_ready() is false)."""
        return self.no_new_inbound and self.no_new_outbound

    @no_new_sessions.setter
    def no_new_sessions(self, on: bool) -> None:
        self.no_new_inbound = self.no_new_outbound = on

    def ready_outbound(self) -> bool:
        """switch_core_ready_outbound(): false while outbound is paused or the core is shutting down."""
        return not (self.no_new_outbound or self.stopping)

    def _take_session(self) -> bool:
        """switch_core_session_request_uuid(): not while the core refuses outbound
        sessions ("The system cannot create any outbound sessions at this time."),
        then the sessions-per-second budget, then max-sessions (limits.py)."""
        if not self.ready_outbound():
            self.stats.shutdown_rejected += 1
            return False
        refused = self.sessions.request(len(self.channels))
        if refused == "sps":
            self.stats.sps_rejected += 1  # Throttle Error!
            return False
        if refused == "max":
            self.stats.sessions_rejected += 1  # Over Session Limit!
            return False
        self.since_startup += 1
        return True

    # -- originate ------------------------------------------------------------
    def originate(self, arg: str, spec, done, job_uuid: str | None) -> OriginateJob:
        self.stats.originated += 1
        tags = dict(spec.global_vars)
        if tags.get("autocall_lead") and self.live_leads[tags["autocall_lead"]] > 0:
            self.overlaps.append(tags["autocall_lead"])
        job = OriginateJob(self, arg, spec, done, job_uuid)
        if self.endpoints_waiting is not None:
            self.endpoints_waiting.append(job.start)  # mod_sofia is unloading: wait for it
        else:
            job.start()
        for hook in self.on_originate:
            hook(self.stats.originated)
        return job

    def _ctx(self, ch_uuid: str, ep, job: OriginateJob, leg: Leg) -> dict[str, Any]:
        spec = job.spec
        variables = spec.leg_vars(leg)
        cid = next((v for k, v in variables if k == "origination_caller_id_number"), None)
        if cid is None:
            cid = spec.cid_num or "0000000000"
        return {
            **self.bus.base,
            "uuid": ch_uuid,
            "channel_name": ep.channel_name,
            "dest": ep.user,
            "sip_port": ep.port,
            "sip_hostport": f"{ep.host}:{ep.port}",
            "sip_uri": f"{ep.user}@{ep.host}:{ep.port}",
            "gateway": ep.gateway,
            "exten": spec.exten or "",
            "context": spec.context or "",
            "cid_num": cid,
            "originate_vars": list(variables),
            "session_id": next(self.session_ids),
            "sip_call_id": str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4)),
            "media_port": str(16384 + self.rng.randrange(16384) * 2),
            "created_us": self.clock.now_us(),
        }

    def start_leg(self, job: OriginateJob, leg: Leg, index: int) -> None:
        ep = parse_endpoint(leg.endpoint)
        variables = job.spec.leg_vars(leg)
        ch_uuid = next((v for k, v in variables if k == "origination_uuid"), None) or str(uuidlib.uuid4())
        self.stats.attempts_by_number[ep.user] += 1
        # Failures that never create a channel: no channel events at all.
        early_cause = None
        if ep.kind == "error":
            early_cause = str2cause(ep.user)
        elif ep.kind == "unknown" or (self.endpoints_gone and ep.kind != "loopback"):
            early_cause = "CHAN_NOT_IMPLEMENTED"  # no such endpoint (or mod_sofia unloaded at shutdown)
        elif ep.kind == "sofia" and not ep.gateway and ep.profile not in self.profiles:
            self._lone_destroy(job, ch_uuid, index, "INVALID_PROFILE")
            return
        elif ep.kind == "sofia" and not ep.user:
            self._lone_destroy(job, ch_uuid, index, "USER_NOT_REGISTERED")
            return
        elif ch_uuid in self.channels or ch_uuid in job.used_uuids:
            early_cause = "DESTINATION_OUT_OF_ORDER"  # [CRIT] Duplicate UUID!
        elif not self._take_session():
            early_cause = "DESTINATION_OUT_OF_ORDER"  # Throttle Error! / Over Session Limit!
        if early_cause is not None:
            self.stats.by_cause[early_cause] += 1
            if job.leg_failed(index, early_cause):
                job.finish(f"-ERR {early_cause}\n")
            return
        job.used_uuids.add(ch_uuid)
        if ep.kind == "loopback":
            self._loopback(job, ep, leg, ch_uuid, index)
            return
        if ep.kind == "null":
            null_channel(self, job, ep, variables, ch_uuid)
            return
        outcome = self.scenario.outcome(ep.user, self.rng)
        if outcome.kind == "answer":
            src = "early" if outcome.early_media is not None else "bye"
        elif outcome.kind == "no_answer" or outcome.ring > 0.5:
            src = "cancel"
        else:
            src = "refuse"
        ch = Channel(ch_uuid, ep, job, outcome, src, self._ctx(ch_uuid, ep, job, leg), index=index)
        if job.spec.app:
            ch.apps = [(job.spec.app, job.spec.app_data)]
        else:
            ch.apps = self._dialplan(ch, job.spec.context)
            if ch.apps[:1] != [(NO_ROUTE, "")]:
                ch.ctx["extension"] = list(ch.apps)  # the CDR's callflow lists the extension's applications
            if ep.gateway:  # autocall's own call: gateway into the dialplan (batch2 templates)
                routed = "gwnoroute" if ch.apps[:1] == [(NO_ROUTE, "")] else "gwdp"
                ch.src = {"refuse": "gwrefuse", "bye": routed}.get(src, src)
        self._add(ch)
        for slot in SETUP:
            self.emit(ch, slot)
        self._schedule_outcome(ch)

    def _add(self, ch: Channel) -> None:
        self.channels[ch.uuid] = ch
        lead = ch.get_var("autocall_lead")
        if lead:
            self.live_leads[lead] += 1
        if ch.uuid == ch.get_var("autocall_call"):
            self.first_legs_by_call[ch.uuid] += 1
        ch.job.legs.append(ch)
        self.stats.legs += 1
        self.stats.concurrent = len(self.channels)
        self.stats.peak_concurrent = max(self.stats.peak_concurrent, self.stats.concurrent)

    def _remove(self, ch: Channel) -> None:
        if self.channels.pop(ch.uuid, None) is not None:
            lead = ch.get_var("autocall_lead")
            if lead:
                self.live_leads[lead] -= 1
        self.stats.concurrent = len(self.channels)

    def _dialplan(self, ch: Channel, context: str) -> list[tuple[str, str]]:
        # A dialplan extension runs the scenario's dialplan for that context,
        # else it parks (the call lasts until the far end or uuid_kill ends it).
        # Conditions on channel variables are decided now, from the originate's
        # variables, as mod_dialplan_xml decides them when the call is routed.
        apps = self.scenario.dialplan.get(context)
        if apps is None:
            return [(NO_ROUTE, "")]  # no such context: hung up NO_ROUTE_DESTINATION when routed
        return route(apps, lambda name: self._variable(ch, name)) if apps else [("park", "")]

    def emit(self, ch: Channel, slot: str, subclass: str = "") -> None:
        key = slot if ":" in slot else f"{ch.src}:{slot}"
        self.bus.emit(self.templates[key], ch.ctx, subclass)

    def after(self, ch: Channel, seconds: float, fn, *args) -> None:
        ch.timers.append(self.sched.after(seconds, fn, *args))

    # -- the far end ------------------------------------------------------------
    def _schedule_outcome(self, ch: Channel) -> None:
        o: Outcome = ch.outcome
        if o.kind == "sip":
            if ch.src == "cancel":  # 180 first, then the final response
                self.after(ch, RING_DELAY, self._ringing, ch)
            self.after(ch, o.ring, self._refused, ch)
        elif o.kind == "no_answer":
            self.after(ch, RING_DELAY, self._ringing, ch)
        elif o.early_media is not None:
            self.after(ch, RING_DELAY, self._early_media, ch)
            self.after(ch, o.early_media, self._answer, ch)
        else:
            self.after(ch, min(RING_DELAY, o.ring), self._ringing, ch)
            self.after(ch, o.ring, self._answer, ch)
        leg_timeout = ch.get_var("leg_timeout")
        if leg_timeout and leg_timeout.isdigit():
            self.after(ch, float(leg_timeout), self._leg_timeout, ch)

    def _leg_timeout(self, ch: Channel) -> None:
        if not ch.answered and not ch.hung_up:
            self.hangup(ch, "NO_ANSWER", "cancel")

    def _ringing(self, ch: Channel) -> None:
        if ch.hung_up or ch.answered:
            return
        ch.ctx["progress_us"] = self.clock.now_us()
        src = "bye" if ch.src in ("bye", "refuse") else ch.src
        self.emit(ch, f"{src}:CHANNEL_PROGRESS")
        self.emit(ch, f"{src}:CHANNEL_CALLSTATE(RINGING)")

    def _early_media(self, ch: Channel) -> None:
        if ch.hung_up:
            return
        ch.ctx["progress_media_us"] = self.clock.now_us()
        self.emit(ch, "CHANNEL_PROGRESS_MEDIA")
        self.emit(ch, "CHANNEL_CALLSTATE(EARLY)")
        if ch.get_var("ignore_early_media") not in ("true", "ring_ready", "consume"):
            # Without ignore_early_media, early media is success (a carrier's
            # announcement would count as an answered call).
            ch.job.leg_answered(ch)
            ch.job.finish(f"+OK {ch.uuid}\n")

    def _refused(self, ch: Channel) -> None:
        if ch.hung_up or ch.answered:
            return
        status = ch.outcome.sip
        ch.ctx.update(sip_status=status, sip_fail_status=status, sip_fail_phrase=SIP_PHRASES.get(status, "Unknown"))
        self.hangup(ch, sip_to_cause(status), "refuse")

    def _answer(self, ch: Channel) -> None:
        if ch.hung_up or ch.answered:
            return
        ch.answered = True
        ch.ctx["answered_us"] = self.clock.now_us()
        self.stats.answered += 1
        job = ch.job
        # ``&app(...)``: CALL_UPDATE, then the job. ``EXTEN XML CONTEXT``: the job, then the
        # leg goes back to CS_ROUTING for the dialplan, then CALL_UPDATE (batch2 captures).
        dialplan = not job.spec.app
        for slot in ANSWER[:-1] if dialplan else ANSWER:
            self.emit(ch, slot)
        if not job.finished:
            job.leg_answered(ch)
            job.finish(f"+OK {ch.uuid}\n")
        if dialplan:
            ch.ctx["profile_created_us"] = self.clock.now_us()  # the transfer into the dialplan (bl_xfer)
            routing = f"{ch.src}:CHANNEL_STATE(CS_ROUTING)#2"  # the second CS_ROUTING of a captured call
            self.emit(ch, routing if routing in self.templates.templates else "CHANNEL_STATE(CS_ROUTING)")
            if ch.apps and ch.apps[0][0] == NO_ROUTE:  # mod_dialplan_xml found no extension
                ch.apps = []
                self.hangup(ch, "NO_ROUTE_DESTINATION", "noroute")
                return
            self.emit(ch, ANSWER[-1])
        self.emit(ch, "CHANNEL_STATE(CS_EXECUTE)")
        o = ch.outcome
        if o.hangup == "remote":
            self.after(ch, o.talk, self._remote_bye, ch)
        if o.dtmf:
            self.after(ch, 1.0, self._send_dtmf, ch)
        self._next_app(ch)

    def _remote_bye(self, ch: Channel) -> None:
        if not ch.hung_up:
            ch.ctx["sip_status"] = 200
            self.hangup(ch, "NORMAL_CLEARING", "bye")

    def _send_dtmf(self, ch: Channel) -> None:
        if ch.hung_up:
            return
        for digit in ch.outcome.dtmf:
            ch.ctx["dtmf_digit"] = digit
            self.emit(ch, "synth:DTMF")
        ch.digits += ch.outcome.dtmf

    # -- applications ---------------------------------------------------------
    def _next_app(self, ch: Channel) -> None:
        if ch.hung_up:
            return
        if not ch.apps:
            ch.app = ""
            self.hangup(ch, "NORMAL_CLEARING", "end")
            return
        app, data = ch.apps.pop(0)
        if APP_MODULES.get(app, "mod_dptools") not in self.modules:
            # switch_core_session_execute_application: "Invalid Application", hung up
            ch.apps = []
            self.hangup(ch, "DESTINATION_OUT_OF_ORDER", "end")
            return
        # switch_core_session_exec: the data is expanded when the app runs, and
        # CHANNEL_EXECUTE's Application-Data carries the expanded text.
        no_data = not data
        data = expand_variables(data, lambda name: self._variable(ch, name))
        ch.app = app
        ch.ctx.update(app=app, app_data=data, app_uuid=str(uuidlib.uuid4()), app_response="_none_", app_no_data=no_data)
        ch.ctx.setdefault("app_log", []).append((app, data, self.clock.now_us()))  # the CDR's app_log
        if app == "park":
            self.emit(ch, "bye:CHANNEL_EXECUTE(park)")
            self.emit(ch, "bye:CHANNEL_PARK")
            return
        apps = self._apps_family(ch)
        self.emit(ch, self._app_slot(apps, "CHANNEL_EXECUTE", app))
        if app == "playback":
            ms = playback_ms(data, self.scenario.playback_seconds)
            ch.ctx["playback_ms"] = ms
            ch.ctx["playback_type"] = data.split("://", 1)[0] if "://" in data else "native"
            self.emit(ch, f"{apps}:PLAYBACK_START")
            self.after(ch, ms / 1000, self._playback_done, ch)
        elif app == "sleep":
            ms = int(data) if data.strip().isdigit() else 0
            self.after(ch, ms / 1000, self._app_done, ch)
        elif app == "hangup":
            self.hangup(ch, str2cause(data) if data else "NORMAL_CLEARING", "end")
        elif app == "play_and_get_digits":
            args = data.split()
            ms = playback_ms(args[5], self.scenario.playback_seconds) if len(args) > 5 else 0
            wait = ms / 1000 + (
                1.0 if ch.outcome.dtmf else (int(args[3]) / 1000 if len(args) > 3 and args[3].isdigit() else 5)
            )
            if ch.outcome.dtmf and len(args) > 7:
                ch.var(args[7], ch.outcome.dtmf)
            self.after(ch, wait, self._app_done, ch)
        elif app == "avmd_start":
            ch.avmd = True
            if ch.outcome.beep:
                self.after(ch, 1.0, self._beep, ch)
            self._app_done(ch)
        elif app == "avmd_stop":
            ch.avmd = False  # no beep once the detector is removed
            self._app_done(ch)
        elif app == "sched_hangup":
            # sched_hangup [+]<seconds> [<cause>]: +N from now, else an epoch time.
            when, _, cause = data.strip().partition(" ")
            if when.lstrip("+").isdigit():
                now = self.clock.now_us() / 1e6
                delay = int(when[1:]) if when.startswith("+") else int(when) - now
                cause = str2cause(cause) if cause.strip() else "ALLOTTED_TIMEOUT"
                self.after(ch, max(0.0, delay), self._sched_hangup, ch, cause)
            self._app_done(ch)
        elif app in ("set", "export") and "=" in data:
            k, _, v = data.partition("=")
            ch.var(k, v)
            self._app_done(ch)
        else:  # answer, pre_answer, ring_ready, log, ... : done at once
            self._app_done(ch)

    @staticmethod
    def _apps_family(ch: Channel) -> str:
        """The templates of a leg's applications: captured for gateway calls into the dialplan
        (batch2), else from the early-media capture's playback."""
        return "gwdp" if ch.src == "gwdp" else "early"

    def _app_slot(self, family: str, event: str, app: str) -> str:
        """CHANNEL_EXECUTE[_COMPLETE] of ``app``: its own template if captured, else the family's
        template that has every header (the values are the application's, OPTIONAL ones dropped)."""
        own = f"{family}:{event}({app})"
        if own in self.templates.templates:
            return own
        return f"{family}:{event}(hangup)" if family == "gwdp" else f"{family}:{event}(playback)"

    def _sched_hangup(self, ch: Channel, cause: str) -> None:
        if not ch.hung_up:
            self.hangup(ch, cause, "kill")  # a local hangup, like uuid_kill

    def _variable(self, ch: Channel, name: str) -> str | None:
        """switch_channel_get_variable: the channel's variables (originate
        {}/[] ones, set/export, avmd_detect, ...), then caller-profile fields."""
        value = ch.get_var(name)
        if value is not None:
            return value
        spec = ch.job.spec
        profile = {
            "uuid": ch.uuid,
            "destination_number": spec.exten or ch.endpoint.user,
            "context": spec.context,
            "dialplan": spec.dialplan,
            "caller_id_number": ch.ctx.get("cid_num"),
        }
        return profile.get(name)

    def _playback_done(self, ch: Channel) -> None:
        if ch.hung_up:
            return
        ch.ctx["app_response"] = "FILE PLAYED"
        self.emit(ch, f"{self._apps_family(ch)}:PLAYBACK_STOP")
        self._app_done(ch)

    def _app_done(self, ch: Channel) -> None:
        if ch.hung_up:
            return
        self.emit(ch, self._app_slot(self._apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", ch.app))
        ch.app = ""
        self._next_app(ch)

    def _beep(self, ch: Channel) -> None:
        if not ch.hung_up and ch.avmd:
            ch.var("avmd_detect", "TRUE")
            self.emit(ch, "synth:CUSTOM(avmd::beep)", "avmd::beep")

    def broadcast(self, ch: Channel, path: str) -> None:
        """uuid_broadcast: play ``path`` now, then resume what was running."""
        if ch.app == "park":
            self.emit(ch, "bye:CHANNEL_UNPARK")
            self.emit(ch, "bye:CHANNEL_EXECUTE_COMPLETE(park)")
            ch.apps[:0] = [("playback", path), ("park", "")]
            self._next_app(ch)
        else:
            ch.apps.insert(0, ("playback", path))

    # -- hangup -----------------------------------------------------------------
    def hangup(self, ch: Channel, cause: str, kind: str) -> None:
        """End a leg. ``kind``: refuse | cancel (before answer); bye (far end),
        kill (uuid_kill/hupall), end (the last app finished) after answer."""
        if ch.hung_up:
            return
        ch.hung_up = True
        for t in ch.timers:
            t.cancel()
        ch.ctx.update(cause=cause, q850=q850(cause), hangup_us=self.clock.now_us())
        job = ch.job
        final = False
        if not ch.answered:
            if kind == "kill":
                kind = "cancel"
            if kind == "cancel":
                ch.ctx.setdefault("sip_fail_status", 487)
                ch.ctx.setdefault("sip_fail_phrase", "CANCEL")
            final = job.leg_failed(ch.index, cause, ch)
        self.stats.by_cause[cause] += 1
        src = {"refuse": "refuse", "cancel": "cancel", "bye": "bye", "kill": "kill", "end": "early",
               "noroute": "early"}[kind]  # fmt: skip
        if ch.src.startswith("gw") and kind in ("refuse", "end", "noroute"):
            src = ch.src  # the captured gateway call's own hangup (busy; the dialplan's end; no route)
        position = self._job_position(kind) if final else None

        def job_here(where: str) -> None:
            if position == where:
                job.finish(f"-ERR {job.cause()}\n")

        self.emit(ch, f"{src}:CHANNEL_HANGUP")
        if ch.app == "park" and kind in ("bye", "kill"):
            self.emit(ch, f"{src}:CHANNEL_UNPARK")
            self.emit(ch, f"{src}:CHANNEL_EXECUTE_COMPLETE(park)")
        elif ch.app == "playback":
            self.emit(ch, f"{self._apps_family(ch)}:PLAYBACK_STOP")
            self.emit(ch, self._app_slot(self._apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", ch.app))
        elif ch.app:
            self.emit(ch, self._app_slot(self._apps_family(ch), "CHANNEL_EXECUTE_COMPLETE", ch.app))
        job_here(BETWEEN)
        self.emit(ch, f"{src}:CHANNEL_STATE(CS_HANGUP)")
        self.emit(ch, f"{src}:CHANNEL_CALLSTATE(HANGUP)")
        self.emit(ch, f"{src}:CHANNEL_STATE(CS_REPORTING)")
        # serial failover: the next leg starts before this one is destroyed
        failover = not ch.answered and not final and not job.finished and not any(not c.hung_up for c in job.legs)
        mod = self.json_cdr
        cdr = self._cdr(self.templates[f"{src}:CHANNEL_HANGUP_COMPLETE"], ch.ctx) if mod is not None else None
        if mod is not None and mod.holds_hangup():
            # mod_json_cdr posts in the channel's thread before HANGUP_COMPLETE; the originate does
            # not wait for it (json_cdr/J3: a busy call's -ERR came 2 s before its HANGUP_COMPLETE).
            job_here(AFTER_COMPLETE)
            job_here(AFTER_DESTROY)
            if failover:
                job.next_group()
            mod.on_reporting(cdr, then=lambda: self._complete(ch, src))
            return
        if mod is not None:
            mod.on_reporting(cdr)
        self._complete(ch, src, job_here, failover)

    def _cdr(self, template, ctx: dict[str, Any]) -> Cdr | None:
        """The CDR of the channel whose CHANNEL_HANGUP_COMPLETE is ``template`` (None: none made)."""
        if self.json_cdr is None or self.json_cdr.shutdown:
            return None
        return Cdr(*channel_cdr(template, ctx, encode_values=self.json_cdr.settings.encode_values))

    def _complete(self, ch: Channel, src: str, job_here: Callable[[str], None] | None = None,
                  failover: bool = False) -> None:  # fmt: skip
        """The end of a hangup, from CHANNEL_HANGUP_COMPLETE on."""
        if ch.uuid == ch.get_var("autocall_call"):
            self.first_leg_hangups[ch.uuid] = (time.monotonic(), self.bus.wants("CHANNEL_HANGUP_COMPLETE"))
        self.emit(ch, f"{src}:CHANNEL_HANGUP_COMPLETE")
        if job_here is not None:
            job_here(AFTER_COMPLETE)
        if failover:
            ch.job.next_group()
        self.emit(ch, f"{src}:CHANNEL_DESTROY")
        self.emit(ch, f"{src}:CHANNEL_STATE(CS_DESTROY)")
        self._remove(ch)
        if job_here is not None:
            job_here(AFTER_DESTROY)

    def _job_position(self, kind: str) -> str:
        if kind == "cancel":  # originate_timeout / cancel: 6 of 6 captures
            return BETWEEN
        if self.race_rng is None:
            return AFTER_COMPLETE
        positions, weights = zip(*RACE_WEIGHTS.items(), strict=True)
        return self.race_rng.choices(positions, weights)[0]

    # -- endpoints without a normal channel lifecycle ---------------------------
    def _lone_destroy(self, job: OriginateJob, ch_uuid: str, index: int, cause: str) -> None:
        """A session was requested and dropped before it had a channel: a lone
        CHANNEL_DESTROY (Channel-Name N/A), then the job's -ERR (captures:
        bgapi-bad-profile; api-misc for an empty sofia target)."""
        ctx = {**self.bus.base, "uuid": ch_uuid, "originate_vars": []}
        self.bus.emit(self.templates["badprofile:CHANNEL_DESTROY"], ctx)
        self.bus.emit(self.templates["badprofile:CHANNEL_STATE(CS_DESTROY)"], ctx)
        self.stats.by_cause[cause] += 1
        if job.leg_failed(index, cause):
            job.finish(f"-ERR {cause}\n")

    def _loopback(self, job: OriginateJob, ep, leg: Leg, ch_uuid: str, index: int) -> None:
        """mod_loopback: replay the captured loopback call (legs -a and -b,
        the CHANNEL_UUID rename included), stretched to the scenario's talk time."""
        answer = self.scenario.loopback.get(ep.user)
        replay = self.templates.replays["loopback" if answer else "loopback_noroute"]
        cause = "NORMAL_CLEARING" if answer else "NO_ROUTE_DESTINATION"
        variables = job.spec.leg_vars(leg)
        ctx = {
            **self.bus.base,
            "uuid": ch_uuid,
            "uuid_b": str(uuidlib.uuid4()),
            "uuid_tmp": str(uuidlib.uuid4()),
            "cid_num": next((v for k, v in variables if k == "origination_caller_id_number"), "0000000000"),
            "originate_vars": list(variables),
            "created_us": self.clock.now_us(),
            # No app keys: the replay keeps the captured legs' applications
            # (the a-leg parks; the b-leg runs answer, sleep, hangup).
            "cause": cause,
            "q850": q850(cause),
            "replay": True,
        }
        talk = (answer.talk if isinstance(answer.talk, float) else answer.talk[0]) if answer else 2.0
        stretch = talk / 2.0  # the captured extension sleeps 2 s
        ch = Channel(ch_uuid, ep, job, Outcome("answer" if answer else "sip"), "bye", ctx, index=index)
        self._add(ch)
        t0 = replay[0][0]
        for n, (offset, template) in enumerate(replay):
            last = n == len(replay) - 1
            self.after(ch, (offset - t0) / 1_000_000 * stretch, self._replay_event, ch, template, last)

    def _replay_event(self, ch: Channel, template, last: bool) -> None:
        name, ctx = template.event_name, ch.ctx
        if name == "API":
            return  # sent with the job's result
        if name == "BACKGROUND_JOB":
            if ch.outcome.kind == "answer":
                self.stats.answered += 1
                ch.job.finish(f"+OK {ch.uuid}\n")
            else:
                ch.job.failures.append((ch.index, "NO_ROUTE_DESTINATION"))
                ch.job.finish("-ERR NO_ROUTE_DESTINATION\n")
            return
        if name == "CHANNEL_ANSWER":
            ctx.setdefault("answered_us", self.clock.now_us())
        elif name == "CHANNEL_HANGUP":
            ctx.setdefault("hangup_us", self.clock.now_us())
        elif name == "CHANNEL_HANGUP_COMPLETE" and self.json_cdr is not None and not self.json_cdr.shutdown:
            self.json_cdr.on_reporting(self._cdr(template, ctx))
        self.bus.emit(template, ctx)
        if last:
            ch.hung_up = True
            self.stats.by_cause[ctx["cause"]] += 1
            self._remove(ch)

    # -- the core's own events, life and globals ---------------------------------------
    def emit_core(self, name: str, info: str = "") -> None:
        """SHUTDOWN or SHUTDOWN_REQUESTED (``info``: ASAP | elegant), as captured."""
        key = f"core:{name}({info})" if name == "SHUTDOWN_REQUESTED" else f"core:{name}"
        self.bus.emit(self.templates[key], {**self.bus.base})

    def emit_module_unloads(self, *, first: bool) -> None:
        """The MODULE_UNLOAD run of a shutdown: ``first`` the modules before mod_sofia's
        endpoint, else the rest (mod_sofia's interfaces and what follows)."""
        for _, template in self.templates.replays["module_unload" if first else "module_unload_sofia"]:
            self.bus.emit(template, {**self.bus.base})

    def unload_sofia(self) -> None:
        """mod_sofia is gone (a shutdown unloads it; so does ``unload mod_sofia``): originates of
        its endpoints fail CHAN_NOT_IMPLEMENTED and ``module_exists mod_sofia`` is false."""
        self.endpoints_gone = True
        self.modules.discard("mod_sofia")

    def reincarnate(self) -> None:
        """A new FreeSWITCH process: new Core-UUID, configured limits, no channels (none
        of the old ones sends an event, none gets a CDR), counters and flags from zero."""
        if self.json_cdr is not None:
            self.json_cdr.die()
        for ch in list(self.channels.values()):
            ch.hung_up = True
            for t in ch.timers:
                t.cancel()
            self._remove(ch)
        self.restarts += 1
        self.core_uuid = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
        self.bus.base["core_uuid"] = self.core_uuid
        self.sessions = SessionLimits(self.limits)
        self.started = time.time()
        self.since_startup = 0
        self.no_new_sessions = False
        self.shutdown_requested = self.stopping = False
        self.endpoints_waiting = None
        self.endpoints_gone = False
        self.modules = set(MODULES) - set(self.scenario.missing_modules)

    def global_vars(self) -> dict[str, str]:
        """``global_getvar``: the globals a dialer asks for (no newline in the answer)."""
        return {"core_uuid": self.core_uuid, "hostname": self.hostname, "switchname": self.hostname}

    def context_xml(self, name: str) -> str | None:
        """What ``xml_locate dialplan context name <name>`` prints, or None if there is no such context."""
        if name not in self.scenario.dialplan:
            return None
        return context_xml(name, self.scenario.dialplan[name])

    # -- api helpers --------------------------------------------------------------
    def kill(self, ch: Channel, cause: str = "NORMAL_CLEARING") -> None:
        if cause == "NORMAL_CLEARING" and not ch.answered:
            cause = "ORIGINATOR_CANCEL"  # a ringing leg killed is a CANCEL
        self.hangup(ch, cause, "kill")

    def heartbeat_ctx(self) -> dict[str, Any]:
        up = time.time() - self.started
        return {
            **self.bus.base,
            "uptime_text": uptime_text(up),
            "uptime_ms": int(up * 1000),
            "session_count": len(self.channels),
            **self.sessions.heartbeat(),
            "since_startup": self.since_startup,
            "peak_max": self.stats.peak_concurrent,
            "peak_fivemin": self.stats.peak_concurrent,
            "task_runtime": int(time.time()) + 20,
        }


def uptime_text(seconds: float) -> str:
    s = int(seconds)
    ms = int((seconds - s) * 1000)
    us = int((seconds - s) * 1_000_000) % 1000
    y, s = divmod(s, 365 * 86400)
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    return (f"{y} years, {d} days, {h} hours, {m} minutes, {s} seconds, "
            f"{ms} milliseconds, {us} microseconds")  # fmt: skip
