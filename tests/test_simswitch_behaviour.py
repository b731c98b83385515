"""What the simulator does, one behaviour per test (simulator over a real socket)."""

from __future__ import annotations

import json
import subprocess
import sys

import gevent
import pytest
from pydantic import ValidationError

from simswitch import Limits, Scenario
from simswitch.causes import sip_to_cause
from simswitch.limits import SessionLimits
from tests.conftest import free_port
from tests.eslclient import RawClient, connect_to_process
from tests.fidelity import assert_span

ORIG = (
    "{{origination_uuid={u},originate_timeout={t},ignore_early_media=true,"
    "origination_caller_id_number=0281234567{extra}}}"
)


def login(server, events="ALL", fmt="plain") -> RawClient:
    client = RawClient(*server.address)
    client.login("ClueCon")
    client.command(f"event {fmt} {events}")
    return client


def originate(client, number, uuid="00000000-0000-4000-8000-000000000001", timeout=30, app="&park()", extra=""):
    vars_ = ORIG.format(u=uuid, t=timeout, extra=extra)
    return client.command(f"bgapi originate {vars_}sofia/gateway/gw1/{number} {app}")


def wait_count(client, name: str, n: int, timeout: float = 5) -> None:
    """Wait until ``n`` events called ``name`` have arrived."""
    with gevent.Timeout(timeout):
        while len([e for e in client.events() if e.name == name]) < n:
            gevent.sleep(0.01)


def scenario(**rule) -> Scenario:
    return Scenario.model_validate({"rules": [{"match": ".", **rule}]})


def test_a_client_chosen_job_uuid_is_honoured(simswitch):
    client = login(simswitch(scenario(sip=486)))
    reply = client.command(
        "bgapi originate {origination_uuid=00000000-0000-4000-8000-0000000000aa}"
        "sofia/gateway/gw1/0913000000 &park()\nJob-UUID: my-job-1"
    )
    assert reply.headers["Reply-Text"] == "+OK Job-UUID: my-job-1"
    job = client.wait_event("BACKGROUND_JOB")
    assert job.get("Job-UUID") == "my-job-1"
    assert job.body == "-ERR USER_BUSY\n"


@pytest.mark.parametrize("status", [404, 408, 480, 486, 503, 603, 487, 600, 699])
def test_a_sip_failure_maps_to_freeswitchs_cause(simswitch, status):
    client = login(simswitch(scenario(sip=status)))
    originate(client, "0913000000")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("Hangup-Cause") == sip_to_cause(status)
    assert hc.get("variable_sip_term_status") == str(status)
    assert client.wait_event("BACKGROUND_JOB").body == f"-ERR {sip_to_cause(status)}\n"


def test_an_answered_call_reports_talk_time_in_simulated_seconds(simswitch):
    client = login(simswitch(scenario(ring=4, answer={"talk": 25})))
    originate(client, "0914000000")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert_span(hc, "bill", 25)
    assert_span(hc, "answer", 4)
    assert hc.get("variable_sip_hangup_disposition") == "recv_bye"


def test_ringing_until_originate_timeout_is_no_answer_with_cancel(simswitch):
    client = login(simswitch(scenario(no_answer=True)))
    originate(client, "0915000000", timeout=20)
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("Hangup-Cause") == "NO_ANSWER"
    assert hc.get("variable_sip_hangup_disposition") == "send_cancel"
    assert_span(hc, "", 20)


def test_early_media_is_not_an_answer_when_ignored(simswitch):
    client = login(simswitch(scenario(early_media=2, answer={"talk": 3})))
    originate(client, "0916000000")
    job = client.wait_event("BACKGROUND_JOB")
    names = [e.name for e in client.events()]
    assert names.index("CHANNEL_PROGRESS_MEDIA") < names.index("CHANNEL_ANSWER") < names.index("BACKGROUND_JOB")
    assert job.body.startswith("+OK ")


