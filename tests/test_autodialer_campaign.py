"""Whole autodialer campaigns on the simulator's mod_callcenter (docs/autodialer.md, "The engine"): the API
creates the agents and the campaign, the engine pushes the agents into mod_callcenter, which loads the
campaign's queue from autocall's own ``POST /freeswitch/config`` (mod_xml_curl), and dials for the free agents;
the agents are softphones the simulator rings. Real Redis, the simulator over a real socket, an ESL listener
of our own to see what FreeSWITCH did."""

from __future__ import annotations

import pytest

from dialer.domain.models import Template
from dialer.esl.protocol import parse_event_body
from simswitch import Scenario
from simswitch.callcenter import CallCenterSettings
from simswitch.xml_curl import XmlCurlBinding
from tests.engine_fixtures import make_engine, wait_until, write_wav
from tests.eslclient import RawClient

SECRET = "cc-secret"
START = "/v1/campaign/{}/run/start"
AGENTS = ("1001", "1002", "1003", "1004", "1005")


def calls(*, agents: dict | None = None, **lead) -> Scenario:
    """Leads (098...) answer after 0.5 s and stay on the line (the agent hangs up); agents answer after 1 s."""
    return Scenario.model_validate(
        {
            "rules": [{"match": "^098", "ring": 0.5, "answer": {"talk": 600, **lead}}],
            "agents": agents or {"default": {"ring": 1, "talk": [2, 6], "hangup": "agent"}},
            "playback_seconds": 2,
        }
    )


@pytest.fixture
def setup(store, services, api, simswitch):
    """The API (serving mod_xml_curl), and a factory: the simulator with mod_callcenter, the engine, and a
    listener on the simulator (what FreeSWITCH did)."""
    services.cdr_secret = SECRET  # /freeswitch/config takes FreeSWITCH's Basic credentials
    template = Template(template_name="xin-loi", audio_file="xin-loi.wav")
    store.catalog.templates.put(template)
    write_wav(services.audio_dir / "xin-loi.wav")
    started = []

    def start(scenario: Scenario):
        url = f"http://127.0.0.1:{api.port}/freeswitch/config"
        binding = XmlCurlBinding(url, cred=f"freeswitch:{SECRET}", post_vars=("CC-Queue",))
        server = simswitch(scenario, callcenter=CallCenterSettings([binding]))
        listener = RawClient(*server.address)
        listener.login("ClueCon")
        listener.command("event plain CHANNEL_HANGUP_COMPLETE PLAYBACK_START CUSTOM callcenter::info")
        engine = make_engine(store, server, services.audio_dir, autodialer_max_wait_s=services.autodialer_max_wait)
        started.append(engine)
        return engine, listener

    start.template = template  # type: ignore[attr-defined]
    yield start
    for engine in started:
        engine.stop(drain_timeout=5)


def agent(api, extension: str) -> str:
    res = api("POST", "/v3/agent", json={"extension": extension, "groups": ["sales"], "wrap_up_time": 0})
    assert res.status_code == 200, res.json
    uuid = res.json["agent_uuid"]
    assert api("POST", f"/v3/agent/{uuid}/login", json={}).status_code == 200
    return uuid


def campaign(api, template: Template, leads: int) -> tuple[str, list[str]]:
    body = {
        "campaign_name": "goi-ra",
        "type": "autodialer",
        "template_uuid": template.template_uuid,
        "groups": ["sales"],
        "concurrent_call": 50,
    }
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 200, res.json
    uuid = res.json["campaign_uuid"]
    lead_uuids = [import_lead(api, uuid, f"098{n:07d}") for n in range(leads)]
    assert api("POST", START.format(uuid), json={}).status_code == 200
    return uuid, lead_uuids


def import_lead(api, campaign_uuid: str, number: str) -> str:
    res = api("POST", "/v3/autocall/import", json={"campaign_uuid": campaign_uuid, "phone_number": number, "param": {}})
    return res.json["lead_uuid"]


def ringing_peak(engine) -> list[int]:
    """The most calls the engine had placed and not yet answered at once, kept up to date as it dials."""
    peak = [0]
    add = engine.tracker.add

    def counted(att) -> None:
        add(att)
        ringing = sum(1 for calls in engine.tracker.by_campaign.values() for a in calls.values() if not a.answered_ms)
        peak[0] = max(peak[0], ringing)

    engine.tracker.add = counted
    return peak


def events(listener: RawClient) -> list:
    return [parse_event_body(m) for m in listener.messages if m.is_event]


