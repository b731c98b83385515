"""Session admission, the per-second budget and fsctl, as FreeSWITCH 1.10.12 does them
(esl-captures batch2, "heartbeat-sps" and "throttle"; switch_time.c, switch_core_session.c)."""

from __future__ import annotations

import pytest

from simswitch import Limits, Scenario
from simswitch.limits import SessionLimits
from tests.test_simswitch_behaviour import login, originate, wait_count


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def limits(sps: int = 30, max_sessions: int = 500) -> tuple[SessionLimits, ManualClock]:
    clock = ManualClock()
    return SessionLimits(Limits(max_sessions=max_sessions, sps=sps), clock=clock, phase=0.5), clock


def test_at_most_the_limit_minus_one_sessions_get_through_per_window():
    ss, _ = limits(sps=30)
    results = [ss.request(0) for _ in range(40)]  # 40 within 9 ms: 29 calls, 11 refusals
    assert results.count(None) == 29 and results.count("sps") == 11


def test_the_heartbeat_shows_what_is_left_of_the_window_not_the_limit():
    ss, _ = limits(sps=30)
    assert ss.heartbeat()["sps"] == 30  # idle: it looks like the limit
    for _ in range(15):
        ss.request(0)
    assert ss.heartbeat()["sps"] == 15
    for _ in range(17):
        ss.request(0)
    assert ss.heartbeat()["sps"] == 4294967294  # 32 requests: -2, printed unsigned


def test_session_per_sec_last_counts_the_refused_requests_of_the_previous_window():
    ss, clock = limits(sps=30)
    for _ in range(43):
        ss.request(0)
    clock.now += 1
    beat = ss.heartbeat()
    assert (beat["sps"], beat["sps_last"], beat["sps_max"]) == (30, 43, 43)
    clock.now += 1
    assert ss.heartbeat()["sps_last"] == 0


def test_an_sps_change_shows_as_new_minus_old_in_the_next_window():
    ss, clock = limits(sps=60)
    assert ss.set_sps(30) == 30
    clock.now += 1
    assert ss.heartbeat()["sps_last"] == 4294967266  # 30 - 60
    assert ss.set_sps(0) == 30  # no argument: the limit as it is


def test_a_request_over_the_rate_is_refused_before_one_over_max_sessions_and_both_use_the_budget():
    ss, _ = limits(sps=3, max_sessions=3)
    assert ss.request(3) == "max"  # Over Session Limit!, and the budget went down anyway
    assert ss.request(0) is None
    assert ss.request(0) == "sps"


def test_the_five_minute_peak_restarts_every_300_windows():
    ss, clock = limits(sps=60)
    for _ in range(50):
        ss.request(0)
    clock.now += 1
    assert ss.heartbeat()["sps_fivemin"] == 50
    clock.now += 300
    assert ss.heartbeat()["sps_fivemin"] == 0 and ss.heartbeat()["sps_max"] == 50


@pytest.mark.parametrize(
    ("command", "reply"),
    [
        ("fsctl sps", "+OK sessions per second: 60\n"),
        ("fsctl sps 30", "+OK sessions per second: 30\n"),
        ("fsctl max_sessions", "+OK max sessions: 2000\n"),
        ("fsctl max_sessions 500", "+OK max sessions: 500\n"),
        ("fsctl last_sps", "+OK last sessions per second: 0\n"),
        ("fsctl sps_peak_reset", "+OK max sessions per second counter reset\n"),
        ("fsctl shutdown_check", "false"),
        ("fsctl pause_check outbound", "false"),
        ("fsctl nonsense", "-ERR Invalid command\nUSAGE: fsctl [api_expansion [on|off]|recover|"),
        ("fsctl", "-USAGE: [api_expansion [on|off]|recover|send_sighup|"),
        ("module_exists mod_avmd", "true"),
        ("module_exists mod_nosuch", "false"),
        ("xml_locate dialplan context name nosuchcontext", "can't find anything\n"),
    ],
)
def test_fsctl_and_checks_answer_with_freeswitchs_texts(simswitch, command, reply):
    client = login(simswitch(limits=Limits(sps=60, max_sessions=2000)))
    assert client.command(f"api {command}").body.decode().startswith(reply)


def test_status_reports_the_limit_and_the_last_windows_requests(simswitch):
    client = login(simswitch(limits=Limits(sps=60, max_sessions=2000)))
    lines = client.command("api status").body.decode().split("\n")
    assert lines[4] == "0 session(s) per Sec out of max 60, peak 0, last 5min 0 "
    assert lines[5] == "2000 session(s) max"


def test_a_paused_freeswitch_refuses_outbound_calls_with_no_channel(simswitch):
    server = simswitch(Scenario.model_validate({"rules": [{"match": ".", "sip": 486}]}))
    client = login(server)
    assert client.command("api fsctl pause outbound").body == b"+OK\n"
    assert client.command("api fsctl pause_check outbound").body == b"true"
    originate(client, "0913000000")
    job = client.wait_event("BACKGROUND_JOB")
    assert job.body == "-ERR DESTINATION_OUT_OF_ORDER\n"
    assert not [e for e in client.events() if e.name == "CHANNEL_CREATE"]
    client.command("api fsctl resume outbound")
    originate(client, "0913000000", uuid="00000000-0000-4000-8000-000000000002")
    wait_count(client, "BACKGROUND_JOB", 2)
    assert client.events()[-1].body == "-ERR USER_BUSY\n" or any(
        e.body == "-ERR USER_BUSY\n" for e in client.events() if e.name == "BACKGROUND_JOB"
    )


def test_a_stock_configuration_without_the_autocall_context_answers_then_hangs_up_no_route(simswitch):
    # Real time: answered and hung up in the same instant bills 0 s; scaled, a scheduling delay of
    # a few ms would be simulated tenths of a second and could cross a whole second (billsec 1).
    server = simswitch(
        Scenario.model_validate(
            {"rules": [{"match": ".", "ring": 0.1, "answer": {"talk": 30}}], "autocall_dialplan": False}
        ),
        time_scale=1.0,
    )
    client = login(server)
    assert client.command("api xml_locate dialplan context name autocall").body == b"can't find anything\n"
    originate(client, "0913000000", app="autocall XML autocall")
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hangup.get("Hangup-Cause") == "NO_ROUTE_DESTINATION"
    assert hangup.get("variable_billsec") == "0"
    job = [e for e in client.events() if e.name == "BACKGROUND_JOB"]
    assert job[0].body.startswith("+OK ")


def test_without_mod_avmd_the_dialplans_avmd_start_hangs_the_answered_call_up(simswitch):
    server = simswitch(
        Scenario.model_validate(
            {"rules": [{"match": ".", "ring": 0.1, "answer": {"talk": 30}}], "missing_modules": ["mod_avmd"]}
        )
    )
    client = login(server)
    assert client.command("api module_exists mod_avmd").body == b"false"
    originate(client, "0913000000", app="autocall XML autocall")
    hangup = client.wait_event("CHANNEL_HANGUP_COMPLETE")
    assert hangup.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER"
    assert hangup.get("variable_playback_ms") is None
