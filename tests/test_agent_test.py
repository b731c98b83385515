"""``autocall agent-test 1001``: an agent's softphone checked with one queue call (dialer/agenttest.py).

The simulator runs mod_callcenter, loading the test's queue from autocall's own ``POST
/freeswitch/config`` (the API over a real socket), and rings the agents' softphones as the
scenario's ``agents:`` say; the lead is ``--number`` through the default gateway (the simulator's
``loopback/`` replays a capture and runs no dialplan: the default echo lead is tested on the real
switch, tests/realfs/test_agent_test.py)."""

from __future__ import annotations

import os

import pytest

from dialer import cli
from dialer.domain.enums import CampaignType
from simswitch import Scenario
from simswitch.callcenter import CallCenterSettings
from simswitch.xml_curl import XmlCurlBinding
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.eslclient import RawClient
from tests.factories import campaign

SECRET = "agent-test-secret"
PASSWORD = "agent-test-esl"
LEADS = [
    {"match": "^0981", "sip": 486},
    {"match": "^098", "ring": 0.5, "answer": {"talk": 600}},  # the lead stays on the line: the agent hangs up
]
PHONES = {
    "default": {"ring": 1, "talk": 2, "hangup": "agent"},
    "phones": {"1002": {"registered": False}, "1003": {"answer": 0.0}},
}


@pytest.fixture
def check(monkeypatch, capsys, simswitch, redis_server, services, api):
    """run(*args) -> (exit code, output, the simulator, a listener on it): ``autocall agent-test`` as an
    operator runs it, against the simulator and the test's Redis."""
    services.cdr_secret = SECRET  # /freeswitch/config takes FreeSWITCH's Basic credentials
    write_wav(services.audio_dir / "xin-loi.wav")
    started = []

    def start(secret: str = SECRET):
        url = f"http://127.0.0.1:{api.port}/freeswitch/config"
        binding = XmlCurlBinding(url, cred=f"freeswitch:{secret}", post_vars=("CC-Queue",))
        scenario = Scenario.model_validate({"rules": LEADS, "agents": PHONES})
        server = simswitch(scenario, time_scale=0.1, password=PASSWORD, callcenter=CallCenterSettings([binding]))
        listener = RawClient(*server.address)
        listener.login(PASSWORD)
        listener.command("event plain CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info")
        started.append((server, listener))
        return server, listener

    def run(*args: str, server=None) -> tuple[int, str]:
        server = server or started[-1][0]
        host, port = server.address
        for name in [n for n in os.environ if n.startswith("AUTOCALL_") and n != "AUTOCALL_TEST"]:
            monkeypatch.delenv(name)
        monkeypatch.setenv("AUTOCALL_FREESWITCH", f"esl://:{PASSWORD}@{host}:{port}?name=fs1")
        monkeypatch.setenv("AUTOCALL_AUDIO_DIR", str(services.audio_dir))
        monkeypatch.setenv("AUTOCALL_REDIS_URL", redis_server["url"])
        monkeypatch.setenv("AUTOCALL_DEFAULT_GATEWAY", "gw1")
        monkeypatch.setenv("AUTOCALL_DEFAULT_CALLER_ID", "02812345678")
        code = cli.main(["agent-test", *args])
        return code, capsys.readouterr().out

    run.start = start  # type: ignore[attr-defined]
    yield run
    for _, listener in started:
        listener.close()


def agent(api, extension: str, **fields) -> str:
    res = api("POST", "/v3/agent", json={"extension": extension, "groups": ["sales"], **fields})
    assert res.status_code == 200, res.json
    return res.json["agent_uuid"]


def lines_with(out: str, *words: str) -> list[int]:
    """The line number of the first line holding each word, in order."""
    lines = out.splitlines()
    return [next(i for i, line in enumerate(lines) if word in line) for word in words]


def callcenter(listener: RawClient, command: str) -> str:
    return listener.command(f"api callcenter_config {command}").body.decode()


