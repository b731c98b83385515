"""The processes a bench phase runs beside the engine: redis-server, simulators, a webhook receiver.

Each is its own OS process, so its CPU is not the engine's; /proc gives each one's CPU-seconds.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench-secret"
STARTED: list[subprocess.Popen] = []  # every process a phase started: stop_all() ends those still running


def spawn(args: list[str], **kw) -> subprocess.Popen:
    proc = subprocess.Popen(args, **kw)
    STARTED.append(proc)
    return proc


def stop_all() -> None:
    """Whatever a phase left running (an interrupted bench): stopped, newest first."""
    while STARTED:
        stop(STARTED.pop())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_pid(pid: int) -> float:
    """CPU-seconds (user + system) of another process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def wait_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not start")


def stop(proc: subprocess.Popen | None, timeout: float = 15.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = spawn(
        [
            shutil.which("redis-server") or "redis-server",
            *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "", "--appendonly", "no"),
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_port(port, proc, "redis-server")
    return proc, port


@dataclass
class Env:
    """What every phase shares: the work directory (audio files under audio/) and the Redis."""

    workdir: Path
    redis_port: int
    redis_pid: int
    originate_log: bool = False  # the simulators support --originate-log


def sim_supports(option: str) -> bool:
    """Whether ``autocall simswitch`` has ``option`` (``--originate-log`` comes with the perf-sim work)."""
    out = subprocess.run(
        [sys.executable, "-m", "dialer.cli", "simswitch", "--help"], cwd=str(ROOT), capture_output=True, text=True
    )
    return option in out.stdout


class Sim:
    """One ``autocall simswitch`` process: one FreeSWITCH node."""

    def __init__(
        self,
        workdir: Path,
        tag: str,
        scenario: str,
        *,
        time_scale: float,
        sps: int,
        max_sessions: int = 100_000,
        originate_log: bool = False,
        seed: int = 1,
    ) -> None:
        self.port = free_port()
        scen = workdir / f"scenario-{tag}.yaml"
        scen.write_text(scenario)
        self.stats_path = workdir / f"stats-{tag}.json"
        self.originate_log = workdir / f"originates-{tag}.log" if originate_log else None
        args = [sys.executable, "-m", "dialer.cli", "simswitch", "--listen", f"127.0.0.1:{self.port}"]
        args += ["--password", PASSWORD, "--scenario", str(scen), "--time-scale", str(time_scale)]
        args += ["--sps", str(sps), "--max-sessions", str(max_sessions), "--heartbeat", "1"]
        args += ["--stats-file", str(self.stats_path), "--seed", str(seed)]
        if self.originate_log is not None:
            args += ["--originate-log", str(self.originate_log)]
        self.proc = spawn(args, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=open(workdir / f"sim-{tag}.log", "w"))
        wait_port(self.port, self.proc, "simswitch")
        self.cpu0 = cpu_pid(self.proc.pid)

    @property
    def url(self) -> str:
        return f"esl://:{PASSWORD}@127.0.0.1:{self.port}?name=sim{self.port}"

    def cpu(self) -> float:
        return cpu_pid(self.proc.pid) - self.cpu0

    def mark(self) -> None:
        self.cpu0 = cpu_pid(self.proc.pid)

    def stats(self) -> dict:
        try:
            return json.loads(self.stats_path.read_text())
        except (OSError, ValueError):
            return {}

    def originates(self) -> dict[str, int]:
        """origination_uuid -> time.monotonic_ns() when the simulator received the originate."""
        out: dict[str, int] = {}
        if self.originate_log is None or not self.originate_log.exists():
            return out
        for line in self.originate_log.read_text().splitlines():
            stamp, _, uuid = line.partition(" ")
            if uuid:
                out.setdefault(uuid.strip(), int(stamp))
        return out

    def close(self) -> dict:
        stop(self.proc)
        return self.stats()


RECEIVER = r"""
import http.server, sys, threading
count = [0]
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with lock:
            count[0] += 1
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def do_GET(self):
        body = str(count[0]).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


class Receiver:
    """A webhook receiver in its own process: answers 200 to every POST, GET returns the count."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc = spawn([sys.executable, "-c", RECEIVER, str(self.port)])
        wait_port(self.port, self.proc, "webhook receiver")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def count(self) -> int:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"GET /count HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while chunk := s.recv(4096):
                data += chunk
        return int(data.split(b"\r\n\r\n", 1)[1] or 0)

    def close(self) -> None:
        stop(self.proc)