def test_a_progressive_campaign_with_five_agents_connects_every_answered_lead_or_plays_it_the_abandon_message(
    store, services, api, setup
):
    engine, listener = setup(calls())
    for ext in AGENTS:
        agent(api, ext)
    peak = ringing_peak(engine)
    uuid, leads = campaign(api, setup.template, 30)
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in leads), timeout=60)
    seen = events(listener)
    hangups = [e for e in seen if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("variable_autocall_campaign") == uuid]
    answered = [e for e in hangups if e.get("variable_cc_queue")]
    talked = [e for e in answered if e.get("variable_cc_cause") == "answered"]
    abandon = str((services.audio_dir / "xin-loi.wav").resolve())
    played = {e.get("Unique-ID") for e in seen if e.get("Playback-File-Path") == abandon}
    abandoned = [e for e in answered if e.get("variable_cc_cause") != "answered"]
    assert len(answered) == 30 and all(e.get("variable_cc_agent", "").endswith("@autocall") for e in talked)
    assert {e.get("Unique-ID") for e in abandoned} <= played
    assert not {e.get("Unique-ID") for e in talked} & played
    print(
        f"\n30 leads, 5 agents: {len(talked)} talked to an agent, {len(abandoned)} abandoned; at most {peak[0]} ringing"
    )
    assert talked and peak[0] <= 5  # never more calls ringing than agents
    offered = [e for e in seen if e.get("CC-Action") == "agent-offering"]
    assert {e.get("CC-Agent") for e in offered} == {f"{x}@autocall" for x in AGENTS}


def test_agents_logged_out_or_on_break_are_offered_no_more_calls(store, api, setup):
    engine, listener = setup(calls())
    uuids = {ext: agent(api, ext) for ext in AGENTS}
    uuid, first = campaign(api, setup.template, 10)
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in first), timeout=60)
    assert api("POST", f"/v3/agent/{uuids['1003']}/logout", json={}).status_code == 200
    assert api("POST", f"/v3/agent/{uuids['1004']}/logout", json={}).status_code == 200
    assert api("PUT", f"/v3/agent/{uuids['1005']}/status", json={"status": "On Break"}).status_code == 200
    away = {"1003@autocall": "Logged Out", "1004@autocall": "Logged Out", "1005@autocall": "On Break"}
    state = engine.autodialer.state.agents
    wait_until(lambda: all(state[name].status == status for name, status in away.items()))  # mod_callcenter said so
    later = [import_lead(api, uuid, f"0981{n:06d}") for n in range(20)]
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in later), timeout=60)
    seen = events(listener)
    changed = [
        i
        for i, e in enumerate(seen)
        if e.get("CC-Action") == "agent-status-change" and away.get(e.get("CC-Agent")) == e.get("CC-Agent-Status")
    ]
    assert len(changed) == 3  # each pushed once
    after = [e.get("CC-Agent") for e in seen[max(changed) + 1 :] if e.get("CC-Action") == "agent-offering"]
    assert len(after) >= 20 and set(after) == {"1001@autocall", "1002@autocall"}


def test_an_agent_who_lets_calls_ring_out_is_put_on_break_by_mod_callcenter_and_left_there(store, services, api, setup):
    never_answers = {"default": {"ring": 1, "talk": [2, 6], "hangup": "agent"}, "phones": {"1002": {"answer": 0.0}}}
    engine, listener = setup(calls(agents=never_answers))
    agent(api, "1001")
    agent(api, "1002")
    uuid, leads = campaign(api, setup.template, 20)
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in leads), timeout=60)
    wait_until(lambda: engine.autodialer.state.agents["1002@autocall"].status == "On Break")
    sync = engine.autodialer.sync
    passes = sync.passes
    sync.kick()
    wait_until(lambda: sync.passes > passes)  # a sync after the break: it must not log the agent back in
    seen = events(listener)
    statuses = [
        e.get("CC-Agent-Status")
        for e in seen
        if e.get("CC-Action") == "agent-status-change" and e.get("CC-Agent") == "1002@autocall"
    ]
    assert statuses == ["Available", "On Break"]  # autocall's login, then max_no_answer's break
    hangups = [e for e in seen if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("variable_autocall_campaign") == uuid]
    answered = [e for e in hangups if e.get("variable_cc_queue")]
    abandon = str((services.audio_dir / "xin-loi.wav").resolve())
    played = {e.get("Unique-ID") for e in seen if e.get("Playback-File-Path") == abandon}
    talked = [e for e in answered if e.get("variable_cc_cause") == "answered"]
    abandoned = {e.get("Unique-ID") for e in answered if e.get("variable_cc_cause") != "answered"}
    assert talked and abandoned <= played and len(answered) == 20
    assert all(e.get("variable_cc_agent") == "1001@autocall" for e in talked)
    print(f"\n20 leads, 1 agent answering and 1 not: {len(talked)} talked, {len(abandoned)} abandoned")


def test_a_machine_whose_beep_is_heard_before_an_agent_answers_is_hung_up_as_a_voicemail_never_bridged(
    store, api, setup
):
    slow_agent = {"default": {"ring": 3, "talk": [2, 6], "hangup": "agent"}}  # the beep comes 1 s after the answer
    _, listener = setup(calls(agents=slow_agent, beep=True))
    agent(api, "1001")
    _, leads = campaign(api, setup.template, 1)
    wait_until(lambda: store.leads.get(leads[0])["state"] == "done", timeout=60)
    assert store.leads.get(leads[0])["last_status"] == "voicemail"
    assert not [e for e in events(listener) if e.get("CC-Action") == "bridge-agent-start"]
