"""Engines sharing one FreeSWITCH node: CPU per call of 1 engine vs 2 engines on the same node.

    .venv/bin/python bench/engines_one_node.py [--calls 10000] [--cap 400] [--repeats 2]

Each engine is its own process, wired as ``autocall serve`` wires it (bench/enginebench/rig.py:
engine, API, webhook sender, JSON logs), on one private ``redis-server`` and ``autocall
simswitch`` nodes (every call answered, a short talk). Per run: the campaign's calls are dialled by
1 engine, then by 2 engines on the same node, then by 2 engines each on its own node (the
reference for two processes at half the load each), in turn ``--repeats`` times (the baseline is
the same run's 1-engine figure). Printed: calls/s, each engine's CPU-ms per call it placed (CPU-seconds
from /proc/<pid>/stat between the start and the last CDR), all engines' CPU-ms per call, Redis
commands and Redis CPU-ms per call (INFO commandstats / cpu), and the ratio 2 engines / 1 engine of
the engines' CPU per call (issue 18's goal: at most 1.1; before each engine heard only its own
calls it was ~1.9). Each engine's idle CPU (4 s connected with nothing to dial, before the start;
from /proc/<pid>/task/*/schedstat: ns, not 10 ms ticks) is printed too, and the figures less that
idle cost for as long as the run lasted: an engine process pays it per second, not per call, so two
engines pay it twice. The engine processes wait for the end blocked on Redis (BLPOP), as ``serve``
waits on its stop event: a polling loop here would count as the engine's idle cost.

It runs against whatever ``dialer`` is importable from the repository it sits in; to measure an
older checkout, run a copy of this file from there (it needs only bench/enginebench/).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import redis  # noqa: E402
from enginebench.procs import Env, Sim, cpu_pid, spawn, start_redis, stop, stop_all  # noqa: E402
from enginebench.report import machine  # noqa: E402
from enginebench.rig import write_wav  # noqa: E402
from redis_per_call import RedisMeter  # noqa: E402

from dialer.domain.enums import CampaignStatus  # noqa: E402
from dialer.domain.models import Campaign, Lead, Template  # noqa: E402
from dialer.store.store import Store  # noqa: E402

IDLE_S = 4.0
SCENARIO = """rules:
  - match: "^098"
    ring: 0.05
    answer: {talk: 0.2}
"""


def cpu_ns(pid: int) -> int:
    """Nanoseconds on a CPU of all a process's threads (/proc/<pid>/task/*/schedstat): /proc/<pid>/stat
    counts 10 ms ticks, too coarse for a few CPU-ms per second over a few seconds."""
    total = 0
    for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            total += int(stat.read_text().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total


def engine_main(args: argparse.Namespace) -> None:
    """One engine process: connect, say ready, wait for the end, report the calls it recorded."""
    from enginebench.rig import Rig

    env = Env(Path(args.workdir), args.redis_port, 0)
    rig = Rig(env, [SimpleNamespace(url=args.sim_url)], sps=args.sps)
    rig.start()
    r = redis.Redis(port=args.redis_port, decode_responses=True)
    r.set(f"bench:ready:{args.index}", "1")
    # Blocked on Redis until told to stop, as `serve` waits on its stop event: polling here (it once
    # ran EXISTS 20 times a second) would count as the engine's idle cost.
    r.blpop([f"bench:stop:{args.index}"])
    rig.engine.writer.flush()
    r.set(f"bench:finished:{args.index}", rig.engine.writer.finished)
    rig.stop(drain=2)


def one_run(workdir: Path, redis_port: int, engines: int, nodes: int, calls: int, cap: int, sps: int) -> dict:
    """``engines`` engine processes on ``nodes`` simulators (1: all on the same node; else one each)."""
    r = redis.Redis(port=redis_port, decode_responses=True)
    r.flushall()
    store = Store.from_url(f"redis://127.0.0.1:{redis_port}/0")
    sims = [Sim(workdir, f"e{engines}n{i}", SCENARIO, time_scale=1.0, sps=100_000, heartbeat=1.0) for i in range(nodes)]
    tpl = Template(template_name=f"bench-{engines}-{time.monotonic_ns()}", audio_file="hello.wav")
    store.catalog.templates.put(tpl)
    camp = store.campaigns.create(
        Campaign(campaign_name=tpl.template_name, concurrent_call=cap, template_uuid=tpl.template_uuid)
    )
    cid = camp.campaign_uuid
    now = int(time.time() * 1000) - 1000
    for lo in range(0, calls, 5000):
        batch = [
            Lead(campaign_uuid=cid, external_id=f"c{i}", numbers=[f"098{i:07d}"], networks=["viettel"])
            for i in range(lo, min(calls, lo + 5000))
        ]
        store.leads.add(batch, now)
    procs = []
    for i in range(engines):
        cmd = [sys.executable, str(Path(__file__).resolve()), "--engine", "--index", str(i)]
        cmd += [
            "--redis-port",
            str(redis_port),
            "--sim-url",
            sims[i % nodes].url,
            "--workdir",
            str(workdir),
            "--sps",
            str(sps),
        ]
        procs.append(spawn(cmd, cwd=str(ROOT), stdout=subprocess.DEVNULL, stderr=open(workdir / f"engine{i}.log", "w")))
    deadline = time.monotonic() + 60
    while sum(r.exists(f"bench:ready:{i}") for i in range(engines)) < engines:
        if time.monotonic() > deadline:
            raise SystemExit(f"engines did not start: see {workdir}/engine*.log")
        time.sleep(0.05)
    # What an engine costs with nothing to dial (liveness beats, lease renewals, checks, HEARTBEATs,
    # the webhook sender's and API's loops), per second: paid per process, not per call.
    idle0, t_idle = [cpu_ns(p.pid) for p in procs], time.monotonic()
    time.sleep(IDLE_S)
    idle = [(cpu_ns(p.pid) - c0) / 1e9 / (time.monotonic() - t_idle) for p, c0 in zip(procs, idle0, strict=True)]
    meter = RedisMeter(redis.Redis(port=redis_port))
    meter.start()
    cpu0 = [cpu_pid(p.pid) for p in procs]
    for sim in sims:
        sim.mark()
    t0 = time.monotonic()
    store.campaigns.set_status(cid, CampaignStatus.START)
    while store.r.zcard(store.keys.cdrs(cid)) < calls:
        if time.monotonic() - t0 > 600:
            raise SystemExit("the campaign did not finish in 10 minutes")
        time.sleep(0.05)
    wall = time.monotonic() - t0
    cpu = [cpu_pid(p.pid) - c0 for p, c0 in zip(procs, cpu0, strict=True)]
    sim_cpu = sum(sim.cpu() for sim in sims)
    redis_figures = meter.stop()
    for i in range(engines):
        r.rpush(f"bench:stop:{i}", "1")
    deadline = time.monotonic() + 30
    while sum(r.exists(f"bench:finished:{i}") for i in range(engines)) < engines and time.monotonic() < deadline:
        time.sleep(0.05)
    placed = [int(r.get(f"bench:finished:{i}") or 0) for i in range(engines)]
    for p in procs:
        p.wait(timeout=30) if p.poll() is None else None
        stop(p)
    for sim in sims:
        sim.close()
    return {
        "engines": engines,
        "nodes": nodes,
        "calls": calls,
        "wall": wall,
        "placed": placed,
        "cpu": cpu,
        "idle": idle,
        "sim_cpu": sim_cpu,
        "redis_commands": redis_figures["commands"],
        "redis_cpu": redis_figures["cpu"],
        "by_command": redis_figures["by_command"],
    }


def net(run: dict) -> float:
    """The engines' CPU-seconds less what they would have spent idle for as long."""
    return sum(c - i * run["wall"] for c, i in zip(run["cpu"], run["idle"], strict=True))


