"""The steps of bench/nodes.py, each run in a fresh process with its own ``redis-server``: one
engine over N simulators (the realistic mix, metered per call), the same with long calls held up
(memory per call in flight), and a bulk import (Redis memory per lead stored).

A step in a process of its own starts from the same state every time: the engine's RSS holds
nothing of an earlier step, and Redis holds only this step's campaign.
"""

from __future__ import annotations

import gc
import hashlib
import math
import time
import uuid

import gevent
import redis

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Campaign
from dialer.service.context import Services
from dialer.service.leads import Row, import_many
from dialer.store.scripts import NAMES, source

from . import wire
from .phases_limits import LONG_SCEN
from .phases_load import REALISTIC_SCALE, REALISTIC_SCEN, _settle, start_sims
from .procs import Env, Receiver, cpu_pid, cpu_self, rss_mb
from .rig import Rig, leads_elsewhere, realistic_fields, store_for, wait_for

MEASURING = ("info", "config|resetstat", "ping")  # the meter's own commands, not counted


class RedisMeter:
    """Commands, CPU, bytes in and out and used memory of a Redis between :meth:`start` and :meth:`read`."""

    def __init__(self, port: int) -> None:
        self.r = redis.Redis(port=port)

    def _now(self) -> dict[str, float]:
        info = self.r.info()
        return {
            "cpu": float(info["used_cpu_user"]) + float(info["used_cpu_sys"]),
            "net_in": float(info["total_net_input_bytes"]),
            "net_out": float(info["total_net_output_bytes"]),
            "used_memory": float(info["used_memory"]),
        }

    def start(self) -> None:
        self.r.config_resetstat()
        self.t0 = self._now()

    def read(self) -> dict:
        now = self._now()
        stats = self.r.info("commandstats")
        calls = {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in stats.items()}
        calls = {k: n for k, n in calls.items() if k not in MEASURING}
        out = {k: now[k] - self.t0[k] for k in now}
        out.update(commands=sum(calls.values()), by_command=dict(sorted(calls.items(), key=lambda kv: -kv[1])))
        return out


class ScriptMeter:
    """Redis's own time per script and per command a client sent, from SLOWLOG with every command
    logged (slowlog-log-slower-than 0): it costs Redis some CPU, so a run with it is reported apart."""

    def __init__(self, port: int) -> None:
        self.r = redis.Redis(port=port)
        self.shas = {hashlib.sha1(source(name).encode()).hexdigest(): name for name in NAMES}

    def start(self) -> None:
        self.r.config_set("slowlog-max-len", 5_000_000)
        self.r.config_set("slowlog-log-slower-than", 0)
        self.r.slowlog_reset()

    def read(self) -> dict[str, list[int]]:
        """{script or command: [calls, microseconds]}"""
        entries = self.r.execute_command("SLOWLOG", "GET", 5_000_000)
        self.r.config_set("slowlog-log-slower-than", 10_000)
        out: dict[str, list[int]] = {}
        for entry in entries:
            args = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in entry[3]]
            name = args[0].lower()
            if name in ("evalsha", "evalsha_ro") and len(args) > 1:
                name = self.shas.get(args[1], "evalsha ?") + ".lua"
            if name in ("slowlog", "config", "info"):
                continue
            cell = out.setdefault(name, [0, 0])
            cell[0] += 1
            cell[1] += int(entry[2])
        return dict(sorted(out.items(), key=lambda kv: -kv[1][1]))


def sps_for(rate: int, nodes: int) -> int:
    """Each node's ``sps`` so that the engine's rate over ``nodes`` nodes is ``rate`` calls/s: the
    engine aims at 85 % of a node's limit less a 10 % burst (dialer/esl/capacity.py), 0.75 of it."""
    return math.ceil(rate / nodes / 0.75) if rate else 100_000


