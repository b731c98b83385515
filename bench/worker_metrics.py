"""What ``--workers N``'s one-scrape ``/metrics`` costs (dialer/worker_metrics.py), against one worker's
``/metrics`` measured in the same run, on a private redis-server (loopback).

    .venv/bin/python bench/worker_metrics.py [--campaigns 20] [--scrapes 300] [--rounds 3]

The engines are stand-ins holding what a busy engine's collector reads (``--campaigns`` campaigns
on 2 nodes, 8 outcomes each): the real EngineCollector turns them into families. Printed per round:
one worker's publish (CPU-ms in this process, the hash's bytes), then one scrape's CPU-ms (this
process) and Redis CPU-ms with 1 worker (today's output, the baseline), 2 and 4 workers (worker 1
live, the others read from Redis); and a publish every 5 s as CPU-µs per call at 700 calls/s a worker.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from types import SimpleNamespace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import redis  # noqa: E402
from redis_per_call import start_redis  # noqa: E402

from dialer.metrics import EngineCollector, exposition  # noqa: E402
from dialer.store.store import Store  # noqa: E402
from dialer.worker_metrics import PUBLISH_EVERY_S, HostEngineCollector, publish  # noqa: E402

CAUSES = ["NORMAL_CLEARING", "USER_BUSY", "NO_ANSWER", "CALL_REJECTED", "NO_ROUTE_DESTINATION"]
CALLS_PER_S = 700  # about one worker's share at 2 workers (docs/deploy.md, bench/workers.py)


class Flag:
    def is_set(self) -> bool:
        return True


def fake_engine(engine_id: str, campaigns: int) -> SimpleNamespace:
    nodes = [
        SimpleNamespace(
            name=f"fs{i}",
            up=Flag(),
            reconnects=1,
            free_sessions=lambda: 200,
            ready=True,
            problems=set(),
            state=SimpleNamespace(avmd=True),
            sps_limit=100,
            capacity=SimpleNamespace(bucket=SimpleNamespace(rate=85.0), refusals=3),
        )
        for i in (1, 2)
    ]
    ids = [f"{c:08d}-0000-4000-8000-000000000000" for c in range(campaigns)]
    counts = SimpleNamespace(
        attempts={(c, n.name): 1000 for c in ids for n in nodes},
        outcomes={(c, s, cause): 100 for c in ids for s in ("DONE", "RECALL") for cause in CAUSES[:4]},
    )
    calls = {c: {f"call-{c}-{k}": SimpleNamespace(node=nodes[k % 2]) for k in range(10)} for c in ids}
    return SimpleNamespace(
        engine_id=engine_id,
        tracker=SimpleNamespace(by_campaign=calls),
        counts=counts,
        nodes=nodes,
        adopted=0,
        lost=0,
        write_queue_size=lambda: 0,
    )


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def scrape_cost(store: Store, raw: redis.Redis, engine, workers: int, scrapes: int) -> tuple[float, float, int]:
    """CPU-ms per scrape (this process, Redis) and the text's bytes, with ``workers`` workers."""
    store.r.flushdb()
    for w in range(2, workers + 1):
        other = fake_engine(f"engine-{w}", len(engine.tracker.by_campaign))
        store.engines.beat(other.engine_id, 600_000)
        publish(store, other.engine_id, EngineCollector(other), w, "bench:1")
    host = HostEngineCollector(store, EngineCollector(engine), 1, "bench:1") if workers > 1 else None
    r0, c0 = redis_cpu(raw), time.process_time()
    for _ in range(scrapes):
        text = exposition(store, engine, host)
    return (time.process_time() - c0) * 1000 / scrapes, (redis_cpu(raw) - r0) * 1000 / scrapes, len(text)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--scrapes", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        proc, port = start_redis(Path(workdir))
        try:
            raw = redis.Redis(port=port)
            store = Store(redis.Redis(port=port, decode_responses=True))
            engine = fake_engine("engine-1", args.campaigns)
            for rnd in range(1, args.rounds + 1):
                cpu = []
                for _ in range(200):
                    c0 = time.process_time()
                    publish(store, "engine-2", EngineCollector(engine), 2, "bench:1")
                    cpu.append((time.process_time() - c0) * 1000)
                size = sum(len(v) for v in store.r.hgetall(store.keys.engine_metrics("engine-2")).values())
                per_call_us = statistics.median(cpu) * 1000 / (PUBLISH_EVERY_S * CALLS_PER_S)
                print(
                    f"round {rnd}: {args.campaigns} campaigns: publish {statistics.median(cpu):.3f} CPU-ms, "
                    f"{size} bytes; every {PUBLISH_EVERY_S:.0f} s = {per_call_us:.4f} CPU-µs per call at "
                    f"{CALLS_PER_S} calls/s"
                )
                for workers in (1, 2, 4):
                    ms, redis_ms, text = scrape_cost(store, raw, engine, workers, args.scrapes)
                    label = "baseline" if workers == 1 else f"{workers} workers"
                    print(f"  scrape, {label:>9}: {ms:.3f} CPU-ms, Redis {redis_ms:.3f} CPU-ms, {text} bytes")
        finally:
            proc.terminate()
            proc.wait()


if __name__ == "__main__":
    main()
