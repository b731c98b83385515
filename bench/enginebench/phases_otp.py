"""Voice OTP latency: a lead imported through the HTTP API until the simulator receives its
originate, with 500 other calls in flight sending events.

The clock is ``time.monotonic_ns()`` on both sides (same machine, same clock): taken here just
before the POST, and by the simulator when the originate arrives (``--originate-log``). Without
that option the phase reports nothing rather than an engine-side figure.
"""

from __future__ import annotations

import http.client
import json
import random
import time

import gevent

from dialer.domain.enums import CampaignStatus, TypeAutocall
from dialer.engine.engine import Engine

from .phases_load import start_sims
from .procs import Env
from .rig import TOKEN, Rig, wait_for

OTP_SCEN = """
rules:
  - match: "^(0|84)97"
    ring: 1
    answer: {talk: 30}
  - match: "^(0|84)98"
    ring: [1, 2]
    answer: {talk: [2, 4]}
"""

WARMUP_CODES = ("012345", "678901", "234567", "890123", "456789")

# Engine.dial (the pacer's port): which call uuid each OTP number got, and when the pacer handed
# it over (monotonic_ns, for the breakdown only: the figure is taken at the simulator).
CALL_OF_NUMBER: dict[str, str] = {}
DIALLED_AT: dict[str, int] = {}
_dial = Engine.dial


def _recording_dial(self, node, ctx, claims):
    if ctx.campaign.type_autocall is TypeAutocall.VOICE_OTP:
        now = time.monotonic_ns()
        for c in claims:
            CALL_OF_NUMBER[c.numbers[0]] = c.call_uuid
            DIALLED_AT[c.numbers[0]] = now
    return _dial(self, node, ctx, claims)


class HubWatch:
    """Gaps a 1 ms timer sees in this process's hub: with the CPU this thread used meanwhile, so a
    gap is told apart as work in the hub (CPU ~ gap) or the OS running other processes (CPU ~ 0)."""

    def __init__(self) -> None:
        self.gaps: list[tuple[float, float]] = []  # (wall ms, cpu ms) of each gap over 20 ms
        self._g = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            t, c = time.perf_counter(), time.thread_time()
            gevent.sleep(0.001)
            gap = (time.perf_counter() - t) * 1000 - 1
            if gap > 20:
                self.gaps.append((gap, (time.thread_time() - c) * 1000))

    def stop(self) -> list[tuple[float, float]]:
        self._g.kill()
        return sorted(self.gaps, reverse=True)


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def phase_otp(env: Env, *, iterations: int, background: int = 500, warmup: int = 5) -> dict:
    if not env.originate_log:
        return {"skipped": "the simulator has no --originate-log (perf-sim's first commit)"}
    Engine.dial = _recording_dial
    (sim,) = start_sims(env, "otp", 1, OTP_SCEN, time_scale=1.0, sps=100_000, originate_log=True)
    rig = Rig(env, [sim])
    rig.start()
    try:
        return _measure(rig, sim, iterations, background, warmup)
    finally:
        Engine.dial = _dial


def _measure(rig: Rig, sim, iterations: int, background: int, warmup: int) -> dict:
    bg = rig.campaign("otp-background", background, wav="mid.wav", call_timeout=30).campaign_uuid
    rig.leads(bg, background * 12, prefix="098")
    otp = rig.campaign("otp", 1000, otp=True, call_timeout=30, voicemail_detection=False).campaign_uuid
    rig.go(bg)
    rig.go(otp)
    wait_for(lambda: rig.engine.tracker.count() >= background, 60, 0.05)
    gevent.sleep(3.0)  # the background calls churn: ringing, answers, hangups, new originates
    in_flight_start = rig.engine.tracker.count()
    conn = http.client.HTTPConnection("127.0.0.1", rig.api_port, timeout=10)
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    sent: dict[str, int] = {}  # national number -> monotonic_ns before the POST
    answered: dict[str, int] = {}  # ... when its answer was read
    errors = 0
    rng = random.Random(7)
    watch = HubWatch()
    for i in range(iterations + warmup):
        number = f"097{i:07d}"
        body = json.dumps(
            {"campaign_uuid": otp, "phone_number": number, "param": {"otp": f"{rng.randrange(10**6):06d}"}}
        )
        t0 = time.monotonic_ns()
        conn.request("POST", "/v3/autocall/import", body=body, headers=headers)
        answer = conn.getresponse()
        answer.read()
        answered[number] = time.monotonic_ns()
        if answer.status != 200:
            errors += 1
        elif i >= warmup:  # the first few render the digit clips once
            sent[number] = t0
        gevent.sleep(0.02)
    wait_for(lambda: all(n in CALL_OF_NUMBER for n in sent), 10, 0.05)
    gevent.sleep(1.0)  # the last originates reach the simulator and its log
    in_flight_end = rig.engine.tracker.count()
    gaps = watch.stop()
    conn.close()
    rig.store.campaigns.set_status(otp, CampaignStatus.STOP)
    rig.engine.campaign_changed(otp)
    rig.stop(bg, hupall=True, drain=30)
    sim.close()
    received = sim.originates()
    got = [n for n in sent if CALL_OF_NUMBER.get(n) in received]
    lat = [(received[CALL_OF_NUMBER[n]] - sent[n]) / 1e6 for n in got]
    stages = {  # where the time went: the API's answer, the pacer's turn, render + send + the simulator's read
        "api": [(answered[n] - sent[n]) / 1e6 for n in got],
        "to_dial": [(DIALLED_AT[n] - answered[n]) / 1e6 for n in got],
        "to_sim": [(received[CALL_OF_NUMBER[n]] - DIALLED_AT[n]) / 1e6 for n in got],
    }
    return {
        "n": len(lat),
        "missed": len(sent) - len(lat),
        "errors": errors,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "max": max(lat or [float("nan")]),
        "worst": sorted(lat)[-5:],
        "hub_gaps": gaps,
        "stages": {k: (pct(v, 50), pct(v, 99), max(v or [float("nan")])) for k, v in stages.items()},
        "in_flight_start": in_flight_start,
        "in_flight_end": in_flight_end,
    }
