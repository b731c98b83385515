"""The zero-loss soak: kill -9 of autocall, an ESL drop, a FreeSWITCH restart and a Redis restart
under one campaign, and what was lost (each must be 0).

    .venv/bin/python bench/soak.py [--kills 2] [--leads 1000] [--seed 1] [--no-cdrs]

One campaign of ``--leads`` leads (mixed outcomes: answer, busy, no answer, 404, voicemail, 503;
recall_times 1, recalls at once; ``callback_url`` at a local webhook receiver) is dialled by
``autocall serve`` as a real process (API on, FreeSWITCH's CDRs posted to it the way
freeswitch-conf's mod_json_cdr does) against the simulator, in this process, and a private
``redis-server`` (free port, AOF, appendfsync everysec). At seeded originate counts, one at a time
(the next only once the previous one recovered): ``--kills`` × kill -9 of the daemon (started again at
once), one ESL drop (every Event Socket connection cut), one FreeSWITCH restart (every channel gone
without an event, refusing connections for 0.5 s, a new Core-UUID) and one Redis restart (SIGTERM,
down 1 s, started again on the same port and AOF directory).

Printed, each must be 0 (the exit status is 1 otherwise):

* leads never dialled: a lead not done and in no queue;
* leads dialled while a call of theirs was live (the simulator's overlaps);
* attempts over the recall rules: a lead with more counted attempts than recall_times + 1;
* results lost: CDRs with AUTOCALL_LOST, plus calls FreeSWITCH placed with no reported CDR;
* attempts burned: counted attempts (reported CDRs) whose call never had a channel in FreeSWITCH; an
  attempt FreeSWITCH's restart cut short is recalled without counting (recorder.py says so in its
  reason): those without a channel are printed apart, as they cost the lead nothing;
* webhooks lost: reported CDRs whose callback never reached the receiver (after the queue drained;
  the dead list is printed too).

Per fault: the originate it fired at, how long its part was down, the time until autocall dialled
again (a call's originate, not a CDR barrier; after an ESL drop also until it reconnected), and the
time until every call up when it fired had its CDR (adopted, settled from its CDR, or recorded as cut
by FreeSWITCH).

The daemon runs with autocall's defaults but for its log level (WARNING, in daemon.log of the work
directory) and AUTOCALL_CDR_WAIT_SECONDS (``--cdr-wait``, 60 s as autocall's default: the simulated
mod_json_cdr posts CDRs one at a time, as the real one's queue does, and lags behind at ~200 calls/s;
a wait shorter than that lag records an originate that never ran as lost). samples.csv there has the
channels up, the slots held and mod_json_cdr's queue every 0.5 s.

``--no-cdrs`` runs the same soak without FreeSWITCH's CDRs (no AUTOCALL_CDR_SECRET, no mod_json_cdr):
then the calls that ended while no daemon listened are lost, and so are the attempts claimed just
before a kill (AUTOCALL_LOST), as docs/engine.md says. It is not run as a baseline by default: it
would double the run and its figures are known to be non-zero.

Left out: FreeSWITCH is the simulator (no media, no SIP, its CDR queue simulated), one daemon and
one FreeSWITCH on one host, loopback only (no network partition, no latency), Redis restarted
cleanly (SIGTERM: the AOF is fsynced; kill -9 of Redis can lose up to a second), no disk full, no
clock jump, the webhook receiver always answers 200, and a single seed per run.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import logging  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402
import redis  # noqa: E402
from soak_faults import AofRedis, Daemon, Fault, Schedule, free_port  # noqa: E402

from dialer.store.store import Store  # noqa: E402
from simswitch import JsonCdrSettings, Limits, Scenario, SimServer, Switch  # noqa: E402
from simswitch import faults as simfaults  # noqa: E402
from tests.engine_fixtures import audio_campaign, write_wav  # noqa: E402
from tests.factories import leads  # noqa: E402
from tests.receivers import WebhookReceiver  # noqa: E402

PASSWORD = "soak-esl-password"
SECRET = "soak-cdr-secret"
RECALL_TIMES = 1
MIXED = Scenario(
    rules=[],
    default={
        "mix": {"answer": 0.5, "sip486": 0.15, "no_answer": 0.15, "sip404": 0.1, "voicemail": 0.05, "sip503": 0.05},
        "talk": [100, 300],
        "ring": [5, 40],
    },
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-scale", type=float, default=0.02, help="simulated seconds per second (talk 2-6 s)")
    parser.add_argument("--concurrent", type=int, default=300, help="the campaign's concurrent_call")
    parser.add_argument("--no-cdrs", action="store_true", help="without FreeSWITCH's CDRs (results are then lost)")
    parser.add_argument(
        "--cdr-wait",
        type=float,
        default=60.0,
        help="AUTOCALL_CDR_WAIT_SECONDS (autocall's default): wait for a CDR barrier",
    )
    parser.add_argument("--workdir", default="", help="keep Redis, the logs, samples.csv here (else kept on failure)")
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="autocall-soak-"))
    (work / "redis").mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=work / "bench.log", level=logging.WARNING)  # the simulator's json_cdr errors
    red = AofRedis(work / "redis")
    red.start()
    try:
        with WebhookReceiver() as receiver:
            status = soak(args, work, red, receiver)
    finally:
        red.kill()
    if status == 0 and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)  # kept when something was lost, to look into
    return status


def soak(args: argparse.Namespace, work: Path, red: AofRedis, receiver: WebhookReceiver) -> int:
    store = Store.from_url(red.url)
    api_port = free_port()
    cdrs = (
        None
        if args.no_cdrs
        else JsonCdrSettings(
            url=f"http://127.0.0.1:{api_port}/freeswitch/cdr",
            cred=f"freeswitch:{SECRET}",
            retries=600,
            delay=0.1,
            timeout=5,
            queue_capacity=50_000,
            log_dir=str(work / "json_cdr"),
            err_log_dir=str(work / "json_cdr_err"),
        )
    )
    switch = Switch(
        MIXED,
        time_scale=args.time_scale,
        seed=args.seed,
        limits=Limits(max_sessions=1000, sps=500),
        hostname="vm",
        json_cdr=cdrs,
    )
    server = SimServer(switch, "127.0.0.1", 0, PASSWORD, heartbeat=0)
    server.start()
    delivered = receiver.record(lambda r: (r.headers.get("x-autocall-delivery"), r.json().get("call_id")))
    write_wav(work / "audio" / "hello.wav", seconds=1)
    camp = audio_campaign(
        store,
        concurrent_call=args.concurrent,
        call_timeout=20,
        recall_times=RECALL_TIMES,
        schedule_recall="after",
        callback_url=receiver.url + "/cdr",
    )
    lead_uuids = [x.lead_uuid for x in leads(store, camp, args.leads)]
    host, port = server.address
    env = {
        "AUTOCALL_REDIS_URL": red.url,
        "AUTOCALL_LISTEN": f"127.0.0.1:{api_port}",
        "AUTOCALL_API_TOKENS": "soak",
        "AUTOCALL_FREESWITCH": f"esl://:{PASSWORD}@{host}:{port}?name=fs1&sps=400",
        "AUTOCALL_AUDIO_DIR": str(work / "audio"),
        "AUTOCALL_DEFAULT_GATEWAY": "gw1",
        "AUTOCALL_TTS_ENGINE": "none",
        "AUTOCALL_LOG_LEVEL": "WARNING",
        "AUTOCALL_WEBHOOK_ALLOW_PRIVATE": "true",
    }  # the webhook receiver is on 127.0.0.1
    if cdrs is not None:
        env.update(AUTOCALL_CDR_SECRET=SECRET, AUTOCALL_CDR_WAIT_SECONDS=str(args.cdr_wait))
    daemon = Daemon(env, work / "daemon.log")

    def settle_watch(fault: Fault) -> None:
        left = set(fault.live)
        while left and time.monotonic() < fault.t0 + 180:
            try:
                ordered = list(left)
                pipe = store.r.pipeline(transaction=False)
                for call in ordered:
                    pipe.hget(store.keys.call(call), "recall_status")
                left = {c for c, done in zip(ordered, pipe.execute(), strict=True) if not done}
            except redis.RedisError:
                pass
            if left:
                gevent.sleep(0.1)
        fault.settled = -1.0 if left else time.monotonic() - fault.t0

    def fire(action):
        def run(fault: Fault) -> None:
            gevent.spawn(settle_watch, fault)
            action(fault)
            fault.back = time.monotonic() - fault.t0

        return run

    def kill9(fault: Fault) -> None:
        daemon.kill9()
        daemon.start()

    def esl_drop(fault: Fault) -> None:
        before = list(server.listeners)
        simfaults.drop(server)
        fault.back = 0.0

        def reconnected() -> None:
            while not any(x not in before for x in server.listeners):
                gevent.sleep(0.01)
            fault.reconnect = time.monotonic() - fault.t0

        gevent.spawn(reconnected)

    def fs_restart(fault: Fault) -> None:
        simfaults.restart(server, down_s=0.5)
        while server.refusing:
            gevent.sleep(0.01)

    def redis_restart(fault: Fault) -> None:
        red.stop()
        gevent.sleep(1.0)
        red.start()

    kinds = ["kill9"] * args.kills + ["esl_drop", "fs_restart", "redis_restart"]
    actions = {"kill9": kill9, "esl_drop": esl_drop, "fs_restart": fs_restart, "redis_restart": redis_restart}
    schedule = Schedule.seeded(
        args.seed,
        kinds,
        (min(100, args.leads // 10), int(args.leads * 0.8)),
        actions={k: fire(a) for k, a in actions.items()},
        live_calls=lambda: live_calls(switch),
        last_command=lambda: server.received[-1] if server.received else "",
    )
    switch.on_originate.append(schedule.on_originate)
    started = time.monotonic()
    samples = gevent.spawn(sample, store, switch, camp.campaign_uuid, started, work / "samples.csv")
    daemon.start()
    timeout = 300 + args.leads * 0.1
    for fault in schedule.faults:
        fault.wall = -started  # + t0 when it fires (report)
    finished = wait(lambda: settled(store, camp.campaign_uuid), timeout)
    dialled_s = time.monotonic() - started
    drained = wait(lambda: store.r.zcard(store.keys.webhooks) == 0, 240)  # leases of killed senders: 60 s
    daemon.stop()
    samples.kill()
    server.stop()
    figures = count(store, switch, camp.campaign_uuid, lead_uuids, delivered)
    return report(args, schedule.faults, figures, finished, drained, dialled_s, work)


def sample(store: Store, switch: Switch, campaign_uuid: str, started: float, path: Path) -> None:
    """Every 0.5 s: seconds, channels up, slots held in Redis, CDRs in mod_json_cdr's queue (samples.csv)."""
    with open(path, "w") as out:
        out.write("s,channels,slots,cdr_queue\n")
        while True:
            try:
                slots = store.r.zcard(store.keys.calls(campaign_uuid))
            except redis.RedisError:
                slots = -1
            queue = switch.json_cdr.pending() if switch.json_cdr is not None else 0
            out.write(f"{time.monotonic() - started:.1f},{len(switch.channels)},{slots},{queue}\n")
            out.flush()
            gevent.sleep(0.5)


