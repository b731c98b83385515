"""What waiting for a replica costs (dialer/store/replication.py): the store's dialling cycle with and
without ``WAIT``, in the same run, on one private primary with one replica (loopback).

    .venv/bin/python bench/redis_wait.py [--calls 6000] [--batch 50] [--rounds 3]

Each round runs both, alternately on fresh campaigns: ``--calls`` leads claimed ``--batch`` at a time
(``Calls.claim``: with the wait, the claims are on the replica before they are returned) and finished
(``Calls.finish`` then ``replication.confirm``, as the engine's writer does). Printed per mode: wall ms
per batch (claim + finish, median and p99), this process's CPU-ms per call, the primary's and the
replica's CPU-ms per call (``INFO cpu``), and the WAITs sent; first, one ``confirm`` alone after a write
(wall µs and client CPU-µs).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import redis  # noqa: E402
from redis_per_call import finish_of, leads, start_redis  # noqa: E402

from dialer.domain.enums import CampaignStatus  # noqa: E402
from dialer.domain.models import Campaign  # noqa: E402
from dialer.store.connect import WaitPolicy  # noqa: E402
from dialer.store.store import Store  # noqa: E402


def cpu_of(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def cycle(store: Store, primary: redis.Redis, replica: redis.Redis, calls: int, batch: int) -> dict:
    cid = store.campaigns.create(
        Campaign(campaign_name=f"bench-{uuid.uuid4()}", concurrent_call=batch, status=CampaignStatus.START)
    ).campaign_uuid
    now = int(time.time() * 1000)
    leads(store, cid, calls, now - 1000)
    store.replication.confirm("setup")  # the replica has the leads before the clock starts
    waits0 = store.replication.waits
    p0, r0, c0 = cpu_of(primary), cpu_of(replica), time.process_time()
    walls: list[float] = []
    done, i = 0, 0
    while done < calls:
        started = time.perf_counter()
        claims, _ = store.calls.claim(cid, batch, "sim", now, 60_000, [str(uuid.uuid4()) for _ in range(batch)])
        if not claims:
            break
        finishes = []
        for c in claims:
            finishes.append(finish_of(c, now, i, False))
            i += 1
        done += len(store.calls.finish(finishes, now))
        store.replication.confirm("results")
        walls.append(time.perf_counter() - started)
    client_cpu = time.process_time() - c0
    return {
        "calls": done,
        "walls": walls,
        "client_cpu": client_cpu,
        "primary_cpu": cpu_of(primary) - p0,
        "replica_cpu": cpu_of(replica) - r0,
        "waits": store.replication.waits - waits0,
    }


def confirm_alone(store: Store, n: int) -> tuple[float, float, float]:
    """One write and ``confirm`` n times: wall µs p50 and p99 per confirm, client CPU-µs per confirm."""
    walls, cpu = [], 0.0
    for i in range(n):
        store.r.set("bench-wait-key", i)
        c, t = time.process_time(), time.perf_counter()
        store.replication.confirm("bench")
        walls.append(time.perf_counter() - t)
        cpu += time.process_time() - c
    walls.sort()
    return 1e6 * statistics.median(walls), 1e6 * walls[int(len(walls) * 0.99)], 1e6 * cpu / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=6000)
    ap.add_argument("--batch", type=int, default=50)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "p").mkdir()
        (Path(tmp) / "r").mkdir()
        pproc, pport = start_redis(Path(tmp) / "p")
        rproc, rport = start_redis(Path(tmp) / "r")
        try:
            primary = redis.Redis(port=pport, decode_responses=True)
            replica = redis.Redis(port=rport, decode_responses=True)
            primary.config_set("repl-diskless-sync-delay", 0)
            replica.replicaof("127.0.0.1", pport)
            while primary.info("replication").get("slave0", {}).get("state") != "online":
                time.sleep(0.02)
            stores = {
                "no wait (one Redis)": Store(primary, prefix="bench-off"),
                "WAIT 1 (Sentinel)": Store(primary, prefix="bench-on", wait=WaitPolicy(replicas=1, timeout_ms=500)),
            }
            results: dict[str, list[dict]] = {name: [] for name in stores}
            for _ in range(args.rounds):
                for name, store in stores.items():
                    results[name].append(cycle(store, primary, replica, args.calls, args.batch))
            on = stores["WAIT 1 (Sentinel)"]
            for _ in range(args.rounds):
                p50, p99, cpu = confirm_alone(on, 2000)
                print(
                    f"one confirm (fence + WAIT 1, after a SET): wall p50 {p50:.0f} µs, p99 {p99:.0f} µs, "
                    f"client {cpu:.0f} CPU-µs"
                )
            print(f"{args.rounds} rounds x {args.calls} calls, claimed and finished {args.batch} at a time")
            print(
                f"{'mode':22} {'batch ms p50':>12} {'p99':>7} {'client CPU-ms/call':>19} "
                f"{'primary':>8} {'replica':>8} {'WAITs':>6}"
            )
            for name, runs in results.items():
                walls = sorted(w for r in runs for w in r["walls"])
                calls = sum(r["calls"] for r in runs)
                p99 = walls[min(len(walls) - 1, int(len(walls) * 0.99))]
                per_call = {
                    k: 1000 * sum(r[k] for r in runs) / calls for k in ("client_cpu", "primary_cpu", "replica_cpu")
                }
                print(
                    f"{name:22} {1000 * statistics.median(walls):12.2f} {1000 * p99:7.2f} "
                    f"{per_call['client_cpu']:19.4f} {per_call['primary_cpu']:8.4f} {per_call['replica_cpu']:8.4f} "
                    f"{sum(r['waits'] for r in runs):6d}"
                )
                for r in runs:
                    print(
                        f"  round: p50 {1000 * statistics.median(r['walls']):.2f} ms, client "
                        f"{1000 * r['client_cpu'] / r['calls']:.4f} CPU-ms/call"
                    )
        finally:
            for proc in (pproc, rproc):
                proc.kill()
                proc.wait()


if __name__ == "__main__":
    main()
