"""One FreeSWITCH node: a supervised ESL connection, fed to its readiness (readiness.py) and capacity.

The supervisor connects with exponential back-off (jittered: reconnects.py), subscribes
narrowly, asks FreeSWITCH who it is, what its limits are and whether it can
place autocall's calls (checks.py), reports up/down to the engine (which
settles the calls it may have missed: the reconnect, or a new Core-UUID when
FreeSWITCH itself restarted), and starts over when the connection drops; a
silent connection is probed and given up (keepalive.py).

A node is *dialled* only while it is up and has no problem (readiness.py).
The checks run again every ``check_every`` seconds (every second while a
problem may clear by itself), so a node comes back on its own after
``reloadxml`` or ``fsctl shutdown cancel``. A shutdown is seen at once: the subscription has
SHUTDOWN and SHUTDOWN_REQUESTED, and FreeSWITCH's refusal of an originate
makes the node look again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import gevent
import gevent.event

from dialer.esl import keepalive
from dialer.esl.capacity import Capacity
from dialer.esl.checks import SwitchState, read_state
from dialer.esl.connection import ESLConnection, NotConnectedError, Reply
from dialer.esl.filters import EngineFilters
from dialer.esl.node_config import NodeConfig
from dialer.esl.readiness import Readiness
from dialer.esl.reconnects import Reconnects

# NodeConfig lives in node_config.py; the engine, config.py, bench and the tests import it from here.
__all__ = ["Node", "NodeConfig"]

log = logging.getLogger("autocall.esl")

# A narrow subscription: the events a dialer needs, nothing per-state. SHUTDOWN and
# SHUTDOWN_REQUESTED come once per shutdown; a plain subscription without them hears
# of a shutdown only from refused originates (esl-captures batch2). callcenter::info is
# mod_callcenter's (autodialer campaigns: agents and queue members, docs/autodialer.md);
# a FreeSWITCH without mod_callcenter simply never fires it.
SUBSCRIPTION = (
    "event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF SHUTDOWN "
    "SHUTDOWN_REQUESTED CUSTOM avmd::beep callcenter::info"
)
CHECK_EVERY_S = 10.0  # re-read the limits and re-check the node this often
RECHECK_S = 1.0  # ...and this often while it has a problem, or right after a refusal
SIGNED = 1 << 31


def _signed(value: str | None) -> int | None:
    """A HEARTBEAT counter FreeSWITCH printed with %u (4294967294 is -2)."""
    try:
        n = int(value or "")
    except ValueError:
        return None
    return n - (1 << 32) if n >= SIGNED else n


class Node:
    def __init__(
        self,
        config: NodeConfig,
        *,
        on_event: Callable[[Node, dict[str, Any]], None],
        on_up: Callable[[Node], None] | None = None,
        on_down: Callable[[Node], None] | None = None,
        command_timeout: float = 10.0,
        keepalive: float = 5.0,
        check_every: float = CHECK_EVERY_S,
        clock: Callable[[], float] = time.time,
        engine_tag: str = "",
    ) -> None:
        self.config = config
        # The engine's id, in the originates' {autocall_engine=...}: the connection is filtered to
        # its calls and to those it adopted (filters.py). "": no filter.
        self.filters = EngineFilters(engine_tag)
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
        self.capacity = Capacity(
            sps_cap=config.sps,
            max_sessions_cap=config.max_sessions,
            bgapi_window=config.bgapi_window,
            share=config.share,
        )
        self.readiness = Readiness(config.name)  # the problems, what FreeSWITCH last said (readiness.py)
        self.core_uuid = ""  # FreeSWITCH's Core-UUID on this connection
        self.previous_core = ""  # ...and on the one before (a different one: FreeSWITCH restarted)
        self.core_started_ms = 0  # when that FreeSWITCH process started (engine clock, from its uptime)
        self.dropped_ms = 0  # when the last connection dropped (engine clock)
        self.reconnects = 0
        self.down_since = time.monotonic()  # while not up: since when
        self._greenlet: gevent.Greenlet | None = None
        self._stopping = False
        # The tries to reconnect while down, and the refusals among them (reconnects.py)
        self.reconnecting = Reconnects(config.name, lambda: self._stopping)
        self._recheck = gevent.event.Event()

    # -- readiness (readiness.py) ------------------------------------------------------
    @property
    def state(self) -> SwitchState:
        """What FreeSWITCH said about itself at the last check."""
        return self.readiness.state

    @property
    def problems(self) -> dict[str, str]:
        """Why this node is not dialled now ({kind: operator-facing reason}; empty: dialled)."""
        return self.readiness.problems

    @property
    def expects_cdrs(self) -> bool:
        """AUTOCALL_CDR_SECRET is set: FreeSWITCH should load mod_json_cdr."""
        return self.readiness.expects_cdrs

    @expects_cdrs.setter
    def expects_cdrs(self, value: bool) -> None:
        self.readiness.expects_cdrs = value

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

    def dialled(self, n: int) -> None:
        """The engine has written (or failed) the ``n`` originates a pacer took: their window
        reservation ends; what was written holds its slot until its reply (``send_originates``)."""
        self.capacity.window.unreserve(n)

    def wake_on_room(self, wake: Callable[[], None]) -> bool:
        """The reply window is full: ``wake`` is called when replies have freed room (True)."""
        return self.capacity.window.wake_on_room(wake)

    def send_originates(self, commands: list[str]) -> list[gevent.event.AsyncResult] | None:
        """Write ``bgapi originate`` commands in one write; their pending replies, each holding a
        slot of the reply window until it is set. None (nothing written) while not dialled: tokens
        taken before a drop must not send on the next connection before it is checked."""
        conn = self.conn
        if not self.ready or conn is None:
            return None
        results = conn.send_nowait(commands)
        self.capacity.window.written(results)
        return results

    def api_many(self, commands: list[str]) -> list[Reply]:
        """Run ``api`` commands (one write, replies in order) and wait for their replies: from a
        greenlet of its own, never the event reader. NotConnectedError while not up (or when the
        connection drops, or a reply is late: the connection is then given up, as for any command)."""
        conn = self.conn
        if not self.up.is_set() or conn is None:
            raise NotConnectedError(f"{self.name}: not connected")
        return conn.send_many([f"api {command}" for command in commands])

    def wait_time(self) -> float:
        return self.capacity.bucket.wait_time()

    def refused(self, cause: str) -> None:
        """FreeSWITCH refused an originate without a channel (limits, a shutdown, mod_sofia
        gone: the job cause cannot tell them apart): slow down, and look again now."""
        if self.capacity.refused():
            rate = round(self.capacity.bucket.rate, 1)
            log.warning(
                "freeswitch refused a call; halving the originate rate and checking why",
                extra={"node": self.name, "cause": cause, "rate": rate},
            )
        self.recheck()

    def recheck(self) -> None:
        """Look at FreeSWITCH again now (something suggests its state changed)."""
        self._recheck.set()

    def suspect(self, kind: str, why: str) -> None:
        """A call showed a problem (e.g. answered into no dialplan): stop dialling here at once,
        until the next check (now) confirms it or finds the node fine."""
        self.readiness.suspect(kind, why)
        self.recheck()

    # -- dialling -----------------------------------------------------------------------
    def dialable(self, voicemail_detection: bool = False) -> str | None:
        """None if a call may be placed here now, else why not."""
        return self.readiness.dialable(self.up.is_set(), voicemail_detection)

    def status(self) -> str:
        """``up``, ``down``, ``not ready: <why>`` or ``up (<note>)`` (readiness.py)."""
        return self.readiness.status(self.up.is_set())

    # -- what FreeSWITCH says -------------------------------------------------------------
    def apply_state(self, state: SwitchState, events_before: int | None = None, *, connecting: bool = False) -> None:
        """Take in the answers to the checks (checks.py). ``events_before``: the count of shutdown
        events when the checks were sent; one that came since is newer than their answers."""
        before, previous = self.readiness.take_state(state, events_before)
        if self.capacity.limits(state.sps, state.max_sessions):
            log.info(
                "freeswitch limits",
                extra={
                    "node": self.name,
                    "sps": self.capacity.sps_limit,
                    "max_sessions": self.capacity.max_sessions,
                    "rate": round(self.capacity.target, 1),
                },
            )
        if state.sessions is not None:
            self.capacity.sessions(state.sessions, None)
        self.readiness.log_changes(before, previous, connecting=connecting)

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
        self.readiness.shutdown_event(event)
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
        conn = ESLConnection(
            self.config.host,
            self.config.port,
            self.config.password,
            on_event=self._dispatch,
            command_timeout=self.command_timeout,
            name=self.name,
        )
        self.readiness.new_connection()
        self.capacity.sessions(0, None)  # a restarted FreeSWITCH has none; the checks say how many
        try:
            conn.connect()
            # The filters before the subscription (one write): no other engine's event ever comes.
            for reply in conn.send_many([*self.filters.commands(), SUBSCRIPTION]):
                if not reply.ok:
                    raise NotConnectedError(f"filter or subscription refused: {reply.text}")
            self.conn = conn
            events = self.readiness.shutdown_events
            state = read_state(conn)
        except (NotConnectedError, OSError):
            conn.close("connect failed")
            raise
        self.previous_core, self.core_uuid = self.core_uuid, state.core_uuid
        if state.uptime_ms is not None:
            self.core_started_ms = int(self.clock() * 1000) - state.uptime_ms
        self.apply_state(state, events, connecting=True)
        return conn

    @property
    def engine_tag(self) -> str:
        return self.filters.tag

    @property
    def followed(self) -> set[str]:
        return self.filters.followed

    def follow(self, tag: str) -> None:
        """Hear the calls the engine ``tag`` placed here too (adoption), on this connection and the
        next ones. Once this returns FreeSWITCH sends their events (its reply comes after the filter
        is in place); raises NotConnectedError if the connection dropped (the next one has it)."""
        command = self.filters.follow(tag)
        if command is not None:
            if self.conn is None:
                raise NotConnectedError("not connected")
            self.conn.send(command)

    def unfollow(self, tag: str) -> None:
        """Stop hearing the calls of ``tag`` (its adopted calls are settled)."""
        command = self.filters.unfollow(tag)
        if command is not None and self.conn is not None and not self.conn.closed.is_set():
            try:
                self.conn.send(command)
            except NotConnectedError:
                pass  # the next connection is made without it

    def refused_for(self) -> float:
        """Seconds between the first and the last of the connects refused in a row while down (0: none).
        A refusal is the host saying nothing listens on the port: FreeSWITCH's process is gone."""
        return 0.0 if self.up.is_set() else self.reconnecting.refused_for()

    def _supervise(self) -> None:
        while not self._stopping:
            conn = self.reconnecting.connect(self._connect)
            if conn is None:
                return
            self.up.set()
            log.info(
                "freeswitch connected",
                extra={
                    "node": self.name,
                    "core": self.core_uuid,
                    "restarted": bool(self.previous_core) and self.previous_core != self.core_uuid,
                },
            )
            keep = gevent.spawn(keepalive.watch, conn, self.name, self.keepalive, self.command_timeout)
            helpers = [keep, gevent.spawn(self._check_loop, conn)]
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
            events = self.readiness.shutdown_events
            try:
                self.apply_state(read_state(conn), events)
            except NotConnectedError:
                return

    def _dispatch(self, event: dict[str, Any]) -> None:
        name = event.get("Event-Name")
        if name == "HEARTBEAT":
            self.heartbeat(event)
        elif name in ("SHUTDOWN", "SHUTDOWN_REQUESTED"):
            self._shutdown_event(event)
        self._on_event(self, event)