def live_calls(switch: Switch) -> set[str]:
    return {c for ch in list(switch.channels.values()) if (c := ch.get_var("autocall_call"))}


def settled(store: Store, campaign_uuid: str) -> bool:
    sizes = store.reports.queue_sizes(campaign_uuid)
    return not (sizes["in_flight"] or sizes["hopper"] or sizes["fresh"] or sizes["recalls"])


def wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except redis.RedisError:
            pass
        gevent.sleep(0.2)
    return False


def count(store: Store, switch: Switch, campaign_uuid: str, lead_uuids: list[str], delivered: list) -> dict:
    k, r = store.keys, store.r
    queued = set()
    for key in (k.fresh(campaign_uuid), k.recalls(campaign_uuid), k.hopper(campaign_uuid)):
        queued |= set(r.zrange(key, 0, -1))
    pipe = r.pipeline(transaction=False)
    for lead in lead_uuids:
        pipe.hmget(k.lead(lead), "state", "attempts")
    leads_ = dict(zip(lead_uuids, pipe.execute(), strict=True))
    cdr_ids = r.zrange(k.cdrs(campaign_uuid), 0, -1)
    pipe = r.pipeline(transaction=False)
    for call in cdr_ids:
        pipe.hmget(k.call(call), "hangup_cause", "reported", "recall_status")
    cdrs = dict(zip(cdr_ids, pipe.execute(), strict=True))
    placed = set(switch.first_legs_by_call)
    pipe = r.pipeline(transaction=False)
    for call in placed:
        pipe.hget(k.call(call), "reported")
    placed_reported = dict(zip(placed, pipe.execute(), strict=True))
    pipe = r.pipeline(transaction=False)
    for call in cdrs:
        pipe.hget(k.call(call), "reason")
    # recorder.py marks an attempt FreeSWITCH's death cut short, recalled without counting, in its reason
    uncounted = {c for c, why in zip(cdrs, pipe.execute(), strict=True) if "not counted as an attempt" in (why or "")}
    reported = {c for c, (_, rep, _) in cdrs.items() if rep == "1"}
    hooked = {call for _, call in delivered}
    return {
        "never_dialled": sorted(x for x, (state, _) in leads_.items() if state != "done" and x not in queued),
        "overlaps": list(switch.overlaps),
        "over_recall": sorted(x for x, (_, n) in leads_.items() if int(n or 0) > RECALL_TIMES + 1),
        "lost_cause": sorted(c for c, (cause, _, _) in cdrs.items() if cause == "AUTOCALL_LOST"),
        "placed_unreported": sorted(c for c, rep in placed_reported.items() if rep != "1"),
        "burned": sorted(c for c in reported - placed if c not in uncounted),
        "uncounted_unplaced": sorted(uncounted - placed),
        "hooks_lost": sorted(reported - hooked),
        "dead": r.llen(k.webhooks_dead),
        "duplicate_posts": len(delivered) - len({d for d, _ in delivered}),
        "not_done": sum(1 for state, _ in leads_.values() if state != "done"),
        "attempts": len(reported),
        "answered": sum(1 for c in reported if cdrs[c][2] == "answered"),
        "switch_lost": sum(1 for c in reported if cdrs[c][0] == "AUTOCALL_SWITCH_LOST"),
        "placed": len(placed),
        "originates": switch.stats.originated,
    }


