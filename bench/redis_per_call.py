"""Redis cost per call of the store's dialling cycle (claim.lua + finish.lua), against a naive
dialer's writes measured in the same run on the same private ``redis-server``.

    .venv/bin/python bench/redis_per_call.py [--calls 20000] [--batch 200] [--webhooks] [--lifecycle N]

Store phase: N leads of one campaign claimed (``Calls.claim``, ``--batch`` at a time) and finished
(``Calls.finish``, one batch per claim batch) with a realistic mix (60 % answered, 25 % busy and
recalled, 15 % no answer), no simulator. Naive phase: the same N results written the way a plain
dialer does (a Redis list hopper popped ``--batch`` at a time, then per result one HSET of the call
hash and one LPUSH, pipelined per batch). For each: Redis commands per call (``INFO commandstats``:
the commands the scripts run included, the measuring ones not), Redis CPU-ms per call (``INFO cpu``),
bytes sent to Redis per call (``total_net_input_bytes``) and this process's CPU-ms per call in the
store calls. ``--lifecycle N`` also runs bench/engine.py's realistic lifecycle phase (engine + one
simulator, recalls and webhooks on) and prints the same Redis figures for it (webhook queue commands
included), with the engine's calls per CPU-second until the last CDR.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402

from dialer.domain.cdr import CallRecord  # noqa: E402
from dialer.domain.enums import CampaignStatus  # noqa: E402
from dialer.domain.models import Campaign, Lead  # noqa: E402
from dialer.store.records import Claim, Finish  # noqa: E402
from dialer.store.store import Store  # noqa: E402

MEASURING = ("info", "config|resetstat")


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(workdir), "--save", "", "--appendonly", "no"]
    proc = subprocess.Popen([shutil.which("redis-server") or "redis-server", *args], stdout=subprocess.DEVNULL)
    client = redis.Redis(port=port)
    for _ in range(250):
        try:
            client.ping()
            return proc, port
        except redis.ConnectionError:
            time.sleep(0.02)
    raise SystemExit("redis-server did not start")


class RedisMeter:
    """Commands, CPU and bytes in of a Redis server between :meth:`start` and :meth:`stop`."""

    def __init__(self, client: redis.Redis) -> None:
        self.r = client

    def _cpu(self) -> float:
        info = self.r.info("cpu")
        return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])

    def start(self) -> None:
        self.r.config_resetstat()
        self.cpu0, self.in0 = self._cpu(), int(self.r.info("stats")["total_net_input_bytes"])

    def stop(self) -> dict:
        cpu, bytes_in = self._cpu() - self.cpu0, int(self.r.info("stats")["total_net_input_bytes"]) - self.in0
        stats = self.r.info("commandstats")
        calls = {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}
        usec = {name.removeprefix("cmdstat_"): int(v["usec"]) for name, v in stats.items()}
        return {
            "commands": sum(n for name, n in calls.items() if name not in MEASURING),
            "by_command": {k: n for k, n in sorted(calls.items(), key=lambda kv: -kv[1]) if k not in MEASURING},
            "usec": {k: n for k, n in sorted(usec.items(), key=lambda kv: -kv[1]) if k not in MEASURING},
            "cpu": cpu,
            "bytes": bytes_in,
        }


def record(c: Claim, now_ms: int, i: int) -> tuple[CallRecord, str, str, str]:
    """A realistic record: answered (done), busy (recalled) or no answer (done)."""
    kind = i % 20
    if kind < 12:
        cause, status, key, bill = "NORMAL_CLEARING", "answered", "answered", 7
    elif kind < 17:
        cause, status, key, bill = "USER_BUSY", "busy", "busy", 0
    else:
        cause, status, key, bill = "NO_ANSWER", "no-answered", "no_answer", 0
    cdr = CallRecord(
        campaign=c.campaign_uuid,
        lead=c.lead_uuid,
        external_id=c.external_id,
        attempt=c.attempts + 1,
        numbers=c.numbers,
        legs=[c.call_uuid],
        network=c.network,
        answered_number=c.numbers[0] if bill else "",
        caller_id="02812345678",
        node="sim",
        start_ms=now_ms - 12_000,
        answer_ms=now_ms - bill * 1000 if bill else 0,
        end_ms=now_ms,
        duration=12,
        billsec=bill,
        waitsec=12 - bill,
        hangup_cause=cause,
        sip_status="200" if bill else ("486" if status == "busy" else "480"),
        job_result=f"+OK {c.call_uuid}",
        recall_status=status,
        report_key=key,
        reason="the callee answered" if bill else "the callee did not answer",
        dtmf="",
        recall_at_ms=now_ms + 3_600_000 if status == "busy" else 0,
    )
    return cdr, status, key, cause


def finish_of(c: Claim, now_ms: int, i: int, webhooks: bool) -> Finish:
    cdr, status, key, _ = record(c, now_ms, i)
    update = {
        "attempts": c.attempts + 1,
        "first_attempt_ms": c.first_attempt_ms or cdr.start_ms,
        "last_status": status,
        "last_call": c.call_uuid,
        "updated_ms": now_ms,
        "switch_cuts": 0,
    }
    stats = {
        "total_calls": 1,
        "total_duration": cdr.duration,
        "total_billsec": cdr.billsec,
        "total_waitsec": cdr.waitsec,
        key: 1,
        f"rs:{status}": 1,
    }
    hooks = [("http://127.0.0.1:9/cdr", f'{{"call_id":"{c.call_uuid}","status":"{key}"}}')] if webhooks else []
    return Finish(
        c.campaign_uuid,
        c.lead_uuid,
        c.call_uuid,
        c.network,
        now_ms,
        time.strftime("%Y%m%d%H", time.localtime(now_ms / 1000)),
        cdr,
        update,
        requeue="recalls" if status == "busy" else None,
        due_ms=cdr.recall_at_ms,
        stats=stats,
        webhooks=hooks,
    )


def leads(store: Store, cid: str, n: int, now_ms: int) -> None:
    for lo in range(0, n, 5000):
        batch = [
            Lead(campaign_uuid=cid, external_id=f"c{i}", numbers=[f"098{i:07d}"], networks=["viettel"])
            for i in range(lo, min(n, lo + 5000))
        ]
        store.leads.add(batch, now_ms)


def store_phase(store: Store, meter: RedisMeter, calls: int, batch: int, webhooks: bool) -> dict:
    cid = store.campaigns.create(
        Campaign(campaign_name=f"bench-{uuid.uuid4()}", concurrent_call=batch, status=CampaignStatus.START)
    ).campaign_uuid
    now = int(time.time() * 1000)
    leads(store, cid, calls, now - 1000)
    meter.start()
    cpu, done, i = 0.0, 0, 0
    while done < calls:
        uuids = [str(uuid.uuid4()) for _ in range(batch)]
        t = time.process_time()
        claims, _ = store.calls.claim(cid, batch, "sim", now, 60_000, uuids)
        cpu += time.process_time() - t
        if not claims:
            break
        finishes = []
        for c in claims:
            finishes.append(finish_of(c, now, i, webhooks))
            i += 1
        t = time.process_time()
        done += len(store.calls.finish(finishes, now))
        cpu += time.process_time() - t
    out = meter.stop()
    out.update(calls=done, client_cpu=cpu)
    return out


def naive_phase(store: Store, meter: RedisMeter, calls: int, batch: int, webhooks: bool) -> dict:
    """A plain dialer's Redis work: LPOP a batch of leads from a list, then per result one HSET of the
    call hash and one LPUSH of its uuid (and the webhook, queued the same way), pipelined per batch."""
    r, hopper, results = store.r, "naive:hopper", "naive:results"
    ids = [str(uuid.uuid4()) for _ in range(calls)]
    for lo in range(0, calls, 5000):
        r.rpush(hopper, *ids[lo : lo + 5000])
    now = int(time.time() * 1000)
    meter.start()
    cpu, done, i = 0.0, 0, 0
    while done < calls:
        t = time.process_time()
        popped = r.lpop(hopper, batch)
        cpu += time.process_time() - t
        if not popped:
            break
        claims = [
            Claim("naive", lead, str(uuid.uuid4()), "viettel", 0, ["0981234567"], {}, 0, 0, lead) for lead in popped
        ]
        finishes = []
        for c in claims:
            finishes.append(finish_of(c, now, i, webhooks))
            i += 1
        t = time.process_time()
        pipe = r.pipeline(transaction=False)
        for f in finishes:
            pipe.hset(f"naive:call:{f.call_uuid}", mapping=f.cdr.as_hash())
            pipe.lpush(results, f.call_uuid)
            for url, body in f.webhooks:
                pipe.lpush("naive:webhooks", f"{url} {body}")
        pipe.execute()
        cpu += time.process_time() - t
        done += len(finishes)
    out = meter.stop()
    out.update(calls=done, client_cpu=cpu)
    return out


def lifecycle_phase(calls: int) -> dict:
    """bench/engine.py's realistic lifecycle phase (bench/enginebench/phases_load.py: recalls and webhooks
    on, one simulator), with the Redis meter from the campaign's start until its webhooks are delivered."""
    from bench.enginebench.phases_load import phase_lifecycle
    from bench.enginebench.procs import Env, stop
    from bench.enginebench.procs import start_redis as start_bench_redis
    from bench.enginebench.rig import write_wav

    workdir = Path(tempfile.mkdtemp())
    (workdir / "audio").mkdir()
    write_wav(workdir / "audio" / "short.wav", 0.5)
    proc, port = start_bench_redis(workdir)
    meter = RedisMeter(redis.Redis(port=port))
    try:
        life = phase_lifecycle(Env(workdir, port, proc.pid), calls=calls, sims=1, cap=2000, on_start=meter.start)
        out = meter.stop()
        out.update(calls=life["attempts"], engine_cpu=life["cpu_calls_only"], redis_cpu_ps=life["redis_cpu"])
        return out
    finally:
        stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)


