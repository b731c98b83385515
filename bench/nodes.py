"""Cost per call as FreeSWITCH nodes are added: one engine against 1, 2, 4, 8 simulator processes.

    .venv/bin/python bench/nodes.py [--quick] [--nodes 1,2,4,8] [--rounds 2] [--calls 10000]
                                    [--in-flight 4000] [--leads 100000]

Each step runs in a fresh process with a private ``redis-server`` (bench/enginebench/phases_nodes.py):
the engine as ``autocall serve`` wires it (API, webhook sender, INFO JSON logs; bench/enginebench/rig.py)
over N ``autocall simswitch`` processes, one per node, with the same leads, scenario and cap at every
step: bench/engine.py's realistic mix (60 % answered, 20 % busy, 20 % no answer, busy/no-answer
recalled once, both webhooks to a receiver in its own process). Per call (per attempt recorded):

  engine CPU-ms       this process's CPU-seconds from the start until the last webhook (and at the
                      last CDR, before the webhook backlog drains)
  Redis commands      INFO commandstats (the commands the Lua scripts run included; the meter's not)
  Redis CPU-ms        INFO cpu (used_cpu_user + used_cpu_sys)
  Redis bytes in/out  INFO stats total_net_input_bytes / total_net_output_bytes
  ESL bytes           what the engine's Event Socket connections received / sent, from the kernel's
                      per-connection counts (``ss -ti``): nothing in the engine or simulator is wrapped
  Redis kept/attempt  used_memory after the campaign against before it: the CDR and what stays
then, per step, memory per call in flight (N long calls held up: the engine's RSS and Redis's
used_memory against just before), and once per run Redis's used_memory per lead imported through
the API's import path. Every figure is printed beside the 1-node step of the same round as a
ratio, so one sees whether the per-call figures hold as nodes are added. ``--rounds`` repeats the
whole sequence; the load average before each step is printed (other work on the box).

What it leaves out: all processes (engine, simulators, Redis) share this box's cores, so calls/s is
the box's, not the engine's (the CPU figures are CPU-seconds and hold); a simulator is not a real
switch: its events are FreeSWITCH 1.10.12's captured templates with autocall's originate variables,
but a real carrier's SIP adds headers, so the real bytes per call are printed from the captures
(../shared/esl-captures, tests/captures) for the engine's subscription; one engine only (several
engines on a node: the ESL filter work of issue 18); Redis persistence (AOF) and a remote Redis
(loopback); FreeSWITCH's CDRs (mod_json_cdr) and the probe listener.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.enginebench import wire  # noqa: E402
from bench.enginebench.procs import Env, start_redis, stop_all  # noqa: E402
from bench.enginebench.rig import write_wav  # noqa: E402

LEAVES_OUT = (
    "leaves out: all processes share this box's cores (calls/s is the box's; CPU-seconds hold); simulator\n"
    "events are captured FreeSWITCH templates + autocall's variables, not a real carrier's SIP (real bytes\n"
    "from the captures below); one engine only; Redis persistence; a remote Redis; mod_json_cdr CDRs."
)


def load() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# -- a step, in its own process ------------------------------------------------------------------
def run_step(args: argparse.Namespace) -> None:
    from bench.enginebench import phases_nodes

    workdir = Path(tempfile.mkdtemp(prefix="autocall-nodes-"))
    (workdir / "audio").mkdir()
    write_wav(workdir / "audio" / "short.wav", 0.5)
    write_wav(workdir / "audio" / "long.wav", 700.0)
    proc, port = start_redis(workdir)
    env = Env(workdir, port, proc.pid)
    try:
        if args.step in ("calls", "scripts"):
            out = phases_nodes.step_calls(
                env,
                nodes=args.n,
                calls=args.calls,
                cap=args.cap,
                tag=f"s{args.n}-",
                rate=args.rate,
                by_script=args.step == "scripts",
            )
        elif args.step == "held":
            out = phases_nodes.step_in_flight(env, nodes=args.n, target=args.in_flight, tag=f"h{args.n}-")
        else:
            out = phases_nodes.step_leads(env, count=args.leads)
        print("RESULT " + json.dumps(out), flush=True)
    finally:
        stop_all()
        shutil.rmtree(workdir, ignore_errors=True)
    os._exit(0)  # the engine's greenlets are not drained: the step's figures are taken


def child(step: str, args: argparse.Namespace, n: int = 0) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--step", step, "--n", str(n)]
    cmd += ["--calls", str(args.calls), "--cap", str(args.cap), "--in-flight", str(args.in_flight)]
    cmd += ["--leads", str(args.leads), "--rate", str(args.rate)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=str(ROOT), timeout=1800)
    for line in reversed(done.stdout.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise SystemExit(f"step {step} {n} failed:\n{done.stdout[-1500:]}\n{done.stderr[-3000:]}")


# -- figures per call ----------------------------------------------------------------------------
def per_call(c: dict, h: dict) -> dict[str, float]:
    n = max(1, c["attempts"])
    r = c["redis"]
    held = max(1, h["in_flight"])
    return {
        "engine CPU-ms (to last webhook)": c["engine_cpu"] * 1000 / n,
        "engine CPU-ms (to last CDR)": c["engine_cpu_calls"] * 1000 / n,
        "Redis commands": r["commands"] / n,
        "Redis CPU-ms": r["cpu"] * 1000 / n,
        "Redis CPU-ms (/proc, +2 s idle)": c["redis_pid_cpu"] * 1000 / n,
        "Redis bytes in": r["net_in"] / n,
        "Redis bytes out": r["net_out"] / n,
        "ESL bytes received": c["esl_received"] / n,
        "ESL bytes sent": c["esl_sent"] / n,
        "Redis bytes kept/attempt": r["used_memory"] / n,
        "engine RSS KB/call up": h["rss_mb"] * 1024 / held,
        "Redis bytes/call up": h["redis_memory"] / held,
        "adoption pass Redis CPU-ms": h["adoption_pass"]["redis_cpu"] * 1000,
        "adoption pass Redis commands": h["adoption_pass"]["commands"],
        "adoption pass wall ms": h["adoption_pass"]["wall"] * 1000,
        "simulators CPU-ms": sum(c["sim_cpu"]) * 1000 / n,
        "calls/s (wall, shared box)": c["attempts"] / max(c["wall"], 1e-9),
    }


def print_round(index: int, steps: list[tuple[int, dict, dict, str]]) -> dict[int, dict[str, float]]:
    figures = {n: per_call(c, h) for n, c, h, _ in steps}
    nodes = [n for n, *_ in steps]
    base = figures[nodes[0]]
    print(f"\nround {index}: per call (attempt recorded); (xN.NN) = against the {nodes[0]}-node step of this round")
    for n, c, h, before in steps:
        note = "" if c["ok"] and h["reached"] else "  NOT SETTLED"
        print(
            f"  {n} node(s): {c['attempts']:,} attempts in {c['wall']:.1f} s, {c['webhooks']:,} webhooks, "
            f"{c['esl_connections']} ESL connections, {c['reconnects']} reconnects; "
            f"{h['in_flight']:,} calls held up; {before}{note}"
        )
    print(f"  {'per call':<32}" + "".join(f"{f'{n} node(s)':>22}" for n in nodes))
    for name in base:
        cells = []
        for n in nodes:
            x, b = figures[n][name], base[name]
            ratio = f"(x{x / b:.2f})" if b and n != nodes[0] else ""
            cells.append(f"{x:>12,.3f} {ratio:>9}" if x < 100 else f"{x:>12,.0f} {ratio:>9}")
        print(f"  {name:<32}" + "".join(f"{c:>22}" for c in cells))
    print("  Redis commands per call by name (the scripts' own commands included):")
    for n, c, _, _ in steps:
        top = list(c["redis"]["by_command"].items())[:9]
        attempts = max(1, c["attempts"])
        print(f"    {n} node(s): " + ", ".join(f"{k} {v / attempts:.2f}" for k, v in top))
    return figures


def fmt(x: float) -> str:
    """Three decimals below 100, whole numbers above."""
    return f"{x:,.3f}" if abs(x) < 100 else f"{x:,.0f}"


def print_summary(rounds: list[dict[int, dict[str, float]]]) -> None:
    nodes = list(rounds[0])
    print(f"\nall {len(rounds)} round(s): median (min-max) per call; ratio of medians against {nodes[0]} node(s)")
    for name in rounds[0][nodes[0]]:
        base = statistics.median(r[nodes[0]][name] for r in rounds)
        cells = []
        for n in nodes:
            xs = [r[n][name] for r in rounds]
            m = statistics.median(xs)
            cells.append(f"{fmt(m)} ({fmt(min(xs))}-{fmt(max(xs))}) x{m / base if base else 0:.2f}")
        print(f"  {name:<32}" + "  |  ".join(cells))


def print_scripts(runs: list[tuple[int, str, dict]]) -> None:
    """Redis's own microseconds per call, per script, from SLOWLOG (every command logged)."""
    print("\nRedis time per call by script or command (SLOWLOG, every command logged: Redis pays for the log)")
    names = list(dict.fromkeys(k for _, _, c in runs for k in c["by_script"]))
    print(f"  {'':<24}" + "".join(f"{f'{n} node(s): calls, us':>28}" for n, _, _ in runs))
    for name in names[:14]:
        cells = []
        for _, _, c in runs:
            calls, usec = c["by_script"].get(name, [0, 0])
            cells.append(f"{calls / max(1, c['attempts']):>12.3f} {usec / max(1, c['attempts']):>12.2f}")
        print(f"  {name:<24}" + "".join(f"{x:>28}" for x in cells))
    for n, before, c in runs:
        total = sum(u for k, (_, u) in c["by_script"].items() if k.endswith(".lua")) / max(1, c["attempts"])
        cpu = c["redis"]["cpu"] * 1e6 / max(1, c["attempts"])
        print(f"  {n} node(s): {total:.1f} us per call in scripts (with their commands); Redis CPU", end=" ")
        print(f"{cpu:.1f} us per call ({before})")