def test_dtmf_digits_arrive_after_answer(simswitch):
    client = login(simswitch(scenario(answer={"talk": 5, "dtmf": "12"})))
    originate(client, "0914000000")
    client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert [e.get("DTMF-Digit") for e in client.events() if e.name == "DTMF"] == ["1", "2"]


def test_an_answering_machine_beeps_once_avmd_runs(simswitch):
    server = simswitch(
        Scenario.model_validate(
            {
                "rules": [{"match": ".", "answer": {"talk": 10, "beep": True}}],
                "dialplan": {"autocall": [{"app": "avmd_start"}, {"app": "park"}]},
            }
        )
    )
    client = login(server, "CHANNEL_HANGUP_COMPLETE CUSTOM avmd::beep")
    client.command(
        "bgapi originate {origination_uuid=00000000-0000-4000-8000-0000000000bb}"
        "sofia/gateway/gw1/0917000000 autocall XML autocall"
    )
    beep = client.wait_event("CUSTOM")
    assert beep.get("Event-Subclass") == "avmd::beep"
    assert beep.get("Beep-Status") == "DETECTED"
    assert beep.get("Unique-ID") == "00000000-0000-4000-8000-0000000000bb"


def test_custom_channel_variables_are_echoed_back(simswitch):
    client = login(simswitch(scenario(sip=486)))
    originate(client, "0913000000", extra=",autocall_lead=L-42,autocall_campaign=c1")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("variable_autocall_lead") == "L-42"
    assert hc.get("variable_autocall_campaign") == "c1"


