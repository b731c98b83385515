"""Real processes the fault specs and bench/soak.py run: ``autocall serve`` killed at will, a Redis with AOF."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import gevent
import redis

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


class Daemon:
    """``autocall serve`` as a real process, killed with SIGKILL and started again at will. Its log
    (stderr) goes to ``log_path`` (default: ``KILL9_LOG``, else nowhere)."""

    def __init__(self, env: dict[str, str], log_path: str | os.PathLike | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_") or k == "AUTOCALL_TEST"}
        self.env = {**base, "PYTHONPATH": str(ROOT), **env}
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.pending_kills: list[int] = []  # originate counts still to kill at (kill_at_originates)
        self.log = open(log_path or os.environ.get("KILL9_LOG", os.devnull), "ab")  # for the whole run

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "dialer.cli", "serve"], env=self.env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=self.log)  # fmt: skip
        self.starts += 1

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def kill_at_originates(self, switch, moments: list[int]) -> list[tuple[int, float, float]]:
        """kill -9 and restart at once when the simulator receives each of these originate counts.
        Returns the kills as they happen: (originate count, monotonic time, epoch ms)."""
        pending = sorted(moments)
        kills: list[tuple[int, float, float]] = []

        def restart(n: int) -> None:
            kills.append((n, time.monotonic(), time.time() * 1000))
            self.kill9()
            self.start()

        def maybe_kill(n: int) -> None:
            if pending and n >= pending[0]:
                pending.pop(0)
                gevent.spawn(restart, n)

        switch.on_originate.append(maybe_kill)
        self.pending_kills = pending
        return kills

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