def print_real_bytes() -> None:
    real = wire.real_bytes_per_call()
    if real is None:
        print("\nreal event bytes: no captures found (../shared/esl-captures, tests/captures)")
        return
    print(f"\nreal FreeSWITCH 1.10.12 bytes per call in the engine's subscription (json), {real['folder']}:")
    for outcome, kinds in real["per_outcome"].items():
        total = sum(kinds.values())
        print(f"  {outcome:<10} {total:>7,} B  " + ", ".join(f"{k} {v:,}" for k, v in kinds.items()))
    print(f"  the mix's mean (60/20/20, before recalls): {real['mean']:,.0f} B per attempt")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small counts, one round")
    ap.add_argument("--nodes", default="1,2,4,8", help="simulator counts, the first is the baseline")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--calls", type=int, default=10_000, help="leads per step (recalls add attempts)")
    ap.add_argument("--cap", type=int, default=2_000, help="the campaign's concurrent_call")
    ap.add_argument("--in-flight", type=int, default=4_000, help="long calls held up per step")
    ap.add_argument("--leads", type=int, default=100_000, help="leads imported for the memory per lead")
    ap.add_argument("--rate", type=int, default=0, help="the engine's total calls/s over all nodes (0: unpaced)")
    ap.add_argument("--by-script", action="store_true", help="also Redis time per script (SLOWLOG), first/last step")
    ap.add_argument("--step", choices=("calls", "held", "leads", "scripts"), help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.step:
        run_step(args)
        return
    if args.quick:
        args.calls, args.in_flight, args.leads, args.rounds = 2_000, 1_000, 10_000, 1
    nodes = [int(x) for x in args.nodes.split(",")]
    print(f"bench/nodes.py: one engine over {nodes} simulator processes, {args.calls:,} leads per step, cap {args.cap}")
    print(f"{os.cpu_count()} CPUs, {load()} at start")
    print(LEAVES_OUT, flush=True)
    t0 = time.perf_counter()
    rounds = []
    for i in range(1, args.rounds + 1):
        steps = []
        order = nodes if i % 2 else list(reversed(nodes))  # every other round backwards: the load drifts
        for n in order:
            before = load()
            c = child("calls", args, n)
            h = child("held", args, n)
            steps.append((n, c, h, before))
            print(f"  round {i}, {n} node(s) done ({before} before it)", flush=True)
        steps.sort(key=lambda s: nodes.index(s[0]))
        rounds.append(print_round(i, steps))
    if len(rounds) > 1:
        print_summary(rounds)
    if args.by_script:
        print_scripts([(n, load(), child("scripts", args, n)) for n in (nodes[0], nodes[-1])])
    before = load()
    stored = child("leads", args)
    print(
        f"\nleads stored: {stored['leads']:,} imported through dialer/service/leads.py import_many "
        f"({stored['refused']} refused): {stored['redis_memory'] / stored['leads']:,.0f} B of Redis used_memory "
        f"per lead, {stored['commands'] / stored['leads']:.2f} commands, {stored['net_in'] / stored['leads']:,.0f} B "
        f"sent per lead ({before} before it)"
    )
    print_real_bytes()
    print(f"\n{load()} at end; {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
