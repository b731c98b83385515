"""``autocall serve --workers N`` (dialer/workers.py): N engine processes on one host, one supervisor.

Real processes against a real Redis and the simulator (in this process) over
a real socket: the supervisor is started as ``autocall serve`` with
``AUTOCALL_WORKERS=2`` (what ``--workers 2`` sets), its workers found as its
child processes.
"""

from __future__ import annotations

import json
import os
import signal
import urllib.request
from pathlib import Path

import gevent
import pytest

from dialer.store.store import Store
from simswitch import Limits, Scenario
from tests.conftest import free_port
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads

PASSWORD = "workers-esl-password"
SHORT = Scenario(rules=[], default={"mix": {"answer": 0.7, "sip486": 0.3}, "talk": [2, 4], "ring": [1, 3]})
LONG = Scenario(rules=[], default={"mix": {"answer": 1.0}, "talk": [400, 500], "ring": [1, 2]})


def env(redis_url: str, server, tmp_path: Path, wav_s: float = 1.0) -> dict[str, str]:
    """``autocall serve``'s settings; answered calls last as long as the message (``wav_s``, simulated time)."""
    host, port = server.address
    write_wav(tmp_path / "audio" / "hello.wav", seconds=wav_s)
    return {
        "AUTOCALL_REDIS_URL": redis_url,
        "AUTOCALL_API": "false",
        "AUTOCALL_WORKERS": "2",
        "AUTOCALL_FREESWITCH": f"esl://:{PASSWORD}@{host}:{port}?name=fs1",
        "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
        "AUTOCALL_DEFAULT_GATEWAY": "gw1",
        "AUTOCALL_TTS_ENGINE": "none",
        "AUTOCALL_LOG_LEVEL": "INFO",
    }


def workers_of(pid: int) -> list[int]:
    """The supervisor's child processes now (Linux: /proc/PID/task/PID/children)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(x) for x in text.split()]


def log_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            lines.append(json.loads(raw))
        except ValueError:
            pass
    return lines


def started_engines(path: Path) -> dict[str, int]:
    """engine id -> the worker it ran in, from each worker's "autocall started" line."""
    return {x["engine_id"]: x["worker"] for x in log_lines(path) if x.get("msg") == "autocall started"}


