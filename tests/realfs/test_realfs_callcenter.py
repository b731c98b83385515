"""Autodialer campaigns on a real FreeSWITCH: the shipped freeswitch-conf runs mod_callcenter (issue 19).

One FreeSWITCH with freeswitch-conf installed (mod_callcenter, mod_xml_curl, dialplan/autodialer.xml),
whose mod_xml_curl asks a stand-in for autocall's ``/freeswitch/config`` (config_server.py) for the
campaign's queue; two agents, users 1001 and 1002 registered with SIPp (sipagents.py), pushed into
mod_callcenter over ESL as autocall will push them. Leads are originated as the autodialer engine will
originate them, to the harness's far end (``0979…`` answers after 1 s). What each test sees is in
tests/captures/batch5 (README: the facts).
"""

from __future__ import annotations

import base64
import math
import struct
import uuid
import wave
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.realfs.config_server import ConfigServer
from tests.realfs.fsharness import EslClient, RealFreeSwitch
from tests.realfs.sipagents import SipAgent, sipp_binary

SECRET = "realfs-cc-secret"
MAX_WAIT = 4
QUEUE_PARAMS = {
    "strategy": "longest-idle-agent",
    "moh-sound": "tone_stream://%(1000,4000,425);loops=-1",
    "time-base-score": "queue",
    "max-wait-time": str(MAX_WAIT),
    "max-wait-time-with-no-agent": "0",
    "discard-abandoned-after": "60",
}
# Agent B sorts first (longest-idle-agent: tier level, last bridge end, then position) and never answers.
A, B = "1001@autocall", "1002@autocall"
EVENTS = "BACKGROUND_JOB CHANNEL_HANGUP_COMPLETE PLAYBACK_START PLAYBACK_STOP CUSTOM callcenter::info"


def write_tone(path: Path, seconds: float = 1.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 4))) for i in range(int(8000 * seconds))))
    return path


@pytest.fixture(scope="module")
def cc(realfs_prefix, tmp_path_factory):
    if sipp_binary() is None:
        pytest.skip("sipp not found (Debian: apt-get install sip-tester): no SIP phones for the agents")
    workdir = tmp_path_factory.mktemp("realfs-cc")
    server = ConfigServer(SECRET).start()
    queue = str(uuid.uuid4())
    server.queues[queue] = dict(QUEUE_PARAMS)
    fs = RealFreeSwitch(
        realfs_prefix,
        workdir=workdir / "fs",
        heartbeat=20,
        config_url=server.url,
        extra_env={"AUTOCALL_FS_CDR_URL": server.cdr_url, "AUTOCALL_FS_CDR_SECRET": SECRET},
    )
    agents: dict[str, SipAgent] = {}
    try:
        fs.start()
        password = fs.api("global_getvar default_password").strip()
        for name in (A, B):
            user = name.split("@")[0]
            agents[name] = SipAgent(fs.host, fs.sip_ports["internal"], user, password, workdir / "sipp")
            agents[name].register()
            # as autocall pushes an agent: a callback agent whose contact rings at most 3 s, and who is
            # skipped for a while after not answering (else longest-idle-agent offers the same lead to
            # the same agent again: batch5 README, fact 13)
            assert fs.api(f"callcenter_config agent add {name} callback") == "+OK\n"
            assert fs.api(f"callcenter_config agent set contact {name} [leg_timeout=3]user/{user}") == "+OK\n"
            assert fs.api(f"callcenter_config agent set no_answer_delay_time {name} 30") == "+OK\n"
        assert fs.api(f"callcenter_config tier add {queue} {B} 1 1") == "+OK\n"
        assert fs.api(f"callcenter_config tier add {queue} {A} 1 2") == "+OK\n"
        yield SimpleNamespace(
            fs=fs, server=server, queue=queue, agents=agents, abandon=str(write_tone(workdir / "abandon.wav"))
        )
    finally:
        for agent in agents.values():
            agent.close()
        try:
            fs.stop()
        finally:
            fs.cleanup()
            server.stop()


