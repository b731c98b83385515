"""End-to-end engine benchmark: autocall as ``autocall serve`` runs it, against simulators.

    .venv/bin/python bench/engine.py [--quick] [--sims N]

A private ``redis-server`` and ``autocall simswitch`` processes (one per FreeSWITCH node, fresh
for each phase) are started; the engine, webhook sender, HTTP API and INFO JSON logging run in
THIS process, built by dialer/daemon.py's own functions (bench/enginebench/rig.py). Phases
(bench/enginebench/, docs/benchmarks.md):

  8 RSS with 20,000 (--quick 2,000) calls in flight.
  1,2 Realistic lifecycle over --sims simulators: 60 % answered, 20 % busy, 20 % no answer,
      busy/no-answer recalled once, both webhooks on to a local receiver: CPU-ms per call of this
      process, calls/s end to end, each simulator's CPU % of a core.
  3 The same scenario, simulators and leads through bench/baseline_dialer.py (plain greenswitch).
  4 Concurrency cap 200: violations.
  5 Originate rate at a 200 sps limit against the rate the engine intends.
  6 Voice OTP: import -> originate received by the simulator, 500 calls in flight.
  7 Worst hub stall of a 100,000-row import (bench/api_import.py).

Every Done-when figure of issue 17 is printed with its target and PASS/MISS.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.enginebench import report  # noqa: E402
from bench.enginebench.phases_limits import phase_cps, phase_import_stall, phase_rss  # noqa: E402
from bench.enginebench.phases_load import phase_baseline, phase_cap, phase_lifecycle  # noqa: E402
from bench.enginebench.phases_otp import phase_otp  # noqa: E402
from bench.enginebench.procs import Env, sim_supports, start_redis, stop_all  # noqa: E402
from bench.enginebench.rig import write_wav  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small counts (< ~1 min), for a quick check")
    ap.add_argument("--sims", type=int, default=2, help="simulator processes (FreeSWITCH nodes) for [1,2] and [3]")
    args = ap.parse_args()
    q = args.quick
    n_life = 3_000 if q else 20_000
    n_cap = 3_000 if q else 100_000
    n_rss = 2_000 if q else 20_000
    n_otp = 100 if q else 500
    n_import = 10_000 if q else 100_000
    cps_window = 5.0 if q else 12.0
    concurrent = 2_000

    workdir = Path(tempfile.mkdtemp(prefix="autocall-bench-"))
    audio = workdir / "audio"
    audio.mkdir()
    write_wav(audio / "short.wav", 0.5)
    write_wav(audio / "mid.wav", 10.0)
    write_wav(audio / "long.wav", 700.0)
    redis, redis_port = start_redis(workdir)
    env = Env(workdir, redis_port, redis.pid, originate_log=sim_supports("--originate-log"))
    print(f"autocall engine bench ({'quick' if q else 'full'}), {args.sims} simulators, workdir {workdir}")
    print(report.machine() + " at start")
    print(report.LEAVES_OUT, flush=True)
    t_start = time.perf_counter()
    r: dict = {}
    try:
        print(f"[8] RSS with {n_rss:,} calls in flight ...", flush=True)
        r["rss"] = phase_rss(env, target=n_rss)
        gc.collect()
        print(f"[1,2] realistic lifecycle, {n_life:,} leads over {args.sims} simulators ...", flush=True)
        r["life"] = phase_lifecycle(env, calls=n_life, sims=args.sims, cap=concurrent)
        print(f"[3] baseline dialer, same scenario, {n_life:,} leads ...", flush=True)
        r["base"] = phase_baseline(env, calls=n_life, sims=args.sims, cap=concurrent)
        print(f"[4] concurrency cap 200, {n_cap:,} calls ...", flush=True)
        r["cap"] = phase_cap(env, calls=n_cap)
        print(f"[5] originate rate at a 200 sps limit, {cps_window:.0f} s window ...", flush=True)
        r["cps"] = phase_cps(env, window=cps_window)
        print(f"[6] voice OTP latency, {n_otp} leads over 500 in flight ...", flush=True)
        r["otp"] = phase_otp(env, iterations=n_otp)
        print(f"[7] hub stall of a {n_import:,}-row import (bench/api_import.py) ...", flush=True)
        r["stall"] = phase_import_stall(rows=n_import)
    finally:
        stop_all()  # redis, and whatever an interrupted phase left running
        shutil.rmtree(workdir, ignore_errors=True)
    report.table(r)
    report.details(r)
    print(report.machine() + " at end")
    print(f"total bench time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
