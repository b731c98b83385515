"""What the simulator costs per call: CPU-ms of the ``autocall simswitch`` process, two paths.

    python bench/simswitch_throughput.py [--calls 20000] [--window 500] [--runs 1]
                                         [--baseline-root DIR]

The simulator runs in its own process; this client, in another, keeps ``window``
originates in flight (a client-chosen Job-UUID each) until every call is over,
and reads the simulator's CPU from /proc (user + system). Paths:

* **engine** (the engine's real path): subscribed exactly as the engine subscribes
  (``dialer.esl.node.SUBSCRIPTION``: ``event json ...``), each call originated as
  the engine does (``dialer.routing.dialstring.build_originate``: ``{autocall_*}``
  globals, a ``[origination_uuid,...]`` leg on a gateway, ``autocall XML autocall``),
  so an answered call runs the shipped XML dialplan (sched_hangup, answer,
  avmd_start, playback of a 0.5 s WAV, avmd_stop, hangup).
* **plain**: ``event plain`` of a dialer's set, ``&playback(file)`` calls.
* **jobs only**: subscribed to BACKGROUND_JOB alone (no channel event is rendered):
  what the call machinery costs without events.

Scenario: the default mix (answer 60 %, 486 15 %, no answer 15 %, 404, 503),
time-scale 0.0001. ``--baseline-root DIR`` runs the same paths, same run, against
the simulator of another checkout (``git worktree add /tmp/base <commit>``) and
prints the before/after ratio of CPU-ms per call.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dialer.domain.enums import ModeCall  # noqa: E402
from dialer.esl.node import SUBSCRIPTION  # noqa: E402
from dialer.routing.dialstring import Leg, build_originate  # noqa: E402

SCENARIO = """
default:
  mix: {answer: 0.6, sip486: 0.15, no_answer: 0.15, sip404: 0.05, sip503: 0.05}
  talk: [5, 40]
  ring: [2, 15]
"""
PLAIN_EVENTS = "event plain BACKGROUND_JOB CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE HEARTBEAT"
JOBS_ONLY = "event plain BACKGROUND_JOB"
PATHS = ("engine", "plain", "jobs")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_times(pid: int) -> tuple[float, float]:
    """(user, system) CPU-seconds of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))


def engine_originate(n: int, wav: Path) -> tuple[str, str]:
    """(the bgapi as the engine writes it, its Job-UUID)."""
    call, job = str(uuid.uuid4()), str(uuid.uuid4())
    leg = Leg(uuid=call, gateway="viettel", number=f"09{n % 100000000:08d}", caller_id="0281234567")
    variables = {
        "autocall_campaign": "c0000000-0000-4000-8000-000000000001",
        "autocall_lead": str(uuid.uuid4()),
        "autocall_call": call,
        "autocall_file": str(wav),
    }
    arg = build_originate(
        [leg], ModeCall.DIRECT, timeout=30, global_vars=variables, destination="autocall XML autocall"
    )
    return f"bgapi originate {arg}\nJob-UUID: {job}\n\n", job


def plain_originate(n: int, wav: Path) -> tuple[str, str]:
    u = str(uuid.uuid4())
    return (
        f"bgapi originate {{origination_uuid={u},originate_timeout=30,ignore_early_media=true,"
        f"origination_caller_id_number=0281234567}}sofia/gateway/viettel/09{n % 100000000:08d}"
        f" &playback({wav})\nJob-UUID: {u}\n\n",
        u,
    )


