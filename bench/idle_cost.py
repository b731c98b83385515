"""What the engine does per call in flight while nothing happens: lease renewal and the look for
over-long calls, against how they were done before, same run.

    .venv/bin/python bench/idle_cost.py [--calls 50000] [--leases 2]

N calls are tracked (one campaign), their slots leased in a private redis-server. Time is an
injected clock: the bench runs the passes the engine runs (renewal every lease/4, the over-long
look every 2 s) over ``--leases`` leases of time, with no waiting. Printed for each, before
(every lease renewed every pass in one ZADD; every call looked at every pass) and now
(``Liveness.renew_due``, ``Recovery.check_long_calls``):

  CPU of this process and of redis-server per second of idle time, as % of a core, at the
  default lease (60 s) and AUTOCALL_MAX_CALL_SECONDS (3600 s); the longest single renew
  command (Redis is busy with nothing else meanwhile).
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.webhooks import start_redis  # noqa: E402
from dialer.domain.models import Campaign  # noqa: E402
from dialer.engine.calls import CallTracker, InFlight  # noqa: E402
from dialer.engine.liveness import Liveness  # noqa: E402
from dialer.engine.recovery import Recovery  # noqa: E402
from dialer.esl.node import Node, NodeConfig  # noqa: E402
from dialer.store.records import Claim  # noqa: E402
from dialer.store.store import Store  # noqa: E402

LEASE_MS = 60_000
MAX_CALL_MS = 3_600_000
LOOK_EVERY_MS = 2_000  # Adoption.run's pass


def cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def cpu_pid(pid: int) -> float:
    import os

    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Clock:
    def __init__(self) -> None:
        self.ms = int(time.time() * 1000)

    def __call__(self) -> float:
        return self.ms / 1000


class TimedCalls:
    """store.calls with the longest renew command timed (wall, as Redis is busy with it)."""

    def __init__(self, calls) -> None:
        self._calls = calls
        self.longest = 0.0

    def renew(self, campaign_uuid: str, calls: list[str], until_ms: int) -> None:
        t0 = time.perf_counter()
        self._calls.renew(campaign_uuid, calls, until_ms)
        self.longest = max(self.longest, time.perf_counter() - t0)


class TimedStore:
    def __init__(self, store: Store) -> None:
        self.calls = TimedCalls(store.calls)


def tracked(store: Store, n: int, clock: Clock) -> CallTracker:
    camp = Campaign(campaign_name="idle", call_timeout=60)
    node = Node(NodeConfig("fs1", "127.0.0.1", 8021, "x"), on_event=lambda n, e: None)
    tracker = CallTracker(lambda att: None, clock=clock)
    key = store.keys.calls(camp.campaign_uuid)
    store.r.delete(key)
    for lo in range(0, n, 10_000):
        batch = {}
        for i in range(lo, min(n, lo + 10_000)):
            call = f"{i:08d}-0000-4000-8000-000000000000"
            claim = Claim(camp.campaign_uuid, f"lead-{i}", call, "viettel", 0, ["0980000001"], {}, 0, 0, "")
            tracker.add(InFlight(claim, camp, node, f"job-{i}", [call], ["0980000001"], clock.ms))
            batch[call] = clock.ms + LEASE_MS
        store.r.zadd(key, batch)
    return tracker


def old_renew(liveness: Liveness) -> None:
    """Before: every lease renewed every pass, one ZADD per campaign."""
    until = int(liveness.clock() * 1000) + liveness.lease_ms
    for campaign_uuid, calls in list(liveness.tracker.by_campaign.items()):
        liveness.store.calls.renew(campaign_uuid, list(calls), until)


def old_look(recovery: Recovery) -> None:
    """Before: every call looked at every pass."""
    now_ms = int(recovery.clock() * 1000)
    [
        a
        for calls in list(recovery.tracker.by_campaign.values())
        for a in calls.values()
        if now_ms - a.start_ms > recovery.max_call_ms + a.campaign.call_timeout * 1000
    ]


def run(store: Store, redis_pid: int, n: int, leases: int, old: bool) -> dict[str, float]:
    clock = Clock()
    tracker = tracked(store, n, clock)
    timed = TimedStore(store)
    liveness = Liveness(timed, "bench", tracker, info=dict, lease_ms=LEASE_MS, clock=clock)  # type: ignore[arg-type]
    recovery = Recovery(tracker, None, max_call_ms=MAX_CALL_MS, clock=clock)  # type: ignore[arg-type]
    span_ms = leases * LEASE_MS
    renew_cpu = look_cpu = 0.0
    r0 = cpu_pid(redis_pid)
    next_renew, next_look, end = clock.ms + LEASE_MS // 4, clock.ms + LOOK_EVERY_MS, clock.ms + span_ms
    while True:
        clock.ms = min(next_renew, next_look)
        if clock.ms > end:
            break
        t0 = cpu_self()
        if clock.ms == next_renew:
            old_renew(liveness) if old else liveness.renew_due()
            renew_cpu += cpu_self() - t0
            next_renew += LEASE_MS // 4
        else:
            old_look(recovery) if old else recovery.check_long_calls()
            look_cpu += cpu_self() - t0
            next_look += LOOK_EVERY_MS
    redis_cpu = cpu_pid(redis_pid) - r0
    seconds = span_ms / 1000
    return {
        "renew": 100 * renew_cpu / seconds,
        "look": 100 * look_cpu / seconds,
        "redis": 100 * redis_cpu / seconds,
        "longest_ms": timed.calls.longest * 1000,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=50_000)
    ap.add_argument("--leases", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        proc, url = start_redis(work)
        try:
            store = Store.from_url(url)
            before = run(store, proc.pid, args.calls, args.leases, old=True)
            now = run(store, proc.pid, args.calls, args.leases, old=False)
        finally:
            proc.terminate()
            proc.wait(10)
    print(f"idle cost with {args.calls:,} calls up, {args.leases} leases of {LEASE_MS // 1000} s (injected clock)")
    print(f"{'':40s} {'before':>8s} {'now':>8s}")
    rows = [
        ("lease renewal, this process (% core)", "renew"),
        ("over-long look, this process (% core)", "look"),
        ("redis-server (% core)", "redis"),
        ("longest renew command (ms)", "longest_ms"),
    ]
    for label, key in rows:
        print(f"{label:40s} {before[key]:8.3f} {now[key]:8.3f}")
    total_before = before["renew"] + before["look"] + before["redis"]
    total_now = now["renew"] + now["look"] + now["redis"]
    print(
        f"{'per-call idle total (% core)':40s} {total_before:8.3f} {total_now:8.3f}"
        f"   ({total_before / total_now:.1f}× less)"
    )


if __name__ == "__main__":
    main()
