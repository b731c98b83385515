"""End-to-end engine benchmark: the real Engine against the simulator, one core.

    .venv/bin/python bench/engine.py [--quick]

A private ``redis-server`` (free port) and ``autocall simswitch`` (its own
process, one per phase, so each phase has its own limits and stats file) are
started; the Engine (Store, pacers, ESL node, tracker, writer) runs in THIS
process. Phases, in order:

  6. RSS per in-flight call: long calls (talk 600 s at time-scale 1) until
     20,000 (--quick 2,000) are in flight; VmRSS of this process before/after.
  1. Full-lifecycle calls/s: N short calls (20,000; --quick 3,000),
     concurrent_call 2000, sps/max-sessions 100,000; finished = CDRs in Redis.
  2. Parse ceiling: the raw bytes the engine's ESL socket received in phase 1
     (tee on sock.recv) replayed through StreamParser.feed + json.loads only.
  3. Peak concurrency vs cap: concurrent_call 200, 100,000 (--quick 5,000)
     calls; simulator ``peak_concurrent`` and sampled ``store.calls.in_flight``.
  4. CPS held vs limit: simulator --sps 200, NodeConfig(sps=200).
  5. Import->originate latency: 500 long calls up, then 200 single OTP leads
     (add_leads + engine.wake), measured until Engine.dial has written the
     bgapi originate to the socket (engine side, not simulator receipt).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402
import gevent.event  # noqa: E402
import redis  # noqa: E402

import dialer.esl.node as node_mod  # noqa: E402
from dialer.domain.enums import CampaignStatus  # noqa: E402
from dialer.domain.models import Campaign, Lead, Template  # noqa: E402
from dialer.engine.engine import Engine  # noqa: E402
from dialer.esl.connection import ESLConnection  # noqa: E402
from dialer.esl.node import NodeConfig  # noqa: E402
from dialer.esl.protocol import StreamParser  # noqa: E402
from dialer.media import MessageFiles  # noqa: E402
from dialer.routing.numbers import normalize  # noqa: E402
from dialer.store.store import Store  # noqa: E402

PASSWORD = "bench-secret"


# --------------------------------------------------------------------------- helpers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_pid(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))


class Tape:
    """Raw bytes received by the engine's ESL socket (enabled for phase 1 only)."""

    def __init__(self) -> None:
        self.enabled = False
        self.cap = 0
        self.chunks: list[bytes] = []
        self.recorded = 0
        self.total = 0

    def reset(self, cap: int) -> None:
        self.chunks, self.recorded, self.total, self.cap = [], 0, 0, cap

    def add(self, data: bytes) -> None:
        self.total += len(data)
        if self.recorded < self.cap:
            self.chunks.append(data)
            self.recorded += len(data)


TAPE = Tape()


class _TeeSock:
    __slots__ = ("_s",)

    def __init__(self, s: socket.socket) -> None:
        self._s = s

    def recv(self, n: int) -> bytes:
        data = self._s.recv(n)
        if TAPE.enabled:
            TAPE.add(data)
        return data

    def __getattr__(self, name: str):
        return getattr(self._s, name)


class TeeESLConnection(ESLConnection):
    def receive_events(self) -> None:
        self.sock = _TeeSock(self.sock)
        super().receive_events()


node_mod.ESLConnection = TeeESLConnection  # Node builds its connections from this name

# Engine.dial hook: when each lead's originate was written to the socket.
DIAL_TIMES: dict[str, float] = {}
DIAL_WAITERS: dict[str, gevent.event.Event] = {}
DIAL_COUNT = [0]
_orig_dial = Engine.dial


def _timed_dial(self, node, ctx, claims):
    _orig_dial(self, node, ctx, claims)  # builds commands and sendall()s the bgapi batch
    t = time.perf_counter()
    DIAL_COUNT[0] += len(claims)
    for c in claims:
        ev = DIAL_WAITERS.pop(c.lead_uuid, None)
        if ev is not None:
            DIAL_TIMES[c.lead_uuid] = t
            ev.set()


Engine.dial = _timed_dial


