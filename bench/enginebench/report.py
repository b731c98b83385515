"""The bench's output: what it leaves out, the machine's load, one row per Done-when figure
(measured, target, PASS/MISS), then the details a reader needs to judge each figure."""

from __future__ import annotations

import math
import os

LEAVES_OUT = """\
What this bench leaves out (read the figures with it):
  - FreeSWITCH itself: every node is `autocall simswitch` (its own process, on the same 2 cores as
    the engine and Redis), so calls/s is bounded by whichever process saturates first.
  - The network: everything is on 127.0.0.1; no SIP, no RTP, no real callee timing (time-scale 0.001).
  - Redis persistence (save/appendonly off) and Redis on another host.
  - TTS synthesis time of new phrases: the OTP phase renders with espeak-ng (offline engine), digit
    clips cached after the warm-up leads; audio campaigns play a pre-made WAV.
  - CDRs from mod_json_cdr (AUTOCALL_CDR_SECRET unset), the probe listener, HTTP API load other than
    the OTP imports (the API is served, idle, in the same hub), and encryption of lead fields.
  - The baseline dialer does far less than autocall (no pacing, leases, recovery, webhooks, logs):
    it is a floor, not a competitor with the same guarantees."""


def cores() -> int:
    """What nproc prints: the CPUs this process may run on."""
    return len(os.sched_getaffinity(0))


def machine() -> str:
    one, five, fifteen = os.getloadavg()
    return f"machine: {cores()} CPUs (nproc), load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1/5/15 min)"


def load_note() -> str:
    """A warning when the machine ran more than it has cores: wall-clock figures are then the queue's."""
    one, five, _ = os.getloadavg()
    n = cores()
    if max(one, five) <= n:
        return ""
    return (
        f"NOTE: load average {max(one, five):.1f} on {n} cores: other processes held the CPUs, so the "
        "wall-clock figures (2 calls/s, 6 latency, 7 stall) measure the queue for a core as much as this code; "
        "the CPU figures (1, 3 and the ratio) still hold."
    )


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _num(x: float) -> bool:
    return isinstance(x, (int, float)) and not math.isnan(x)


def rows(r: dict) -> list[tuple[str, str, str, str]]:
    life, base, cap, cps, otp, stall, rss = (r[k] for k in ("life", "base", "cap", "cps", "otp", "stall", "rss"))
    out = []
    calls = max(1, life["attempts"])
    ms_call = life["cpu"] * 1000 / calls
    out.append(("1 engine CPU-ms per call (realistic mix)", f"{ms_call:.3f} ms", "<= 0.15", verdict(ms_call <= 0.15)))
    rate = life["attempts"] / life["wall"]
    sims = [c / life["wall"] * 100 for c in life["sim_cpu"]]
    saturated = any(p > 90 for p in sims)
    note = " (simulators saturated)" if saturated else ""
    out.append(
        (f"2 end-to-end calls/s, {len(sims)} simulators", f"{rate:,.0f}/s{note}", ">= 2,000", verdict(rate >= 2000))
    )
    if "error" in base:
        out.append(("3 baseline / autocall CPU per call", "baseline failed", ">= 3x", "MISS"))
    else:
        base_ms = base["cpu"] * 1000 / max(1, base["calls"])
        ratio = base_ms / ms_call if ms_call else float("inf")
        out.append(
            (
                "3 baseline / autocall CPU per call",
                f"{base_ms:.3f} / {ms_call:.3f} = {ratio:.2f}x",
                ">= 3x",
                verdict(ratio >= 3),
            )
        )
    out.append(
        ("4 cap violations (cap 200)", f"{cap['violations']}", "0", verdict(cap["violations"] == 0 and cap["ok"]))
    )
    dev = (cps["rate"] - cps["intended"]) / cps["intended"] * 100 if cps["intended"] else float("nan")
    out.append(
        (
            "5 originate rate vs intended",
            f"{cps['rate']:.1f} vs {cps['intended']:.1f}/s ({dev:+.1f} %)",
            "within ±5 %",
            verdict(_num(dev) and abs(dev) <= 5),
        )
    )
    if "skipped" in otp:
        out.append(("6 OTP import -> sim originate p99", "not measured", "< 20 ms", "MISS"))
    else:
        out.append(
            (
                "6 OTP import -> sim originate p99",
                f"{otp['p99']:.2f} ms",
                "< 20 ms",
                verdict(otp["p99"] < 20 and not otp["missed"]),
            )
        )
    if "error" in stall:
        out.append((f"7 worst hub stall, {stall['rows']:,}-row import", "api_import failed", "< 20 ms", "MISS"))
    else:
        out.append(
            (
                f"7 worst hub stall, {stall['rows']:,}-row import",
                f"{stall['worst_ms']:.0f} ms",
                "< 20 ms",
                verdict(stall["worst_ms"] < 20),
            )
        )
    out.append(
        (
            f"8 RSS with {rss['in_flight']:,} in flight",
            f"{rss['after']:.0f} MB",
            "< 1024 MB",
            verdict(rss["after"] < 1024 and rss["reached"]),
        )
    )
    return out


