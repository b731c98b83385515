"""One FreeSWITCH node: a supervised ESL connection, what the switch says about itself, its capacity.

The supervisor connects with exponential back-off (jittered; tenacity, dialer/retry.py), subscribes
narrowly, asks FreeSWITCH who it is, what its limits are and whether it can
place autocall's calls (checks.py), reports up/down to the engine (which
settles the calls it may have missed: the reconnect, or a new Core-UUID when
FreeSWITCH itself restarted), and starts over when the connection drops.

A node is *dialled* only while it is up and has no problem: the ``autocall``
context and mod_sofia exist, no shutdown is under way, it is not paused.
Campaigns with voicemail detection also need mod_avmd. The checks run again
every ``check_every`` seconds (every second while a problem may clear by
itself), so a node comes back on its own after ``reloadxml`` or
``fsctl shutdown cancel``. A shutdown is seen at once: the subscription has
SHUTDOWN and SHUTDOWN_REQUESTED, and FreeSWITCH's refusal of an originate
makes the node look again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import gevent
import gevent.event
import tenacity

from dialer.esl.capacity import Capacity
from dialer.esl.checks import SwitchState, read_state
from dialer.esl.connection import ESLConnection, NotConnectedError
from dialer.logs import redact_url
from dialer.retry import reconnecting

log = logging.getLogger("autocall.esl")

# A narrow subscription: the events a dialer needs, nothing per-state. SHUTDOWN and
# SHUTDOWN_REQUESTED come once per shutdown; a plain subscription without them hears
# of a shutdown only from refused originates (esl-captures batch2).
SUBSCRIPTION = ("event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF SHUTDOWN "
                "SHUTDOWN_REQUESTED CUSTOM avmd::beep")  # fmt: skip
CHECK_EVERY_S = 10.0  # re-read the limits and re-check the node this often
RECHECK_S = 1.0  # ...and this often while it has a problem, or right after a refusal
SIGNED = 1 << 31
SHUTTING_DOWN = "FreeSWITCH is shutting down (SHUTDOWN): no new calls until it is back"
NO_AVMD = "mod_avmd not loaded: campaigns with voicemail_detection are not dialled here"
RECONNECT_FIRST_S, RECONNECT_CAP_S, RECONNECT_SPREAD = 0.2, 30.0, 0.2  # dialer/retry.py reconnecting()
NO_JSON_CDR = ("mod_json_cdr not loaded: a call that ends while autocall is away is recorded lost, "
               "and an originate that may not have run counts as an attempt")  # fmt: skip


@dataclass(frozen=True, slots=True)
class NodeConfig:
    name: str
    host: str
    port: int
    password: str = field(repr=False)  # never in a repr, so never in a log line
    sps: int | None = None  # a cap on FreeSWITCH's own sessions-per-second (None: FreeSWITCH's)
    max_sessions: int | None = None  # a cap on its max-sessions

    @classmethod
    def from_url(cls, url: str) -> NodeConfig:
        """``esl://:PASSWORD@HOST:PORT[?name=N&sps=30&max_sessions=1000]``; the password is required.
        ``sps``/``max_sessions`` cap what FreeSWITCH itself allows (``fsctl sps``)."""
        parts = urlsplit(url.strip())
        if parts.scheme != "esl" or not parts.hostname:
            raise ValueError(f"expected esl://:PASSWORD@HOST:PORT, got {redact_url(url.strip())!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        port = parts.port or 8021
        if not parts.password:
            raise ValueError(f"FreeSWITCH node {parts.hostname}:{port} has no ESL password: write esl://:PASSWORD"
                             "@HOST:PORT with the password of FreeSWITCH's event_socket.conf.xml")  # fmt: skip
        if any(ord(c) < 32 or ord(c) == 127 for c in unquote(parts.password)):
            # It is sent as "auth PASSWORD\n\n": a line break would end the command early.
            raise ValueError(f"FreeSWITCH node {parts.hostname}:{port}: the ESL password has a control character")
        return cls(
            name=query.get("name", f"{parts.hostname}:{port}"),
            host=parts.hostname,
            port=port,
            password=unquote(parts.password),
            sps=int(query["sps"]) if query.get("sps") else None,
            max_sessions=int(query["max_sessions"]) if query.get("max_sessions") else None,
        )


def _signed(value: str | None) -> int | None:
    """A HEARTBEAT counter FreeSWITCH printed with %u (4294967294 is -2)."""
    try:
        n = int(value or "")
    except ValueError:
        return None
    return n - (1 << 32) if n >= SIGNED else n


class Node:
    def __init__(self, config: NodeConfig, *, on_event: Callable[[Node, dict[str, Any]], None],
                 on_up: Callable[[Node], None] | None = None, on_down: Callable[[Node], None] | None = None,
                 command_timeout: float = 10.0, keepalive: float = 5.0, check_every: float = CHECK_EVERY_S,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.config = config
        self.keepalive = keepalive  # probe a silent connection this often (a stalled FreeSWITCH)
        self.check_every = check_every
        self.clock = clock  # wall clock (the engine's): when the connection dropped
        self.name = config.name
        self._on_event = on_event
        self._on_up = on_up or (lambda node: None)
        self._on_down = on_down or (lambda node: None)
        self.command_timeout = command_timeout
        self.conn: ESLConnection | None = None
        self.up = gevent.event.Event()  # connected, and FreeSWITCH answered the checks
        self.capacity = Capacity(sps_cap=config.sps, max_sessions_cap=config.max_sessions)
        self.state = SwitchState()
        self.expects_cdrs = False  # AUTOCALL_CDR_SECRET is set: FreeSWITCH should load mod_json_cdr
        self.problems: dict[str, str] = {}  # why this node is not dialled now (checks, events)
        self.core_uuid = ""  # FreeSWITCH's Core-UUID on this connection
        self.previous_core = ""  # ...and on the one before (a different one: FreeSWITCH restarted)
        self.core_started_ms = 0  # when that FreeSWITCH process started (engine clock, from its uptime)
        self.dropped_ms = 0  # when the last connection dropped (engine clock)
        self.reconnects = 0
        self.down_since = time.monotonic()  # while not up: since when
        self._greenlet: gevent.Greenlet | None = None
        self._stopping = False
        self._recheck = gevent.event.Event()
        self._shutdown_final = False  # SHUTDOWN came: this connection will not dial again
        self._shutdown_events = 0  # SHUTDOWN/SHUTDOWN_REQUESTED events seen (a check's answers may be older)

    # -- capacity (capacity.py) -----------------------------------------------------
    @property
    def legs(self) -> int:
        return self.capacity.legs

    @legs.setter
    def legs(self, value: int) -> None:
        self.capacity.legs = value

    @property
    def sps_limit(self) -> int | None:
        return self.capacity.sps_limit

    @property
    def max_sessions(self) -> int | None:
        return self.capacity.max_sessions

    def free_sessions(self) -> int:
        return self.capacity.free_sessions()

    @property
    def ready(self) -> bool:
        """Connected, checked, and nothing stops calls here (campaign needs aside: ``dialable``)."""
        return self.up.is_set() and not self.problems

    def take(self, want: int) -> int:
        """Reserve up to ``want`` originates now (rate and session count); 0 while not dialled."""
        return self.capacity.take(want) if self.ready else 0

    def give_back(self, n: int) -> None:
        self.capacity.give_back(n)

    def charge(self, legs: int) -> None:
        self.capacity.charge(legs)

    def wait_time(self) -> float:
        return self.capacity.bucket.wait_time()

    def refused(self, cause: str) -> None:
        """FreeSWITCH refused an originate without a channel (limits, a shutdown, mod_sofia
        gone: the job cause cannot tell them apart): slow down, and look again now."""
        if self.capacity.refused():
            rate = round(self.capacity.bucket.rate, 1)
            log.warning("freeswitch refused a call; halving the originate rate and checking why",
                        extra={"node": self.name, "cause": cause, "rate": rate})  # fmt: skip
        self.recheck()

    def recheck(self) -> None:
        """Look at FreeSWITCH again now (something suggests its state changed)."""
        self._recheck.set()

    def suspect(self, kind: str, why: str) -> None:
        """A call showed a problem (e.g. answered into no dialplan): stop dialling here at once,
        until the next check (now) confirms it or finds the node fine."""
        before = dict(self.problems)
        self.problems.setdefault(kind, why)
        self._log_problems(before)
        self.recheck()

    # -- dialling -----------------------------------------------------------------------
    def dialable(self, voicemail_detection: bool = False) -> str | None:
        """None if a call may be placed here now, else why not."""
        if not self.up.is_set():
            return "not connected"
        if self.problems:
            return "; ".join(self.problems.values())
        if voicemail_detection and not self.state.avmd:
            return ("mod_avmd is not loaded ('module_exists mod_avmd' is false): campaigns with voicemail_detection "
                    "are not dialled here (load mod_avmd, or turn voicemail_detection off)")  # fmt: skip
        return None

    def status(self) -> str:
        """``up``, ``down`` or ``not ready: <why>`` (autocall status, /readyz); ``up (…)`` while
        campaigns with voicemail detection are not dialled here (no mod_avmd), or while FreeSWITCH
        sends no CDRs autocall expects (no mod_json_cdr)."""
        if not self.up.is_set():
            return "down"
        if self.problems:
            return f"not ready: {'; '.join(self.problems.values())}"
        notes = [] if self.state.avmd else [NO_AVMD]
        if self.expects_cdrs and not self.state.json_cdr:
            notes.append(NO_JSON_CDR)
        return f"up ({'; '.join(notes)})" if notes else "up"

    # -- what FreeSWITCH says -------------------------------------------------------------
    def apply_state(self, state: SwitchState, events_before: int | None = None, *, connecting: bool = False) -> None:
        """Take in the answers to the checks (checks.py). ``events_before``: the count of shutdown
        events when the checks were sent; one that came since is newer than their answers."""
        before = dict(self.problems)
        had_avmd, had_json_cdr = self.state.avmd, self.state.json_cdr
        self.state = state
        self.problems = dict(state.problems)
        if self._shutdown_final:  # a plain shutdown sets no flag fsctl shutdown_check could show
            self.problems["shutdown"] = SHUTTING_DOWN
        elif "shutdown" in before and (
            (events_before is not None and events_before != self._shutdown_events) or "shutdown" in self.problems
        ):
            # A SHUTDOWN_REQUESTED newer than these answers, or still going on: keep what the event said.
            self.problems["shutdown"] = before["shutdown"]
        if self.capacity.limits(state.sps, state.max_sessions):
            log.info("freeswitch limits", extra={"node": self.name, "sps": self.capacity.sps_limit,
                                                  "max_sessions": self.capacity.max_sessions,
                                                  "rate": round(self.capacity.target, 1)})  # fmt: skip
        if state.sessions is not None:
            self.capacity.sessions(state.sessions, None)
        self._log_problems(before)
        if had_avmd != state.avmd or connecting:
            (log.info if state.avmd else log.warning)(
                "freeswitch mod_avmd loaded" if state.avmd else f"freeswitch {NO_AVMD}", extra={"node": self.name})
        if self.expects_cdrs and (had_json_cdr != state.json_cdr or connecting):
            (log.info if state.json_cdr else log.warning)(
                "freeswitch mod_json_cdr loaded" if state.json_cdr else f"freeswitch {NO_JSON_CDR}",
                extra={"node": self.name})  # fmt: skip

    def _log_problems(self, before: dict[str, str]) -> None:
        for kind, why in self.problems.items():
            if before.get(kind) != why:
                log.error("freeswitch node not dialled", extra={"node": self.name, "problem": kind, "why": why})
        for kind in before:
            if kind not in self.problems:
                log.info("freeswitch node dialled again", extra={"node": self.name, "problem": kind})

    def heartbeat(self, event: dict[str, Any]) -> None:
        """Session-Count and Max-Sessions are what they say. Session-Per-Sec is what is left of
        FreeSWITCH's current second: above the limit we know, the limit rose; Session-Per-Sec-Last
        below zero (new - old) says it was lowered. Either way: read it again."""
        count, maximum = _signed(event.get("Session-Count")), _signed(event.get("Max-Sessions"))
        self.capacity.sessions(count or 0, maximum if maximum and maximum > 0 else None)
        left, last = _signed(event.get("Session-Per-Sec")), _signed(event.get("Session-Per-Sec-Last"))
        limit = self.capacity.sps_limit
        if limit is not None and ((left is not None and left > limit) or (last is not None and last < 0)):
            self._recheck.set()

    def _shutdown_event(self, event: dict[str, Any]) -> None:
        if event.get("Event-Name") == "SHUTDOWN":
            self._shutdown_final = True
            why = SHUTTING_DOWN
        else:
            why = (f"FreeSWITCH shutdown requested ({event.get('Event-Info', '?')}): no new calls "
                   "unless it is cancelled")  # fmt: skip
        before = dict(self.problems)
        self._shutdown_events += 1
        self.problems["shutdown"] = why
        self._log_problems(before)
        self._recheck.set()

    # -- supervision -------------------------------------------------------------
    def start(self) -> None:
        self._greenlet = gevent.spawn(self._supervise)

    def stop(self) -> None:
        self._stopping = True
        if self.conn is not None:
            self.conn.stop()
        if self._greenlet is not None:
            self._greenlet.kill()

    def _connect(self) -> ESLConnection:
        conn = ESLConnection(self.config.host, self.config.port, self.config.password, on_event=self._dispatch,
                             command_timeout=self.command_timeout, name=self.name)  # fmt: skip
        # A new connection starts clean; a shutdown event on it (even during the checks) counts.
        self._shutdown_final = False
        self.problems = {}
        self.capacity.sessions(0, None)  # a restarted FreeSWITCH has none; the checks say how many
        try:
            conn.connect()
            reply = conn.send(SUBSCRIPTION)
            if not reply.ok:
                raise NotConnectedError(f"subscription refused: {reply.text}")
            self.conn = conn
            events = self._shutdown_events
            state = read_state(conn)
        except (NotConnectedError, OSError):
            conn.close("connect failed")
            raise
        self.previous_core, self.core_uuid = self.core_uuid, state.core_uuid
        if state.uptime_ms is not None:
            self.core_started_ms = int(self.clock() * 1000) - state.uptime_ms
        self.apply_state(state, events, connecting=True)
        return conn

    def _reconnect(self) -> ESLConnection | None:
        """Connected, after as many tries as it takes (back-off from 0.2 s doubling to 30 s, each
        wait ±20 %: engines do not reconnect in step); None once the node is stopping."""
        retrying = reconnecting(
            on=(NotConnectedError, OSError),
            first=RECONNECT_FIRST_S,
            cap=RECONNECT_CAP_S,
            spread=RECONNECT_SPREAD,
            stop=lambda: self._stopping,
            before_sleep=self._unreachable,
        )
        try:
            return retrying(self._connect)
        except tenacity.RetryError:
            return None

    def _unreachable(self, exc: BaseException, wait: float) -> None:
        log.warning(
            "freeswitch unreachable; retrying",
            extra={"node": self.name, "error": str(exc), "retry_in": round(wait, 2)},
        )

    def _supervise(self) -> None:
        while not self._stopping:
            conn = self._reconnect()
            if conn is None:
                return
            self.up.set()
            log.info("freeswitch connected", extra={"node": self.name, "core": self.core_uuid,
                                                     "restarted": bool(self.previous_core)
                                                     and self.previous_core != self.core_uuid})  # fmt: skip
            helpers = [gevent.spawn(self._watch, conn), gevent.spawn(self._check_loop, conn)]
            try:
                self._on_up(self)
            except Exception:
                log.exception("on_up failed", extra={"node": self.name})
            conn.closed.wait()
            gevent.killall(helpers)
            self.dropped_ms = int(self.clock() * 1000)
            self.up.clear()
            self.down_since = time.monotonic()
            if self._stopping:
                return
            self.reconnects += 1
            why = conn.disconnect_notice or "the connection dropped"
            log.warning("freeswitch connection lost; reconnecting", extra={"node": self.name, "why": why})
            try:
                self._on_down(self)
            except Exception:
                log.exception("on_down failed", extra={"node": self.name})

    def _check_loop(self, conn: ESLConnection) -> None:
        """Re-read the limits and re-check the node every ``check_every`` s; every
        second while it has a problem; at once after a refusal or a telling HEARTBEAT."""
        last = time.monotonic()
        while not conn.closed.is_set():
            wait = RECHECK_S if self.problems else self.check_every
            self._recheck.wait(max(0.0, last + wait - time.monotonic()))
            if time.monotonic() - last < RECHECK_S:  # at most one look per second
                gevent.sleep(RECHECK_S - (time.monotonic() - last))
            self._recheck.clear()
            last = time.monotonic()
            events = self._shutdown_events
            try:
                self.apply_state(read_state(conn), events)
            except NotConnectedError:
                return

    def _watch(self, conn: ESLConnection) -> None:
        """A connection that stays silent is probed; no reply within the command
        timeout closes it (the supervisor reconnects). A stalled FreeSWITCH is
        found even when the engine has no command to send."""
        while not conn.closed.is_set():
            gevent.sleep(self.keepalive)
            silent = time.monotonic() - conn.last_rx
            if conn.closed.is_set() or silent < self.keepalive:
                continue
            if silent >= self.keepalive + self.command_timeout:
                # Our probe is stuck behind a blocked write, or lost: give the connection up here.
                log.warning("freeswitch silent; reconnecting", extra={"node": self.name, "silent_s": round(silent, 1)})
                conn.close("silent for too long")
                return
            gevent.spawn(self._probe, conn)

    def _probe(self, conn: ESLConnection) -> None:
        try:
            conn.send("api version")
        except NotConnectedError as exc:
            log.warning("freeswitch stopped answering; reconnecting", extra={"node": self.name, "error": str(exc)})

    def _dispatch(self, event: dict[str, Any]) -> None:
        name = event.get("Event-Name")
        if name == "HEARTBEAT":
            self.heartbeat(event)
        elif name in ("SHUTDOWN", "SHUTDOWN_REQUESTED"):
            self._shutdown_event(event)
        self._on_event(self, event)