def report(args, faults: list[Fault], f: dict, finished: bool, drained: bool, dialled_s: float, work: Path) -> int:
    mode = "without FreeSWITCH's CDRs (--no-cdrs)" if args.no_cdrs else "with FreeSWITCH's CDRs"
    print(
        f"soak: {args.leads} leads, {args.kills} × kill -9, 1 ESL drop, 1 FreeSWITCH restart, 1 Redis restart; "
        f"seed {args.seed}, {mode}"
    )
    lost = f["lost_cause"] + f["placed_unreported"]
    must = [
        ("leads never dialled", f["never_dialled"]),
        ("leads dialled while a call of theirs was live", f["overlaps"]),
        ("attempts over the recall rules", f["over_recall"]),
        ("results lost", lost),
        ("attempts burned", f["burned"]),
        ("webhooks lost", f["hooks_lost"]),
    ]
    print("must be 0:")
    for name, items in must:
        sample = f"   e.g. {', '.join(map(str, items[:3]))}" if items else ""
        print(f"  {name:<48} {len(items):>6}{sample}")
    print(
        f"  {'  of which AUTOCALL_LOST / placed without a CDR':<48} {len(f['lost_cause']):>6} / "
        f"{len(f['placed_unreported'])}"
    )
    print(f"  {'  webhooks in the dead list':<48} {f['dead']:>6}")
    print(
        f"not counted (not burned): reported CDRs of calls that never had a channel, recorded as cut by the "
        f"FreeSWITCH restart and recalled without counting: {len(f['uncounted_unplaced'])}"
    )
    print("faults (one at a time; seconds from the fault; a settling may overlap the next fault):")
    for fault in faults:
        if not fault.fired_at:
            print(f"  {fault.kind:<14} planned at originate {fault.at}: never fired")
            continue
        extra = f", reconnected {fault.reconnect:.2f}" if fault.reconnect is not None else ""
        settle = "never" if fault.settled in (None, -1.0) else f"{fault.settled:.2f}"
        print(
            f"  {fault.kind:<14} at originate {fault.fired_at:>6} ({fault.wall + fault.t0:6.1f} s): "
            f"back {secs(fault.back)}{extra}, dialling again {secs(fault.dialling)}, "
            f"its {len(fault.live)} live calls settled {settle}"
        )
    print(
        f"totals: {f['attempts']} attempts reported ({f['answered']} answered, {f['switch_lost']} cut by the "
        f"FreeSWITCH restart), {f['placed']} calls placed, {f['originates']} originates (CDR barriers included), "
        f"{dialled_s:.1f} s until every lead was done, {f['attempts'] / dialled_s:.1f} attempts/s; "
        f"webhook POSTs sent twice {f['duplicate_posts']}"
    )
    print(
        f"leads not done at the end: {f['not_done']}; finished in time: {finished}; webhooks drained: {drained}; "
        f"files: {work}"
    )
    baseline = "" if args.no_cdrs else ", no baseline run without CDRs (--no-cdrs runs one)"
    print(
        "left out: simulated FreeSWITCH (no SIP, no media), one daemon and one FreeSWITCH, loopback only, Redis "
        f"restarted cleanly (SIGTERM){baseline}"
    )
    fired = all(x.fired_at for x in faults)
    return 0 if finished and drained and fired and not any(items for _, items in must) else 1


def secs(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f}"


if __name__ == "__main__":
    sys.exit(main())
