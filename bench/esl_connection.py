"""ESL connection throughput: dialer.esl.connection.ESLConnection alone, no engine.

    .venv/bin/python bench/esl_connection.py [--quick]

A fake FreeSWITCH runs in its own process (plain blocking sockets, bytes
prepared in advance, so its cost stays out of the figures): it greets,
accepts ``auth``, then either streams captured ``text/event-json`` events
(tests/captures/answer-remote-bye.json.esl, repeated) as fast as the client
reads them, or answers every command with an ``api/response``. Figures, for
this process only (wall and CPU):

  events/s    N events read, framed, json-decoded and handed to ``on_event``;
  pipelined   ``send_many`` of 100 ``api`` commands at a time: replies/s;
  sequential  one ``api`` command at a time: round trips/s.
"""

from __future__ import annotations

import argparse
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAPTURE = ROOT / "tests" / "captures" / "answer-remote-bye.json.esl"


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# --------------------------------------------------------------------------- the fake switch (its own process)
def event_block() -> tuple[bytes, int]:
    """The capture's events, framed as FreeSWITCH sends them; and how many there are."""
    sys.path.insert(0, str(ROOT))
    from dialer.esl.protocol import StreamParser

    events = [m for m in StreamParser().feed(CAPTURE.read_bytes()) if m.is_event]
    frames = [b"Content-Length: %d\nContent-Type: text/event-json\n\n%s" % (len(m.body), m.body) for m in events]
    return b"".join(frames), len(frames)


def serve(port_file: str, events: int) -> None:
    block, per_block = event_block()
    reply = b"Content-Type: api/response\nContent-Length: 4\n\ntrue"
    listener = socket.create_server(("127.0.0.1", 0))
    Path(port_file).write_text(str(listener.getsockname()[1]))
    while True:
        sock, _ = listener.accept()
        try:
            talk(sock, block, per_block, events, reply)
        except OSError:  # the client closed first
            pass
        sock.close()


def talk(sock: socket.socket, block: bytes, per_block: int, events: int, reply: bytes) -> None:
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(b"Content-Type: auth/request\n\n")
    buf = b""
    while b"\n\n" not in buf:
        buf += sock.recv(4096)
    sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
    buf = buf.split(b"\n\n", 1)[1]
    while b"\n\n" not in buf:  # the mode: "api stream" or "api echo"
        buf += sock.recv(4096)
    mode, buf = buf.split(b"\n\n", 1)
    sock.sendall(reply)
    if mode == b"api stream":
        chunk = block * max(1, 256 * 1024 // len(block))
        per_chunk = per_block * (len(chunk) // len(block))
        for _ in range(-(-events // per_chunk)):
            sock.sendall(chunk)
    else:
        while data := sock.recv(65536):
            buf += data
            n = buf.count(b"\n\n")
            buf = buf[buf.rfind(b"\n\n") + 2 :] if n else buf
            sock.sendall(reply * n)


# --------------------------------------------------------------------------- the client (this process)
def main() -> None:
    from gevent import monkey

    monkey.patch_all()
    import gevent
    import gevent.event

    sys.path.insert(0, str(ROOT))
    from dialer.esl.connection import ESLConnection

    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--serve", help=argparse.SUPPRESS)
    ap.add_argument("--events", type=int, default=0)
    args = ap.parse_args()
    n_events = args.events or (100_000 if args.quick else 1_000_000)
    n_pipelined = 200_000 if args.quick else 1_000_000
    n_sequential = 20_000 if args.quick else 100_000

    port_file = Path(f"/tmp/esl-bench-{time.time_ns()}.port")
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port_file), "--events", str(n_events)])
    try:
        for _ in range(200):
            if port_file.exists() and port_file.read_text():
                break
            time.sleep(0.05)
        port = int(port_file.read_text())

        # events/s
        got = [0]
        done = gevent.event.Event()

        def on_event(_event: dict) -> None:
            got[0] += 1
            if got[0] >= n_events:
                done.set()

        conn = ESLConnection("127.0.0.1", port, "x", on_event=on_event)
        conn.connect()
        cpu0, t0 = cpu_self(), time.perf_counter()
        conn.send("api stream")
        done.wait(600)
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        conn.close()
        print(
            f"events      {got[0]:>9,} in {wall:6.2f} s: {got[0] / wall:>9,.0f} events/s wall, "
            f"{got[0] / cpu:>9,.0f} per CPU-s"
        )

        # pipelined and sequential commands
        conn = ESLConnection("127.0.0.1", port, "x")
        conn.connect()
        conn.send("api echo")
        cpu0, t0 = cpu_self(), time.perf_counter()
        for _ in range(n_pipelined // 100):
            assert all(r.text == "true" for r in conn.send_many(["api uuid_exists x"] * 100))
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        print(
            f"pipelined   {n_pipelined:>9,} in {wall:6.2f} s: {n_pipelined / wall:>9,.0f} replies/s wall, "
            f"{n_pipelined / cpu:>9,.0f} per CPU-s"
        )
        cpu0, t0 = cpu_self(), time.perf_counter()
        for _ in range(n_sequential):
            conn.api("uuid_exists x")
        wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
        print(
            f"sequential  {n_sequential:>9,} in {wall:6.2f} s: {n_sequential / wall:>9,.0f} round trips/s wall, "
            f"{n_sequential / cpu:>9,.0f} per CPU-s"
        )
        conn.stop()
    finally:
        server.kill()
        server.wait()
        port_file.unlink(missing_ok=True)


if __name__ == "__main__":
    if "--serve" in sys.argv:
        i = sys.argv.index("--serve")
        serve(sys.argv[i + 1], int(sys.argv[sys.argv.index("--events") + 1]))
    else:
        main()