def per_call(out: dict) -> tuple[float, float, float, float]:
    n = max(1, out["calls"])
    return out["commands"] / n, out["cpu"] * 1000 / n, out["bytes"] / n, out.get("client_cpu", 0.0) * 1000 / n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--webhooks", action="store_true", help="one callback_url webhook per call")
    ap.add_argument("--lifecycle", type=int, default=0, help="also run bench/engine.py's lifecycle phase")
    ap.add_argument("--detail", action="store_true", help="print the commands by name")
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp())
    proc, port = start_redis(workdir)
    try:
        store = Store.from_url(f"redis://127.0.0.1:{port}/0")
        meter = RedisMeter(redis.Redis(port=port))
        ours = store_phase(store, meter, args.calls, args.batch, args.webhooks)
        naive = naive_phase(store, meter, args.calls, args.batch, args.webhooks)
    finally:
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(workdir, ignore_errors=True)
    a, b = per_call(ours), per_call(naive)
    print(f"store phase: {ours['calls']:,} calls (autocall), {naive['calls']:,} (naive), batch {args.batch}")
    print(f"{'per call':<28}{'autocall':>12}{'naive':>12}{'ratio':>8}")
    names = ("Redis commands", "Redis CPU-ms", "bytes sent to Redis", "client CPU-ms (store calls)")
    for name, x, y in zip(names, a, b, strict=True):
        print(f"{name:<28}{x:>12.3f}{y:>12.3f}{(x / y if y else 0):>8.2f}")
    if args.detail:
        for name, out in (("autocall", ours), ("naive", naive)):
            print(f"{name} commands:", out["by_command"])
            print(f"{name} usec (a script's own time includes its commands'):", out["usec"])
    if args.lifecycle:
        life = lifecycle_phase(args.lifecycle)
        cmds, rcpu, nbytes, _ = per_call(life)
        print(f"lifecycle phase (bench/engine.py): {life['calls']:,} calls")
        print(f"  Redis commands/call {cmds:.2f}  Redis CPU-ms/call {rcpu:.4f}  bytes/call {nbytes:,.0f}")
        print(f"  engine calls per CPU-second {life['calls'] / max(life['engine_cpu'], 1e-9):,.0f}")
        if args.detail:
            print("  ", life["by_command"])


if __name__ == "__main__":
    main()
