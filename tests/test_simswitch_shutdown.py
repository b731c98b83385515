"""The simulator shuts down, drains and restarts as FreeSWITCH 1.10.12 does (esl-captures batch2).

A ``manual`` shutdown runs its captured steps one at a time, so each
originate is sent in a known step, as the batch2 ``jobs.tsv`` files show them.
"""

from __future__ import annotations

import gevent
import pytest

from simswitch import Limits, Scenario
from simswitch.shutdown import FSCTL, SIGTERM, Shutdown
from tests.eslclient import RawClient, connect_to_process
from tests.test_simswitch_behaviour import login, wait_count

ANSWER = {"ring": 0.0, "answer": {"talk": 600, "hangup": "remote"}}
RING = {"no_answer": True}


def scenario() -> Scenario:
    return Scenario.model_validate({"rules": [{"match": "^0979", **ANSWER}, {"match": "^0983", **RING}]})


def job_bodies(client: RawClient) -> dict[str, str]:
    return {e.get("Job-UUID"): e.body for e in client.events() if e.name == "BACKGROUND_JOB"}


def send(client: RawClient, number: str, n: int) -> str:
    job = f"00000000-0000-4000-8000-{n:012d}"
    vars_ = f"{{origination_uuid=10000000-0000-4000-8000-{n:012d},originate_timeout=60}}"
    client.command(f"bgapi originate {vars_}sofia/gateway/gw1/{number} &park()\nJob-UUID: {job}")
    return job


def wait_job(client: RawClient, job: str) -> str:
    with gevent.Timeout(5):
        while job not in job_bodies(client):
            gevent.sleep(0.005)
    return job_bodies(client)[job]


@pytest.fixture
def shut(simswitch):
    """A simulator with one answered and one ringing call, and a manual shutdown of it."""

    def make(timings=FSCTL):
        server = simswitch(scenario(), time_scale=1.0)
        client = login(server)
        answered = send(client, "0979000001", 1)
        assert wait_job(client, answered).startswith("+OK")
        ringing = send(client, "0983000001", 2)
        wait_count(client, "CHANNEL_PROGRESS", 1)
        return server, client, Shutdown(server, timings, manual=True).start(), ringing

    return make


def test_shutdown_hangs_up_every_call_system_shutdown_and_fires_shutdown(shut):
    _, client, shutdown, ringing = shut()
    shutdown.advance()  # stop
    wait_count(client, "CHANNEL_HANGUP_COMPLETE", 2)
    hangups = {e.get("Unique-ID")[-1]: e for e in client.events() if e.name == "CHANNEL_HANGUP_COMPLETE"}
    assert {k: e.get("Hangup-Cause") for k, e in hangups.items()} == {"1": "SYSTEM_SHUTDOWN", "2": "SYSTEM_SHUTDOWN"}
    assert hangups["1"].get("variable_sip_hangup_disposition") == "send_bye"  # answered
    assert hangups["2"].get("variable_sip_hangup_disposition") == "send_cancel"  # ringing
    assert wait_job(client, ringing) == "-ERR SYSTEM_SHUTDOWN\n"
    shutdown_events = [e for e in client.events() if e.name == "SHUTDOWN"]
    assert [e.get("Event-Info") for e in shutdown_events] == ["System Shutting Down"]


def test_while_the_core_stops_an_originate_is_refused_with_no_channel(shut):
    _, client, shutdown, _ = shut()
    shutdown.advance()  # stop
    job = send(client, "0979000002", 3)
    assert wait_job(client, job) == "-ERR DESTINATION_OUT_OF_ORDER\n"
    assert not [e for e in client.events() if e.get("Unique-ID", "").endswith("000000000003")]


def test_while_mod_sofia_unloads_an_originate_waits_then_gets_chan_not_implemented(shut):
    server, client, shutdown, _ = shut()
    shutdown.advance()  # stop
    shutdown.advance()  # modules unload: mod_sofia busy
    waiting = send(client, "0979000002", 3)  # the bgapi reply comes once the originate is queued
    assert len(server.switch.endpoints_waiting) == 1 and waiting not in job_bodies(client)
    shutdown.advance()  # mod_sofia gone
    assert wait_job(client, waiting) == "-ERR CHAN_NOT_IMPLEMENTED\n"
    later = send(client, "0979000003", 4)
    assert wait_job(client, later) == "-ERR CHAN_NOT_IMPLEMENTED\n"
    unloads = [(e.get("type"), e.get("name")) for e in client.events() if e.name == "MODULE_UNLOAD"]
    assert len(unloads) == 37 and ("endpoint", "sofia") in unloads


def test_the_socket_ends_with_freeswitchs_disconnect_notice_and_the_port_refuses(shut):
    server, client, shutdown, _ = shut()
    for _ in range(4):
        shutdown.advance()
    with gevent.Timeout(5):
        while not client.closed:
            gevent.sleep(0.01)
    last = client.messages[-1]
    assert (last.content_type, last.body) == ("text/disconnect-notice", b"The system is being shut down.\n")
    again = RawClient(*server.address)
    with gevent.Timeout(5):
        while not again.closed:
            gevent.sleep(0.01)
    assert again.messages == []


