"""WAIT for a replica (dialer/store/replication.py), on a real primary and replica (no Sentinel)."""

from __future__ import annotations

import os
import signal
import time

import pytest
import redis

from dialer.store.connect import WaitPolicy
from dialer.store.keys import Keys
from dialer.store.replication import Replication
from tests.conftest import private_redis


@pytest.fixture
def primary(tmp_path):
    (tmp_path / "p").mkdir()
    proc, client, _url = private_redis(tmp_path / "p", "--repl-diskless-sync-delay", "0")
    yield client
    proc.kill()
    proc.wait()


@pytest.fixture
def replica(primary, tmp_path):
    (tmp_path / "r").mkdir()
    port = primary.connection_pool.connection_kwargs["port"]
    proc, _client, _ = private_redis(tmp_path / "r", "--replicaof", "127.0.0.1", str(port))
    deadline = time.monotonic() + 10
    while primary.info("replication").get("slave0", {}).get("state") != "online":
        assert time.monotonic() < deadline, "the replica never synced"
        time.sleep(0.02)
    yield proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGCONT)
        proc.kill()
    proc.wait()


def commands_seen(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}


def test_after_confirm_the_replica_has_every_earlier_write(primary, replica):
    replication = Replication(primary, Keys(), WaitPolicy(replicas=1, timeout_ms=5000))
    other = redis.Redis(port=primary.connection_pool.connection_kwargs["port"])  # a write of another client
    other.set("lead", "x")
    written = primary.info("replication")["master_repl_offset"]
    assert replication.confirm("test") == 1
    assert primary.info("replication")["slave0"]["offset"] >= written


def test_without_a_setting_nothing_is_sent(primary, replica):
    replication = Replication(primary, Keys())
    before = commands_seen(primary)
    assert replication.confirm("test") is None
    after = commands_seen(primary)
    assert after.get("wait", 0) == before.get("wait", 0) and after.get("info", 0) == before.get("info", 0) + 1


def test_with_no_replica_online_it_does_not_wait(primary):
    replication = Replication(primary, Keys(), WaitPolicy(replicas=1, timeout_ms=60_000))
    assert replication.confirm("test") == 0 and replication.confirm("test") == 0
    assert replication.skipped == 2 and replication.waits == 0
    assert commands_seen(primary).get("wait", 0) == 0


def test_a_replica_that_stops_answering_costs_one_timeout_then_is_not_waited_for(primary, replica, caplog):
    now = [0.0]
    replication = Replication(primary, Keys(), WaitPolicy(replicas=1, timeout_ms=1000), clock=lambda: now[0])
    assert replication.confirm("test") == 1
    os.kill(replica.pid, signal.SIGSTOP)  # connected, acknowledging nothing
    primary.set("k", "v")
    assert replication.confirm("results") == 0, "the wait ends at its timeout and autocall goes on"
    assert replication.short == 1 and "0 of 1 replicas acknowledged within 1000 ms" in caplog.text
    now[0] += 3.5  # the replica's last acknowledgement is now older than a replica's beat allows
    deadline = time.monotonic() + 10
    while replication.online():
        assert time.monotonic() < deadline
        now[0] += 1.0
        time.sleep(0.2)
    assert replication.confirm("results") == 0 and replication.skipped >= 1
    assert replication.waits == 2, "not waited for once it is seen lagging"
