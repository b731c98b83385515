"""Autodialer shifts on the simulator (issue 19's Done-when): a predictive campaign of 2,000 leads
under the abandon cap, agents who hang up or go unreachable mid-campaign, agents logging in and out
and taking breaks while it runs. The API creates everything, the engine paces and dials, the
simulator's mod_callcenter loads the queue from autocall's ``POST /freeswitch/config`` and rings the
agents' softphones. Real Redis, the simulator over a real socket; the engine's autodialer parts on the
simulator's clock (tests/autodialer_fixtures.py says why). tests/test_autodialer_campaign.py has the
progressive campaign that connects every lead, and logged-out, on-break and never-answering agents."""

from __future__ import annotations

import time
from typing import Any

import pytest

from dialer.pacing import pacer
from simswitch import Scenario
from tests.autodialer_fixtures import Shift, Shifts
from tests.engine_fixtures import wait_until

TEN = [f"10{n:02d}" for n in range(1, 11)]
GONE = "1003@autocall"
SCALE = 0.003  # a 3 h shift (simulated) in 30 s; faster, a loaded machine's stalls become minutes of it
RATIO = 300


@pytest.fixture
def shift(store, redis_client, services, api, simswitch, monkeypatch):
    """``shift(scenario, time_scale=...)``: a :class:`Shift` (tests/autodialer_fixtures.py)."""
    monkeypatch.setattr(pacer, "IDLE_POLL", 0.02)  # Shifts says why
    shifts = Shifts(store, redis_client, services, api, simswitch)
    yield shifts.start
    shifts.stop()


def realistic() -> Scenario:
    """30 % of leads answer and stay on the line (the agent ends the call); the rest are busy, ring out
    or are unavailable. Agents answer after 1-3 s, talk 30-120 s and hang up."""
    return Scenario.model_validate(
        {
            "default": {
                "mix": {"answer": 0.3, "sip486": 0.25, "no_answer": 0.25, "sip480": 0.2},
                "talk": 3600,
                "ring": [2, 15],
            },
            "agents": {"default": {"ring": [1, 3], "talk": [30, 120], "hangup": "agent"}},
            "playback_seconds": 3,
        }
    )


def answering(agents: dict[str, Any]) -> Scenario:
    """Every lead answers after 0.5 s and stays on the line; the agents as ``agents`` says."""
    return Scenario.model_validate(
        {
            "rules": [{"match": "^098", "ring": 0.5, "answer": {"talk": 3600}}],
            "agents": agents,
            "playback_seconds": 2,
        }
    )


