"""What a FreeSWITCH's answers to autocall's checks mean (dialer/esl/checks.py; batch3 replies)."""

from __future__ import annotations

from dialer.esl.checks import parse, uptime_ms

GOOD = {
    "core_uuid": "82f3863c-e0f0-491b-b37b-8a29a4bb7342",
    "status": "UP 0 years, 0 days, 0 hours, 0 minutes, 2 seconds, 975 milliseconds, 906 microseconds\n"
    "FreeSWITCH (Version 1.10.12-release  64bit) is ready\n0 session(s) since startup\n"
    "3 session(s) - peak 0, last 5min 0 \n",
    "sps": "+OK sessions per second: 60\n",
    "max_sessions": "+OK max sessions: 2000\n",
    "shutdown": "false",
    "ready": "true",
    "paused": "false",
    "paused_outbound": "false",
    "dialplan": '<context name="autocall">\n      <extension name="autocall">\n</context>\n',
    "sofia": "true",
    "avmd": "true",
}


def test_a_healthy_switch_has_no_problem_and_states_its_limits():
    state = parse(GOOD)
    assert (state.problems, state.sps, state.max_sessions, state.sessions, state.avmd) == ({}, 60, 2000, 3, True)
    assert state.core_uuid == GOOD["core_uuid"] and state.uptime_ms == 2975


def test_no_autocall_context_is_a_problem_naming_the_fix():
    why = parse({**GOOD, "dialplan": "can't find anything\n"}).problems["dialplan"]
    assert "no dialplan context 'autocall'" in why and "reloadxml" in why


def test_a_pause_is_a_pause_and_an_asap_drain_a_shutdown():
    assert list(parse({**GOOD, "paused": "true", "ready": "false"}).problems) == ["paused"]
    assert list(parse({**GOOD, "paused_outbound": "true"}).problems) == ["paused"]
    asap = parse({**GOOD, "shutdown": "true", "paused": "true", "ready": "false"}).problems
    assert list(asap) == ["shutdown"]


def test_not_ready_and_not_paused_is_a_core_stopping():
    """An elegant drain with no call up stops at once; shutdown_check may already be false (batch3)."""
    assert "ready_check" in parse({**GOOD, "ready": "false"}).problems["shutdown"]


def test_a_core_shutting_down_answers_zero_and_that_is_not_a_limit():
    state = parse(
        {
            **GOOD,
            "sps": "+OK sessions per second: 0\n",
            "max_sessions": "+OK max sessions: 0\n",
            "ready": "false",
            "dialplan": "-ERR xml_locate Command not found!\n",
        }
    )
    assert (list(state.problems), state.sps, state.max_sessions) == (["shutdown"], None, None)


def test_a_limit_of_one_session_per_second_admits_none():
    assert "admits sps - 1" in parse({**GOOD, "sps": "+OK sessions per second: 1\n"}).problems["limits"]


def test_uptime_reads_every_unit():
    assert uptime_ms("UP 1 year, 2 days, 3 hours, 4 minutes, 5 seconds, 6 milliseconds, 7 microseconds\n") == (
        365 * 86_400_000 + 2 * 86_400_000 + 3 * 3_600_000 + 4 * 60_000 + 5_000 + 6
    )
    assert uptime_ms("-ERR nothing") is None