def test_a_call_bridged_to_the_agents_softphone_prints_each_step_and_exits_0(check, api, redis_client):
    agent(api, "1001")
    server, _ = check.start()
    before = snapshot(redis_client)
    code, out = check("1001", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 0, out
    steps = [
        "pushed into mod_callcenter as 1001@autocall-test: contact [leg_timeout=30]user/1001",
        "status: Available, Waiting",
        "calling the lead 0980000001 on fs1",
        "lead answered",
        "queued in autocall-agent-test-1001",
        "offered to agent 1001: ringing [leg_timeout=30]user/1001",
        "bridged: agent 1001 answered",
        "lead hung up: NORMAL_CLEARING",
        "agent 1001's call ended",
        "left the queue: the call with the agent is over",
        "result: recall_status answered, agent 1001, queuesec ",
        "OK: agent 1001's softphone took the queue call",
    ]
    assert lines_with(out, *steps) == sorted(lines_with(out, *steps)), out
    (originate,) = [c for c in server.received if "originate" in c]
    assert "autocall_queue=autocall-agent-test-1001" in originate and "autodialer XML autodialer" in originate
    assert snapshot(redis_client) == before, "an agent test writes nothing to Redis"


def test_the_twin_and_the_queue_are_gone_afterwards_and_the_agent_is_left_as_it_was(check, api):
    agent(api, "1001")
    _, listener = check.start()
    assert callcenter(listener, "agent add 1001@autocall callback").startswith("+OK")  # as an engine pushed it
    code, out = check("1001", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 0, out
    names = [row.split("|")[0] for row in callcenter(listener, "agent list").splitlines()[1:-1]]
    assert names == ["1001@autocall"]
    assert "Logged Out" in callcenter(listener, "agent list 1001@autocall")
    assert "autocall-agent-test-1001" not in callcenter(listener, "queue list")
    changed = [e for e in listener.events() if e.get("CC-Agent") == "1001@autocall"]
    assert not [e for e in changed if e.get("CC-Action") in ("agent-status-change", "agent-offering")]


def test_an_agent_whose_softphone_is_not_registered_fails_saying_so(check, api):
    agent(api, "1002")
    check.start()
    code, out = check("1002", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 1 and "FAILED: agent 1002: its softphone is not registered (USER_NOT_REGISTERED)" in out, out


def test_a_softphone_nobody_answers_fails_after_ringing_its_time(check, api):
    agent(api, "1003")
    check.start()
    code, out = check("1003", "--number", "0980000001", "--audio", "xin-loi.wav", "--ring", "5")
    assert code == 1 and "FAILED: agent 1003: its softphone rang and nobody answered (NO_ANSWER)" in out, out
    assert "[leg_timeout=5]user/1003" in out


def test_a_lead_that_does_not_answer_fails_and_never_rings_the_agent(check, api):
    agent(api, "1001")
    check.start()
    code, out = check("1001", "--number", "0981000001", "--audio", "xin-loi.wav")
    assert code == 1 and "FAILED: the lead did not answer (USER_BUSY)" in out, out
    assert "offered to agent" not in out


def test_an_extension_no_agent_has_is_refused_unless_created(check, store):
    server, _ = check.start()
    code, out = check("1004", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 1 and "no agent has extension 1004: create it (POST /v3/agent) or pass --create" in out
    assert not [c for c in server.received if "originate" in c]
    code, out = check("1004", "--number", "0980000001", "--audio", "xin-loi.wav", "--create")
    assert code == 0, out
    created = store.agents.by_extension("1004")
    assert created is not None and created.status.value == "Logged Out"


def test_a_logged_in_agent_serving_a_running_campaign_is_not_tested(check, api, store):
    agent(api, "1001")
    campaign(store, type=CampaignType.AUTODIALER, groups=["sales"], campaign_name="Nhắc nợ")
    server, listener = check.start()
    callcenter(listener, "agent add 1001@autocall callback")
    callcenter(listener, "agent set status 1001@autocall Available")
    code, out = check("1001", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 1 and "is logged in and serves running campaign(s) Nhắc nợ" in out, out
    assert not [c for c in server.received if "originate" in c or "@autocall-test" in c]


def test_a_campaign_holding_the_tests_queue_name_is_left_alone(check, api, store):
    """Stored before the API reserved autocall-agent-test-<extension>: the test would load and unload it."""
    agent(api, "1001")
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid="autocall-agent-test-1001", campaign_name="Cũ")
    server, _ = check.start()
    code, out = check("1001", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 1 and "campaign Cũ uses the test's queue name" in out, out
    assert not [c for c in server.received if "originate" in c or "callcenter_config" in c]


def test_a_queue_freeswitch_cannot_get_from_autocall_is_reported(check, api):
    agent(api, "1001")
    server, _ = check.start(secret="not-the-secret")  # /freeswitch/config answers 401
    code, out = check("1001", "--number", "0980000001", "--audio", "xin-loi.wav")
    assert code == 1 and "mod_callcenter could not load the test queue autocall-agent-test-1001" in out, out
    assert not [c for c in server.received if "originate" in c]


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["10 01"], "is not an extension"),
        (["1001", "--number", "09x"], "--number '09x' is not a number"),
        (["1001", "--ring", "90"], "--ring must be 5 to 55 s"),
    ],
)
def test_bad_input_is_refused_before_anything_is_dialled(check, api, args, why):
    server, _ = check.start()
    code, out = check(*args)
    assert code == 2 and why in out, out
    assert not [c for c in server.received if "originate" in c or "callcenter_config" in c]