def run(path: str, calls: int, window: int, workdir: Path, sim_root: Path, profile: str = "") -> dict:
    """One simulator process, ``calls`` calls on ``path``; its CPU-seconds and the wall time."""
    port = free_port()
    scen = workdir / "scenario.yaml"
    scen.write_text(SCENARIO)
    wav = workdir / "short.wav"
    write_wav(wav, 0.5)
    env = {**os.environ, "PYTHONPATH": str(sim_root)}
    spy = [str(Path(sys.executable).with_name("py-spy")), "record", "-r", "250", "-f", "raw", "-o", profile]
    sim = subprocess.Popen(
        ([*spy, "--nonblocking", "--"] if profile else [])
        + [sys.executable, "-m", "dialer.cli", "simswitch", "--listen", f"127.0.0.1:{port}", "--password", "bench"]
        + ["--scenario", str(scen), "--time-scale", "0.0001", "--sps", "10000000", "--max-sessions", "10000000"]
        + ["--seed", "1", "--heartbeat", "1"],
        cwd=str(sim_root),
        env=env,
        stderr=subprocess.DEVNULL,
    )
    subscription = {"engine": SUBSCRIPTION, "plain": PLAIN_EVENTS, "jobs": JOBS_ONLY}[path]
    make = engine_originate if path == "engine" else plain_originate
    try:
        for _ in range(400):
            try:
                sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("simswitch did not start")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""

        def read_until(marker: bytes) -> None:
            nonlocal buf
            while marker not in buf:
                buf += sock.recv(65536)
            buf = buf[buf.index(marker) + len(marker) :]

        read_until(b"auth/request\n\n")
        sock.sendall(b"auth bench\n\n")
        read_until(b"Reply-Text: +OK accepted\n\n")
        sock.sendall(f"{subscription}\n\n".encode())
        read_until(b"listener enabled")
        # Originates are built before the clock starts: the client's cost is not in the figure.
        commands = [make(n, wav)[0] for n in range(calls)]
        cpu0, t0 = cpu_times(sim.pid), time.perf_counter()
        sent = done = 0
        received_bytes = 0
        pending = buf
        count_hangups = path != "jobs"
        while done < calls:
            if sent < calls and sent - done < window:
                take = min(calls - sent, window - (sent - done), 200)
                sock.sendall("".join(commands[sent : sent + take]).encode())
                sent += take
            data = sock.recv(1 << 20)
            received_bytes += len(data)
            pending += data
            while True:  # frame by Content-Length; count finished calls
                end = pending.find(b"\n\n")
                if end < 0:
                    break
                head = pending[:end]
                i = head.find(b"Content-Length: ")
                length = int(head[i + 16 :].split(b"\n", 1)[0]) if i >= 0 else 0
                if len(pending) < end + 2 + length:
                    break
                body = pending[end + 2 : end + 2 + length]
                pending = pending[end + 2 + length :]
                name = body[:60]
                if count_hangups:
                    done += b"CHANNEL_HANGUP_COMPLETE" in name
                else:
                    done += b"BACKGROUND_JOB" in name
        elapsed = time.perf_counter() - t0
        user, system = (b - a for a, b in zip(cpu0, cpu_times(sim.pid), strict=True))
        return {
            "calls": calls,
            "seconds": elapsed,
            "cpu_s": user + system,
            "sys_s": system,
            "mbytes": received_bytes / 1e6,
        }
    finally:
        if profile:  # py-spy writes its profile when the simulator ends
            for child in Path(f"/proc/{sim.pid}/task/{sim.pid}/children").read_text().split():
                os.kill(int(child), 15)
            sim.wait(30)
        else:
            sim.terminate()
            sim.wait(10)


def line(label: str, r: dict) -> str:
    ms = 1000 * r["cpu_s"] / r["calls"]
    return (
        f"{label:<22} {ms:6.3f} CPU-ms/call  {r['calls'] / r['cpu_s'] if r['cpu_s'] else 0:7.0f} calls/CPU-s  "
        f"{r['calls'] / r['seconds']:7.0f} calls/s wall  {r['mbytes']:6.1f} MB  (system {r['sys_s'] / r['cpu_s']:.0%})"
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--window", type=int, default=500)
    ap.add_argument("--runs", type=int, default=1, help="repeat each measurement (figures are noisy on a shared box)")
    ap.add_argument("--paths", default=",".join(PATHS), help=f"comma-separated subset of {','.join(PATHS)}")
    ap.add_argument("--baseline-root", type=Path, help="a checkout whose simulator is the baseline (same run)")
    ap.add_argument("--profile", default="", help="run the simulator under py-spy (raw) into this file (CPU not valid)")
    args = ap.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    results: dict[tuple[str, str], list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        roots = [("this", ROOT)] + ([("baseline", args.baseline_root)] if args.baseline_root else [])
        for n in range(args.runs):
            for path in paths:
                for label, root in roots:  # interleaved: the same load for both
                    r = run(path, args.calls, args.window, Path(tmp), root, args.profile)
                    results.setdefault((label, path), []).append(r)
                    print(line(f"[{n + 1}] {label} {path}", r), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    names = {"engine": "engine path (json + XML dialplan)", "plain": "plain + &playback", "jobs": "jobs only"}
    for path in paths:
        this = results[("this", path)]
        ms = [1000 * r["cpu_s"] / r["calls"] for r in this]
        text = (
            f"{names[path]:<36}: {min(ms):.3f} CPU-ms/call (best of {len(ms)}; all {', '.join(f'{m:.3f}' for m in ms)})"
        )
        if args.baseline_root:
            base = [1000 * r["cpu_s"] / r["calls"] for r in results[("baseline", path)]]
            text += f"; baseline {min(base):.3f}: {min(base) / min(ms):.2f}x cheaper"
        print(text)


if __name__ == "__main__":
    main()
