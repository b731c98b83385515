"""``autocall serve --workers N``: throughput and engine CPU per call with 1 and 2 engine processes.

Usage: ``python bench/workers.py [--leads 10000] [--repeats 2] [--engine-cpu 0.3] [--webhooks]``

The box has 2 cores, and the simulator nodes and Redis need CPU too: left
alone, two engines would mostly measure who wins the cores. So each engine
process (each worker) runs in a cgroup of its own limited to ``--engine-cpu``
of a core (cgroup v1 ``cpu.cfs_quota_us``, or v2 ``cpu.max``; we are root)
and, like the simulators and Redis, 4 times the default share of a busy CPU
(``cpu.shares`` / ``cpu.weight``: other work on this shared box slows them less):
the engines are the bottleneck, and the figure is how throughput scales with
engine processes, each given the same CPU. Printed per case: calls/s
(attempts recorded per wall second, the campaign started to its last CDR),
engine CPU per call (every worker's CPU-seconds from /proc, the supervisor's
excluded: it only waits), how often the quota throttled them, and the scaling
efficiency: calls/s with N ÷ (N × calls/s with 1).

Cases (fresh simulator nodes each, one Redis):
* ``1 worker, 1 node``: ``serve --workers 1``, the baseline;
* ``2 workers, 1 node``: ``serve --workers 2`` dialling one FreeSWITCH. Until
  each engine receives only its own calls' events (issue 18, the ESL filter),
  each worker parses every event of the node: CPU per call about x1.9;
* ``2 engines, own node``: two ``serve`` processes, each on its own node: what
  each worker costs once it hears only its own calls (the same engine code);
* ``2 workers, 2 nodes``: ``serve --workers 2`` with both nodes (each worker
  on both, as the documented layout).

Left out: the API (AUTOCALL_API=false: no worker serves it), webhooks unless
``--webhooks`` (their receiver then runs in its own process), the simulators'
and Redis's CPU (printed apart, not in the engine's figure), and the other
helpers' load on this shared box (the load average is printed).
"""

from __future__ import annotations

# The bench drives real processes; it only needs gevent for the simulator-free helpers it imports.
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.enginebench.phases_load import REALISTIC_SCALE, REALISTIC_SCEN  # noqa: E402
from bench.enginebench.procs import (  # noqa: E402
    ROOT,
    Env,
    Receiver,
    Sim,
    cpu_pid,
    spawn,
    start_redis,
    stop,
    stop_all,
)
from bench.enginebench.rig import Rig, realistic_fields, store_for, write_wav  # noqa: E402
from dialer.domain.enums import CampaignStatus  # noqa: E402

HELPERS: list[CpuLimit] = []
MADE: list[CpuLimit] = []  # every cgroup made: removed at the end whatever happens
CGROUP_V1 = Path("/sys/fs/cgroup/cpu")
CGROUP_V2 = Path("/sys/fs/cgroup")
PERIOD_US = 100_000
# This box is shared: the bench's processes (engines, simulators, Redis) get this many times the default
# share of a busy CPU, so other work on the box slows them less; the quota still caps each engine.
WEIGHT = 4