def test_two_workers_share_a_campaign_with_the_cap_exact_and_each_lead_dialled_once(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    # 100 sessions per second: each worker paces to 37.5 a second, so neither can fill the cap of 40
    # alone (calls last 1-2 s) before the other claims too; together they reach it.
    store = Store(redis_client)
    server = simswitch(SHORT, time_scale=0.5, password=PASSWORD, limits=Limits(sps=100))
    daemon = daemons(env(redis_server["url"], server, tmp_path, wav_s=2), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    camp = audio_campaign(store, concurrent_call=40, call_timeout=20)
    batch = leads(store, camp, 300)
    store.campaigns.wake(camp.campaign_uuid)
    wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=120)
    daemon.stop()
    result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    assert result["done"] == 300 and result["lost"] == 0
    assert server.switch.stats.peak_concurrent == 40  # the campaign's cap, reached and held across both
    owners = {store.calls.get(c).get("owner") for c in server.switch.first_legs_by_call}
    assert owners == set(started_engines(tmp_path / "log")), "a worker placed no call"


def test_a_worker_killed_with_sigkill_is_restarted_and_its_calls_adopted_with_real_results(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    store = Store(redis_client)
    # 20 sessions per second: each worker places 8.5 calls a second, so both hold some of the 10 slots.
    # Calls last 20-25 s: still up when the survivors adopt them (about 7 s after the kill), whatever
    # an engine hears of another's calls.
    server = simswitch(LONG, time_scale=0.05, password=PASSWORD, limits=Limits(sps=20))
    daemon = daemons(env(redis_server["url"], server, tmp_path, wav_s=600), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    camp = audio_campaign(store, concurrent_call=10, call_timeout=20)
    batch = leads(store, camp, 12)
    store.campaigns.wake(camp.campaign_uuid)
    engines = started_engines(tmp_path / "log")
    victim = next(e for e, worker in engines.items() if worker == 2)

    def victims_calls() -> set[str]:
        calls = store.r.zrange(store.keys.calls(camp.campaign_uuid), 0, -1)
        return {c for c in calls if store.calls.get(c).get("owner") == victim}

    wait_until(lambda: len(victims_calls()) >= 3 and store.calls.in_flight(camp.campaign_uuid) == 10, timeout=30)
    killed = next(
        x["pid"] for x in log_lines(tmp_path / "log") if x.get("msg") == "worker started" and x["worker"] == 2
    )
    up_at_kill = victims_calls() & set(server.switch.first_legs_by_call)
    os.kill(killed, signal.SIGKILL)
    wait_until(lambda: len(workers_of(daemon.proc.pid)) == 2 and killed not in workers_of(daemon.proc.pid), timeout=30)
    wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=120)
    daemon.stop()
    result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    assert result["done"] == 12
    survivors = set(started_engines(tmp_path / "log")) - {victim}  # worker 1, and worker 2 restarted
    assert {store.calls.get(c).get("owner") for c in up_at_kill} <= survivors
    assert {store.calls.get(c).get("hangup_cause") for c in up_at_kill} == {"NORMAL_CLEARING"}


def test_sigterm_to_the_supervisor_drains_every_worker_and_stops_them_all(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    store = Store(redis_client)
    server = simswitch(LONG, time_scale=0.01, password=PASSWORD, limits=Limits(sps=500))
    daemon = daemons(env(redis_server["url"], server, tmp_path, wav_s=600), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    camp = audio_campaign(store, concurrent_call=6, call_timeout=20)
    leads(store, camp, 30)
    store.campaigns.wake(camp.campaign_uuid)
    wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 6, timeout=30)
    workers = workers_of(daemon.proc.pid)
    assert len(workers) == 2
    daemon.proc.send_signal(signal.SIGTERM)
    with gevent.Timeout(60):
        while daemon.proc.poll() is None:
            gevent.sleep(0.05)
    assert daemon.proc.returncode == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()], "a worker outlived its supervisor"
    sizes = store.reports.queue_sizes(camp.campaign_uuid)
    assert sizes["in_flight"] == 0 and sizes["finished"] == server.switch.stats.originated  # drained, recorded


def test_two_workers_on_one_node_together_stay_within_its_sessions_per_second(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    # 20 sessions per second: one engine paces to 17 a second (85 %); two, each to all of it, would
    # send up to 34 and be refused. Each worker takes half, so FreeSWITCH's window never overflows.
    store = Store(redis_client)
    server = simswitch(SHORT, time_scale=0.01, password=PASSWORD, limits=Limits(sps=20))
    daemon = daemons(env(redis_server["url"], server, tmp_path), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    camp = audio_campaign(store, concurrent_call=100, call_timeout=20)
    leads(store, camp, 120)
    store.campaigns.wake(camp.campaign_uuid)
    wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=60)
    owners = {store.calls.get(c).get("owner") for c in server.switch.first_legs_by_call}
    assert len(owners) == 2  # both paced
    assert server.switch.stats.sps_rejected == 0
    assert server.switch.sessions.sps_peak <= 17  # the simulator's most session requests in one second


def test_every_log_line_of_a_worker_names_it(redis_server, simswitch, daemons, tmp_path):
    server = simswitch(SHORT, password=PASSWORD)
    daemon = daemons(env(redis_server["url"], server, tmp_path), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    daemon.stop()
    by_worker = [x for x in log_lines(tmp_path / "log") if x["logger"] != "autocall.workers"]
    assert by_worker and {x.get("worker") for x in by_worker} == {1, 2}
    assert sorted(started_engines(tmp_path / "log").values()) == [1, 2]  # an engine id each


def test_settings_a_worker_refuses_stop_the_supervisor_with_exit_code_2(redis_server, simswitch, daemons, tmp_path):
    server = simswitch(SHORT, password="ClueCon")  # FreeSWITCH's stock password: serve refuses it
    settings = env(redis_server["url"], server, tmp_path)
    daemon = daemons({**settings, "AUTOCALL_FREESWITCH": settings["AUTOCALL_FREESWITCH"].replace(PASSWORD, "ClueCon")})
    daemon.start()
    with gevent.Timeout(60):
        while daemon.proc.poll() is None:
            gevent.sleep(0.05)
    assert daemon.proc.returncode == 2


def test_each_of_n_workers_paces_to_a_share_of_the_budget_one_engine_would_have():
    from dialer.esl.capacity import rates

    one_rate, one_burst = rates(400)
    for n in (2, 3, 4):
        rate, burst = rates(400, 1 / n)
        assert n * (rate + burst) == pytest.approx(one_rate + one_burst)  # 85 % of 400 in any second, together


def test_each_of_n_workers_gets_a_share_of_the_reply_window_and_one_worker_is_one_engine():
    from dialer.esl.node_config import NodeConfig

    node = NodeConfig.from_url("esl://:pw@fs1:8021?bgapi_window=500&sps=200")
    assert node.for_workers(1) == node
    assert (node.for_workers(2).bgapi_window, node.for_workers(2).share, node.for_workers(2).sps) == (250, 0.5, 200)
    assert node.for_workers(3).bgapi_window == 166  # never more, together, than one engine's
    unbounded = NodeConfig.from_url("esl://:pw@fs1:8021?bgapi_window=0")
    assert unbounded.for_workers(2).bgapi_window == 0  # no bound stays no bound


def test_a_worker_slot_is_i_of_n():
    from dialer.workers import WorkerSlot

    assert WorkerSlot.parse("2/3") == WorkerSlot(2, 3) and str(WorkerSlot(2, 3)) == "2/3"
    assert WorkerSlot(1, 3).serves_api and not WorkerSlot(2, 3).serves_api
    for bad in ("0/2", "3/2", "x/2", "2"):
        with pytest.raises(ValueError):
            WorkerSlot.parse(bad)


def test_workers_drain_and_exit_when_their_supervisor_is_killed(redis_server, simswitch, daemons, tmp_path):
    server = simswitch(SHORT, password=PASSWORD)
    daemon = daemons(env(redis_server["url"], server, tmp_path), tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    workers = workers_of(daemon.proc.pid)
    os.kill(daemon.proc.pid, signal.SIGKILL)  # the supervisor alone: nobody forwards a SIGTERM
    wait_until(lambda: not [pid for pid in workers if running(pid)], timeout=30)
    assert sum("the supervisor is gone: draining" in x["msg"] for x in log_lines(tmp_path / "log")) == 2


def running(pid: int) -> bool:
    """Neither gone nor a zombie waiting to be reaped by whoever adopted it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_serve_takes_the_number_of_workers_from_the_command_line():
    from dialer.cli import build_parser

    assert build_parser().parse_args(["serve", "--workers", "3"]).workers == 3
    assert build_parser().parse_args(["serve"]).workers is None  # then AUTOCALL_WORKERS (default 1)
    for bad in ("0", "65", "two"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["serve", "--workers", bad])


def test_worker_1_serves_the_api_and_the_others_only_dial(redis_server, simswitch, daemons, tmp_path):
    server = simswitch(SHORT, password=PASSWORD)
    listen = f"127.0.0.1:{free_port()}"
    settings = {**env(redis_server["url"], server, tmp_path), "AUTOCALL_API": "true", "AUTOCALL_API_TOKENS": "t"}
    daemon = daemons({**settings, "AUTOCALL_LISTEN": listen}, tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    with urllib.request.urlopen(f"http://{listen}/healthz", timeout=5) as res:
        assert res.status == 200
    started = {x["worker"]: x["listen"] for x in log_lines(tmp_path / "log") if x.get("msg") == "autocall started"}
    assert started == {1: listen, 2: None}
