"""Webhook delivery throughput: the sender (dialer/webhooks.py) against local receivers, in one process.

    .venv/bin/python bench/webhooks.py [--deliveries N] [--runs R] [--process-only]

A private redis-server (free port) holds the queue; the receivers are tests/receivers.py's WebhookReceiver
(gevent.pywsgi on 127.0.0.1, answering 200 at once, HTTP/1.1 keep-alive as pywsgi does it; it counts the
connections it accepts), in two kinds:

  * "nagle": as pywsgi comes, Nagle's algorithm on. It writes an answer in two sends, so on a kept
    connection its second waits for the client's ACK, which Linux delays 40 ms unless the client reads
    in quick-ACK mode (httpclient does);
  * "nodelay": the same with TCP_NODELAY on its connections, as nginx, Go and Node servers answer.

For each kind, medians of R runs (the best in brackets):

  1. post: WebhookSender.post alone (no Redis), one greenlet, N sequential POSTs to one receiver: POSTs/s
     and process CPU per POST;
  2. one receiver: N queued deliveries drained by a started sender (20 slots, at most 4 in flight to one
     receiver): deliveries/s from start to an empty queue, CPU per delivery, TCP connections the receiver saw;
  3. ten receivers: N deliveries spread over 10 receivers (20 in flight): the same figures.

The receiver runs in this process too, so CPU figures include its share (the same in every version).
Leaves out: TLS (every receiver is plain HTTP on loopback), signing (no secret), and DNS (literal 127.0.0.1).

Then, as ``autocall serve`` runs it (issue 17), the sender's own cost: CPU-ms per delivered webhook in
the sender's process, everything included (Redis claim/read/ack, the POST, the signature, greenlets),
with the receiver in a process of its own (http.server, threads, HTTP/1.1 keep-alive, as
bench/enginebench's Receiver) and 1 KB signed bodies: N queued before the sender starts (a backlog),
then N queued at 500/s and N/5 at 100/s by a feeder process (as the engine queues them: the sender
keeps up, so its batches are small). Against a floor measured in the same run: a bare ``http.client``
keep-alive loop POSTing the same body to the same receiver (no Redis, no deadline), the least any
sender in Python pays per POST, back to back for the backlog and paced at the same rate for the
steady ones (a process woken for each POST pays ~3x more per POST). ``--process-only`` runs only this part.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402
import redis  # noqa: E402

from dialer.store.store import Store  # noqa: E402
from dialer.webhooks import WebhookSender  # noqa: E402
from tests.receivers import WebhookReceiver  # noqa: E402

# The receiver of the process part, in a process of its own: answers 200 to every POST.
RECEIVER = r"""
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""
KB_BODY = '{"call_id": "bench", "pad": "' + "x" * 990 + '"}'
# Queues n deliveries at a steady rate, as the engine does, from a process of its own (its CPU is not
# the sender's): argv redis url, receiver url, deliveries per second, n.
FEEDER = r"""
import sys, time
sys.path.insert(0, sys.argv[5])
from dialer.store.store import Store
store = Store.from_url(sys.argv[1])
rate, n, body = int(sys.argv[3]), int(sys.argv[4]), sys.argv[6]
start, done = time.monotonic(), 0
while done < n:
    due = min(n, int((time.monotonic() - start) * rate) + 1)
    if due > done:
        store.webhook_queue.queue([(sys.argv[2], body, "bench")] * (due - done), int(time.time() * 1000))
        done = due
    time.sleep(0.002)
"""
BODY = '{"call_id": "bench", "status": "answered", "campaign_uuid": "5b0c0000-0000-4000-8000-000000000000"}'


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def start_redis(workdir: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            workdir,
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, f"redis://127.0.0.1:{port}/0"
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not start")


def timed(run: Callable[[], int]) -> tuple[float, float, int]:
    """(seconds, CPU seconds, what run returned)."""
    wall, used = time.perf_counter(), cpu()
    extra = run()
    return time.perf_counter() - wall, cpu() - used, extra


def bench_post(n: int, nodelay: bool) -> tuple[float, float, int]:
    with WebhookReceiver(nodelay) as receiver:
        sender = WebhookSender(Store.__new__(Store), allow_private=True)  # post() never touches the store
        url = f"{receiver.url}/cdr"

        def run() -> int:
            for i in range(n):
                sender.post(url, BODY, str(i))
            return receiver.connections

        return timed(run)


def bench_drain(store: Store, n: int, receivers: int, nodelay: bool) -> tuple[float, float, int]:
    with ExitStack() as stack:
        hosts = [stack.enter_context(WebhookReceiver(nodelay)) for _ in range(receivers)]
        store.r.flushdb()
        store.webhook_queue.queue([(f"{hosts[i % receivers].url}/cdr", BODY, "bench") for i in range(n)], 0)
        sender = WebhookSender(store, allow_private=True)

        def run() -> int:
            sender.start()
            try:
                while store.r.zcard(store.keys.webhooks):
                    gevent.sleep(0.01)
            finally:
                sender.stop()
            return sum(h.connections for h in hosts)

        return timed(run)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_receiver() -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("receiver did not start")


def floor_http_client(port: int, n: int, rate: int = 0) -> float:
    """CPU seconds per POST of a bare http.client keep-alive loop (the least a Python sender pays), back to
    back or, with ``rate``, paced at that many per second (a process woken for each POST pays more)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Type": "application/json"}
    body = KB_BODY.encode()
    used = cpu()
    for _ in range(n):
        conn.request("POST", "/hook", body=body, headers=headers)
        conn.getresponse().read()
        if rate:
            gevent.sleep(1 / rate)
    used = cpu() - used
    conn.close()
    return used / n


def sender_cpu(store: Store, url: str, port: int, n: int, rate: int = 0) -> tuple[float, float]:
    """(CPU seconds per delivered webhook, deliveries/s): n signed 1 KB deliveries sent by a started sender,
    queued before it starts (a backlog) or, with ``rate``, at that many per second by a feeder process."""
    store.r.flushdb()
    receiver = f"http://127.0.0.1:{port}/hook"
    feeder = None
    if rate:
        args = [sys.executable, "-c", FEEDER, url, receiver, str(rate), str(n), str(ROOT), KB_BODY]
        feeder = subprocess.Popen(args)
    else:
        for start in range(0, n, 500):
            store.webhook_queue.queue([(receiver, KB_BODY, "bench")] * min(500, n - start), 0)
    sender = WebhookSender(store, allow_private=True, secret="bench-secret")
    wall, used = time.perf_counter(), cpu()
    sender.start()
    while feeder and feeder.poll() is None:  # no Redis call of the bench's own meanwhile
        gevent.sleep(0.05)
    while store.r.zcard(store.keys.webhooks):
        gevent.sleep(0.02)
    used, wall = cpu() - used, time.perf_counter() - wall
    sender.stop()
    return used / n, n / wall


def report_process(store: Store, url: str, n: int, runs: int) -> None:
    proc, port = start_receiver()
    try:
        floor_http_client(port, 200)  # warm: the receiver's thread and the connection
        print(f"\nsender process, receiver in its own process, {n} signed 1 KB deliveries, {runs} runs:")
        for run in range(runs):
            line = f"run {run + 1}, CPU-ms per webhook, sender [floor] (ratio):"
            for name, rate, count in (("backlog", 0, n), ("steady 500/s", 500, n), ("steady 100/s", 100, n // 5)):
                floor = floor_http_client(port, count, rate)
                each, _ = sender_cpu(store, url, port, count, rate)
                line += f"   {name} {1e3 * each:.3f} [{1e3 * floor:.3f}] ({each / floor:.1f}x)"
            print(line, flush=True)
    finally:
        proc.kill()
        proc.wait(10)


def report(name: str, unit: str, n: int, results: list[tuple[float, float, int]]) -> None:
    rates = [n / wall for wall, _, _ in results]
    cpus = [1e6 * used / n for _, used, _ in results]
    connections = statistics.median(extra for _, _, extra in results)
    print(
        f"{name:<13} {statistics.median(rates):8.0f} {unit}/s [{max(rates):.0f}]   "
        f"{statistics.median(cpus):6.0f} µs CPU each [{min(cpus):.0f}]   {connections:.0f} connections"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--process-only", action="store_true", help="only the sender-process part (issue 17)")
    args = parser.parse_args()
    n = args.deliveries
    with tempfile.TemporaryDirectory() as work:
        proc, url = start_redis(work)
        try:
            store = Store.from_url(url)
            print(f"webhook bench: {n} deliveries, {args.runs} runs, Python {sys.version.split()[0]}")
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            for kind, nodelay in () if args.process_only else (("nagle", False), ("nodelay", True)):
                runs = range(args.runs)
                report(f"{kind} post", "POSTs", n, [bench_post(n, nodelay) for _ in runs])
                report(f"{kind} one", "deliveries", n, [bench_drain(store, n, 1, nodelay) for _ in runs])
                report(f"{kind} ten", "deliveries", n, [bench_drain(store, n, 10, nodelay) for _ in runs])
            report_process(store, url, n, min(args.runs, 3))
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