def test_only_subscribed_events_are_sent(simswitch):
    client = login(simswitch(scenario(answer={"talk": 1})), "CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
    originate(client, "0914000000")
    client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert {e.name for e in client.events()} == {"CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"}


def test_json_events_carry_the_same_headers(simswitch):
    client = login(simswitch(scenario(sip=404)), "CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB", fmt="json")
    originate(client, "0913000000")
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hc.get("Hangup-Cause") == "UNALLOCATED_NUMBER"
    msg = next(m for m in client.messages if m.content_type == "text/event-json")
    assert not msg.body.endswith(b"\n")
    assert client.wait_event("BACKGROUND_JOB").body == "-ERR UNALLOCATED_NUMBER\n"


def test_killing_a_ringing_call_is_originator_cancel(simswitch):
    client = login(simswitch(scenario(no_answer=True)))
    uuid = "00000000-0000-4000-8000-0000000000cc"
    originate(client, "0915000000", uuid=uuid, timeout=60)
    client.wait_event("CHANNEL_PROGRESS")
    assert client.command("api uuid_exists " + uuid).body == b"true"
    assert client.command("api uuid_kill " + uuid).body == b"+OK\n"
    assert client.wait_event("BACKGROUND_JOB").body == "-ERR ORIGINATOR_CANCEL\n"
    assert client.command("api uuid_exists " + uuid).body == b"false"


def test_hupall_ends_every_call(simswitch):
    client = login(simswitch(scenario(answer={"talk": 100})), "CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB")
    for i in range(3):
        originate(client, f"09140000{i:02d}", uuid=f"00000000-0000-4000-8000-0000000001{i:02d}")
    wait_count(client, "BACKGROUND_JOB", 3, timeout=5)
    assert client.command("api show calls count").body == b"\n3 total.\n"
    assert client.command("api hupall MANAGER_REQUEST").body.startswith(b"+OK")
    wait_count(client, "CHANNEL_HANGUP_COMPLETE", 3, timeout=5)
    assert client.command("api show channels as json").body == b'{"row_count": 0}\n'


def test_over_the_sessions_per_second_budget_originate_fails_like_freeswitch(simswitch):
    server = simswitch(scenario(sip=486), limits=Limits(sps=3))
    # The five originates in one window of the budget, however slowly a busy CPU sends them: a stopped clock.
    server.switch.sessions = SessionLimits(server.switch.limits, clock=lambda: 100.0)
    client = login(server, "BACKGROUND_JOB")
    for i in range(5):
        originate(client, "0913000000", uuid=f"00000000-0000-4000-8000-0000000002{i:02d}")
    wait_count(client, "BACKGROUND_JOB", 5, timeout=5)
    bodies = sorted(e.body for e in client.events() if e.name == "BACKGROUND_JOB")
    # sps 3: two sessions get through a window (limits.py), the other three are refused.
    assert bodies.count("-ERR DESTINATION_OUT_OF_ORDER\n") == 3
    assert server.switch.stats.sps_rejected == 3


def test_over_max_sessions_originate_fails(simswitch):
    server = simswitch(scenario(answer={"talk": 100}), limits=Limits(max_sessions=2, sps=100))
    client = login(server, "BACKGROUND_JOB")
    for i in range(3):
        originate(client, "0914000000", uuid=f"00000000-0000-4000-8000-0000000003{i:02d}")
    wait_count(client, "BACKGROUND_JOB", 3, timeout=5)
    bodies = [e.body for e in client.events() if e.name == "BACKGROUND_JOB"]
    assert bodies.count("-ERR DESTINATION_OUT_OF_ORDER\n") == 1


def test_heartbeat_reports_sessions_and_limits(simswitch):
    server = simswitch(scenario(answer={"talk": 100}), limits=Limits(max_sessions=500, sps=40), heartbeat=0.2)
    client = login(server, "HEARTBEAT BACKGROUND_JOB")
    originate(client, "0914000000")
    client.wait_event("BACKGROUND_JOB")
    hb = client.wait_event("HEARTBEAT")
    assert (hb.get("Session-Count"), hb.get("Max-Sessions")) == ("1", "500")
    # What is left of the one-second window, not the limit: 39 in the originate's window, 40 after.
    assert hb.get("Session-Per-Sec") in ("39", "40")


def test_an_unknown_api_command_is_not_found(simswitch):
    client = login(simswitch())
    assert client.command("api nosuchcommand").body == b"-ERR nosuchcommand Command not found!\n"


def test_a_dialplan_extension_runs_the_scenarios_context(simswitch):
    server = simswitch(
        Scenario.model_validate(
            {
                "rules": [{"match": ".", "answer": {"hangup": "local"}}],
                "dialplan": {
                    "autocall": [
                        {"app": "playback", "data": "tone_stream://%(1000,0,440);loops=2"},
                        {"app": "hangup", "data": "NORMAL_CLEARING"},
                    ]
                },
            }
        )
    )
    client = login(server)
    client.command(
        "bgapi originate {origination_uuid=00000000-0000-4000-8000-0000000004aa}"
        "sofia/gateway/gw1/0914000000 autocall XML autocall"
    )
    hc = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert [e.get("Application") for e in client.events() if e.name == "CHANNEL_EXECUTE"] == ["playback", "hangup"]
    assert_span(hc, "bill", 2)


def test_the_default_mix_is_reproducible_with_a_seed(simswitch):
    def run(seed):
        client = login(simswitch(Scenario(), seed=seed), "CHANNEL_HANGUP_COMPLETE")
        for i in range(20):
            originate(client, f"09130000{i:02d}", uuid=f"00000000-0000-4000-8000-0000000005{i:02d}", timeout=60)
        wait_count(client, "CHANNEL_HANGUP_COMPLETE", 20, timeout=10)
        return sorted((e.get("Unique-ID"), e.get("Hangup-Cause")) for e in client.events())

    assert run(5) == run(5)


def test_a_scenario_rule_must_name_one_outcome():
    with pytest.raises(ValidationError):
        Scenario.model_validate({"rules": [{"match": ".", "sip": 486, "no_answer": True}]})


def test_an_unknown_mix_outcome_is_refused():
    with pytest.raises(ValidationError):
        Scenario.model_validate({"default": {"mix": {"answerd": 1.0}}})


def test_the_cli_serves_and_writes_its_stats_file(tmp_path):
    port = free_port()
    stats = tmp_path / "stats.json"
    scen = tmp_path / "s.yaml"
    scen.write_text('rules:\n  - match: "^(0|84)913"\n    sip: 486\n')
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
            "--scenario",
            str(scen),
            "--time-scale",
            "0.01",
            "--stats-file",
            str(stats),
        ]
    )
    try:
        client = connect_to_process(proc, port)
        client.login("s3cret")
        client.command("event plain BACKGROUND_JOB")
        originate(client, "0913123456")
        assert client.wait_event("BACKGROUND_JOB").body == "-ERR USER_BUSY\n"
    finally:
        proc.terminate()
        proc.wait(10)
    data = json.loads(stats.read_text())
    assert data["originated"] == 1
    assert data["by_cause"] == {"USER_BUSY": 1}
    assert data["attempts_by_number"] == {"0913123456": 1}
    assert {"answered", "peak_concurrent", "concurrent", "sps_rejected"} <= data.keys()


