"""Autodialer pacing (dialer/pacing/agents.py): what a decision costs, and what it does to a shift.

    .venv/bin/python bench/autodialer_pacing.py [--quick] [--agents 5,10,30,60]
        [--answer-rates 0.15,0.3,0.5] [--ratio 300] [--seeds 3] [--decisions 200000]

1. **Hot path.** ``decide()`` calls per CPU-second of this process (``time.process_time``, best
   of 3) on inputs cycled from a prepared list (progressive, warm-up, predictive, guard), against
   two baselines measured in the same run: a no-op with the same signature (the call itself) and
   today's pacer arithmetic for one turn (dialer/pacing/pacer.py: ``min(MAX_BATCH,
   concurrent_call)`` then the node's room). Also ``CallStats.figures()``, cached (no call ended
   since the last turn) and recomputed (one did), and ``CallStats.attempt()``.
2. **Simulated shifts** (bench/pacingsim/shift.py, the model tests/test_pacing_autodialer.py
   runs): for each agent count and human answer rate, progressive (``ratio`` 100) against
   predictive (``--ratio``), the same seeds, 200 leads per agent (at least 2,000): agent idle %
   (logged-in time with no call and no wrap-up), abandon % as the engine measures it and for
   humans only, calls connected per agent-hour, and predictive's gain. Means over ``--seeds``
   seeds, the range of the abandon % beside it.
3. **The margin for chance.** Predictive as shipped (z = 1: the answers' mean plus one standard
   deviation fit the agents available, dialer/pacing/agents.py) against no margin (z = 0: the mean
   alone), same shifts, at a 30 % answer rate: idle %, abandon %, and how many decisions the
   abandon guard made progressive.

What it leaves out: no switch, no network and no engine (decide() is called in-process after
every simulated event and once a simulated second, and what it asks for is originated at once;
``concurrent_call``, sps, network caps and windows never bind); the callees are statistics
(answer after a gamma-distributed ring averaging 15 s, lognormal talk of 90 s ± 40 s, a fixed
10 s wrap-up, machines 8 % of attempts with a beep at 4-15 s), decide() itself assumes exponential
talk times; agents never log out, never miss an offer, are offered instantly, and never serve
another queue; no recalls (each lead is dialled once), no time of day (the answer rate does not
drift through the shift); the 24 h abandon window starts empty with the shift. The CPU figures
are this process's on a shared box: ratios against the baselines hold better than absolute rates.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pacingsim.shift import Result, Shift, run
from dialer.pacing.agents import Mode, PacingInputs, decide
from dialer.pacing.call_stats import NO_FIGURES, CallStats, Outcome
from dialer.pacing.pacer import MAX_BATCH

NOW = 1_700_000_000.0


def sample_inputs() -> list[PacingInputs]:
    """A spread of turns as a campaign of 10 agents meets them; every branch of decide()."""
    measured = dataclasses.replace(
        NO_FIGURES,
        attempts=400,
        answered=160,
        humans=120,
        handled=110,
        answer_rate=0.3,
        connect_rate=0.4,
        mean_ring_s=15.0,
        mean_talk_s=90.0,
        mean_wrap_s=10.0,
        humans_24h=900,
        abandoned_24h=9,
        abandon_rate=0.01,
    )
    early = dataclasses.replace(measured, humans=12, handled=10)
    guarded = dataclasses.replace(measured, abandoned_24h=20, abandon_rate=20 / 900)
    over = dataclasses.replace(measured, abandoned_24h=30, abandon_rate=30 / 900)
    out = []
    for i in range(64):
        free, dialling, waiting = i % 4, (i * 7) % 9, i % 3 == 0
        out.append(
            PacingInputs(
                now=NOW + i,
                ratio=(100, 300, 300, 300, 300, 150)[i % 6],
                free_agents=free,
                logged_in_agents=10,
                dialling=dialling,
                waiting=int(waiting),
                bridged=10 - free - (i % 2),
                figures=(measured, early, guarded, over, measured)[i % 5],
                wrap_up_ends=(NOW + i + 4.0,) if i % 2 else (),
            )
        )
    return out


def per_cpu_second(fn: Callable[[PacingInputs], object], inputs: list[PacingInputs], n: int) -> float:
    best = float("inf")
    k = len(inputs)
    for _ in range(3):
        t0 = time.process_time()
        for i in range(n):
            fn(inputs[i % k])
        best = min(best, time.process_time() - t0)
    return n / best if best > 0 else float("inf")


def noop(inputs: PacingInputs) -> object:
    return inputs


def pacer_arithmetic(inputs: PacingInputs) -> object:
    """Today's per-turn sum for an autocall campaign: the batch wanted, then what the node has room for."""
    want = min(MAX_BATCH, inputs.logged_in_agents * inputs.ratio // 100)
    return min(want, max(0, 64 - inputs.dialling))


def stats_costs(n: int) -> tuple[float, float, float]:
    """figures() cached, figures() after a recorded attempt, attempt() alone: calls per CPU-second."""
    clock_t = [NOW]
    stats = CallStats(lambda: clock_t[0])
    for minute in range(60):  # an hour of a busy campaign: 40 attempts a minute
        clock_t[0] = NOW + minute * 60
        for j in range(40):
            stats.attempt((Outcome.UNANSWERED, Outcome.CONNECTED, Outcome.VOICEMAIL)[j % 3], 12.0)
            if j % 3 == 1:
                stats.handled(90.0, 10.0)
    results = []
    for fresh in (False, True):
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            for _ in range(n):
                if fresh:
                    stats.attempt(Outcome.UNANSWERED)
                stats.figures()
            best = min(best, time.process_time() - t0)
        results.append(n / best)
    best = float("inf")
    for _ in range(3):
        t0 = time.process_time()
        for _ in range(n):
            stats.attempt(Outcome.UNANSWERED)
        best = min(best, time.process_time() - t0)
    return results[0], results[1], n / best


def hot_path(n: int) -> None:
    inputs = sample_inputs()
    base_noop = per_cpu_second(noop, inputs, n)
    base_pacer = per_cpu_second(pacer_arithmetic, inputs, n)
    ours = per_cpu_second(decide, inputs, n)
    print("\n1. Hot path (calls per CPU-second of this process, best of 3)")
    print(f"   no-op with decide()'s signature      {base_noop:>12,.0f}/s")
    print(f"   today's pacer arithmetic (one turn)  {base_pacer:>12,.0f}/s")
    print(
        f"   decide()                             {ours:>12,.0f}/s   "
        f"= {1e6 / ours:.2f} CPU-µs a decision, {base_pacer / ours:.1f}x the pacer arithmetic"
    )
    cached, fresh, record = stats_costs(max(1000, n // 10))
    print(f"   CallStats.figures(), cached          {cached:>12,.0f}/s")
    print(f"   CallStats.figures() after a record   {fresh:>12,.0f}/s   (attempt() + figures(): 15 minutes summed)")
    print(f"   CallStats.attempt()                  {record:>12,.0f}/s")


def shifts(agent_counts: list[int], rates: list[float], ratio: int, seeds: int) -> None:
    print(f"\n2. Simulated shifts: progressive (ratio 100) vs predictive (ratio {ratio}), {seeds} seed(s) each")
    head = (
        f"   {'agents':>6} {'answer':>6} {'leads':>6} | {'idle % prog':>11} {'pred':>6} | "
        f"{'abandon % pred (range)':>22} {'humans only':>11} | {'calls/agent-h prog':>18} {'pred':>6} {'gain':>6}"
    )
    print(head)
    print("   " + "-" * (len(head) - 3))
    for agents in agent_counts:
        for rate in rates:
            leads = max(2000, 200 * agents)
            prog: list[Result] = []
            pred: list[Result] = []
            for seed in range(1, seeds + 1):
                shift = Shift(leads=leads, agents=agents, human_rate=rate, seed=seed)
                prog.append(run(dataclasses.replace(shift, ratio=100)))
                pred.append(run(dataclasses.replace(shift, ratio=ratio)))
            idle_prog = statistics.fmean(r.idle_share for r in prog)
            idle_pred = statistics.fmean(r.idle_share for r in pred)
            ab = [r.abandon_rate for r in pred]
            true_ab = statistics.fmean(r.true_abandon_rate for r in pred)
            cph_prog = statistics.fmean(r.calls_per_agent_hour for r in prog)
            cph_pred = statistics.fmean(r.calls_per_agent_hour for r in pred)
            print(
                f"   {agents:>6} {rate:>6.0%} {leads:>6} | {idle_prog:>11.1%} {idle_pred:>6.1%} | "
                f"{statistics.fmean(ab):>8.2%} ({min(ab):.2%}-{max(ab):.2%}) {true_ab:>11.2%} | "
                f"{cph_prog:>18.1f} {cph_pred:>6.1f} {cph_pred / cph_prog:>5.2f}x"
            )
    print("   abandon % is what the engine measures (a machine timed out in the queue counts, one an agent")
    print("   took is connected); 'humans only' is the regulators' figure. Progressive abandons nobody here.")


def margins(agent_counts: list[int], ratio: int, seeds: int) -> None:
    print(f"\n3. The margin for chance: predictive (ratio {ratio}) with z = 1 (shipped) and z = 0, 30 % answered")
    head = (
        f"   {'agents':>6} | {'idle % z=1':>10} {'z=0':>6} | {'abandon % z=1':>13} {'z=0':>6} | "
        f"{'guarded turns z=1':>17} {'z=0':>6}"
    )
    print(head)
    print("   " + "-" * (len(head) - 3))
    for agents in agent_counts:
        runs: dict[float, list[Result]] = {1.0: [], 0.0: []}
        for seed in range(1, seeds + 1):
            shift = Shift(leads=max(2000, 200 * agents), agents=agents, human_rate=0.3, ratio=ratio, seed=seed)
            for z in runs:
                runs[z].append(run(dataclasses.replace(shift, spread_z=z)))
        idle = {z: statistics.fmean(r.idle_share for r in rs) for z, rs in runs.items()}
        ab = {z: statistics.fmean(r.abandon_rate for r in rs) for z, rs in runs.items()}
        guarded = {z: sum(r.modes.get(Mode.ABANDON_GUARD, 0) for r in rs) / seeds for z, rs in runs.items()}
        print(
            f"   {agents:>6} | {idle[1.0]:>10.1%} {idle[0.0]:>6.1%} | {ab[1.0]:>13.2%} {ab[0.0]:>6.2%} | "
            f"{guarded[1.0]:>17.0f} {guarded[0.0]:>6.0f}"
        )
    print("   guarded turns: decisions that started calls in abandon-guard mode (progressive), per shift")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer decisions; 10 and 30 agents at 30 %%, one seed")
    ap.add_argument("--agents", default="5,10,30,60")
    ap.add_argument("--answer-rates", default="0.15,0.3,0.5")
    ap.add_argument("--ratio", type=int, default=300)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--decisions", type=int, default=200_000)
    args = ap.parse_args()
    agent_counts = [int(a) for a in args.agents.split(",")]
    rates = [float(r) for r in args.answer_rates.split(",")]
    seeds, decisions = args.seeds, args.decisions
    if args.quick:
        agent_counts, rates, seeds, decisions = [10, 30], [0.3], 1, 50_000
    print(__doc__.split("\n\n")[0] + "\n")
    print("What it leaves out" + __doc__.split("What it leaves out")[1].rstrip())
    print(f"\nBox: {os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    hot_path(decisions)
    shifts(agent_counts, rates, args.ratio, seeds)
    margins(agent_counts, args.ratio, seeds)
    print(f"\nLoad average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