class Bench:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.audio = workdir / "audio"
        self.audio.mkdir()
        write_wav(self.audio / "short.wav", 0.5)
        write_wav(self.audio / "mid.wav", 10.0)
        write_wav(self.audio / "long.wav", 700.0)
        self.files = MessageFiles(self.audio)
        port = free_port()
        self.redis = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(workdir),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=port)
        for _ in range(250):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.02)
        else:
            raise SystemExit("redis-server did not start")
        self.redis_port = port
        self.store = Store.from_url(f"redis://127.0.0.1:{port}/0")
        self.n = 0
        self.sim: subprocess.Popen | None = None
        self.stats_path: Path | None = None

    # -- simulator ------------------------------------------------------------
    def start_sim(self, scenario: str, *, time_scale: float, sps: int, max_sessions: int) -> int:
        self.n += 1
        port = free_port()
        scen = self.workdir / f"scenario{self.n}.yaml"
        scen.write_text(scenario)
        self.stats_path = self.workdir / f"stats{self.n}.json"
        self.sim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dialer.cli",
                "simswitch",
                "--listen",
                f"127.0.0.1:{port}",
                "--password",
                PASSWORD,
                "--scenario",
                str(scen),
                "--time-scale",
                str(time_scale),
                "--sps",
                str(sps),
                "--max-sessions",
                str(max_sessions),
                "--heartbeat",
                "1",
                "--stats-file",
                str(self.stats_path),
                "--seed",
                "1",
            ],
            cwd=str(ROOT),
            stdout=subprocess.DEVNULL,
            stderr=open(self.workdir / f"sim{self.n}.log", "w"),
        )
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                time.sleep(0.05)
        raise SystemExit("simswitch did not start")

    def stop_sim(self) -> dict:
        if self.sim is not None and self.sim.poll() is None:
            self.sim.terminate()
            try:
                self.sim.wait(15)
            except subprocess.TimeoutExpired:
                self.sim.kill()
        self.sim = None
        return self.stats()

    def stats(self) -> dict:
        try:
            return json.loads(self.stats_path.read_text())
        except (OSError, ValueError, AttributeError):
            return {}

    # -- engine and campaigns --------------------------------------------------
    def engine(self, port: int, *, sps: int, max_sessions: int) -> Engine:
        cfg = NodeConfig("sim", "127.0.0.1", port, PASSWORD, sps=sps, max_sessions=max_sessions)
        eng = Engine(self.store, [cfg], self.files, default_gateway="gw1", default_caller_id="02812345678")
        eng.start()
        if not eng.wait_connected(10):
            raise SystemExit("engine did not connect to simswitch")
        return eng

    def campaign(self, concurrent: int, wav: str) -> Campaign:
        self.n += 1
        tpl = Template(template_name=f"bench-{self.n}", audio_file=wav)
        self.store.catalog.templates.put(tpl)
        return self.store.campaigns.create(
            Campaign(
                campaign_name=f"bench-{self.n}",
                concurrent_call=concurrent,
                template_uuid=tpl.template_uuid,
                status=CampaignStatus.STOP,
                call_timeout=60,
            )
        )

    def leads(self, cid: str, count: int, prefix: str = "098", start: int = 0) -> None:
        now = int(time.time() * 1000)
        for lo in range(0, count, 5000):
            batch = []
            for i in range(lo, min(count, lo + 5000)):
                num = normalize(f"{prefix}{(start + i) % 10_000_000:07d}")
                batch.append(
                    Lead(
                        campaign_uuid=cid,
                        external_id=f"{prefix}-{start + i}",
                        numbers=[num.national],
                        networks=[num.network],
                    )
                )
            self.store.leads.add(batch, now)

    def leads_elsewhere(self, cid: str, count: int, prefix: str = "098") -> None:
        """Import in a child process, so this process's RSS baseline holds no freed Lead objects."""
        code = (
            "import sys; sys.path.insert(0, sys.argv[1]); from bench.engine import Bench; "
            "from dialer.store.store import Store; b = Bench.__new__(Bench); "
            "b.store = Store.from_url(sys.argv[2]); b.leads(sys.argv[3], int(sys.argv[4]), sys.argv[5])"
        )
        subprocess.run(
            [sys.executable, "-c", code, str(ROOT), f"redis://127.0.0.1:{self.redis_port}/0", cid, str(count), prefix],
            check=True,
            cwd=str(ROOT),
        )

    def start_campaign(self, eng: Engine, cid: str) -> None:
        self.store.campaigns.set_status(cid, CampaignStatus.START)
        eng.campaign_changed(cid)

    def finish_phase(self, eng: Engine, cid: str, *, hupall: bool = False, drain: float = 30.0) -> None:
        self.store.campaigns.set_status(cid, CampaignStatus.STOP)
        eng.campaign_changed(cid)
        if hupall and eng.nodes[0].conn is not None:
            try:
                eng.nodes[0].conn.api("hupall NORMAL_CLEARING", timeout=30)
            except Exception as exc:
                print(f"  (hupall failed: {exc})")
        eng.stop(drain_timeout=drain)

    def close(self) -> None:
        self.stop_sim()
        if self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()