def test_the_captured_timings_order_the_steps_as_freeswitch_did():
    for t in (FSCTL, SIGTERM):
        assert 0 < t.stop < t.wait < t.sofia < t.close


def test_a_restarted_freeswitch_has_a_new_core_uuid_and_its_configured_limits(simswitch):
    server = simswitch(scenario(), time_scale=1.0, limits=Limits(sps=60, max_sessions=2000))
    client = login(server)
    before = client.command("api global_getvar core_uuid").body.decode()
    client.command("api fsctl sps 30")
    server.restart_after = 0.05
    shutdown = Shutdown(server, FSCTL, manual=True, restart_after=0.05).start()
    for _ in range(4):
        shutdown.advance()
    with gevent.Timeout(5):
        while True:
            again = RawClient(*server.address)
            try:
                again.login("ClueCon")
                break
            except AssertionError:
                gevent.sleep(0.02)
    after = again.command("api global_getvar core_uuid").body.decode()
    assert after != before and len(after) == 36
    assert again.command("api fsctl sps").body == b"+OK sessions per second: 60\n"
    assert again.command("api show channels as json").body == b'{"row_count": 0}\n'


def one_call_up(simswitch):
    """A simulator with one answered call, the dialer's connection and an admin's."""
    server = simswitch(scenario(), time_scale=1.0)
    client = login(server)
    assert wait_job(client, send(client, "0979000001", 1)).startswith("+OK")
    return server, client, login(server)


def test_asap_refuses_new_calls_lets_the_calls_up_finish_then_shuts_down(simswitch):
    _, client, admin = one_call_up(simswitch)
    admin.command("bgapi fsctl shutdown asap")
    client.wait_event("SHUTDOWN_REQUESTED", **{"Event_Info": "ASAP"})
    assert admin.command("api fsctl shutdown_check").body == b"true"
    refused = send(client, "0979000002", 2)
    assert wait_job(client, refused) == "-ERR DESTINATION_OUT_OF_ORDER\n"
    assert not [e for e in client.events() if e.name == "SHUTDOWN"]  # the call is still up
    admin.command("api uuid_kill 10000000-0000-4000-8000-000000000001")
    client.wait_event("SHUTDOWN", timeout=10)


def test_elegant_keeps_accepting_calls_and_cancel_stops_the_shutdown(simswitch):
    _, client, admin = one_call_up(simswitch)
    admin.command("bgapi fsctl shutdown elegant\nJob-UUID: drain")
    client.wait_event("SHUTDOWN_REQUESTED", **{"Event_Info": "elegant"})
    accepted = send(client, "0979000002", 2)
    assert wait_job(client, accepted).startswith("+OK")
    assert admin.command("api fsctl shutdown cancel").body == b"+OK\n"
    assert admin.command("api fsctl shutdown_check").body == b"false"
    assert wait_job(client, "drain") == "+OK\n"  # the drain's next poll sees the cancel: "Shutdown Cancelled"
    assert admin.command("api fsctl ready_check").body == b"true"
    assert wait_job(client, send(client, "0979000003", 3)).startswith("+OK")
    assert not [e for e in client.events() if e.name == "SHUTDOWN"]


def test_the_cli_simulator_comes_back_after_fsctl_shutdown_as_a_new_freeswitch(tmp_path):
    """``autocall simswitch --restart-after``: systemd's restart of a FreeSWITCH shut down with fsctl."""
    import subprocess
    import sys

    from tests.conftest import free_port

    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dialer.cli",
            "simswitch",
            "--listen",
            f"127.0.0.1:{port}",
            "--password",
            "s3cret",
            "--restart-after",
            "0.2",
        ]
    )

    def connect() -> RawClient:
        return connect_to_process(proc, port, "s3cret")

    try:
        first = connect()
        before = first.command("api global_getvar core_uuid").body
        assert first.command("api fsctl shutdown").body == b"+OK\n"
        with gevent.Timeout(10):
            while not first.closed:
                gevent.sleep(0.02)
        assert first.messages[-1].body == b"The system is being shut down.\n"
        after = connect().command("api global_getvar core_uuid").body
        assert after != before and len(after) == 36
    finally:
        proc.terminate()
        proc.wait(10)


def test_a_switch_shutting_down_answers_every_fsctl_with_zero(shut):
    """switch_core_session_ctl refuses everything once the core stops (found on a real switch)."""
    _, client, shutdown, _ = shut()
    shutdown.advance()  # stop
    assert client.command("api fsctl sps").body == b"+OK sessions per second: 0\n"
    assert client.command("api fsctl max_sessions").body == b"+OK max sessions: 0\n"
    assert client.command("api fsctl ready_check").body == b"false"
