"""``autocall agent-test`` on a real FreeSWITCH (issue 19): the operator's check of an agent's softphone,
run as an operator runs it (the installed command, configured like the ``autocall serve`` beside it), with
the queue from that autocall's ``/freeswitch/config`` and the agent's phone a SIPp UAS (autodialer_rig.py).

The default lead is FreeSWITCH's stock echo test (``loopback/9196/default``), which the simulator cannot
run into a dialplan (tests/test_agent_test.py covers the rest on the simulator)."""

from __future__ import annotations

import subprocess

import pytest

from tests.realfs.autocall_serve import COMMAND
from tests.realfs.autodialer_rig import make_rig
from tests.realfs.campaigns import write_wav
from tests.realfs.fswatch import FsWatch
from tests.realfs.sipagents import sipp_binary

EVENTS = "CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info"


@pytest.fixture
def rig(realfs_prefix, realfs_factory, autocall_factory, tmp_path):
    if sipp_binary() is None:
        pytest.skip("sipp not found (Debian: apt-get install sip-tester): no SIP phone for the agent")
    made = make_rig(realfs_factory, autocall_factory, tmp_path, {"1001": "answer_bye"})
    write_wav(made.autocall.audio_dir / "xin-loi.wav", 1.0)
    yield made
    made.close()


def agent_test(rig, *args: str) -> tuple[int, str]:
    done = subprocess.run(
        [*COMMAND, "agent-test", *args, "--audio", "xin-loi.wav"],
        env=rig.autocall.env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    print(done.stdout, done.stderr[-2000:])
    return done.returncode, done.stdout


def test_the_agents_softphone_takes_the_echo_test_call_through_the_queue(rig):
    rig.agent("1001", login=False)
    with FsWatch(rig.fs, EVENTS) as watch:
        code, out = agent_test(rig, "1001")
    assert code == 0, out
    for step in (
        "pushed into mod_callcenter as 1001@autocall-test: contact [leg_timeout=30]user/1001",
        "status: Available, Waiting",
        "calling the lead FreeSWITCH's echo test loopback/9196/default",
        "lead answered",
        "queued in autocall-agent-test-1001",
        "offered to agent 1001",
        "bridged: agent 1001 answered",
        "result: recall_status answered, agent 1001, queuesec ",
        "OK: agent 1001's softphone took the queue call",
    ):
        assert step in out
    (lead,) = watch.where(
        lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("variable_cc_side") == "member"
    )
    assert (lead["variable_cc_cause"], lead["variable_cc_agent"]) == ("answered", "1001@autocall-test")
    assert lead["Channel-Name"] == "loopback/9196-a"
    listed = rig.callcenter_agents()
    assert "1001@autocall-test" not in listed  # the twin is gone with its tier
    assert "autocall-agent-test-1001" not in rig.fs.api("callcenter_config queue list")
    # autocall's own agent (the engine of autocall serve pushed it, logged out) was left alone
    assert listed["1001@autocall"]["status"] == "Logged Out"
    assert not watch.where(lambda e: e.get("CC-Agent") == "1001@autocall" and e.get("CC-Action") != "agent-add")
    assert rig.live("1001")["calls_answered"] == 0


def test_a_lead_dialled_through_the_gateway_reaches_the_agent(rig):
    rig.agent("1001", login=False)
    code, out = agent_test(rig, "1001", "--number", "0979000001")  # the far end answers and talks 30 s
    assert code == 0, out
    assert "calling the lead 0979000001" in out and "bridged: agent 1001 answered" in out


def test_a_softphone_that_is_not_registered_fails_at_once_saying_so(rig):
    rig.agent("1003", login=False)  # a directory user no phone registered as
    code, out = agent_test(rig, "1003")
    assert code == 1, out
    assert "FAILED: agent 1003: its softphone is not registered (USER_NOT_REGISTERED)" in out
    assert "1003@autocall-test" not in rig.callcenter_agents()