def step_calls(env: Env, *, nodes: int, calls: int, cap: int, tag: str, rate: int = 0, by_script: bool = False) -> dict:
    """One engine over ``nodes`` simulators, the realistic mix with recalls and both webhooks: this
    process's CPU (engine, webhooks, API, logs as serve runs them), Redis's commands, CPU, bytes and
    memory, and the bytes of the ESL connections, from the campaign's start until the last webhook.
    ``rate``: the engine's total calls/s, spread over the nodes by their sps (0: as fast as it goes)."""
    receiver = Receiver()
    sims = start_sims(env, tag, nodes, REALISTIC_SCEN, time_scale=REALISTIC_SCALE, sps=sps_for(rate, nodes))
    rig = Rig(env, sims)
    rig.start()
    cid = rig.campaign("nodes", cap, wav="short.wav", **realistic_fields(receiver.url)).campaign_uuid
    leads_elsewhere(env, cid, calls)  # imported by a child process: not in this one's CPU
    gc.collect()
    gevent.sleep(1.0)
    ports = [s.port for s in sims]
    meter = RedisMeter(env.redis_port)
    scripts = ScriptMeter(env.redis_port) if by_script else None
    if scripts is not None:
        scripts.start()
    meter.start()
    redis_pid_cpu0 = cpu_pid(env.redis_pid)
    esl0 = wire.socket_bytes(ports)
    cpu0, t0 = cpu_self(), time.perf_counter()
    rig.go(cid)
    progress: list[tuple[float, int]] = []
    ok = _settle(rig, cid, 900, progress)
    rig.engine.flush()
    wall = time.perf_counter() - t0
    cpu_calls = cpu_self() - cpu0
    esl1 = wire.socket_bytes(ports)
    # The webhooks are part of the cost per call: until the receiver's count stops growing, taking
    # this process's CPU and Redis's figures at the last growth (not the idle wait after it).
    hooks, cpu_all, redis_at, last = receiver.count(), cpu_self() - cpu0, meter.read(), time.monotonic()
    while time.monotonic() - last < 2.0 and time.perf_counter() - t0 < 1200:
        gevent.sleep(0.1)
        n = receiver.count()
        if n != hooks:
            hooks, cpu_all, redis_at, last = n, cpu_self() - cpu0, meter.read(), time.monotonic()
    attempts = rig.store.reports.queue_sizes(cid)["finished"]
    reconnects = sum(n.reconnects for n in rig.engine.nodes)
    sim_cpu = [s.cpu() for s in sims]
    redis_pid_cpu = cpu_pid(env.redis_pid) - redis_pid_cpu0
    return {
        "rate": rate,
        "by_script": scripts.read() if scripts is not None else {},
        "redis_pid_cpu": redis_pid_cpu,
        "nodes": nodes,
        "leads": calls,
        "ok": ok,
        "attempts": attempts,
        "wall": wall,
        "engine_cpu": cpu_all,
        "engine_cpu_calls": cpu_calls,
        "webhooks": hooks,
        "redis": redis_at,
        "esl_received": esl1["received"] - esl0["received"],
        "esl_sent": esl1["sent"] - esl0["sent"],
        "esl_connections": esl1["connections"],
        "reconnects": reconnects,
        "sim_cpu": sim_cpu,
    }


def step_in_flight(env: Env, *, nodes: int, target: int, tag: str) -> dict:
    """``target`` long calls up over ``nodes`` simulators (ring 1 s, talk 600 s, time-scale 1): this
    process's RSS and Redis's used_memory against just before the campaign started."""
    sims = start_sims(env, tag, nodes, LONG_SCEN, time_scale=1.0, sps=100_000, max_sessions=target + 10_000)
    rig = Rig(env, sims)
    rig.start()
    cid = rig.campaign("held", target, wav="long.wav", call_timeout=60).campaign_uuid
    leads_elsewhere(env, cid, target)
    gc.collect()
    gevent.sleep(0.5)
    meter = RedisMeter(env.redis_port)
    meter.start()
    rss0 = rss_mb()
    rig.go(cid)
    ok = wait_for(lambda: rig.engine.tracker.count() >= target, 240, 0.1)
    gevent.sleep(2.0)  # answers and heartbeats settle
    gc.collect()
    up = rig.engine.tracker.count()
    rss = rss_mb() - rss0
    memory = meter.read()["used_memory"]
    # One periodic adoption pass (dialer/engine/adoption.py run(): every lease/4 s, for the nodes this
    # engine is connected to, adopt.lua over each campaign's slots in windows), called as the loop calls it.
    meter.start()
    t0 = time.perf_counter()
    connected = [node for node in rig.engine.nodes if node.up.is_set()]
    adopted = sum(len(atts) for atts in rig.engine.adoption.adopt(connected).values())
    pass_wall = time.perf_counter() - t0
    adoption = meter.read()
    return {
        "nodes": nodes,
        "target": target,
        "reached": ok,
        "in_flight": up,
        "rss_mb": rss,
        "redis_memory": memory,
        "adoption_pass": {
            "adopted": adopted,
            "commands": adoption["commands"],
            "redis_cpu": adoption["cpu"],
            "wall": pass_wall,
            "by_command": adoption["by_command"],
        },
    }


def step_leads(env: Env, *, count: int) -> dict:
    """``count`` leads imported as the API imports them (dialer/service/leads.py ``import_many``:
    staged, then committed with the :external and :numbers indexes), each with a customer id and
    two short fields: Redis used_memory and commands per lead."""
    store = store_for(env.redis_port)
    camp = store.campaigns.create(Campaign(campaign_name=f"leads-{uuid.uuid4().hex[:8]}", status=CampaignStatus.STOP))
    svc = Services(store=store, audio_dir=env.workdir / "audio")
    rows = [
        Row(
            numbers=[f"098{i:07d}"],
            param={"name": f"Nguyễn Văn {i}", "amount": str(1_000_000 + i)},
            external_id=f"cust-{i:08d}",
        )
        for i in range(count)
    ]
    meter = RedisMeter(env.redis_port)
    meter.start()
    result = import_many(svc, camp, rows)
    out = meter.read()
    return {
        "leads": count,
        "refused": len(result.errors) + len(result.duplicates),
        "redis_memory": out["used_memory"],
        "commands": out["commands"],
        "net_in": out["net_in"],
    }
