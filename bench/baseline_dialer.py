"""A plain greenswitch dialer: the peer baseline bench/engine.py measures autocall against.

    python bench/baseline_dialer.py --redis-port P --node 127.0.0.1:8021:PASSWORD [--node ...] \
        --calls 20000 --cap 2000 --file /abs/short.wav [--recall-times 1]

What a straightforward dialer does, nothing more: greenswitch's InboundESL per FreeSWITCH node
(``event plain CHANNEL_HANGUP_COMPLETE``), a Redis list as the hopper (one LPOP per call), a gevent
semaphore as the concurrency cap, ``bgapi originate`` round-robin over the nodes into the same
``autocall XML autocall`` dialplan, and one pipelined write per result (HSET of the call, HINCRBY
of two counters, an RPUSH when a busy or no-answer lead is recalled). No pacing, no leases, no
crash recovery, no webhooks, no logs, no API: its CPU per call is a floor a real dialer sits above.

Prints one JSON line: CPU-seconds of this process while dialling (leads loaded before), calls
finished, wall seconds, causes.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402

import gevent  # noqa: E402
import gevent.lock  # noqa: E402
import redis  # noqa: E402
from greenswitch import InboundESL  # noqa: E402

HOPPER = "baseline:hopper"
RECALLED = {"USER_BUSY", "NO_ANSWER"}
STALE_S = 60.0  # a call with no CHANNEL_HANGUP_COMPLETE after this long is counted lost


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


class Baseline:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.r = redis.Redis(port=args.redis_port)
        self.cap = gevent.lock.BoundedSemaphore(args.cap)
        self.pending: dict[str, tuple[str, int, float]] = {}  # uuid -> (number, attempt, sent at)
        self.finished = 0
        self.causes: dict[str, int] = {}
        self.conns = []
        for spec in args.node:
            host, port, password = spec.split(":", 2)
            conn = InboundESL(host=host, port=int(port), password=password)
            conn.connect()
            conn.register_handle("CHANNEL_HANGUP_COMPLETE", self.on_hangup)
            conn.send("event plain CHANNEL_HANGUP_COMPLETE")
            self.conns.append(conn)
        self.next_conn = itertools.cycle(self.conns)

    def load(self) -> None:
        """The leads, as "number:attempt" items (before the clock starts)."""
        self.r.delete(HOPPER, "baseline:stats")
        pipe = self.r.pipeline(transaction=False)
        for i in range(self.args.calls):
            pipe.rpush(HOPPER, f"{self.args.prefix}{i % 10_000_000:07d}:1")
            if i % 5000 == 4999:
                pipe.execute()
        pipe.execute()

    def run(self) -> None:
        while True:
            self.cap.acquire()
            item = self.r.lpop(HOPPER)
            if item is None:
                self.cap.release()
                if not self.pending and not self.r.llen(HOPPER):
                    return
                gevent.sleep(0.01)  # recalls may still come from calls in flight
                continue
            number, _, attempt = item.decode().partition(":")
            gevent.spawn(self.dial, number, int(attempt))

    def dial(self, number: str, attempt: int) -> None:
        call = str(uuid.uuid4())
        self.pending[call] = (number, attempt, time.monotonic())
        cmd = (
            f"bgapi originate {{origination_uuid={call},originate_timeout={self.args.timeout},"
            f"ignore_early_media=true,autocall_file={self.args.file}}}"
            f"sofia/gateway/gw1/{number} autocall XML autocall"
        )
        try:
            next(self.next_conn).send(cmd)
        except Exception:
            self.result(call, "LOST", "0")

    def on_hangup(self, event) -> None:
        h = event.headers
        self.result(h.get("Unique-ID", ""), h.get("Hangup-Cause", ""), h.get("variable_billsec", "0"))

    def result(self, call: str, cause: str, billsec: str) -> None:
        entry = self.pending.pop(call, None)
        if entry is None:
            return
        number, attempt, _ = entry
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(f"baseline:call:{call}", mapping={"number": number, "cause": cause, "billsec": billsec})
        pipe.hincrby("baseline:stats", "calls", 1)
        pipe.hincrby("baseline:stats", cause, 1)
        if cause in RECALLED and attempt <= self.args.recall_times:
            pipe.rpush(HOPPER, f"{number}:{attempt + 1}")
        pipe.execute()
        self.finished += 1
        self.causes[cause] = self.causes.get(cause, 0) + 1
        self.cap.release()

    def sweep(self) -> None:
        while True:
            gevent.sleep(1.0)
            old = time.monotonic() - STALE_S
            for call in [c for c, (_, _, at) in self.pending.items() if at < old]:
                self.result(call, "LOST", "0")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--redis-port", type=int, required=True)
    ap.add_argument("--node", action="append", required=True, help="HOST:PORT:PASSWORD, one per FreeSWITCH")
    ap.add_argument("--calls", type=int, required=True)
    ap.add_argument("--cap", type=int, default=2000)
    ap.add_argument("--file", required=True)
    ap.add_argument("--timeout", type=int, default=20)
    ap.add_argument("--recall-times", type=int, default=1)
    ap.add_argument("--prefix", default="098")
    args = ap.parse_args()
    base = Baseline(args)
    base.load()
    sweeper = gevent.spawn(base.sweep)
    cpu0, t0 = cpu(), time.perf_counter()
    base.run()
    wall, used = time.perf_counter() - t0, cpu() - cpu0
    sweeper.kill()
    print(json.dumps({"cpu": used, "calls": base.finished, "wall": wall, "causes": base.causes}), flush=True)
    for conn in base.conns:
        conn.stop()


if __name__ == "__main__":
    main()
