"""Webhook delivery throughput: the sender (dialer/webhooks.py) against local receivers, in one process.

    .venv/bin/python bench/webhooks.py [--deliveries N] [--runs R]

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
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
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
    args = parser.parse_args()
    n = args.deliveries
    with tempfile.TemporaryDirectory() as work:
        proc, url = start_redis(work)
        try:
            store = Store.from_url(url)
            print(f"webhook bench: {n} deliveries, {args.runs} runs, Python {sys.version.split()[0]}")
            for kind, nodelay in (("nagle", False), ("nodelay", True)):
                runs = range(args.runs)
                report(f"{kind} post", "POSTs", n, [bench_post(n, nodelay) for _ in runs])
                report(f"{kind} one", "deliveries", n, [bench_drain(store, n, 1, nodelay) for _ in runs])
                report(f"{kind} ten", "deliveries", n, [bench_drain(store, n, 10, nodelay) for _ in runs])
        finally:
            proc.terminate()
            proc.wait(10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
