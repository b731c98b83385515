"""The simulator as real processes (``autocall simswitch``), one per FreeSWITCH node: killed with
SIGKILL, shut down as FreeSWITCH does, and started again on the same port (a new Core-UUID)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import gevent

from tests.conftest import free_port
from tests.eslclient import RawClient

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "ClueCon"


class SimProcess:
    """One node: ``autocall simswitch`` on a port of its own, its originates logged (``--originate-log``:
    ``<monotonic ns> <call uuid>`` per originate, every process started on this port appending to it)."""

    def __init__(self, workdir: Path, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        self.name, self.port = name, free_port()
        self.dir = workdir / name
        self.dir.mkdir(parents=True)
        self.args, self.env = args, env or {}
        self.originate_log = self.dir / "originates.log"
        self.procs: list[subprocess.Popen] = []

    @property
    def proc(self) -> subprocess.Popen:
        return self.procs[-1]

    def start(self) -> None:
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_")}
        cmd = [sys.executable, "-m", "dialer.cli", "simswitch", "--listen", f"127.0.0.1:{self.port}"]
        cmd += ["--password", PASSWORD, "--heartbeat", "0", "--originate-log", str(self.originate_log)]
        cmd += ["--cdr-log-dir", str(self.dir / "log"), *self.args]
        log = open(self.dir / f"sim{len(self.procs)}.log", "ab")
        self.procs.append(
            subprocess.Popen(
                cmd,
                env={**base, "PYTHONPATH": str(ROOT), **self.env},
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        log.close()
        with gevent.Timeout(30, AssertionError(f"{self.name}: the simulator never listened")):
            while not self.listening():
                assert self.proc.poll() is None, f"{self.name}: the simulator exited ({self.proc.returncode})"
                gevent.sleep(0.05)

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
        except OSError:
            return False
        return True

    def kill9(self) -> None:
        """FreeSWITCH dies (kill -9): its calls, its queued CDRs and its socket go with it."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def freeze(self) -> None:
        """FreeSWITCH hangs (SIGSTOP): its sockets stay open and connects are accepted, but nothing answers."""
        os.killpg(self.proc.pid, signal.SIGSTOP)

    def admin(self) -> RawClient:
        client = RawClient("127.0.0.1", self.port)
        client.login(PASSWORD)
        return client

    def shutdown(self) -> None:
        """``fsctl shutdown`` (what SIGTERM does to FreeSWITCH): every channel hung up SYSTEM_SHUTDOWN,
        each one's CDR posted, then the socket closed; the process is then reaped (it is not restarted)."""
        client = self.admin()
        client.send("bgapi fsctl shutdown")
        with gevent.Timeout(30, AssertionError(f"{self.name}: the shutdown never closed the socket")):
            while not client.closed:
                gevent.sleep(0.05)
        self.kill9()

    def originates(self) -> list[tuple[int, str]]:
        """(monotonic ns, call uuid) of every originate this node received, across its processes."""
        if not self.originate_log.exists():
            return []
        rows = (line.split() for line in self.originate_log.read_text().splitlines() if line.strip())
        return [(int(t), uuid) for t, uuid in rows]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()


def scenario_file(path: Path, scenario: dict) -> str:
    path.write_text(json.dumps(scenario))
    return str(path)


class SimProcesses:
    """Factory of :class:`SimProcess` (the test's fixture): ``make(name, args, env)`` starts one;
    :meth:`stop` kills and reaps every process started, whatever the test's outcome."""

    def __init__(self, workdir: Path) -> None:
        self.workdir, self.made = workdir, []

    def __call__(self, name: str, args: list[str], env: dict[str, str] | None = None) -> SimProcess:
        self.made.append(SimProcess(self.workdir, name, args, env))
        self.made[-1].start()
        return self.made[-1]

    def stop(self) -> None:
        for sim in self.made:
            sim.stop()