class CpuLimit:
    """A cgroup holding processes to ``cpus`` of a core (cfs quota; None: no cap) with ``weight`` times
    the default share of a busy CPU, and its throttling count."""

    def __init__(self, name: str, cpus: float | None, weight: int = WEIGHT) -> None:
        controllers = CGROUP_V2 / "cgroup.controllers"
        self.v2 = controllers.exists() and "cpu" in controllers.read_text()
        self.path = (CGROUP_V2 if self.v2 else CGROUP_V1) / name
        self.path.mkdir(exist_ok=True)
        MADE.append(self)
        quota = int(cpus * PERIOD_US) if cpus else -1
        if self.v2:
            (self.path / "cpu.max").write_text(f"{quota if quota > 0 else 'max'} {PERIOD_US}")
            (self.path / "cpu.weight").write_text(str(100 * weight))
        else:
            (self.path / "cpu.cfs_period_us").write_text(str(PERIOD_US))
            (self.path / "cpu.cfs_quota_us").write_text(str(quota))
            (self.path / "cpu.shares").write_text(str(1024 * weight))

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def throttled(self) -> tuple[int, int]:
        """(periods, periods throttled) so far."""
        stat = dict(line.split() for line in (self.path / "cpu.stat").read_text().splitlines() if " " in line)
        return int(stat.get("nr_periods", 0)), int(stat.get("nr_throttled", 0))

    def remove(self) -> None:
        if not self.path.exists():  # removed already
            return
        parent = self.path.parent / "cgroup.procs"
        for pid in (self.path / "cgroup.procs").read_text().split():
            try:
                parent.write_text(pid)
            except OSError:
                pass
        try:
            self.path.rmdir()
        except OSError:
            pass


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Engines:
    """``autocall serve`` processes: each ``(workers, nodes)`` one command; every worker in its own cgroup."""

    def __init__(self, env: Env, specs: list[tuple[int, list[Sim]]], cpus: float, tag: str) -> None:
        self.env, self.limits, self.procs = env, [], []
        self.expected = sum(w for w, _ in specs)
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_")}
        for workers, nodes in specs:
            settings = {
                "AUTOCALL_REDIS_URL": f"redis://127.0.0.1:{env.redis_port}/0",
                "AUTOCALL_FREESWITCH": ",".join(s.url for s in nodes),
                "AUTOCALL_API": "false",
                "AUTOCALL_WORKERS": str(workers),
                "AUTOCALL_AUDIO_DIR": str(env.workdir / "audio"),
                "AUTOCALL_DEFAULT_GATEWAY": "gw1",
                "AUTOCALL_TTS_ENGINE": "none",
                "AUTOCALL_LOG_LEVEL": "INFO",  # JSON lines as in production, to /dev/null
                "AUTOCALL_WEBHOOK_ALLOW_PRIVATE": "true",
                "PYTHONPATH": str(ROOT),
            }
            self.procs.append(
                spawn(  # stop_all() ends it if the bench is interrupted
                    [sys.executable, "-m", "dialer.cli", "serve"],
                    env={**base, **settings},
                    cwd=str(ROOT),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        deadline = time.monotonic() + 30
        while len(self.worker_pids()) < self.expected:
            if time.monotonic() > deadline:
                raise SystemExit("the workers did not start")
            time.sleep(0.05)
        for n, pid in enumerate(self.worker_pids()):
            limit = CpuLimit(f"autocall-bench-{tag}-{n}", cpus)
            limit.add(pid)
            self.limits.append(limit)
        store = store_for(env.redis_port)
        deadline = time.monotonic() + 30
        while len(store.engine_listing.alive()) < self.expected:
            if time.monotonic() > deadline:
                raise SystemExit("the engines did not beat")
            time.sleep(0.1)
        time.sleep(2.0)  # connected to their nodes, limits read
        self.cpu0 = self.cpu()

    def worker_pids(self) -> list[int]:
        pids = []
        for proc in self.procs:
            kids = children(proc.pid)
            pids += kids if kids else [proc.pid]  # --workers 1: the process dials itself
        return pids

    def cpu(self) -> float:
        return sum(cpu_pid(pid) for pid in self.worker_pids())

    def throttled(self) -> tuple[int, int]:
        pairs = [limit.throttled() for limit in self.limits]
        return sum(p for p, _ in pairs), sum(t for _, t in pairs)

    def close(self) -> None:
        for proc in self.procs:
            stop(proc, timeout=60)
        for limit in self.limits:
            limit.remove()


def run_case(env: Env, name: str, layout: str, leads: int, cpus: float, webhooks: bool, run: int) -> dict:
    sims = [
        Sim(env.workdir, f"{layout}-{run}-{i}", REALISTIC_SCEN, time_scale=REALISTIC_SCALE, sps=100_000, seed=i + 1)
        for i in range(2 if layout in ("own", "both") else 1)
    ]
    specs = {
        "one1": lambda: [(1, sims)],
        "one2": lambda: [(2, sims)],
        "own": lambda: [(1, [sims[0]]), (1, [sims[1]])],
        "both": lambda: [(2, sims)],
    }[layout]()
    receiver = Receiver() if webhooks else None
    for proc in [s.proc for s in sims] + ([receiver.proc] if receiver else []):
        HELPERS[0].add(proc.pid)
    rig = Rig.__new__(Rig)  # its campaign and lead helpers only: the engines are the processes
    rig.store = store = store_for(env.redis_port)
    fields = realistic_fields(receiver.url if receiver else "")
    if not receiver:
        fields.pop("callback_url"), fields.pop("answer_callback_url")
    camp = rig.campaign(f"workers-{layout}", 100_000, wav="short.wav", **fields)
    cid = camp.campaign_uuid
    rig.leads(cid, leads)
    engines = Engines(env, specs, cpus, f"{layout}{run}")
    for s in sims:
        s.mark()
    redis0, t0 = cpu_pid(env.redis_pid), time.perf_counter()
    store.campaigns.set_status(cid, CampaignStatus.START)
    store.campaigns.wake(cid)
    ok, progress = False, []  # (seconds, CDRs so far)
    while time.perf_counter() - t0 < 900:
        q = store.reports.queue_sizes(cid)
        progress.append((time.perf_counter() - t0, q["finished"]))
        if not (q["fresh"] or q["recalls"] or q["hopper"] or q["in_flight"]):
            ok = True
            break
        time.sleep(0.1)
    wall = time.perf_counter() - t0
    final = progress[-1][1]
    t10 = next(t for t, n in progress if n >= 0.1 * final)
    t90 = next(t for t, n in progress if n >= 0.9 * final)
    cpu = engines.cpu() - engines.cpu0
    periods, throttled = engines.throttled()
    attempts = store.reports.queue_sizes(cid)["finished"]
    result = {
        "case": name,
        "ok": ok,
        "attempts": attempts,
        "wall": wall,
        "calls_s": attempts / wall,
        "steady_calls_s": 0.8 * final / max(0.1, t90 - t10),  # between 10 % and 90 % of the CDRs: no ramp, no tail
        "cpu_ms_per_call": 1000 * cpu / max(1, attempts),
        "engine_cpu_s": cpu,
        "throttled": throttled / max(1, periods),
        "sim_cpu_s": sum(s.cpu() for s in sims),
        "redis_cpu_s": cpu_pid(env.redis_pid) - redis0,
    }
    engines.close()
    for s in sims:
        s.close()
    if receiver:
        receiver.close()
    return result


CASES = [
    ("1 worker, 1 node", "one1", 1),
    ("2 workers, 1 node", "one2", 2),
    ("2 engines, own node", "own", 2),
    ("2 workers, 2 nodes", "both", 2),
]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--engine-cpu", type=float, default=0.3, help="each engine process's CPU quota, in cores")
    ap.add_argument("--webhooks", action="store_true", help="both callback URLs at a receiver process")
    ap.add_argument("--cases", default="one1,one2,own,both")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # the finally below stops what was started
    if os.geteuid() != 0:
        raise SystemExit("bench/workers.py limits each engine with a cgroup: run it as root")
    wanted = args.cases.split(",")
    workdir = Path(tempfile.mkdtemp(prefix="autocall-workers-bench-"))
    (workdir / "audio").mkdir()
    write_wav(workdir / "audio" / "short.wav", 0.5)
    redis, port = start_redis(workdir)
    env = Env(workdir, port, redis.pid)
    helpers = CpuLimit("autocall-bench-helpers", None)  # Redis and the simulators: weighted, no cap
    helpers.add(redis.pid)
    HELPERS.append(helpers)
    print(f"load average before: {os.getloadavg()}; {os.cpu_count()} cores; engine quota {args.engine_cpu} core each")
    results: dict[str, list[dict]] = {}
    try:
        for run in range(args.repeats):
            for name, layout, _ in CASES:
                if layout not in wanted:
                    continue
                r = run_case(env, name, layout, args.leads, args.engine_cpu, args.webhooks, run)
                results.setdefault(layout, []).append(r)
                print(
                    f"  run {run + 1} {name:22} {r['calls_s']:7.0f} calls/s (steady {r['steady_calls_s']:5.0f})  "
                    f"{r['cpu_ms_per_call']:.3f} CPU-ms/call"
                    f"  throttled {100 * r['throttled']:3.0f} % of periods  sim {r['sim_cpu_s']:.1f} s  "
                    f"redis {r['redis_cpu_s']:.1f} s  ({r['attempts']} attempts in {r['wall']:.1f} s"
                    f"{'' if r['ok'] else ', NOT SETTLED'})",
                    flush=True,
                )
    finally:
        stop(redis)
        stop_all()
        for limit in MADE:
            limit.remove()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"load average after: {os.getloadavg()}")
    if "one1" not in results:
        return

    def mean(layout: str, key: str) -> float:
        return sum(r[key] for r in results[layout]) / len(results[layout])

    print(
        f"\n{'case':22} {'calls/s':>8} {'steady':>7} {'CPU-ms/call':>12} {'x CPU/call':>10} "
        f"{'efficiency':>10} {'steady':>7}"
    )
    for name, layout, n in CASES:
        if layout not in results:
            continue
        rate, steady, cpu = mean(layout, "calls_s"), mean(layout, "steady_calls_s"), mean(layout, "cpu_ms_per_call")
        print(
            f"{name:22} {rate:8.0f} {steady:7.0f} {cpu:12.3f} {cpu / mean('one1', 'cpu_ms_per_call'):10.2f} "
            f"{rate / (n * mean('one1', 'calls_s')):10.2f} {steady / (n * mean('one1', 'steady_calls_s')):7.2f}"
        )
    print(
        "\nefficiency = calls/s with N engine processes / (N x calls/s with 1) (steady: between 10 % and 90 % "
        f"of the CDRs), each process held to "
        f"{args.engine_cpu} core; left out: API, {'' if args.webhooks else 'webhooks, '}simulator and Redis CPU"
    )


if __name__ == "__main__":
    main()
