"""Limit phases: the originate rate against the rate the engine intends and FreeSWITCH's limit,
RSS with many calls in flight, and the hub stall of a bulk import (bench/api_import.py)."""

from __future__ import annotations

import gc
import re
import subprocess
import sys
import time

import gevent

from dialer.esl.capacity import rates

from .phases_load import start_sims
from .procs import ROOT, Env, rss_mb
from .rig import Rig, wait_for

SHORT_SCEN = """
rules:
  - match: "^(0|84)9"
    ring: 1
    answer: {talk: 1}
"""


def phase_cps(env: Env, *, window: float, limit: int = 200) -> dict:
    """One simulator at ``--sps limit``; the engine learns the limit from ``fsctl sps`` as in production."""
    (sim,) = start_sims(env, "cps", 1, SHORT_SCEN, time_scale=0.001, sps=limit, originate_log=env.originate_log)
    rig = Rig(env, [sim])
    rig.start()
    node = rig.engine.nodes[0]
    cid = rig.campaign("cps", 2000, wav="short.wav").campaign_uuid
    rig.leads(cid, int(limit * (window + 8)))
    rig.go(cid)
    gevent.sleep(3.0)  # warm-up: the first heartbeat, the initial burst spent
    intended = float(node.capacity.target)  # what the engine's own settings aim at (capacity.rates)

    def snap() -> tuple[float, int]:  # the stats file is rewritten every second: a fresh write, its mtime
        m0 = sim.stats_path.stat().st_mtime
        wait_for(lambda: sim.stats_path.stat().st_mtime != m0, 3, 0.01)
        return sim.stats_path.stat().st_mtime, sim.stats().get("originated", 0)

    ma, oa = snap()
    t0 = time.monotonic_ns()
    gevent.sleep(window)
    t1 = time.monotonic_ns()
    mb, ob = snap()
    rig.stop(cid, drain=10)
    stats = sim.close()
    stamps = [t for t in sim.originates().values() if t0 <= t < t1]
    if stamps:
        source, rate = "simulator's originate log", len(stamps) / ((t1 - t0) / 1e9)
    else:  # a simulator without --originate-log: its stats file's counter between two writes
        source, rate = "simulator's stats file", (ob - oa) / max(1e-9, mb - ma)
    return {
        "limit": limit,
        "intended": intended,
        "designed": rates(limit)[0],
        "rate": rate,
        "source": source,
        "window": (t1 - t0) / 1e9,
        "sps_rejected": stats.get("sps_rejected", -1),
        "refusals": node.capacity.refusals,
    }


LONG_SCEN = """
rules:
  - match: "^(0|84)98"
    ring: 1
    answer: {talk: 600}
"""


def phase_rss(env: Env, *, target: int) -> dict:
    (sim,) = start_sims(env, "rss", 1, LONG_SCEN, time_scale=1.0, sps=100_000, max_sessions=target + 10_000)
    rig = Rig(env, [sim])
    rig.start()
    cid = rig.campaign("rss", target, wav="long.wav", call_timeout=60).campaign_uuid
    # Leads imported in a child process: this process's baseline holds no freed Lead objects.
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); from bench.enginebench.rig import Rig, store_for; "
        "from bench.enginebench.procs import Env; r = Rig.__new__(Rig); r.store = store_for(int(sys.argv[2])); "
        "r.leads(sys.argv[3], int(sys.argv[4]))"
    )
    subprocess.run([sys.executable, "-c", code, str(ROOT), str(env.redis_port), cid, str(target)], check=True)
    gc.collect()
    gevent.sleep(0.5)
    before = rss_mb()
    t0 = time.perf_counter()
    rig.go(cid)
    ok = wait_for(lambda: rig.engine.tracker.count() >= target, 240, 0.1)
    gevent.sleep(2.0)  # answers and heartbeats settle
    secs = time.perf_counter() - t0
    in_flight = rig.engine.tracker.count()
    after = rss_mb()
    reconnects = sum(n.reconnects for n in rig.engine.nodes)  # e.g. "no reply to an originate" dropped it
    rig.stop(cid, hupall=True, drain=60)
    sim.close()
    return {
        "target": target,
        "reached": ok,
        "in_flight": in_flight,
        "before": before,
        "after": after,
        "secs": secs,
        "reconnects": reconnects,
    }


OLD_STALL = re.compile(r"(CSV|JSON) import (\d+(?:\.\d+)?) ms")  # one line for both formats
NEW_STALL = re.compile(
    r"hub stall\s+(CSV|JSON) import\s*: worst (\d+(?:\.\d+)?) ms wall.*?(\d+(?:\.\d+)?) ms of hub CPU"
)


def parse_stalls(text: str) -> dict[str, tuple[float, float | None]]:
    """{"CSV"/"JSON": (wall ms, hub-CPU ms or None)} from bench/api_import.py's output: its one-line
    form ("hub stall ... CSV import N ms, JSON import N ms") or its per-format lines (with the CPU gap)."""
    out: dict[str, tuple[float, float | None]] = {}
    for line in text.splitlines():
        if not line.startswith("hub stall"):
            continue
        m = NEW_STALL.search(line)
        if m:
            out[m.group(1)] = (float(m.group(2)), float(m.group(3)))
            continue
        for fmt, ms in OLD_STALL.findall(line):
            out[fmt] = (float(ms), None)
    return out


def phase_import_stall(*, rows: int) -> dict:
    """bench/api_import.py as a subprocess (its own Redis and API): the worst gap a 1 ms timer saw
    in the API's hub while a ``rows``-row CSV and then JSON bulk import ran."""
    script = str(ROOT / "bench" / "api_import.py")
    args = [sys.executable, script, "--rows", str(rows), "--singles", "50"]
    helptext = subprocess.run([sys.executable, script, "--help"], capture_output=True, text=True, cwd=str(ROOT))
    if "--stalls" in helptext.stdout:
        args += ["--stalls", "csv,json"]  # only the two import stalls, not its queue and VBot runs
    out = subprocess.run(args, capture_output=True, text=True, cwd=str(ROOT), timeout=1200)
    stalls = parse_stalls(out.stdout)
    if out.returncode or not {"CSV", "JSON"} <= stalls.keys():
        return {"rows": rows, "error": (out.stderr or out.stdout)[-500:]}
    return {
        "rows": rows,
        "csv_ms": stalls["CSV"][0],
        "json_ms": stalls["JSON"][0],
        "worst_ms": max(stalls["CSV"][0], stalls["JSON"][0]),
        "cpu_ms": {k: v[1] for k, v in stalls.items()},  # the hub's own CPU in the gap (newer api_import)
    }
