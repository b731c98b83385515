"""Backpressure bench: ramp N long calls with no sps limit, with the reply window off and on.

    .venv/bin/python bench/backpressure.py [--calls 20000] [--windows 0,1000] [--command-timeout 10]
                                           [--hold SECONDS] [--heartbeat 1]

A private ``redis-server`` and, per run, a fresh ``autocall simswitch`` (its own process: sps and
max-sessions far above N, calls that talk 600 s so all N stay up) are started; the engine runs
in THIS process, wired as ``serve`` wires it (bench/enginebench/rig.py; logging at ERROR), with
one node whose ``bgapi_window`` is each of ``--windows`` in turn (0: no bound, the baseline). One
campaign (concurrent_call N) is started and the bench waits until N calls are in flight with no
originate awaiting its reply, or ``--limit`` seconds; ``--hold`` keeps the N calls up that much
longer (the node's keepalive probes and periodic checks go on meanwhile; ``--heartbeat 20`` is
FreeSWITCH's default, so the connection falls silent between events and the probes run).

Printed per run: the peak of originates awaiting their ``+OK Job-UUID`` reply (the node's
ReplyWindow counts them whatever its size), the worst and p99 reply latency (bgapi written ->
reply read, engine side), command timeouts tripped (a connection closed for a missing reply, a
timed-out command or a silent socket), keepalive probes sent and failed (``api version`` on a
connection silent for the keepalive, dialer/esl/node.py), drops (reconnects), originates left
unacknowledged (settled after a reconnect), the time until all N were acknowledged and until all N
were answered (the simulator answers after it acknowledges, as FreeSWITCH does), and the CPU of
this process and of the simulator up to then.
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

from bench.enginebench import replies  # noqa: E402
from bench.enginebench.phases_otp import pct  # noqa: E402
from bench.enginebench.procs import Env, Sim, cpu_self, start_redis, stop_all  # noqa: E402
from bench.enginebench.rig import Rig, leads_elsewhere, wait_for, write_wav  # noqa: E402

LONG = """
rules:
  - match: "^(0|84)98"
    ring: 1
    answer: {talk: 600}
"""


def run(env: Env, calls: int, window: int, command_timeout: float, limit: float, hold: float, heartbeat: float) -> dict:
    tally = replies.watch()
    big = calls * 2 + 1000
    sim = Sim(env.workdir, f"bp{window}", LONG, time_scale=1.0, sps=100_000, max_sessions=big, heartbeat=heartbeat)
    rig = Rig(
        env,
        [sim],
        sps=100_000,
        node_options=f"&max_sessions={big}&bgapi_window={window}",
        command_timeout=command_timeout,
        json_logs=False,
    )
    eng = rig.start()
    node = eng.nodes[0]
    cid = rig.campaign("backpressure", calls, wav="long.wav", call_timeout=60).campaign_uuid
    leads_elsewhere(env, cid, calls)
    sim.mark()
    cpu0, t0 = cpu_self(), time.perf_counter()
    rig.go(cid)
    window_ = node.capacity.window
    reached = wait_for(lambda: eng.tracker.count() >= calls and window_.awaiting == 0, limit, 0.05)
    secs = time.perf_counter() - t0
    # The simulator acknowledges an originate before it rings and answers it (as FreeSWITCH does):
    # all answered (its stats file, rewritten every second) is when the ramp is really done.
    answered = wait_for(lambda: sim.stats().get("answered", 0) >= calls, limit, 0.25)
    answered_secs = time.perf_counter() - t0
    cpu, sim_cpu = cpu_self() - cpu0, sim.cpu()
    if hold:  # all N up and quiet: the keepalive probes and the periodic checks go on meanwhile
        gevent.sleep(hold)
    out = {
        "window": window,
        "reached": reached,
        "in_flight": eng.tracker.count(),
        "peak": window_.peak,
        "worst_ms": max(tally.latencies, default=0.0) * 1000,
        "p99_ms": pct(tally.latencies, 99) * 1000,
        "p50_ms": pct(tally.latencies, 50) * 1000,
        "replies": len(tally.latencies),
        "timeouts": tally.timeouts,
        "probes": tally.probes,
        "probe_failures": tally.probe_failures,
        "closes": dict(tally.closes),
        "drops": node.reconnects,
        "unacknowledged": tally.unacknowledged,
        "secs": secs,
        "answered_secs": answered_secs if answered else float("nan"),
        "cpu": cpu,
        "sim_cpu": sim_cpu,
    }
    rig.stop(cid, hupall=True, drain=60)
    replies.unwatch()
    sim.close()
    gevent.sleep(0.5)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--windows", default="0,1000", help="bgapi_window of each run, comma-separated (0: no bound)")
    ap.add_argument("--command-timeout", type=float, default=10.0)
    ap.add_argument("--limit", type=float, default=300.0, help="give a run up after this many seconds")
    ap.add_argument("--hold", type=float, default=0.0, help="keep the N calls up this long before hanging up")
    ap.add_argument("--heartbeat", type=float, default=1.0, help="the simulator's HEARTBEAT interval (FreeSWITCH: 20)")
    args = ap.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    workdir = Path(tempfile.mkdtemp(prefix="autocall-backpressure-"))
    (workdir / "audio").mkdir()
    write_wav(workdir / "audio" / "long.wav", 700.0)
    redis, redis_port = start_redis(workdir)
    env = Env(workdir, redis_port, redis.pid)
    rows = []
    try:
        for window in (int(w) for w in args.windows.split(",")):
            print(f"ramp {args.calls} long calls, no sps limit, bgapi_window={window or 'off'} ...", flush=True)
            rows.append(run(env, args.calls, window, args.command_timeout, args.limit, args.hold, args.heartbeat))
    finally:
        stop_all()  # redis, and whatever an interrupted run left running
        shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(f"{args.calls} calls, command timeout {args.command_timeout:g} s")
    head = (
        f"{'bgapi_window':>12} {'peak awaiting':>13} {'reply p50/p99/worst ms':>24} {'timeouts':>8} {'drops':>5} "
        f"{'unacked':>7} {'in flight':>9} {'acked s':>7} {'answered s':>10} {'CPU s':>6} {'sim CPU s':>9} "
        f"{'probes sent/failed':>18}"
    )
    print(head)
    for r in rows:
        lat = f"{r['p50_ms']:.0f}/{r['p99_ms']:.0f}/{r['worst_ms']:.0f}"
        print(
            f"{r['window'] or 'off':>12} {r['peak']:>13} {lat:>24} {r['timeouts']:>8} {r['drops']:>5} "
            f"{r['unacknowledged']:>7} {r['in_flight']:>9} {r['secs']:>7.1f} {r['answered_secs']:>10.1f} "
            f"{r['cpu']:>6.1f} {r['sim_cpu']:>9.1f} {r['probes']:>9}/{r['probe_failures']}"
            + ("" if r["reached"] else "  (not reached)")
        )
        if r["closes"]:
            print(f"{'':>12} connections closed: {r['closes']}")
    bounded = [r for r in rows if r["window"]]
    ok = all(r["timeouts"] == 0 and r["drops"] == 0 and r["peak"] <= r["window"] and r["reached"] for r in bounded)
    print(f"\nwindowed runs: peak <= window, 0 timeouts, 0 drops, all placed: {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    main()