def humans(cdrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The attempts a person answered: bridged to an agent, or abandoned (no machine in these scenarios)."""
    return [c for c in cdrs if c["agent"] or c["abandoned"]]


def neither_talked_nor_told(run: Shift, cdrs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answered attempts that neither talked to an agent nor heard the abandon message (none, when all
    is well): each answered attempt has either the CDR's agent and its talk time, or ``abandoned`` and a
    PLAYBACK_START of the campaign's message on its channel."""
    played = run.abandon_played()
    lost = []
    for c in cdrs:
        if c["status"] != "answered":
            continue
        talked = bool(c["agent"]) and c["agentsec"] > 0 and not c["abandoned"]
        told = c["abandoned"] and not c["agent"] and c["call_id"] in played
        if not (talked or told):
            lost.append(c)
    return lost


def test_a_predictive_campaign_of_2000_leads_stays_under_the_abandon_cap_and_finishes_every_lead(shift):
    began = time.monotonic()
    run = shift(realistic(), time_scale=SCALE)
    for ext in TEN:
        run.agent(ext, wrap_up_time=10)
    modes = run.modes()
    opened = run.sim_now()
    uuid = run.campaign(2000, ratio=RATIO, concurrent_call=100)
    run.wait_ended(uuid, 2000, timeout=300)
    shift_s, wall = run.sim_now() - opened, time.monotonic() - began
    figures = run.report(uuid)["autodialer"]
    cdrs = run.cdrs(uuid)
    busy = (figures["total_agentsec"] + 10 * figures["connected"]) / (len(TEN) * shift_s)  # talk + wrap-up
    print(
        f"\n2,000 leads, 10 agents, ratio {RATIO}: {figures['humans']} answered, {figures['connected']} connected,"
        f" {figures['abandoned']} abandoned ({figures['abandon_rate']:.2%}); modes {sorted(set(modes))};"
        f" agents busy {busy:.0%} of a {shift_s / 3600:.1f} h shift; {wall:.1f} s wall"
    )
    assert len(cdrs) == 2000 and len({c["lead_uuid"] for c in cdrs}) == 2000
    assert run.pending(uuid) == 0
    assert "predictive" in modes
    assert figures["abandoned"] == sum(1 for c in cdrs if c["abandoned"])
    assert figures["abandon_rate"] <= 0.03


def test_in_a_predictive_campaign_every_answered_lead_reached_an_agent_or_heard_the_abandon_message(shift):
    run = shift(realistic(), time_scale=SCALE, listen="PLAYBACK_START")
    for ext in TEN:
        run.agent(ext, wrap_up_time=10)
    uuid = run.campaign(500, ratio=300, concurrent_call=100)
    run.wait_ended(uuid, 500, timeout=120)
    cdrs = run.cdrs(uuid)
    answered = humans(cdrs)
    print(f"\n500 leads: {len(answered)} answered, {sum(1 for c in answered if c['abandoned'])} abandoned")
    assert answered and neither_talked_nor_told(run, cdrs) == []


def test_a_lead_whose_agent_hangs_up_is_recorded_answered_with_the_agent_and_its_talk_time(shift):
    phones = {"1001": {"talk": [20, 40]}, "1002": {"talk": [2, 4]}}  # 1002 hangs up on its callers soon
    scenario = answering({"default": {"ring": 1, "hangup": "agent"}, "phones": phones})
    run = shift(scenario, listen="CHANNEL_HANGUP_COMPLETE CUSTOM callcenter::info")
    for ext in ("1001", "1002"):
        run.agent(ext)
    uuid = run.campaign(20)
    run.wait_ended(uuid, 20)
    seen = run.events()
    hung_up = {e.get("Unique-ID"): i for i, e in enumerate(seen) if e.name == "CHANNEL_HANGUP_COMPLETE"}
    leads = {e.get("Unique-ID"): e for e in seen if e.name == "CHANNEL_HANGUP_COMPLETE"}
    bridges = {e.get("CC-Member-Session-UUID"): e for e in seen if e.get("CC-Action") == "bridge-agent-end"}
    cdrs = run.cdrs(uuid)
    talks = {ext: sorted(c["agentsec"] for c in cdrs if c["agent"] == ext) for ext in ("1001", "1002")}
    print(f"\n20 leads: agent talk times {talks}")
    assert len(cdrs) == 20 and talks["1001"] and talks["1002"]
    assert all(c["status"] == "answered" and not c["abandoned"] and c["agentsec"] > 0 for c in cdrs)
    for c in cdrs:
        bridge, lead = bridges[c["call_id"]], leads[c["call_id"]]
        assert hung_up[bridge.get("CC-Agent-UUID")] < hung_up[c["call_id"]]  # the agent hung up first
        assert lead.get("Hangup-Cause") == c["hangup_cause"] == "NORMAL_CLEARING"  # then the dialplan
        assert f"{c['agent']}@autocall" == bridge.get("CC-Agent") == lead.get("variable_cc_agent")
        talked = int(lead.get("variable_end_epoch")) - int(lead.get("variable_cc_queue_answered_epoch"))
        assert c["agentsec"] == talked  # bridged to the end of the lead's call, FreeSWITCH's epochs


def gone_phone() -> Scenario:
    """Three agents; 1003's softphone takes two calls, then unregisters (USER_NOT_REGISTERED)."""
    return answering(
        {"default": {"ring": 1, "talk": [2, 6], "hangup": "agent"}, "phones": {"1003": {"unregister_after": 2}}}
    )


def test_an_agent_whose_phone_unregisters_mid_campaign_is_no_longer_counted_free(shift):
    run = shift(gone_phone(), time_scale=0.02)  # a stall of 1.2 s would be a minute with no offer to it
    counted = run.count_free(GONE)
    for ext in ("1001", "1002", "1003"):
        run.agent(ext)
    uuid = run.campaign(30)
    run.wait_ended(uuid, 30)
    assert counted.gone_at, "its phone never failed"
    print(
        f"\n30 leads, 1003 gone after 2 calls: counted free {counted.free_after} times"
        f" of {counted.decisions_after} decisions after it went"
    )
    assert counted.free_after == 0
    assert counted.decisions_after > 0  # the engine kept pacing without it


def test_the_leads_offered_to_an_unreachable_agent_reach_the_others_or_hear_the_abandon_message(shift):
    run = shift(gone_phone(), listen="PLAYBACK_START CUSTOM callcenter::info")
    for ext in ("1001", "1002", "1003"):
        run.agent(ext)
    uuid = run.campaign(40)
    run.wait_ended(uuid, 40)
    seen = run.events()
    fails = [e for e in seen if e.get("CC-Action") == "bridge-agent-fail" and e.get("CC-Agent") == GONE]
    probed = {e.get("CC-Member-Session-UUID") for e in fails}
    cdrs = run.cdrs(uuid)
    of_probed = [c for c in cdrs if c["call_id"] in probed]
    then = [c["agent"] or "abandoned" for c in of_probed]
    print(f"\n40 leads: {len(probed)} offered to 1003 after it went, then to {then}")
    assert fails and {e.get("CC-Hangup-Cause") for e in fails} == {"USER_NOT_REGISTERED"}
    assert len(of_probed) == len(probed)
    assert all(c["agent"] in ("1001", "1002") or c["abandoned"] for c in of_probed)
    assert neither_talked_nor_told(run, cdrs) == []
    assert sum(1 for c in cdrs if c["agent"] == "1003") == 2


def test_agent_status_follows_login_logout_and_break_in_the_api_while_a_campaign_runs(shift):
    run = shift(answering({"default": {"ring": 1, "talk": [2, 6], "hangup": "agent"}}))
    uuids = {ext: run.agent(ext) for ext in ("1001", "1002", "1003")}
    uuid = run.campaign(400)
    run.wait_ended(uuid, 5)
    steps = [
        ("1002", "POST", "logout", None, "Logged Out"),
        ("1003", "PUT", "status", {"status": "On Break"}, "On Break"),
        ("1002", "POST", "login", None, "Available"),
        ("1003", "PUT", "status", {"status": "Available"}, "Available"),
    ]
    seen = []
    for ext, method, action, body, status in steps:
        assert run.api(method, f"/v3/agent/{uuids[ext]}/{action}", json=body or {}).status_code == 200
        wait_until(lambda ext=ext, status=status: run.live_status(uuids[ext]) == (status, status))
        seen.append((ext, status, run.live()["agent_totals"]))
        assert run.pending(uuid), "the campaign ended before this step: it would say nothing"
    run.stop(uuid)
    print("\n" + "\n".join(map(str, seen)))
    assert [s[2]["logged_in"] for s in seen] == [2, 2, 3, 3]
    assert [s[2]["on_break"] for s in seen] == [0, 1, 1, 0]
    assert [s[2]["available"] for s in seen] == [2, 1, 2, 3]
