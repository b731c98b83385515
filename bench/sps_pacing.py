"""What a campaign sustains against FreeSWITCH's sessions-per-second, against the target.

    .venv/bin/python bench/sps_pacing.py [--window 20] [--sps 5,30,60]

For each limit S: ``autocall simswitch --sps S --heartbeat 1`` in its own process
(its HEARTBEATs carry what a real FreeSWITCH 1.10.12 sends: Session-Per-Sec is
what is LEFT of its current second, esl-captures batch2), a private redis-server,
and the real Engine in this process dialling a campaign of busy numbers (486 at
once: each call is one session, ended in milliseconds, so only the rate limits).
After a 4 s warm-up the originates the simulator received over ``--window``
seconds give the sustained rate.

Two engines per limit, measured in the same run:

* **current**: the limit from ``fsctl sps`` (dialer/esl/checks.py); the target is
  ``capacity.rates(S)`` (22.5/s at S=30: min(85 %, S-1) minus the burst);
* **baseline**: the same engine, but its node paces as autocall's did before
  (c05c335): the limit is HEARTBEAT's ``Session-Per-Sec`` capped by the URL's
  ``sps`` (S here), recomputed at each HEARTBEAT, recovering only then (the
  field report: 3.6-13 calls/s at S=30 with 20 s HEARTBEATs at an arbitrary
  phase; here they come every second, which flatters the baseline).

Printed: target, achieved (calls/s), achieved/target, refusals (``Throttle
Error!``), baseline achieved, current/baseline, and FreeSWITCH's own ceiling S-1.

What it leaves out (so it does not flatter): no inbound calls sharing the
limit, no SIP latency (a real far end makes calls last longer, which only
matters for max-sessions), one node, one campaign; the window phase of the
simulator's second is fixed (a real switch's is arbitrary). tests/realfs runs
the same check against a real FreeSWITCH when one is installed.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import wave  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402

from dialer.domain.enums import CampaignStatus  # noqa: E402
from dialer.domain.models import Campaign, Lead, Template  # noqa: E402
from dialer.engine.engine import Engine  # noqa: E402
from dialer.esl.capacity import rates  # noqa: E402
from dialer.esl.node import Node, NodeConfig  # noqa: E402
from dialer.media import MessageFiles  # noqa: E402
from dialer.routing.numbers import normalize  # noqa: E402
from dialer.store.store import Store  # noqa: E402

PASSWORD = "bench-secret"
BUSY = "rules:\n  - match: '.'\n    sip: 486\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return free_port() if port == 6379 else port


def wait_port(port: int, what: str) -> None:
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"{what} did not start")


class HeartbeatLimitNode(Node):
    """The baseline: autocall's node before this change, which took HEARTBEAT's Session-Per-Sec for
    the limit (dialer/esl/node.py at c05c335, its heartbeat() and _rates() verbatim in effect): the
    rate is recomputed from each HEARTBEAT and recovers only then; the URL's sps (here S, as an
    operator would write it) caps it; fsctl is never asked."""

    def __init__(self, *args: Any, cap: int, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.cap = cap
        self.capacity._recover = lambda: None  # the old bucket recovered only at a HEARTBEAT
        self._old_limits(cap)

    def _old_limits(self, sps: int) -> tuple[float, float]:
        burst = max(1.0, sps * 0.1)
        return max(0.5, sps * 0.85 - burst), burst

    def heartbeat(self, event: dict[str, Any]) -> None:
        cap = self.capacity
        try:
            sps = int(event.get("Session-Per-Sec") or self.cap)  # as printed: 4294967294 when over
            cap.max_sessions = int(event.get("Max-Sessions") or cap.max_sessions or 1000)
            cap.sessions(int(event.get("Session-Count") or 0), None)
        except ValueError:
            return
        rate, burst = self._old_limits(min(sps, self.cap))
        cap.sps_limit, cap.target, cap.bucket.burst = sps, rate, burst
        if time.monotonic() > cap.throttled_until:
            cap.bucket.rate = min(rate, cap.bucket.rate + max(1.0, rate * 0.1)) if cap.bucket.rate < rate else rate

    def apply_state(self, state, *args: Any, **kw: Any) -> None:  # fsctl's limits were never asked
        keep = (self.capacity.sps_limit, self.capacity.target, self.capacity.bucket.rate, self.capacity.bucket.burst)
        super().apply_state(state, *args, **kw)
        if keep[0] is not None:
            cap = self.capacity
            cap.sps_limit, cap.target, cap.bucket.rate, cap.bucket.burst = keep
        else:  # before the first HEARTBEAT: the URL's sps
            rate, burst = self._old_limits(self.cap)
            self.capacity.sps_limit, self.capacity.target = self.cap, rate
            self.capacity.bucket.rate, self.capacity.bucket.burst = rate, burst


def run(sps: int, window: float, baseline: bool, redis_port: int, work: Path) -> dict[str, float]:
    port = free_port()
    scenario = work / "busy.yaml"
    scenario.write_text(BUSY)
    stats_path = work / f"stats-{sps}-{int(baseline)}.json"
    sim = subprocess.Popen(
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
            str(scenario),
            "--sps",
            str(sps),
            "--max-sessions",
            "10000",
            "--heartbeat",
            "1",
            "--stats-file",
            str(stats_path),
        ],
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(port, "simswitch")
        store = Store.from_url(f"redis://127.0.0.1:{redis_port}/0")
        store.r.flushdb()
        engine = Engine(
            store,
            [NodeConfig("sim", "127.0.0.1", port, PASSWORD)],
            MessageFiles(work),
            default_gateway="gw1",
            default_caller_id="02812345678",
        )
        if baseline:
            old = engine.nodes[0]
            # in place: the engine's parts share this list
            engine.nodes[:] = [
                HeartbeatLimitNode(
                    old.config,
                    on_event=engine.events.on_event,
                    on_up=engine.recovery.node_up,
                    clock=engine.clock,
                    cap=sps,
                )
            ]
        engine.start()
        if not engine.wait_connected(10):
            raise SystemExit("engine did not connect")
        tpl = Template(template_name=f"bench-{sps}", audio_file="msg.wav")
        store.catalog.templates.put(tpl)
        camp = store.campaigns.create(
            Campaign(
                campaign_name=f"bench-{sps}-{int(baseline)}",
                concurrent_call=1000,
                template_uuid=tpl.template_uuid,
                status=CampaignStatus.START,
                recall_times=0,
                voicemail_detection=False,
            )
        )
        count = int(sps * (window + 10))
        leads = []
        for i in range(count):
            num = normalize(f"098{i:07d}")
            leads.append(
                Lead(
                    campaign_uuid=camp.campaign_uuid,
                    external_id=f"c{i}",
                    numbers=[num.national],
                    networks=[num.network],
                )
            )
        store.leads.add(leads, int(time.time() * 1000))
        engine.campaign_changed(camp.campaign_uuid)
        gevent.sleep(4.0)  # warm-up: the connection's checks, the first heartbeats, the initial burst

        def snap() -> tuple[float, int, int]:
            m0 = stats_path.stat().st_mtime
            while stats_path.stat().st_mtime == m0:
                gevent.sleep(0.01)
            data = json.loads(stats_path.read_text())
            return stats_path.stat().st_mtime, data.get("originated", 0), data.get("sps_rejected", 0)

        t0, o0, r0 = snap()
        gevent.sleep(window)
        t1, o1, r1 = snap()
        node = engine.nodes[0]
        out = {"rate": (o1 - o0) / (t1 - t0), "refused": r1 - r0, "limit_seen": node.capacity.sps_limit or 0}
        engine.stop(drain_timeout=2)
        return out
    finally:
        sim.terminate()
        try:
            sim.wait(10)
        except subprocess.TimeoutExpired:
            sim.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--window", type=float, default=20.0, help="seconds measured per run (after a 4 s warm-up)")
    parser.add_argument("--sps", default="5,30,60", help="FreeSWITCH sessions-per-second values")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    work = Path(tempfile.mkdtemp(prefix="autocall-bench-sps-"))
    with wave.open(str(work / "msg.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    redis_port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        wait_port(redis_port, "redis-server")
        rows = []
        for sps in (int(x) for x in args.sps.split(",")):
            target = rates(sps)[0]
            current = run(sps, args.window, False, redis_port, work)
            base = run(sps, args.window, True, redis_port, work)
            rows.append((sps, target, current, base))
        print(f"sessions-per-second pacing, simulator HEARTBEAT every 1 s, window {args.window:.0f} s per run")
        print(
            f"{'sps':>4} {'target/s':>9} {'achieved/s':>10} {'ach/target':>10} {'refused':>7} "
            f"{'baseline/s':>10} {'cur/base':>8} {'FS ceiling':>10}"
        )
        for sps, target, cur, base in rows:
            ratio = cur["rate"] / target
            vs = cur["rate"] / base["rate"] if base["rate"] else float("inf")
            print(
                f"{sps:>4} {target:>9.2f} {cur['rate']:>10.2f} {ratio:>10.2f} {cur['refused']:>7} "
                f"{base['rate']:>10.2f} {vs:>8.2f} {sps - 1:>10}   "
                f"{'PASS' if ratio >= 0.8 else 'MISS'} (>= 0.80 of target)"
            )
        print(
            "baseline: the same engine taking HEARTBEAT's Session-Per-Sec for the limit (before this change);"
            f" it refused {sum(b['refused'] for *_, b in rows)} in all"
        )
        return 0
    finally:
        redis.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
