"""The simulated FreeSWITCH core: one process's state (channels, limits, flags, modules) and its verbs.

The jobs live beside it: legs.py creates an originate's channels, far_end.py plays the callee,
apps.py runs the dialplan applications, hangup.py ends a leg, loopback.py replays mod_loopback,
core_info.py says what the core reports about itself, shutdown.py stops it.
"""

from __future__ import annotations

import random
import socket
import time
import uuid as uuidlib
from collections import Counter
from collections.abc import Callable
from typing import Any

from simswitch import apps, core_info, hangup, legs
from simswitch import callcenter as callcenter_module
from simswitch.bus import EventBus
from simswitch.callcenter import CallCenterSettings
from simswitch.calls import Channel, OriginateJob
from simswitch.clock import Scheduler, SimClock
from simswitch.dialplan_xml import context_xml
from simswitch.dialstring import Leg, Originate
from simswitch.json_cdr import JsonCdr, JsonCdrSettings
from simswitch.limits import Limits, SessionLimits
from simswitch.originate_log import OriginateLog
from simswitch.scenario import Scenario
from simswitch.stats import Stats
from simswitch.templates import Template, library

__all__ = ["Limits", "Stats", "Switch"]


class Switch:
    """One simulated FreeSWITCH process. The api (commands.py), the faults and the tests act through
    its verbs; the modules beside it act on its state (``channels``, ``stats``, ``sessions``, flags)."""

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        time_scale: float = 1.0,
        seed: int | None = None,
        limits: Limits | None = None,
        hostname: str | None = None,
        races: bool = False,
        profiles: tuple[str, ...] = ("internal", "external"),
        json_cdr: JsonCdrSettings | None = None,
        originate_log: str | None = None,
        callcenter: CallCenterSettings | None = None,
    ) -> None:
        self.scenario = scenario or Scenario()
        self.clock = SimClock(time_scale)
        self.sched = Scheduler(self.clock)
        self.rng = random.Random(seed)
        self.race_rng = random.Random(seed) if races else None
        self.limits = limits or Limits()  # as configured: what a restart comes back with
        self.sessions = SessionLimits(self.limits)  # the running values (fsctl changes them)
        self.profiles = profiles
        self.templates = library()
        self._slots: dict[str, dict[str, Template]] = {}  # a leg's source -> slot -> its template (emit)
        self.core_uuid = str(uuidlib.UUID(int=self.rng.getrandbits(128), version=4))
        self.modules = set(core_info.MODULES) - set(self.scenario.missing_modules)
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
        # --originate-log: when each originate arrived (benches measure latency at receipt)
        self.originate_log = OriginateLog(originate_log) if originate_log else None
        # mod_callcenter: its configuration comes from mod_xml_curl's bindings, then its file
        self.callcenter = callcenter_module.load(self, callcenter)

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

    def take_session(self) -> bool:
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

    # -- calls ----------------------------------------------------------------
    def originate(self, arg: str, spec: Originate, done: Callable[[str], None], job_uuid: str | None) -> OriginateJob:
        """``originate`` / ``bgapi originate``: ``done`` gets "+OK <uuid>\\n" or "-ERR <CAUSE>\\n" once."""
        self.stats.originated += 1
        tags = dict(spec.global_vars)
        if tags.get("autocall_lead") and self.live_leads[tags["autocall_lead"]] > 0:
            self.overlaps.append(tags["autocall_lead"])
        job = OriginateJob(self, arg, spec, done, job_uuid)
        if self.endpoints_waiting is not None:
            self.endpoints_waiting.append(job.start)  # mod_sofia is unloading: wait for it
        else:
            with self.clock.frozen():  # its legs are created, and their first timers set, at one moment
                job.start()
        for hook in self.on_originate:
            hook(self.stats.originated)
        return job

    def start_leg(self, job: OriginateJob, leg: Leg, index: int) -> None:
        """Create one leg of ``job``'s current group (legs.py)."""
        legs.start_leg(self, job, leg, index)

    def hangup(self, ch: Channel, cause: str, kind: str) -> None:
        """End a leg (hangup.py). ``kind``: refuse | cancel (before answer); bye (far end),
        kill (uuid_kill/hupall), end (the last app finished) after answer."""
        hangup.hangup_leg(self, ch, cause, kind)

    def kill(self, ch: Channel, cause: str = "NORMAL_CLEARING") -> None:
        """uuid_kill / hupall: a local hangup."""
        if cause == "NORMAL_CLEARING" and not ch.answered:
            cause = "ORIGINATOR_CANCEL"  # a ringing leg killed is a CANCEL
        self.hangup(ch, cause, "kill")

    def broadcast(self, ch: Channel, path: str) -> None:
        """uuid_broadcast: play ``path`` now, then resume what was running (apps.py)."""
        apps.broadcast(self, ch, path)

    # -- the channel table and the event bus ------------------------------------
    def add_channel(self, ch: Channel) -> None:
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

    def remove_channel(self, ch: Channel) -> None:
        if self.channels.pop(ch.uuid, None) is not None:
            lead = ch.get_var("autocall_lead")
            if lead:
                self.live_leads[lead] -= 1
        self.stats.concurrent = len(self.channels)

    def emit(self, ch: Channel, slot: str, subclass: str = "") -> None:
        """Send the leg's captured template ``slot`` (``<source>:<slot>`` or the leg's own source's)."""
        by_slot = self._slots.get(ch.src)
        if by_slot is None:
            by_slot = self._slots[ch.src] = {}
        template = by_slot.get(slot)
        if template is None:
            template = by_slot[slot] = self.templates.templates[slot if ":" in slot else f"{ch.src}:{slot}"]
        self.bus.emit(template, ch.ctx, subclass)

    def after(self, ch: Channel, seconds: float, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` in ``seconds`` of simulated time, unless the leg hangs up first."""
        ch.timers.append(self.sched.after(seconds, fn, *args))

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
            self.remove_channel(ch)
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
        self.modules = set(core_info.MODULES) - set(self.scenario.missing_modules)
        self.callcenter.restart()  # the same database, the configuration asked again

    def global_vars(self) -> dict[str, str]:
        """``global_getvar``: the globals a dialer asks for (no newline in the answer)."""
        return {"core_uuid": self.core_uuid, "hostname": self.hostname, "switchname": self.hostname}

    def context_xml(self, name: str) -> str | None:
        """What ``xml_locate dialplan context name <name>`` prints, or None if there is no such context."""
        if name not in self.scenario.dialplan:
            return None
        return context_xml(name, self.scenario.dialplan[name])

    def heartbeat_ctx(self) -> dict[str, Any]:
        """The values of a HEARTBEAT event (core_info.py)."""
        return core_info.heartbeat_ctx(self)
