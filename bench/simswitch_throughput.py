"""How many calls per second the simulator completes on one core.

    python bench/simswitch_throughput.py [--calls 20000] [--window 500]

The simulator runs in its own process (`autocall simswitch`); this client,
in another process, subscribes the way a dialer does (BACKGROUND_JOB,
CHANNEL_PROGRESS, CHANNEL_ANSWER, CHANNEL_HANGUP_COMPLETE, HEARTBEAT,
CUSTOM avmd::beep), keeps ``window`` originates in flight with a
client-chosen Job-UUID each, and counts CHANNEL_HANGUP_COMPLETE / failed
jobs until every call is over. The figure is calls per second of wall time
and per CPU-second of the simulator process (it is single-threaded, so the
latter is "per core"). Baseline, same run: the same load with the client
subscribed to BACKGROUND_JOB only (the simulator then builds no channel
events), to show what event rendering costs.
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

SCENARIO = """
default:
  mix: {answer: 0.6, sip486: 0.15, no_answer: 0.15, sip404: 0.05, sip503: 0.05}
  talk: [5, 40]
  ring: [2, 15]
"""
DIALER_EVENTS = "BACKGROUND_JOB CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE HEARTBEAT CUSTOM avmd::beep"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(calls: int, window: int, events: str) -> dict:
    port = free_port()
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(SCENARIO)
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialer.cli",
            "simswitch",
            "--listen",
            f"127.0.0.1:{port}",
            "--password",
            "bench",
            "--scenario",
            f.name,
            "--time-scale",
            "0.0001",
            "--sps",
            "10000000",
            "--max-sessions",
            "10000000",
            "--seed",
            "1",
            "--heartbeat",
            "1",
        ],
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(200):
            try:
                sock = socket.create_connection(("127.0.0.1", port))
                break
            except OSError:
                time.sleep(0.05)
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
        sock.sendall(f"event plain {events}\n\n".encode())
        read_until(b"enabled plain\n\n")
        cpu0, t0 = cpu_seconds(sim.pid), time.perf_counter()
        sent = done = 0
        received_bytes = 0
        hangups = jobs_failed = 0
        pending = b""
        while done < calls:
            if sent < calls and sent - done < window:
                batch = []
                while sent < calls and sent - done + len(batch) < window and len(batch) < 200:
                    u = uuid.uuid4()
                    batch.append(
                        f"bgapi originate {{origination_uuid={u},originate_timeout=30,ignore_early_media=true,"
                        f"origination_caller_id_number=0281234567}}sofia/gateway/viettel/09{sent % 100000000:08d}"
                        f" &playback(/var/lib/autocall/audio/m.wav)\nJob-UUID: {u}\n\n"
                    )
                sock.sendall("".join(batch).encode())
                sent += len(batch)
            data = sock.recv(1 << 20)
            received_bytes += len(data)
            pending += data
            # Frame by Content-Length; count finished calls.
            while True:
                end = pending.find(b"\n\n")
                if end < 0:
                    break
                head = pending[:end]
                length = 0
                i = head.find(b"Content-Length: ")
                if i >= 0:
                    length = int(head[i + 16 : head.find(b"\n", i) if head.find(b"\n", i) >= 0 else len(head)])
                if len(pending) < end + 2 + length:
                    break
                body = pending[end + 2 : end + 2 + length]
                pending = pending[end + 2 + length :]
                if body.startswith(b"Event-Name: CHANNEL_HANGUP_COMPLETE"):
                    hangups += 1
                    if events == DIALER_EVENTS:
                        done += 1
                elif body.startswith(b"Event-Name: BACKGROUND_JOB"):
                    if body.endswith(b"-ERR NO_ANSWER\n") or b"\n\n-ERR" in body:
                        jobs_failed += 1
                    if events != DIALER_EVENTS:
                        done += 1
        elapsed = time.perf_counter() - t0
        cpu = cpu_seconds(sim.pid) - cpu0
        return {
            "calls": calls,
            "seconds": elapsed,
            "calls_per_s": calls / elapsed,
            "sim_cpu_s": cpu,
            "calls_per_cpu_s": calls / cpu if cpu else float("inf"),
            "mbytes": received_bytes / 1e6,
        }
    finally:
        sim.terminate()
        sim.wait(10)
        os.unlink(f.name)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--window", type=int, default=500)
    args = ap.parse_args()
    base = run(args.calls, args.window, "BACKGROUND_JOB")
    full = run(args.calls, args.window, DIALER_EVENTS)
    print(
        f"baseline (BACKGROUND_JOB only): {base['calls_per_s']:8.0f} calls/s wall, "
        f"{base['calls_per_cpu_s']:8.0f} calls per simulator CPU-second, {base['mbytes']:.1f} MB"
    )
    print(
        f"dialer subscription           : {full['calls_per_s']:8.0f} calls/s wall, "
        f"{full['calls_per_cpu_s']:8.0f} calls per simulator CPU-second, {full['mbytes']:.1f} MB"
    )
    print(f"ratio dialer/baseline (per CPU-second): {full['calls_per_cpu_s'] / base['calls_per_cpu_s']:.2f}")
    print(f"target >= 2000 calls/s on one core: {'met' if full['calls_per_cpu_s'] >= 2000 else 'MISSED'}")


if __name__ == "__main__":
    main()
