"""``autocall demo``: the embedded default, end to end, with nothing installed by hand.

Until the dialing engine lands (issue 3) the demo shows the two real parts
it stands on: a private Redis and the FreeSWITCH simulator. It places calls
through the simulator with greenswitch (the ESL client autocall uses), the
way the engine will (bgapi with a client-chosen Job-UUID, per-call
origination_uuid, ignore_early_media, a narrow subscription), records every
result in Redis under the ``autocall:`` prefix, shows live progress, prints
a summary read back from Redis, and stops everything.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
import uuid
from collections import Counter

import gevent
import greenswitch
import redis

from dialer.simswitch import Scenario, SimServer, Switch

PREFIX = "autocall:demo"
EVENTS = ["CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(workdir: str) -> tuple[subprocess.Popen, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server not found: run scripts/demo (it installs it) or apt-get install redis-server")
    port = _free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir, "--save", "",
                             "--appendonly", "no"], stdout=subprocess.DEVNULL)  # fmt: skip
    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            return proc, port
        except redis.ConnectionError:
            time.sleep(0.02)
    proc.kill()
    raise SystemExit("redis-server did not start")


def run_demo(calls: int = 20, time_scale: float = 0.05, seed: int = 7) -> int:
    workdir = tempfile.mkdtemp(prefix="autocall-demo-")
    redis_proc, redis_port = start_redis(workdir)
    password = uuid.uuid4().hex  # never the stock ClueCon, even in a demo
    switch = Switch(Scenario(), time_scale=time_scale, seed=seed, hostname="simswitch")
    sim = SimServer(switch, "127.0.0.1", 0, password, heartbeat=1.0)
    sim.start()
    host, port = sim.address
    print(f"redis-server on 127.0.0.1:{redis_port}, simswitch (FreeSWITCH 1.10.12 simulator) on {host}:{port}")
    print(f"placing {calls} calls; simulated time runs {1 / time_scale:.0f}x faster than the wall clock\n")
    store = redis.Redis(port=redis_port, decode_responses=True)
    esl = greenswitch.InboundESL(host, port, password)
    done = gevent.event.Event()
    results: Counter[str] = Counter()
    jobs: dict[str, str] = {}
    calls_placed: set[str] = set()

    finished: set[str] = set()

    def finish(call: str, cause: str, fields: dict[str, str]) -> None:
        if call in finished:
            return
        finished.add(call)
        pipe = store.pipeline()  # one round trip, applied atomically (MULTI)
        pipe.hset(f"{PREFIX}:call:{call}", mapping={"cause": cause, **fields})
        pipe.hincrby(f"{PREFIX}:by_cause", cause, 1)
        pipe.execute()
        results[cause] += 1
        if len(finished) >= calls:
            done.set()

    def on_hangup(event) -> None:
        h = event.headers
        if h["Unique-ID"] in calls_placed:
            finish(h["Unique-ID"], h.get("Hangup-Cause", "?"), {
                "number": h.get("Caller-Destination-Number", ""), "sip": h.get("variable_sip_term_status", ""),
                "billsec": h.get("variable_billsec", "0"), "duration": h.get("variable_duration", "0"),
            })  # fmt: skip

    def on_job(event) -> None:
        # greenswitch glues the job body onto Content-Length; read it from there.
        body = event.headers.get("Content-Length", "").partition("\n\n")[2]
        call = jobs.get(event.headers.get("Job-UUID", ""))
        if call and body.startswith("-ERR"):
            # An originate that never created a channel has no HANGUP_COMPLETE:
            # the job result is final (give a hangup in flight a moment first).
            gevent.spawn_later(1.0, finish, call, body[5:].strip(), {})

    esl.register_handle("CHANNEL_HANGUP_COMPLETE", on_hangup)
    esl.register_handle("BACKGROUND_JOB", on_job)
    esl.connect()
    esl.send("event plain " + " ".join(EVENTS))
    started = time.monotonic()
    for i in range(calls):
        call, job = str(uuid.uuid4()), str(uuid.uuid4())
        jobs[job] = call
        calls_placed.add(call)
        number = f"09{13 + i % 7}{i:06d}"
        esl.send(
            f"bgapi originate {{origination_uuid={call},originate_timeout=30,ignore_early_media=true,"
            f"origination_caller_id_number=02812345678}}sofia/gateway/demo/{number} &park()\nJob-UUID: {job}"
        )
        gevent.sleep(0.05)  # 20 calls/s
    while not done.wait(0.5):
        print(f"\r  in flight {len(switch.channels):3d}  done {sum(results.values()):3d}/{calls}", end="", flush=True)
    print(f"\r  in flight   0  done {calls}/{calls} in {time.monotonic() - started:.1f} s\n")
    print(f"hangup causes (read back from Redis, HGETALL {PREFIX}:by_cause):")
    for cause, n in sorted(store.hgetall(f"{PREFIX}:by_cause").items(), key=lambda kv: -int(kv[1])):
        print(f"  {cause:28s} {n}")
    talk = sum(int(store.hget(k, "billsec") or 0) for k in store.scan_iter(f"{PREFIX}:call:*"))
    print(f"total talk time {talk} s (simulated); one call: HGETALL {PREFIX}:call:{next(iter(jobs.values()))}")
    esl.stop()  # sends "exit"; the simulator answers +OK bye and closes, as FreeSWITCH does
    sim.stop()
    redis_proc.terminate()
    redis_proc.wait(5)
    shutil.rmtree(workdir, ignore_errors=True)
    return 0
