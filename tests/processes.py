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
import pytest
import redis

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]


class Daemon:
    """``autocall serve`` as a real process, killed with SIGKILL and started again at will. Its log
    (stderr) goes to ``log_path`` (default: ``KILL9_LOG``, else nowhere).

    Each process runs in a process group of its own; :meth:`stop` (the ``daemons`` fixture calls
    it whatever the test's outcome) ends pending restarts, then the group, and reaps it: nothing
    it started is left running."""

    def __init__(self, env: dict[str, str], log_path: str | os.PathLike | None = None) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_") or k == "AUTOCALL_TEST"}
        self.env = {**base, "PYTHONPATH": str(ROOT), **env}
        self.proc: subprocess.Popen | None = None
        self.procs: list[subprocess.Popen] = []  # every process started, in order
        self.starts = 0
        self.stopped = False
        self.pending_kills: list[int] = []  # originate counts still to kill at (kill_at_originates)
        self.restarting: list[gevent.Greenlet] = []  # kill_at_originates' restarts not yet done
        self.log = open(log_path or os.environ.get("KILL9_LOG", os.devnull), "ab")  # for the whole run

    def start(self) -> None:
        if self.stopped:  # a restart that comes after stop() starts nothing
            return
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dialer.cli", "serve"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
            start_new_session=True,
        )
        self.procs.append(self.proc)
        self.starts += 1

    def kill9(self) -> None:
        assert self.proc is not None
        if self.proc.returncode is None:  # never signal a pid already reaped (it may be reused)
            self._kill_group(self.proc)
        self.proc.wait()

    def kill_at_originates(self, switch, moments: list[int]) -> list[tuple[int, float, float]]:
        """kill -9 and restart at once when the simulator receives each of these originate counts.
        Returns the kills as they happen: (originate count, monotonic time, epoch ms), taken once the
        killed process is gone and the simulator has dropped its connection, before the next process
        starts: what the killed one dialled or heard came before that moment, the next one's after."""
        pending = sorted(moments)
        kills: list[tuple[int, float, float]] = []

        def restart(n: int) -> None:
            if self.stopped:
                return
            self.kill9()
            # Until the simulator has read the killed socket's end, what it writes there is heard by
            # nobody alive: the kill's moment is once it has (it then writes to no listener).
            with gevent.Timeout(30, AssertionError("the simulator never noticed the killed connection")):
                while switch.bus.listeners:
                    gevent.sleep(0.005)
            kills.append((n, time.monotonic(), time.time() * 1000))
            self.start()

        def maybe_kill(n: int) -> None:
            # One restart at a time: the killed process's originates still buffered in the simulator
            # may pass the next moment too; a second restart then would kill the same process and
            # start two, one of them never killed (it kept its connection: the kills after it
            # waited for it forever, and it outlived the test). The next kill comes with the next
            # process's originates.
            self.restarting = [g for g in self.restarting if not g.dead or g.exception is not None]
            if pending and n >= pending[0] and not self.stopped and all(g.dead for g in self.restarting):
                pending.pop(0)
                self.restarting.append(gevent.spawn(restart, n))

        switch.on_originate.append(maybe_kill)
        self.pending_kills = pending
        return kills

    @property
    def restarts_done(self) -> bool:
        """Every kill asked for has happened and the process after it was started (a restart that
        failed raises its error here)."""
        for restart in self.restarting:
            if restart.dead and restart.exception is not None:
                raise restart.exception
        return not self.pending_kills and all(g.dead for g in self.restarting)

    def stop(self) -> None:
        """SIGTERM (a drain, up to 30 s), then SIGKILL of its process group; reaped. Idempotent."""
        self.stopped = True
        gevent.killall(self.restarting)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        for proc in self.procs:  # every one not reaped yet, not only the last (and what it started)
            if proc.returncode is None:
                self._kill_group(proc)
                proc.wait()
        if not self.log.closed:
            self.log.close()

    @staticmethod
    def _kill_group(proc: subprocess.Popen) -> None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its own session: the group id is its pid
        except ProcessLookupError:
            pass


@pytest.fixture
def daemons():
    """Factory: a :class:`Daemon`, stopped and reaped after the test whatever its outcome."""
    made: list[Daemon] = []

    def make(env: dict[str, str], log_path: str | os.PathLike | None = None) -> Daemon:
        made.append(Daemon(env, log_path))
        return made[-1]

    yield make
    for daemon in made:
        daemon.stop()
    alive = [p.pid for d in made for p in d.procs if _alive(p.pid)]
    assert not alive, f"autocall serve processes left running: {alive}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


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
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "everysec",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
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