def set_status(cc, **statuses: str) -> None:
    for name, status in statuses.items():
        assert cc.fs.api(f"callcenter_config agent set status {name} '{status}'") == "+OK\n"
        assert cc.fs.api(f"callcenter_config agent set state {name} Waiting") == "+OK\n"
        assert cc.fs.api(f"callcenter_config agent set ready_time {name} 0") == "+OK\n"


def lead(cc, esl: EslClient, queue: str, number: str = "0979000001") -> str:
    """Originate a lead the way the autodialer engine does; its uuid once answered."""
    leg = str(uuid.uuid4())
    variables = (
        f"originate_timeout=20,ignore_early_media=true,autocall_campaign=realfs-cc,autocall_lead=l-{leg[:8]},"
        f"autocall_call=c-{leg[:8]},autocall_queue={queue},autocall_abandon_file={cc.abandon},autocall_avmd=false"
    )
    job = esl.bgapi(
        f"originate {{{variables}}}[origination_uuid={leg},origination_caller_id_number=0900000000]"
        f"sofia/gateway/autocall-viettel/{number} autodialer XML autodialer"
    )
    assert esl.wait_job(job, 30) == f"+OK {leg}\n"
    return leg


def cc_event(esl: EslClient, action: str, timeout: float = 20, **headers: str) -> dict[str, str]:
    return esl.wait_event(
        lambda e: (
            e.get("Event-Subclass") == "callcenter::info"
            and e.get("CC-Action") == action
            and all(e.get(k.replace("_", "-")) == v for k, v in headers.items())
        ),
        timeout,
    )


def hangup_complete(esl: EslClient, leg: str, timeout: float = 30) -> dict[str, str]:
    return esl.wait_event(
        lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg, timeout
    )


def message_played(esl: EslClient, leg: str) -> dict[str, str]:
    """The PLAYBACK_STOP of what the lead heard after the queue (the queue's moh is a tone_stream)."""
    return esl.wait_event(
        lambda e: (
            e.get("Event-Name") == "PLAYBACK_STOP"
            and e.get("Unique-ID") == leg
            and not e.get("Playback-File-Path", "").startswith("tone_stream://")
        ),
        15,
    )


def test_the_queue_comes_from_autocall_through_mod_xml_curl(cc):
    before = len(cc.server.queue_lookups(cc.queue))
    assert cc.fs.api(f"callcenter_config queue reload {cc.queue}") == "+OK\n"
    lookups = cc.server.queue_lookups(cc.queue)
    assert len(lookups) == before + 1
    post = lookups[-1]
    assert post["method"] == "POST" and post["path"] == "/freeswitch/config"
    assert post["fields"] == [
        ("hostname", post["fields"][0][1]),
        ("section", "configuration"),
        ("tag_name", "configuration"),
        ("key_name", "name"),
        ("key_value", "callcenter.conf"),
        ("CC-Queue", cc.queue),
    ]
    assert ("Authorization", "Basic " + base64.b64encode(f"freeswitch:{SECRET}".encode()).decode()) in post["headers"]
    row = next(line for line in cc.fs.api("callcenter_config queue list").splitlines() if line.startswith(cc.queue))
    assert row.split("|")[1:3] == ["longest-idle-agent", QUEUE_PARAMS["moh-sound"]]
    assert str(MAX_WAIT) in row.split("|")


def test_two_agents_registered_with_sipp_are_logged_in_to_the_queue(cc):
    set_status(cc, **{A: "Available", B: "Available"})
    registrations = cc.fs.api("show registrations")
    for name, agent in cc.agents.items():
        assert f"sofia/internal/sip:{agent.user}@127.0.0.1:{agent.contact_port}" in registrations, name
    rows = cc.fs.api(f"callcenter_config queue list agents {cc.queue} Available").splitlines()
    assert sorted(row.split("|")[0] for row in rows[1:-1]) == sorted([A, B])
    assert all(row.split("|")[6] == "Waiting" for row in rows[1:-1])