def show(run: dict) -> str:
    calls = run["calls"]
    per_engine = ", ".join(
        f"{c * 1000 / max(n, 1):.3f} ({n} calls)" for c, n in zip(run["cpu"], run["placed"], strict=True)
    )
    idle = ", ".join(f"{i * 1000:.1f}" for i in run["idle"])
    return (
        f"{run['engines']} engine(s) on {run['nodes']} node(s): {calls / run['wall']:5.0f} calls/s | "
        f"engine CPU-ms/call: each {per_engine}; "
        f"all {sum(run['cpu']) * 1000 / calls:.3f}, less idle {net(run) * 1000 / calls:.3f} "
        f"(idle {idle} CPU-ms/s) | Redis {run['redis_commands'] / calls:.2f} commands/call, "
        f"{run['redis_cpu'] * 1000 / calls:.3f} CPU-ms/call | simulator {run['sim_cpu'] * 1000 / calls:.3f} CPU-ms/call"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--calls", type=int, default=10000)
    p.add_argument("--cap", type=int, default=400, help="the campaign's concurrent_call")
    p.add_argument("--sps", type=int, default=2000, help="each engine's originate rate limit on the node")
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--engine", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--index", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--redis-port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--sim-url", default="", help=argparse.SUPPRESS)
    p.add_argument("--workdir", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.engine:
        engine_main(args)
        return
    print(f"engines on one node: {machine()}; dialer from {ROOT} (calls/s is wall-clock: noisy on a shared box)")
    with tempfile.TemporaryDirectory(prefix="engines-one-node-") as tmp:
        workdir = Path(tmp)
        (workdir / "audio").mkdir()
        write_wav(workdir / "audio" / "hello.wav", 0.2)
        redis_proc, redis_port = start_redis(workdir)
        # 1 engine; 2 engines on the same node; 2 engines each on its own node (the reference: two
        # processes at half the load each, without a node in common)
        configs = ((1, 1), (2, 1), (2, 2))
        runs: dict[tuple[int, int], list[dict]] = {c: [] for c in configs}
        try:
            for _ in range(args.repeats):
                for engines, nodes in configs:
                    run = one_run(workdir, redis_port, engines, nodes, args.calls, args.cap, args.sps)
                    runs[(engines, nodes)].append(run)
                    print("  " + show(run), flush=True)
        finally:
            stop_all()
            stop(redis_proc)
    per_call = {c: [sum(r["cpu"]) * 1000 / r["calls"] for r in rs] for c, rs in runs.items()}
    net_per_call = {c: [net(r) * 1000 / r["calls"] for r in rs] for c, rs in runs.items()}
    for label, figures in (("all CPU", per_call), ("less idle", net_per_call)):
        one, same, apart = (min(figures[c]) for c in configs)
        print(
            f"engine CPU-ms per call ({label}), best of {args.repeats}: 1 engine {one:.3f}; 2 engines on the same "
            f"node {same:.3f}: x{same / one:.2f} ({'PASS' if same / one <= 1.1 else 'MISS'}: the goal is at most "
            f"x1.1); 2 engines on 2 nodes {apart:.3f}: x{apart / one:.2f}; same node / 2 nodes x{same / apart:.2f}"
        )
    print(json.dumps({f"{e}e{n}n": per_call[(e, n)] for e, n in configs}))
    print(json.dumps({f"{e}e{n}n less idle": net_per_call[(e, n)] for e, n in configs}))


if __name__ == "__main__":
    main()