def table(r: dict) -> None:
    print()
    print(f"{'figure':44s} {'measured':>30s}  {'target':>11s}  result")
    print("-" * 96)
    for name, val, target, res in rows(r):
        print(f"{name:44s} {val:>30s}  {target:>11s}  {res}")
    print("-" * 96)
    note = load_note()
    if note:
        print(note)


def details(r: dict) -> None:
    life, base, cap, cps, otp, stall, rss = (r[k] for k in ("life", "base", "cap", "cps", "otp", "stall", "rss"))
    wall = life["wall"]
    sims = ", ".join(f"{c / wall * 100:.0f} %" for c in life["sim_cpu"])
    print("details:")
    hooks_ms = (life["cpu"] - life["cpu_calls_only"]) * 1000 / max(1, life["webhooks"])
    print(
        f"  [1,2] {life['leads']:,} leads -> {life['attempts']:,} attempts recorded (CDRs; simulators saw "
        f"{life['originated']:,} originates; all settled={life['ok']}) in {wall:.2f} s wall "
        f"(50/90/99 % of them by {' / '.join(f'{t:.1f}' for t in life['t50_90_99'])} s); causes {life['causes']}"
    )
    print(
        f"  [1,2] this process: {life['cpu_calls_only']:.2f} CPU-s at the last CDR "
        f"({life['cpu_calls_only'] * 1000 / max(1, life['attempts']):.3f} ms per call without webhooks), "
        f"{life['cpu']:.2f} CPU-s once the receiver had all {life['webhooks']:,} webhooks "
        f"({life['webhooks_wall']:.1f} s after the start; {hooks_ms:.3f} CPU-ms per delivery after the last CDR)"
    )
    print(
        f"  [1,2] CPU % of a core over the wall time: engine {life['cpu_calls_only'] / wall * 100:.0f} %, simulators "
        f"[{sims}], redis {life['redis_cpu'] / wall * 100:.0f} % (all on {cores()} cores)"
        + (
            "; simulators saturated (> 90 %): calls/s is the simulators' ceiling"
            if any(c / wall > 0.9 for c in life["sim_cpu"])
            else ""
        )
        + ("; redis saturated (> 90 %): calls/s is Redis's ceiling" if life["redis_cpu"] / wall > 0.9 else "")
    )
    if "error" in base:
        print(f"  [3] baseline failed: {base['error']}")
    else:
        base_sims = ", ".join(f"{c / base['wall'] * 100:.0f} %" for c in base["sim_cpu"])
        print(
            f"  [3] baseline (bench/baseline_dialer.py, own process): {base['calls']:,} calls in {base['wall']:.2f} s, "
            f"{base['cpu']:.2f} CPU-s; simulators {base_sims}; "
            f"causes {base['causes']}. Same scenario, seeds, cap and leads; ratio from this run. The baseline sends no "
            f"webhooks: against autocall's CPU at the last CDR (before its webhooks) the ratio is "
            f"{base['cpu'] / max(1, base['calls']) / max(1e-9, life['cpu_calls_only'] / max(1, life['attempts'])):.2f}x"
        )
    print(
        f"  [4] {cap['calls']:,} calls (done={cap['ok']}) in {cap['wall']:.1f} s; simulator peak_concurrent "
        f"{cap['peak']}, sampled store in_flight max {cap['sampled_max']} (cap {cap['cap']}); "
        f"sessions_rejected {cap['sessions_rejected']}"
    )
    print(
        f"  [5] FreeSWITCH limit {cps['limit']} sps (simulator --sps, learnt by fsctl sps); the engine intends "
        f"{cps['intended']:.1f}/s = {cps['intended'] / cps['limit'] * 100:.0f} % of the limit "
        f"(capacity.py: 85 % of sps kept so inbound calls have room, minus a 10 % burst "
        f"so no one-second window of FreeSWITCH overflows; "
        f"rates({cps['limit']}) = {cps['designed']:.1f}). Measured {cps['rate']:.1f}/s over {cps['window']:.1f} s "
        f"({cps['source']}) = {cps['rate'] / cps['limit'] * 100:.0f} % of the limit; sps_rejected "
        f"{cps['sps_rejected']}, refusals seen by the engine {cps['refusals']}"
    )
    if "skipped" in otp:
        print(f"  [6] OTP latency not measured: {otp['skipped']}")
    else:
        print(
            f"  [6] autocall_voice_otp campaign, leads POSTed one by one to /v3/autocall/import (espeak-ng "
            f"renders each new code); monotonic_ns before the POST -> the simulator's --originate-log stamp. "
            f"n={otp['n']} missed={otp['missed']} errors={otp['errors']}; "
            f"p50 {otp['p50']:.2f} ms, max {otp['max']:.2f} ms; "
            f"calls in flight {otp['in_flight_start']} at start, {otp['in_flight_end']} at end"
        )
        print(
            "  [6] where the time went, p50 / p99 / max ms: "
            + "; ".join(f"{name} {a:.1f} / {b:.1f} / {c:.1f}" for name, (a, b, c) in otp["stages"].items())
            + " (api: POST to its answer; to_dial: answer to Engine.dial; to_sim: render, originate, simulator's read)"
        )
        gaps = otp["hub_gaps"]
        why = ""
        if gaps:
            busy = gaps[0][1] >= gaps[0][0] / 2
            why = f", worst {gaps[0][0]:.0f} ms with {gaps[0][1]:.0f} ms of this thread's CPU in it (" + (
                "the hub was busy)" if busy else "mostly the OS running other processes)"
            )
        print(f"  [6] this hub's gaps over 20 ms during the phase: {len(gaps)}{why}")
    if "error" in stall:
        print(f"  [7] bench/api_import.py failed: {stall['error']}")
    else:
        print(
            f"  [7] bench/api_import.py --rows {stall['rows']:,} (its own process and Redis; API alone in its hub): "
            f"CSV {stall['csv_ms']:.0f} ms, JSON {stall['json_ms']:.0f} ms of wall time"
            + (
                "; the hub's own CPU in the worst gap: "
                + ", ".join(f"{k} {v:.0f} ms" for k, v in stall["cpu_ms"].items() if v is not None)
                + " (the wall gap also holds other processes' turns on a loaded box; the row judges the wall gap)"
                if any(v is not None for v in stall["cpu_ms"].values())
                else ""
            )
        )
    print(
        f"  [8] VmRSS {rss['before']:.0f} MB before -> {rss['after']:.0f} MB with {rss['in_flight']:,} calls in flight "
        f"(reached={rss['reached']} in {rss['secs']:.1f} s; ESL reconnects meanwhile {rss['reconnects']}); "
        f"this process is the whole serve (API, webhooks, renderer)"
    )
