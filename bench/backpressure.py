"""Backpressure bench: ramp N long calls with no sps limit, with the reply window off and on.

    .venv/bin/python bench/backpressure.py [--calls 20000] [--windows 0,1000] [--command-timeout 10]

A private ``redis-server`` and, per run, a fresh ``autocall simswitch`` (its own process: sps and
max-sessions far above N, calls that talk 600 s so all N stay up) are started; the Engine runs
in THIS process with one node whose ``bgapi_window`` is each of ``--windows`` in turn (0: no bound,
the baseline). One campaign (concurrent_call N) is started and the bench waits until N calls are
in flight with no originate awaiting its reply, or ``--limit`` seconds.

Printed per run: the peak of originates awaiting their ``+OK Job-UUID`` reply (the node's
ReplyWindow counts them whatever its size), the worst and p99 reply latency (bgapi written ->
reply read, engine side), command timeouts tripped (a connection closed for a missing reply, a
timed-out command or a silent socket), drops (reconnects), originates left unacknowledged (settled
after a reconnect), the time until all N were acknowledged and until all N were answered (the
simulator answers after it acknowledges, as FreeSWITCH does), and the CPU of this process and of
the simulator up to then.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402

from bench.engine import PASSWORD, Bench, cpu_pid, cpu_self, pct, wait_for  # noqa: E402
from dialer.engine.dialing import Dialer  # noqa: E402
from dialer.engine.engine import Engine  # noqa: E402
from dialer.esl.connection import ESLConnection  # noqa: E402
from dialer.esl.node import Node, NodeConfig  # noqa: E402

LONG = """
rules:
  - match: "^(0|84)98"
    ring: 1
    answer: {talk: 600}
"""
TIMEOUT_WHYS = ("no reply to an originate", "command timed out", "silent for too long")


class Tally:
    """What one run saw: reply latencies, connections closed for a timeout, originates left unacknowledged."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.timeouts = 0
        self.unacknowledged = 0


TALLY = Tally()
_send_originates = Node.send_originates
_close = ESLConnection.close
_unacknowledged = Dialer._unacknowledged


def _timed_send(self: Node, commands: list[str]):
    results = _send_originates(self, commands)
    if results:
        sent = time.monotonic()

        def replied(result, sent=sent) -> None:
            if result.successful():
                TALLY.latencies.append(time.monotonic() - sent)

        for result in results:
            result.rawlink(replied)
    return results


def _counted_close(self: ESLConnection, why: str = "closed") -> None:
    if self.connected and (why in TIMEOUT_WHYS or why.startswith("write failed")):
        TALLY.timeouts += 1
    _close(self, why)


def _counted_unacknowledged(self: Dialer, atts, why: str) -> None:
    TALLY.unacknowledged += len(atts)
    _unacknowledged(self, atts, why)


Node.send_originates = _timed_send  # type: ignore[method-assign]
ESLConnection.close = _counted_close  # type: ignore[method-assign]
Dialer._unacknowledged = _counted_unacknowledged  # type: ignore[method-assign]


def run(b: Bench, calls: int, window: int, command_timeout: float, limit: float) -> dict:
    global TALLY
    TALLY = Tally()
    big = calls * 2 + 1000
    port = b.start_sim(LONG, time_scale=1.0, sps=100_000, max_sessions=big)
    cfg = NodeConfig("sim", "127.0.0.1", port, PASSWORD, sps=100_000, max_sessions=big, bgapi_window=window)
    eng = Engine(
        b.store,
        [cfg],
        b.files,
        default_gateway="gw1",
        default_caller_id="02812345678",
        command_timeout=command_timeout,
    )
    eng.start()
    if not eng.wait_connected(10):
        raise SystemExit("engine did not connect to simswitch")
    node = eng.nodes[0]
    camp = b.campaign(calls, "long.wav")
    cid = camp.campaign_uuid
    b.leads_elsewhere(cid, calls)
    cpu0, sim0, t0 = cpu_self(), cpu_pid(b.sim.pid), time.perf_counter()
    b.start_campaign(eng, cid)
    window_ = node.capacity.window
    reached = wait_for(lambda: eng.tracker.count() >= calls and window_.awaiting == 0, limit, 0.05)
    secs = time.perf_counter() - t0
    # The simulator acknowledges an originate before it rings and answers it (as FreeSWITCH does):
    # all answered (its stats file, rewritten every second) is when the ramp is really done.
    answered = wait_for(lambda: b.stats().get("answered", 0) >= calls, limit, 0.25)
    answered_secs = time.perf_counter() - t0
    cpu, sim_cpu = cpu_self() - cpu0, cpu_pid(b.sim.pid) - sim0
    out = {
        "window": window,
        "reached": reached,
        "in_flight": eng.tracker.count(),
        "peak": window_.peak,
        "worst_ms": max(TALLY.latencies, default=0.0) * 1000,
        "p99_ms": pct(TALLY.latencies, 99) * 1000,
        "p50_ms": pct(TALLY.latencies, 50) * 1000,
        "replies": len(TALLY.latencies),
        "timeouts": TALLY.timeouts,
        "drops": node.reconnects,
        "unacknowledged": TALLY.unacknowledged,
        "secs": secs,
        "answered_secs": answered_secs if answered else float("nan"),
        "cpu": cpu,
        "sim_cpu": sim_cpu,
    }
    b.finish_phase(eng, cid, hupall=True, drain=60)
    b.stop_sim()
    gevent.sleep(0.5)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--windows", default="0,1000", help="bgapi_window of each run, comma-separated (0: no bound)")
    ap.add_argument("--command-timeout", type=float, default=10.0)
    ap.add_argument("--limit", type=float, default=300.0, help="give a run up after this many seconds")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="autocall-backpressure-"))
    b = Bench(workdir)
    rows = []
    try:
        for window in (int(w) for w in args.windows.split(",")):
            print(f"ramp {args.calls} long calls, no sps limit, bgapi_window={window or 'off'} ...", flush=True)
            rows.append(run(b, args.calls, window, args.command_timeout, args.limit))
    finally:
        b.close()
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"{args.calls} calls, command timeout {args.command_timeout:g} s")
    head = (
        f"{'bgapi_window':>12} {'peak awaiting':>13} {'reply p50/p99/worst ms':>24} {'timeouts':>8} {'drops':>5} "
        f"{'unacked':>7} {'in flight':>9} {'acked s':>7} {'answered s':>10} {'CPU s':>6} {'sim CPU s':>9}"
    )
    print(head)
    for r in rows:
        lat = f"{r['p50_ms']:.0f}/{r['p99_ms']:.0f}/{r['worst_ms']:.0f}"
        print(
            f"{r['window'] or 'off':>12} {r['peak']:>13} {lat:>24} {r['timeouts']:>8} {r['drops']:>5} "
            f"{r['unacknowledged']:>7} {r['in_flight']:>9} {r['secs']:>7.1f} {r['answered_secs']:>10.1f} "
            f"{r['cpu']:>6.1f} {r['sim_cpu']:>9.1f}" + ("" if r["reached"] else "  (not reached)")
        )
    bounded = [r for r in rows if r["window"]]
    ok = all(r["timeouts"] == 0 and r["drops"] == 0 and r["peak"] <= r["window"] and r["reached"] for r in bounded)
    print(f"\nwindowed runs: peak <= window, 0 timeouts, 0 drops, all placed: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