def wait_for(pred, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        gevent.sleep(step)
    return pred()


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    if not s:
        return float("nan")
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


# --------------------------------------------------------------------------- phases
LONG_SCEN = """
rules:
  - match: "^(0|84)97"
    sip: 486
  - match: "^(0|84)98"
    ring: 1
    answer: {talk: 600}
"""


def phase_rss(b: Bench, target: int) -> dict:
    port = b.start_sim(LONG_SCEN, time_scale=1.0, sps=100_000, max_sessions=30_000)
    eng = b.engine(port, sps=100_000, max_sessions=30_000)
    camp = b.campaign(target, "long.wav")
    cid = camp.campaign_uuid
    b.leads_elsewhere(cid, target)
    gc.collect()
    gevent.sleep(0.5)
    before = rss_mb()
    t0 = time.perf_counter()
    b.start_campaign(eng, cid)
    ok = wait_for(lambda: eng.tracker.count() >= target and len(eng.tracker.of_campaign(cid)) >= target, 180, 0.1)
    gevent.sleep(2.0)  # let answers / heartbeats settle
    reached = time.perf_counter() - t0
    in_tracker = eng.tracker.count()
    in_redis = b.store.calls.in_flight(cid)
    after = rss_mb()
    b.finish_phase(eng, cid, hupall=True, drain=60)
    stats = b.stop_sim()
    return {
        "target": target,
        "reached": ok,
        "in_tracker": in_tracker,
        "in_redis": in_redis,
        "before": before,
        "after": after,
        "secs": reached,
        "sim_concurrent_peak": stats.get("peak_concurrent"),
    }


SHORT_SCEN = """
rules:
  - match: "^(0|84)9"
    ring: 1
    answer: {talk: 1}
"""


def phase_lifecycle(b: Bench, calls: int, tape_cap: int) -> dict:
    port = b.start_sim(SHORT_SCEN, time_scale=0.001, sps=100_000, max_sessions=100_000)
    TAPE.reset(tape_cap)
    TAPE.enabled = True
    eng = b.engine(port, sps=100_000, max_sessions=100_000)
    camp = b.campaign(2000, "short.wav")
    cid = camp.campaign_uuid
    b.leads(cid, calls)
    gc.collect()
    ev0 = eng.nodes[0].conn.events_received
    sim_cpu0, redis_cpu0 = cpu_pid(b.sim.pid), cpu_pid(b.redis.pid)
    cpu0, t0 = cpu_self(), time.perf_counter()
    b.start_campaign(eng, cid)
    ok = wait_for(lambda: eng.finished >= calls, 600, 0.02)
    eng.flush()
    wall, cpu = time.perf_counter() - t0, cpu_self() - cpu0
    sim_cpu, redis_cpu = cpu_pid(b.sim.pid) - sim_cpu0, cpu_pid(b.redis.pid) - redis_cpu0
    events = eng.nodes[0].conn.events_received - ev0
    TAPE.enabled = False
    recorded = b.store.reports.queue_sizes(cid)["finished"]
    b.finish_phase(eng, cid, drain=10)
    stats = b.stop_sim()
    return {
        "calls": calls,
        "ok": ok,
        "recorded": recorded,
        "wall": wall,
        "cpu": cpu,
        "events": events,
        "sim_cpu": sim_cpu,
        "redis_cpu": redis_cpu,
        "by_cause": stats.get("by_cause", {}),
        "originated": stats.get("originated"),
    }


def phase_parse(calls: int) -> dict:
    chunks = TAPE.chunks
    share = TAPE.recorded / TAPE.total if TAPE.total else 0.0
    best = None
    for _ in range(3):
        parser = StreamParser()
        events = messages = 0
        loads = json.loads
        t0 = time.perf_counter()
        for data in chunks:
            for m in parser.feed(data):
                messages += 1
                if m.headers.get("Content-Type") == "text/event-json":
                    loads(m.body)
                    events += 1
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    out = {
        "bytes": TAPE.recorded,
        "total_bytes": TAPE.total,
        "share": share,
        "messages": messages,
        "events": events,
        "secs": best,
        "calls_covered": calls * share,
    }
    TAPE.chunks = []
    gc.collect()
    return out


CAP_SCEN = """
rules:
  - match: "^(0|84)9"
    ring: [5, 15]
    answer: {talk: 30}
"""


def phase_cap(b: Bench, calls: int, cap: int = 200) -> dict:
    # time-scale 0.01: ring 50-150 ms, then mid.wav (10 s -> 100 ms) => ~0.2 s per call wall,
    # so 200 concurrent calls bind at ~1000 calls/s.
    port = b.start_sim(CAP_SCEN, time_scale=0.01, sps=100_000, max_sessions=100_000)
    eng = b.engine(port, sps=100_000, max_sessions=100_000)
    camp = b.campaign(cap, "mid.wav")
    cid = camp.campaign_uuid
    b.leads(cid, calls)
    samples: list[int] = []
    tracker_samples: list[int] = []
    running = [True]

    def sampler():
        while running[0]:
            samples.append(b.store.calls.in_flight(cid))
            tracker_samples.append(eng.tracker.count())
            gevent.sleep(0.02)

    t0 = time.perf_counter()
    b.start_campaign(eng, cid)
    g = gevent.spawn(sampler)
    ok = wait_for(lambda: eng.finished >= calls, 900, 0.05)
    wall = time.perf_counter() - t0
    running[0] = False
    g.join()
    b.finish_phase(eng, cid, drain=10)
    stats = b.stop_sim()
    return {
        "cap": cap,
        "calls": calls,
        "ok": ok,
        "wall": wall,
        "peak": stats.get("peak_concurrent", -1),
        "sampled_max": max(samples or [0]),
        "tracker_max": max(tracker_samples or [0]),
        "sampled_p50": pct(samples, 50),
        "n_samples": len(samples),
        "at_cap_share": sum(1 for s in samples if s >= cap * 0.95) / max(1, len(samples)),
        "sessions_rejected": stats.get("sessions_rejected"),
    }


def phase_cps(b: Bench, window: float, limit: int = 200) -> dict:
    port = b.start_sim(SHORT_SCEN, time_scale=0.001, sps=limit, max_sessions=100_000)
    eng = b.engine(port, sps=limit, max_sessions=100_000)
    camp = b.campaign(2000, "short.wav")
    cid = camp.campaign_uuid
    b.leads(cid, int(limit * (window + 6)))
    b.start_campaign(eng, cid)
    gevent.sleep(2.5)  # warm-up: the first heartbeat, the initial burst

    def snap():
        # the stats file is rewritten every second: wait for a fresh write, use its mtime
        m0 = b.stats_path.stat().st_mtime
        wait_for(lambda: b.stats_path.stat().st_mtime != m0, 3, 0.01)
        return b.stats_path.stat().st_mtime, b.stats().get("originated", 0)

    ta, oa = snap()
    da, pa = DIAL_COUNT[0], time.perf_counter()
    gevent.sleep(window)
    tb, ob = snap()
    db, pb = DIAL_COUNT[0], time.perf_counter()
    b.finish_phase(eng, cid, drain=10)
    stats = b.stop_sim()
    return {
        "limit": limit,
        "sim_rate": (ob - oa) / (tb - ta),
        "engine_rate": (db - da) / (pb - pa),
        "window": tb - ta,
        "sps_rejected": stats.get("sps_rejected", -1),
        "originated": stats.get("originated"),
    }


def phase_latency(b: Bench, iterations: int, background: int = 500) -> dict:
    port = b.start_sim(LONG_SCEN, time_scale=1.0, sps=100_000, max_sessions=100_000)
    eng = b.engine(port, sps=100_000, max_sessions=100_000)
    camp = b.campaign(5000, "long.wav")
    cid = camp.campaign_uuid
    b.leads(cid, background, prefix="098")
    b.start_campaign(eng, cid)
    wait_for(lambda: eng.tracker.count() >= background, 60, 0.05)
    gevent.sleep(2.0)  # the 500 are ringing/answered; the pacer is idle
    in_flight_at_start = b.store.calls.in_flight(cid)
    lat: list[float] = []
    missed = 0
    for i in range(iterations):
        num = normalize(f"097{i:07d}")
        lead = Lead(
            campaign_uuid=cid,
            external_id=f"otp-{i}",
            numbers=[num.national],
            networks=[num.network],
            fields={"otp": "123456"},
        )
        ev = gevent.event.Event()
        DIAL_WAITERS[lead.lead_uuid] = ev
        t0 = time.perf_counter()
        b.store.leads.add([lead], int(time.time() * 1000))
        eng.wake(cid)
        if ev.wait(2.0):
            lat.append((DIAL_TIMES.pop(lead.lead_uuid) - t0) * 1000)
        else:
            DIAL_WAITERS.pop(lead.lead_uuid, None)
            missed += 1
        gevent.sleep(0.02)
    in_flight_at_end = b.store.calls.in_flight(cid)
    b.finish_phase(eng, cid, hupall=True, drain=30)
    b.stop_sim()
    return {
        "n": len(lat),
        "missed": missed,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "max": max(lat or [0]),
        "in_flight_start": in_flight_at_start,
        "in_flight_end": in_flight_at_end,
    }


# --------------------------------------------------------------------------- main
def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    q = args.quick
    n_life = 3_000 if q else 20_000
    n_cap = 5_000 if q else 100_000
    n_rss = 2_000 if q else 20_000
    cps_window = 6.0 if q else 12.0
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)

    workdir = Path(tempfile.mkdtemp(prefix="autocall-bench-"))
    b = Bench(workdir)
    t_start = time.perf_counter()
    try:
        print(
            f"autocall engine bench ({'quick' if q else 'full'}), redis :{b.redis_port}, workdir {workdir}", flush=True
        )
        print(f"[6] RSS with {n_rss} calls in flight ...", flush=True)
        rss = phase_rss(b, n_rss)
        gc.collect()
        print(f"[1] full lifecycle, {n_life} calls ...", flush=True)
        life = phase_lifecycle(b, n_life, tape_cap=400 * 1024 * 1024)
        print("[2] parse ceiling on the recorded stream ...", flush=True)
        parse = phase_parse(n_life)
        print(f"[3] peak concurrency, cap 200, {n_cap} calls ...", flush=True)
        cap = phase_cap(b, n_cap)
        print(f"[4] CPS vs limit 200, {cps_window:.0f} s window ...", flush=True)
        cps = phase_cps(b, cps_window)
        print("[5] import->originate latency, 200 OTP leads over 500 in flight ...", flush=True)
        lat = phase_latency(b, 200)
    finally:
        b.close()
        shutil.rmtree(workdir, ignore_errors=True)
    total = time.perf_counter() - t_start

    # ------------------------------------------------------------------ report
    life_rate = life["recorded"] / life["wall"]
    per_cpu = life["recorded"] / life["cpu"] if life["cpu"] else float("inf")
    ev_per_call = life["events"] / max(1, life["recorded"])
    parse_ev_s = parse["events"] / parse["secs"]
    parse_calls_s = parse["calls_covered"] / parse["secs"]
    ratio = life_rate / parse_calls_s
    ratio_cpu = per_cpu / parse_calls_s
    rss_delta = rss["after"] - rss["before"]
    kb_call = rss_delta * 1024 / max(1, rss["in_tracker"])
    rows = [
        ("1 full-lifecycle calls/s (wall)", f"{life_rate:,.0f} calls/s", "info", "-"),
        ("1 dialer CPU-s / calls per CPU-s", f"{life['cpu']:.2f} s / {per_cpu:,.0f}", "info", "-"),
        ("2 parse ceiling events/s", f"{parse_ev_s:,.0f} ev/s", "info", "-"),
        ("2 parse ceiling calls/s", f"{parse_calls_s:,.0f} calls/s", "info", "-"),
        ("2 ratio lifecycle/parse (wall)", f"{ratio * 100:.1f} %", ">= 50 %", verdict(ratio >= 0.5)),
        ("2 ratio lifecycle/parse (per CPU-s)", f"{ratio_cpu * 100:.1f} %", "(info)", "-"),
        (
            "3 sim peak_concurrent vs cap",
            f"{cap['peak']} / {cap['cap']}",
            "<= cap",
            verdict(0 <= cap["peak"] <= cap["cap"]),
        ),
        (
            "3 in_flight sampled max / p50",
            f"{cap['sampled_max']} / {cap['sampled_p50']}",
            "<= cap",
            verdict(cap["sampled_max"] <= cap["cap"]),
        ),
        (
            "4 originate rate (sim stats)",
            f"{cps['sim_rate']:.1f} /s",
            f"<= {cps['limit']}",
            verdict(cps["sim_rate"] <= cps["limit"] * 1.02),
        ),
        ("4 sps_rejected (throttled)", f"{cps['sps_rejected']}", "0", verdict(cps["sps_rejected"] == 0)),
        ("5 import->bgapi written p50", f"{lat['p50']:.2f} ms", "info", "-"),
        (
            "5 import->bgapi written p99",
            f"{lat['p99']:.2f} ms",
            "< 20 ms",
            verdict(lat["p99"] < 20 and not lat["missed"]),
        ),
        (
            f"6 RSS total at {rss['in_tracker']} in flight",
            f"{rss['after']:.0f} MB",
            "< 1024 MB",
            verdict(rss["after"] < 1024 and rss["reached"]),
        ),
        ("6 RSS per in-flight call", f"{kb_call:.1f} KB", "info", "-"),
    ]
    print()
    print(f"{'figure':40s} {'measured':>22s}  {'target':>10s}  result")
    print("-" * 84)
    for name, val, target, res in rows:
        print(f"{name:40s} {val:>22s}  {target:>10s}  {res}")
    print("-" * 84)
    print("details:")
    print(
        f"  [1] {life['recorded']} CDRs in Redis of {life['calls']} leads (done={life['ok']}) in {life['wall']:.2f} s "
        f"wall; this process {life['cpu']:.2f} CPU-s, simswitch {life['sim_cpu']:.2f} CPU-s, redis "
        f"{life['redis_cpu']:.2f} CPU-s (2 cores shared by all three); sim originated {life['originated']}, "
        f"causes {life['by_cause']}"
    )
    print(
        f"  [1] NOTE: the wall figure is bounded by whichever process saturates first; simswitch used "
        f"{life['sim_cpu'] / life['wall'] * 100:.0f} % of a core, this process {life['cpu'] / life['wall'] * 100:.0f} %. "
        f"Calls per dialer CPU-second is the engine's own cost."
    )
    print(
        f"  [1] {life['events']} events received = {ev_per_call:.2f} events/call (ESL events only; "
        f"command/reply not counted)"
    )
    print(
        f"  [2] tape {parse['bytes'] / 1e6:.1f} MB of {parse['total_bytes'] / 1e6:.1f} MB received "
        f"({parse['share'] * 100:.0f} % recorded), {parse['messages']} ESL messages, {parse['events']} json events, "
        f"parsed in {parse['secs']:.3f} s (best of 3; StreamParser.feed + json.loads, nothing else); "
        f"calls/s = calls covered by the tape / parse time"
    )
    print(
        f"  [3] {cap['calls']} calls (done={cap['ok']}) in {cap['wall']:.1f} s = {cap['calls'] / cap['wall']:.0f} "
        f"calls/s; {cap['n_samples']} samples of store.calls.in_flight, {cap['at_cap_share'] * 100:.0f} % of them >= 95 % of "
        f"cap; tracker max {cap['tracker_max']}; sessions_rejected {cap['sessions_rejected']}"
        + (f"; VIOLATION by {cap['peak'] - cap['cap']}" if cap["peak"] > cap["cap"] else "")
    )
    print(
        f"  [4] sim-side {cps['sim_rate']:.1f} originates/s over {cps['window']:.1f} s (stats-file mtimes); "
        f"engine-side {cps['engine_rate']:.1f} /s; {cps['sim_rate'] / cps['limit'] * 100:.0f} % of the limit "
        f"(the node keeps 85 % of sps minus a 10 % burst => ~75 % by design)"
    )
    print(
        f"  [5] measured: perf_counter before store.leads.add -> after Engine.dial returned (bgapi sendall done), "
        f"engine side, not simulator receipt; n={lat['n']} missed={lat['missed']} max {lat['max']:.2f} ms; "
        f"in flight {lat['in_flight_start']} at start, {lat['in_flight_end']} at end"
    )
    print(
        f"  [6] VmRSS {rss['before']:.0f} MB before start -> {rss['after']:.0f} MB with {rss['in_tracker']} "
        f"tracked / {rss['in_redis']} leased in flight (reached={rss['reached']} in {rss['secs']:.1f} s); delta "
        f"{rss_delta:.0f} MB; sim peak {rss['sim_concurrent_peak']}"
    )
    print(f"  total bench time {total:.0f} s")


if __name__ == "__main__":
    main()
