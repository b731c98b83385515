"""Helpers of bench/soak.py: the daemon as a process, a restartable Redis with AOF, the fault schedule.

Each fault fires at a seeded originate count (as dialer/simswitch/faults.py's FaultPlan), but never
before autocall dials again after the previous one: a fault whose moment comes meanwhile waits for the
next originate after that, so each time to dial again is one fault's alone.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import gevent
import redis

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return free_port() if port == 6379 else port  # never the default Redis port


class Daemon:
    """``autocall serve`` as a real process, killed with SIGKILL and started again at will."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_")}
        self.env = {**base, "PYTHONPATH": str(ROOT), **env}
        self.log = open(log_path, "ab")  # open for the whole run
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "dialer.cli", "serve"], env=self.env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=self.log)  # fmt: skip
        self.starts += 1

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class AofRedis:
    """A private redis-server (free port, appendonly yes, appendfsync everysec) restarted as systemd does:
    SIGTERM (it fsyncs its AOF and exits), then started again on the same port and directory."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.port = workdir, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("redis-server is not installed (scripts/test installs it)")
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir), "--save", "",
             "--appendonly", "yes", "--appendfsync", "everysec", "--protected-mode", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)  # fmt: skip
        client = redis.Redis(port=self.port)
        with gevent.Timeout(30):
            while True:
                try:
                    client.ping()
                    break
                except (redis.ConnectionError, redis.BusyLoadingError):
                    gevent.sleep(0.02)
        client.close()

    def stop(self) -> None:
        assert self.proc is not None
        self.proc.terminate()
        self.proc.wait(30)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()


@dataclass
class Fault:
    kind: str  # kill9 | esl_drop | fs_restart | redis_restart
    at: int  # the originate count it was planned at
    fired_at: int = 0  # the count it fired at (later when the previous fault was still recovering)
    t0: float = 0.0  # monotonic time it fired
    wall: float = 0.0  # seconds since the soak started
    back: float | None = None  # seconds until the faulty part was back (daemon started, FS listening, Redis up)
    dialling: float | None = None  # seconds until the first originate of an autocall call after it was back
    reconnect: float | None = None  # ESL drop: seconds until autocall's new Event Socket connection
    live: set[str] = field(default_factory=set)  # autocall calls up in the simulator when it fired
    settled: float | None = None  # seconds until every one of them had its CDR in Redis (-1: not in 180 s)


@dataclass
class Schedule:
    """The faults at seeded originate counts, one at a time: the next fires once the current one's
    part is back and autocall dialled again (the calls up at a fault may still be settling then)."""

    faults: list[Fault]
    actions: dict[str, Callable[[Fault], None]]  # each runs in its own greenlet and sets fault.back
    live_calls: Callable[[], set[str]]
    last_command: Callable[[], str]
    pending: list[Fault] = field(default_factory=list)
    current: Fault | None = None

    @classmethod
    def seeded(cls, seed: int, kinds: list[str], span: tuple[int, int], **kw) -> Schedule:
        rng = random.Random(seed)
        kinds = list(kinds)
        rng.shuffle(kinds)
        lo, hi = span
        width = max(1, (hi - lo) // max(1, len(kinds)))  # one fault per slot of the span, anywhere in its middle
        moments = [lo + i * width + rng.randrange(width // 4, max(width // 4 + 1, 3 * width // 4))
                   for i in range(len(kinds))]  # fmt: skip
        faults = [Fault(kind, at) for kind, at in zip(kinds, moments, strict=True)]
        return cls(faults, pending=list(faults), **kw)

    def on_originate(self, n: int) -> None:
        now = time.monotonic()
        fault = self.current
        if fault is not None:
            if fault.back is not None and fault.dialling is None and "null/" not in self.last_command():
                fault.dialling = now - fault.t0  # the first originate of a call (not a CDR barrier) since
            if fault.dialling is None:
                return
            self.current = None
        if self.pending and n >= self.pending[0].at:
            fault = self.current = self.pending.pop(0)
            fault.fired_at, fault.t0, fault.live = n, now, self.live_calls()
            gevent.spawn(self.actions[fault.kind], fault)

    @property
    def done(self) -> bool:
        return not self.pending and self.current is None
