"""One FreeSWITCH node: a supervised ESL connection and its free capacity.

The supervisor connects with exponential back-off (jittered), subscribes
narrowly, reports up/down to the engine (which reconciles live calls after a
reconnect), and starts over when the connection drops.

Capacity: FreeSWITCH refuses new sessions over ``sessions-per-second`` (per
calendar second) and ``max-sessions``, and fails the originate with
``DESTINATION_OUT_OF_ORDER`` — not the lead's fault, but a wasted attempt.
The node keeps a token bucket under the rate (burst + rate <= limit, so no
FreeSWITCH second can overflow) and counts sessions from the last HEARTBEAT
plus the legs this process started since. A throttle error halves the rate
for a while (multiplicative decrease, additive recovery).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import gevent
import gevent.event

from dialer.esl.connection import ESLConnection, NotConnectedError

log = logging.getLogger("autocall.esl")

# A narrow subscription: the events a dialer needs, nothing per-state.
SUBSCRIPTION = "event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF CUSTOM avmd::beep"
RATE_SHARE = 0.85  # of FreeSWITCH's sps kept for us: inbound calls count against it too
BURST_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class NodeConfig:
    name: str
    host: str
    port: int
    password: str = field(repr=False)  # never in a repr, so never in a log line
    sps: int = 30  # switch.conf.xml defaults until a HEARTBEAT says otherwise
    max_sessions: int = 1000

    @classmethod
    def from_url(cls, url: str) -> NodeConfig:
        """``esl://:PASSWORD@HOST:PORT[?name=N&sps=30&max_sessions=1000]``; the password is required."""
        from dialer.logs import redact_url

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
            sps=int(query.get("sps", 30)),
            max_sessions=int(query.get("max_sessions", 1000)),
        )


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.tokens = burst
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self, n: int) -> int:
        self._refill()
        k = min(n, int(self.tokens))
        self.tokens -= k
        return k

    def give_back(self, n: int) -> None:
        self.tokens = min(self.burst, self.tokens + n)

    def wait_time(self) -> float:
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


class Node:
    def __init__(self, config: NodeConfig, *, on_event: Callable[[Node, dict[str, Any]], None],
                 on_up: Callable[[Node], None] | None = None, on_down: Callable[[Node], None] | None = None,
                 command_timeout: float = 10.0, keepalive: float = 5.0) -> None:  # fmt: skip
        self.config = config
        self.keepalive = keepalive  # probe a silent connection this often (a stalled FreeSWITCH)
        self.name = config.name
        self._on_event = on_event
        self._on_up = on_up or (lambda node: None)
        self._on_down = on_down or (lambda node: None)
        self.command_timeout = command_timeout
        self.conn: ESLConnection | None = None
        self.up = gevent.event.Event()
        self.sps_limit = config.sps
        self.max_sessions = config.max_sessions
        self.bucket = TokenBucket(*self._rates(config.sps))
        self.throttled_until = 0.0
        self.hb_sessions = 0  # Session-Count at the last HEARTBEAT
        self.legs = 0  # legs of ours alive on this node now
        self._legs_at_hb = 0
        self.reconnects = 0
        self.down_since = time.monotonic()  # while not up: since when
        self._greenlet: gevent.Greenlet | None = None
        self._stopping = False

    @staticmethod
    def _rates(sps: int) -> tuple[float, float]:
        burst = max(1.0, sps * BURST_SHARE)
        return max(0.5, sps * RATE_SHARE - burst), burst

    # -- capacity ------------------------------------------------------------
    def free_sessions(self) -> int:
        others = max(0, self.hb_sessions - self._legs_at_hb)  # sessions that are not ours
        return self.max_sessions - others - self.legs - max(1, self.max_sessions // 50)

    def take(self, want: int) -> int:
        """Reserve up to ``want`` originates now (rate and session count)."""
        if not self.up.is_set():
            return 0
        return self.bucket.take(max(0, min(want, self.free_sessions())))

    def give_back(self, n: int) -> None:
        if n > 0:
            self.bucket.give_back(n)

    def throttled(self) -> None:
        """FreeSWITCH refused a session for its limits: slow down."""
        now = time.monotonic()
        if now > self.throttled_until:
            self.bucket.rate = max(0.5, self.bucket.rate * 0.5)
            self.throttled_until = now + 2.0
            log.warning("freeswitch throttled us; halving the originate rate",
                        extra={"node": self.name, "rate": round(self.bucket.rate, 1)})  # fmt: skip

    def heartbeat(self, event: dict[str, Any]) -> None:
        try:
            sps = int(event.get("Session-Per-Sec") or self.sps_limit)
            self.max_sessions = int(event.get("Max-Sessions") or self.max_sessions)
            self.hb_sessions = int(event.get("Session-Count") or 0)
        except ValueError:
            return
        self._legs_at_hb = self.legs
        rate, burst = self._rates(min(sps, self.config.sps) if self.config.sps else sps)
        self.sps_limit = sps
        self.bucket.burst = burst
        if time.monotonic() > self.throttled_until:
            self.bucket.rate = min(rate, self.bucket.rate + max(1.0, rate * 0.1)) if self.bucket.rate < rate else rate

    # -- supervision -------------------------------------------------------------
    def start(self) -> None:
        self._greenlet = gevent.spawn(self._supervise)

    def stop(self) -> None:
        self._stopping = True
        if self.conn is not None:
            self.conn.stop()
        if self._greenlet is not None:
            self._greenlet.kill()

    def _supervise(self) -> None:
        delay = 0.2
        while not self._stopping:
            conn = ESLConnection(self.config.host, self.config.port, self.config.password,
                                 on_event=self._dispatch, command_timeout=self.command_timeout,
                                 name=self.name)  # fmt: skip
            try:
                conn.connect()
                reply = conn.send(SUBSCRIPTION)
                if not reply.ok:
                    raise NotConnectedError(f"subscription refused: {reply.text}")
            except (NotConnectedError, OSError) as exc:
                conn.close(str(exc))
                log.warning("freeswitch unreachable; retrying",
                            extra={"node": self.name, "error": str(exc), "retry_in": round(delay, 2)})  # fmt: skip
                gevent.sleep(delay * random.uniform(0.8, 1.2))
                delay = min(delay * 2, 30.0)
                continue
            delay = 0.2
            self.conn = conn
            self.up.set()
            log.info("freeswitch connected", extra={"node": self.name})
            watchdog = gevent.spawn(self._watch, conn)
            try:
                self._on_up(self)
            except Exception:
                log.exception("on_up failed", extra={"node": self.name})
            conn.closed.wait()
            watchdog.kill()
            self.up.clear()
            self.down_since = time.monotonic()
            if self._stopping:
                return
            self.reconnects += 1
            log.warning("freeswitch connection lost; reconnecting", extra={"node": self.name})
            try:
                self._on_down(self)
            except Exception:
                log.exception("on_down failed", extra={"node": self.name})

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
        if event.get("Event-Name") == "HEARTBEAT":
            self.heartbeat(event)
        self._on_event(self, event)