def test_a_connection_whose_write_fails_is_dropped_and_hears_no_more_events(simswitch):
    """A client killed (kill -9) while FreeSWITCH writes to it: the write fails before the read sees the
    end. The listener is gone from then on: events written later are heard by nobody (kill9 specs)."""
    server = simswitch(scenario(sip=486))
    login(server)
    (listener,) = server.switch.bus.listeners

    class DeadSocket:  # the peer is gone: every write fails, the read still waits
        def __init__(self, sock) -> None:
            self.sock = sock

        def sendall(self, data: bytes) -> None:
            raise BrokenPipeError(32, "Broken pipe")

        def __getattr__(self, name: str):
            return getattr(self.sock, name)

    listener.sock = DeadSocket(listener.sock)
    server.heartbeat()  # an event to write
    with gevent.Timeout(5, AssertionError("the listener whose write failed still takes events")):
        while server.switch.bus.listeners:
            gevent.sleep(0.01)
    assert not server.switch.bus.wants("CHANNEL_HANGUP_COMPLETE")


def test_each_reply_is_written_before_the_next_command_of_the_same_buffer_is_handled(simswitch):
    """mod_event_socket writes a command's reply right after reading it (a bgapi's before its job
    runs), then reads the next command: commands arriving in one segment get their replies one by one,
    not all after the last of them is handled."""
    server = simswitch(scenario(sip=486))
    client = login(server, events="BACKGROUND_JOB")
    (listener,) = server.switch.bus.listeners
    order: list[str] = []

    class RecordingSocket:
        def __init__(self, sock) -> None:
            self.sock = sock

        def sendall(self, data: bytes) -> None:
            order.extend("reply" for _ in range(data.count(b"Content-Type: command/reply")))
            order.extend("api/response" for _ in range(data.count(b"Content-Type: api/response")))
            self.sock.sendall(data)

        def __getattr__(self, name: str):
            return getattr(self.sock, name)

    handle = listener.handle

    def recorded(line: str, headers: dict[str, str]) -> None:
        order.append(line.split(" ", 2)[1] if line.startswith("bgapi") else line)
        handle(line, headers)

    listener.sock = RecordingSocket(listener.sock)
    listener.handle = recorded  # type: ignore[method-assign]
    legs = [ORIG.format(u=f"00000000-0000-4000-8000-0000000000{i:02d}", t=30, extra="") for i in range(3)]
    batch = b"".join(f"bgapi originate {leg}sofia/gateway/gw1/0981234567 &park()\n\n".encode() for leg in legs)
    client.sock.sendall(batch + b"api version\n\n")  # one write: one segment on loopback
    client.wait_for(lambda m: m.content_type == "api/response")
    assert order == ["originate", "reply"] * 3 + ["api version", "api/response"]