def test_a_lead_is_bridged_to_a_free_agent_and_hung_up_when_the_agent_hangs_up(cc):
    cc.agents[A].phone("answer_bye")
    set_status(cc, **{A: "Available", B: "On Break"})
    with cc.fs.connect(EVENTS) as esl:
        leg = lead(cc, esl, cc.queue)
        start = cc_event(esl, "bridge-agent-start", CC_Agent=A)
        assert start["CC-Member-Session-UUID"] == leg
        end = hangup_complete(esl, leg)
    assert end["Hangup-Cause"] == "NORMAL_CLEARING"
    assert end["variable_sip_hangup_disposition"] == "send_bye"  # our dialplan hung the lead up
    assert end["variable_cc_cause"] == "answered"
    assert end["variable_cc_agent"] == A
    assert end["variable_cc_queue"] == cc.queue
    assert end["variable_cc_agent_uuid"] == start["CC-Agent-UUID"]


def test_a_lead_no_agent_takes_in_max_wait_time_is_abandoned_and_hears_the_abandon_file(cc):
    set_status(cc, **{A: "On Break", B: "On Break"})
    with cc.fs.connect(EVENTS) as esl:
        leg = lead(cc, esl, cc.queue)
        queue_end = cc_event(esl, "member-queue-end", CC_Member_Session_UUID=leg)
        played = message_played(esl, leg)
        end = hangup_complete(esl, leg)
    assert (queue_end["CC-Cause"], queue_end["CC-Cancel-Reason"]) == ("Cancel", "TIMEOUT")
    assert played["Playback-File-Path"] == cc.abandon
    assert played["Playback-Status"] == "done"
    assert (end["variable_cc_cause"], end["variable_cc_cancel_reason"]) == ("cancel", "TIMEOUT")
    assert end["Hangup-Cause"] == "NORMAL_CLEARING"
    # mod_callcenter counts max-wait-time in whole epoch seconds (batch5 README, fact 5)
    waited = int(end["variable_cc_queue_canceled_epoch"]) - int(end["variable_cc_queue_joined_epoch"])
    assert MAX_WAIT - 1 <= waited <= MAX_WAIT


def test_a_lead_an_agent_does_not_answer_is_offered_to_the_other_agent(cc):
    cc.agents[B].phone("noanswer")
    cc.agents[A].phone("answer_bye")
    set_status(cc, **{A: "Available", B: "Available"})
    with cc.fs.connect(EVENTS) as esl:
        leg = lead(cc, esl, cc.queue)
        cc_event(esl, "agent-offering", CC_Agent=B, CC_Member_Session_UUID=leg)
        failed = cc_event(esl, "bridge-agent-fail", CC_Agent=B, CC_Member_Session_UUID=leg)
        cc_event(esl, "agent-offering", CC_Agent=A, CC_Member_Session_UUID=leg)
        cc_event(esl, "bridge-agent-start", CC_Agent=A, CC_Member_Session_UUID=leg)
        end = hangup_complete(esl, leg)
    assert failed["CC-Hangup-Cause"] == "NO_ANSWER"
    assert (end["variable_cc_cause"], end["variable_cc_agent"]) == ("answered", A)


def test_a_queue_autocall_does_not_serve_sends_the_lead_to_the_abandon_file(cc):
    unknown = str(uuid.uuid4())
    with cc.fs.connect(EVENTS) as esl:
        leg = lead(cc, esl, unknown)
        played = message_played(esl, leg)
        end = hangup_complete(esl, leg)
    assert [dict(r["fields"])["key_value"] for r in cc.server.queue_lookups(unknown)] == ["callcenter.conf"]
    assert played["Playback-File-Path"] == cc.abandon
    assert end["Hangup-Cause"] == "NORMAL_CLEARING"
    assert "variable_cc_cause" not in end
