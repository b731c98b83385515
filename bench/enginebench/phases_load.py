"""Load phases: the realistic lifecycle (CPU per call, calls/s over several simulators), the
greenswitch baseline on the same scenario, and the concurrency cap."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import gevent

from .procs import PASSWORD, ROOT, Env, Receiver, Sim, cpu_pid, cpu_self
from .rig import Rig, realistic_fields, wait_for

# The realistic mix: 60 % answered (ring 1-3 s, the 0.5 s message, or the callee's BYE after 1-3 s),
# 20 % busy (486 before ringing), 20 % ringing past call_timeout (NO_ANSWER). The seeded mix draws
# per call, so a recalled lead gets a fresh outcome.
REALISTIC_SCEN = """
default:
  mix: {answer: 0.6, sip486: 0.2, no_answer: 0.2}
  talk: [1, 3]
  ring: [1, 3]
"""
REALISTIC_SCALE = 0.001  # 1 s of call = 1 ms of wall time; call_timeout 20 s = 20 ms of ringing


def start_sims(env: Env, tag: str, n: int, scenario: str, **kw) -> list[Sim]:
    return [Sim(env.workdir, f"{tag}{i}", scenario, seed=i + 1, **kw) for i in range(n)]


def _settle(rig: Rig, cid: str, timeout: float, progress: list[tuple[float, int]]) -> bool:
    """Every lead done: no fresh, recall, hopper entry or call in flight left. ``progress`` gets
    (seconds, CDRs) every 0.1 s, so a slow tail shows apart from a slow run."""
    t0 = time.perf_counter()

    def done() -> bool:
        q = rig.store.reports.queue_sizes(cid)
        progress.append((time.perf_counter() - t0, q["finished"]))
        return not (q["fresh"] or q["recalls"] or q["hopper"] or q["in_flight"]) and not rig.engine.tracker.count()

    return wait_for(done, timeout, 0.1)


def time_to(progress: list[tuple[float, int]], share: float) -> float:
    """Seconds until ``share`` of the final CDR count was reached."""
    final = progress[-1][1] if progress else 0
    return next((t for t, n in progress if n >= share * final), float("nan"))


def phase_lifecycle(env: Env, *, calls: int, sims: int, cap: int, on_start: Callable[[], None] | None = None) -> dict:
    """``on_start``: called just before the campaign starts (bench/redis_per_call.py starts its meter)."""
    receiver = Receiver()
    nodes = start_sims(env, "life", sims, REALISTIC_SCEN, time_scale=REALISTIC_SCALE, sps=100_000)
    rig = Rig(env, nodes)
    rig.start()
    camp = rig.campaign("lifecycle", cap, wav="short.wav", **realistic_fields(receiver.url))
    cid = camp.campaign_uuid
    rig.leads(cid, calls)
    gevent.sleep(1.0)
    for s in nodes:
        s.mark()
    redis0 = cpu_pid(env.redis_pid)
    if on_start is not None:
        on_start()
    cpu0, t0, t0_mono = cpu_self(), time.perf_counter(), time.monotonic()
    rig.go(cid)
    progress: list[tuple[float, int]] = []
    ok = _settle(rig, cid, 900, progress)
    rig.engine.flush()
    wall = time.perf_counter() - t0
    cpu_calls = cpu_self() - cpu0
    sim_cpu = [s.cpu() for s in nodes]
    redis_cpu = cpu_pid(env.redis_pid) - redis0  # over the same wall time as the calls/s
    # Webhooks are part of the cost per call: wait until the receiver's count stops growing, and
    # take this process's CPU at the last growth (not the idle wait after it).
    hooks, cpu_hooks, last = receiver.count(), cpu_self() - cpu0, time.monotonic()
    while time.monotonic() - last < 2.0 and time.monotonic() - t0 < 1200:
        gevent.sleep(0.1)
        n = receiver.count()
        if n != hooks:
            hooks, cpu_hooks, last = n, cpu_self() - cpu0, time.monotonic()
    cdrs = rig.store.reports.queue_sizes(cid)["finished"]
    rig.stop(cid, drain=10)
    stats = [s.close() for s in nodes]
    receiver.close()
    causes: dict[str, int] = {}
    for st in stats:
        for k, v in st.get("by_cause", {}).items():
            causes[k] = causes.get(k, 0) + v
    return {
        "leads": calls,
        "ok": ok,
        "attempts": cdrs,
        "originated": sum(st.get("originated", 0) for st in stats),
        "wall": wall,
        "cpu": cpu_hooks,
        "cpu_calls_only": cpu_calls,
        "sim_cpu": sim_cpu,
        "redis_cpu": redis_cpu,
        "webhooks": hooks,
        "t50_90_99": [time_to(progress, x) for x in (0.5, 0.9, 0.99)],
        "webhooks_wall": last - t0_mono,
        "causes": causes,
    }


def phase_baseline(env: Env, *, calls: int, sims: int, cap: int) -> dict:
    """bench/baseline_dialer.py in its own process, on fresh simulators with the same scenario and seeds."""
    nodes = start_sims(env, "base", sims, REALISTIC_SCEN, time_scale=REALISTIC_SCALE, sps=100_000)
    args = [sys.executable, str(ROOT / "bench" / "baseline_dialer.py"), "--redis-port", str(env.redis_port)]
    for s in nodes:
        args += ["--node", f"127.0.0.1:{s.port}:{PASSWORD}"]
    args += ["--calls", str(calls), "--cap", str(cap), "--file", str(env.workdir / "audio" / "short.wav")]
    args += ["--timeout", "20", "--recall-times", "1"]
    for s in nodes:
        s.mark()
    out = subprocess.run(args, capture_output=True, text=True, cwd=str(ROOT), timeout=1800)
    sim_cpu = [s.cpu() for s in nodes]
    for s in nodes:
        s.close()
    if out.returncode:
        return {"error": (out.stderr or out.stdout)[-800:]}
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["sim_cpu"] = sim_cpu
    return result


CAP_SCEN = """
rules:
  - match: "^(0|84)9"
    ring: [5, 15]
    answer: {talk: 30}
"""


def phase_cap(env: Env, *, calls: int, cap: int = 200) -> dict:
    # One simulator (its peak_concurrent is the truth for one node). time-scale 0.01: ring 50-150 ms,
    # then mid.wav (10 s -> 100 ms): ~0.2 s per call, so 200 concurrent calls bind at ~1000 calls/s.
    (sim,) = start_sims(env, "cap", 1, CAP_SCEN, time_scale=0.01, sps=100_000)
    rig = Rig(env, [sim])
    rig.start()
    cid = rig.campaign("cap", cap, wav="mid.wav", call_timeout=60).campaign_uuid
    rig.leads(cid, calls)
    samples: list[int] = []
    running = [True]

    def sampler() -> None:
        while running[0]:
            samples.append(rig.store.calls.in_flight(cid))
            gevent.sleep(0.02)

    t0 = time.perf_counter()
    rig.go(cid)
    g = gevent.spawn(sampler)
    ok = wait_for(lambda: rig.engine.finished >= calls, 900, 0.05)
    wall = time.perf_counter() - t0
    running[0] = False
    g.join()
    rig.stop(cid, drain=10)
    stats = sim.close()
    peak = stats.get("peak_concurrent", -1)
    return {
        "cap": cap,
        "calls": calls,
        "ok": ok,
        "wall": wall,
        "peak": peak,
        "sampled_max": max(samples or [0]),
        "violations": max(0, peak - cap) + max(0, max(samples or [0]) - cap),
        "sessions_rejected": stats.get("sessions_rejected"),
    }
