"""Autodialer campaigns on a real FreeSWITCH: ``autocall serve`` pushes two SIPp-registered agents into
mod_callcenter, serves the campaign's queue to mod_xml_curl from its own ``/freeswitch/config`` and dials
for the free agents (issue 19, docs/autodialer.md "The engine").

Everything goes through autocall's HTTP API as an operator's integration would: the agents are created
and logged in over ``/v3/agent``, the campaign is an ``autodialer`` one (progressive, ``ratio`` 100) to
the harness's far end (README, "The far end's numbers"). What FreeSWITCH did is heard on its own Event
Socket (fswatch.py), what autocall recorded read from ``GET /v3/autocall/cdr`` and ``/v3/agent``.
"""

from __future__ import annotations

import pytest

from tests.realfs.autocall_serve import wait_for
from tests.realfs.autodialer_rig import MAX_WAIT, LiveStates, Rig, in_order, make_rig
from tests.realfs.campaigns import Results, start_campaign
from tests.realfs.esl_client import EslClient
from tests.realfs.fsconfig import free_port
from tests.realfs.fswatch import FsWatch
from tests.realfs.simfarend import SimSwitch
from tests.realfs.sipagents import sipp_binary

AGENTS = ("1001", "1002")
EVENTS = "CHANNEL_HANGUP_COMPLETE PLAYBACK_STOP CUSTOM callcenter::info"
#: The leads: some answer (the far end hangs up 3 s after answering, or the agent 3 s after its own
#: answer while the far end would talk 30 s), some do not.
LEADS = {
    "0980000001": "answers after 1 s, hangs up 3 s later",
    "0980000002": "answers after 1 s, hangs up 3 s later",
    "0980000003": "answers after 1 s, hangs up 3 s later",
    "0980000004": "answers after 1 s, hangs up 3 s later",
    "0979000001": "answers after 1 s, talks until the agent hangs up",
    "0979000002": "answers after 1 s, talks until the agent hangs up",
    "0981000001": "486 Busy Here",
    "0982000001": "404 Not Found",
    "0983000001": "rings until call_timeout",
}
ANSWERING = {n for n in LEADS if n.startswith(("0980", "0979"))}
CAMPAIGN = {"type": "autodialer", "groups": ["realfs"], "ratio": 100, "concurrent_call": 10, "call_timeout": 4}


@pytest.fixture
def rig(realfs_prefix, realfs_factory, autocall_factory, tmp_path):
    if sipp_binary() is None:
        pytest.skip("sipp not found (Debian: apt-get install sip-tester): no SIP phones for the agents")
    made = make_rig(realfs_factory, autocall_factory, tmp_path, {ext: "answer_bye" for ext in AGENTS})
    yield made
    made.close()


def lead_hangups(watch: FsWatch, campaign_uuid: str) -> dict[str, dict[str, str]]:
    """The leads' legs (autocall's originates; mod_callcenter's agent legs carry no autocall variable)."""
    found = watch.where(
        lambda e: (
            e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE"
            and e.get("Call-Direction") == "outbound"
            and e.get("variable_autocall_campaign") == campaign_uuid
        )
    )
    return {e["Unique-ID"]: e for e in found}


def cc_events(watch: FsWatch, action: str) -> list[dict[str, str]]:
    return watch.where(lambda e: e.get("Event-Subclass") == "callcenter::info" and e.get("CC-Action") == action)


def holding_peak(watch: FsWatch, hangups: dict[str, dict[str, str]], since_us: int = 0) -> int:
    """The most leads that held an agent at once, on FreeSWITCH's clock: from the originate (the leg's
    start) until it left the queue (``member-queue-end``: bridge over, or abandoned) or, never queued,
    hung up. A lead hearing the abandon message after the queue holds no agent."""
    left = {e["CC-Member-Session-UUID"]: int(e["Event-Date-Timestamp"]) for e in cc_events(watch, "member-queue-end")}
    spans = []
    for leg, hangup in hangups.items():
        end = left.get(leg, int(hangup["Event-Date-Timestamp"]))
        if end > since_us:
            spans.append((int(hangup["variable_start_uepoch"]), end))
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])  # an end before a start at a tie
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def epoch(hangup: dict[str, str], name: str) -> int:
    return int(hangup.get(f"variable_{name}") or 0)


def test_a_progressive_campaign_connects_every_answered_lead_to_one_of_its_two_agents(rig, store):
    for ext in AGENTS:
        rig.agent(ext)
    with FsWatch(rig.fs, EVENTS) as watch, LiveStates(rig) as live:
        campaign = start_campaign(rig.autocall, list(LEADS), message_seconds=2.0, **CAMPAIGN)
        queue = rig.autocall.api("GET", f"/v3/campaign/{campaign.uuid}")["call_center_queue_uuid"]
        # autocall pushed the agents and their tiers into mod_callcenter
        names = {f"{ext}@autocall" for ext in AGENTS}
        wait_for(lambda: {(queue, n) for n in names} <= rig.callcenter_tiers(), 20, f"tiers of {names} in {queue}")
        listed = rig.callcenter_agents()
        for ext in AGENTS:
            row = listed[f"{ext}@autocall"]
            assert (row["type"], row["contact"]) == ("callback", f"[leg_timeout={MAX_WAIT}]user/{ext}")
            assert (row["status"], row["wrap_up_time"], row["no_answer_delay_time"]) == ("Available", "1", "30")
        results = Results(store, campaign)
        results.wait_settled(timeout=120)
        wait_for(lambda: all(rig.live(ext)["state"] == "Waiting" for ext in AGENTS), 10, "agents Waiting again")
        cdrs = {cdr["call_id"]: cdr for cdr in results.cdrs(rig.autocall)}
    hangups = lead_hangups(watch, campaign.uuid)
    number_of = {leg: h["variable_autocall_lead"] for leg, h in hangups.items()}
    by_lead = {lead: number for number, lead in campaign.leads.items()}
    abandon = {h["variable_autocall_abandon_file"] for h in hangups.values()}
    assert abandon == {str((rig.autocall.audio_dir / f"{campaign.spec['campaign_name']}.wav").resolve())}
    played = {e["Unique-ID"] for e in watch.where(lambda e: e.get("Playback-File-Path") in abandon)}

    talked, abandoned = {}, set()
    for leg, hangup in hangups.items():
        number = by_lead[number_of[leg]]
        cdr = cdrs[leg]
        if hangup.get("variable_cc_side") != "member":  # never answered: never in the queue
            assert number not in ANSWERING, (number, hangup.get("Hangup-Cause"))
            assert (cdr["agent"], cdr["queuesec"], cdr["agentsec"], cdr["abandoned"]) == ("", 0, 0, False)
            continue
        assert number in ANSWERING
        joined, answered = epoch(hangup, "cc_queue_joined_epoch"), epoch(hangup, "cc_queue_answered_epoch")
        if hangup.get("variable_cc_cause") == "answered":
            agent = hangup["variable_cc_agent"]
            assert agent in {f"{ext}@autocall" for ext in AGENTS} and leg not in played
            talked[leg] = agent.split("@")[0]
            end = int(hangup["variable_end_uepoch"]) // 1_000_000
            assert (cdr["agent"], cdr["queuesec"], cdr["agentsec"], cdr["abandoned"]) == (
                talked[leg],
                answered - joined,
                end - answered,
                False,
            ), number
            assert cdr["recall_status"] == "answered"
        else:  # abandoned: the message was played to the end
            abandoned.add(leg)
            assert leg in played and cdr["abandoned"] is True and cdr["recall_status"] == "abandoned", number
            assert cdr["agent"] == "" and cdr["agentsec"] == 0
    assert {by_lead[number_of[leg]] for leg in [*talked, *abandoned]} == ANSWERING  # each answered lead once
    peak = holding_peak(watch, hangups)
    bridged = {ext: sum(1 for a in talked.values() if a == ext) for ext in AGENTS}
    print(
        f"\n{len(LEADS)} leads, 2 agents: {len(talked)} talked to an agent {bridged}, {len(abandoned)} abandoned; "
        f"at most {peak} leads holding an agent; live states {live.changes}"
    )
    assert peak <= len(AGENTS)  # never more calls in progress than (free) agents
    for ext in AGENTS:
        assert in_order(live.changes[ext], ["Waiting", "In a queue call", "Waiting"]), (ext, live.changes[ext])
        assert rig.live(ext)["calls_answered"] == bridged[ext]


def test_an_agent_logged_out_through_the_api_is_offered_no_more_leads(rig, store):
    for ext in AGENTS:
        rig.agent(ext)
    first = [f"098000000{n}" for n in range(1, 5)]
    later = [f"098000001{n}" for n in range(0, 5)]
    with FsWatch(rig.fs, EVENTS) as watch:
        campaign = start_campaign(rig.autocall, first, message_seconds=2.0, **CAMPAIGN)
        results = Results(store, campaign)
        results.wait_settled(timeout=90)
        rig.autocall.api("POST", f"/v3/agent/{rig.agents['1002']}/logout", {})
        wait_for(lambda: rig.callcenter_agents()["1002@autocall"]["status"] == "Logged Out", 20, "1002 logged out")
        out = watch.wait(
            lambda e: (
                e.get("CC-Action") == "agent-status-change"
                and e.get("CC-Agent") == "1002@autocall"
                and e.get("CC-Agent-Status") == "Logged Out"
            ),
            10,
            "1002's agent-status-change to Logged Out",
        )
        for number in later:
            rig.autocall.api(
                "POST", "/v3/autocall/import", {"campaign_uuid": campaign.uuid, "phone_number": number, "param": {}}
            )
        wait_for(lambda: len(results.cdrs(rig.autocall)) == len(first) + len(later), 90, "every lead called")
        results.wait_settled(timeout=30)
    since = int(out["Event-Date-Timestamp"])
    offers = [e for e in cc_events(watch, "agent-offering")]
    before = {e["CC-Agent"] for e in offers if int(e["Event-Date-Timestamp"]) < since}
    after = [e["CC-Agent"] for e in offers if int(e["Event-Date-Timestamp"]) > since]
    peak = holding_peak(watch, lead_hangups(watch, campaign.uuid), since_us=since)
    print(f"\nbefore the logout offered to {sorted(before)}; after it {after}; at most {peak} leads holding an agent")
    assert before == {"1001@autocall", "1002@autocall"}
    assert len(after) >= len(later) and set(after) == {"1001@autocall"}
    assert peak <= 1
    assert rig.live("1002")["callcenter_status"] == "Logged Out"


def test_an_answered_lead_no_agent_takes_hears_the_abandon_message_and_is_recorded_abandoned(rig, store):
    rig.phones["1001"].phone("noanswer")  # rings until mod_callcenter gives up on it (leg_timeout)
    rig.agent("1001")
    with FsWatch(rig.fs, EVENTS) as watch:
        campaign = start_campaign(rig.autocall, ["0979000001"], message_seconds=2.0, **CAMPAIGN)
        results = Results(store, campaign)
        results.wait_settled(timeout=60)
        (cdr,) = results.cdrs(rig.autocall)
    (hangup,) = lead_hangups(watch, campaign.uuid).values()
    leg = hangup["Unique-ID"]
    (failed,) = [e for e in cc_events(watch, "bridge-agent-fail") if e["CC-Member-Session-UUID"] == leg]
    (left,) = [e for e in cc_events(watch, "member-queue-end") if e["CC-Member-Session-UUID"] == leg]
    (played,) = watch.where(
        lambda e: (
            e.get("Event-Name") == "PLAYBACK_STOP"
            and e.get("Unique-ID") == leg
            and e.get("Playback-File-Path") == hangup["variable_autocall_abandon_file"]
        )
    )
    waited = epoch(hangup, "cc_queue_canceled_epoch") - epoch(hangup, "cc_queue_joined_epoch")
    print(
        f"\nagent 1001 rang out ({failed['CC-Hangup-Cause']}); the lead left the queue after {waited} s "
        f"({left['CC-Cancel-Reason']}); CDR {[cdr[k] for k in ('recall_status', 'queuesec', 'abandoned')]}"
    )
    assert failed["CC-Hangup-Cause"] == "NO_ANSWER"
    assert (left["CC-Cause"], left["CC-Cancel-Reason"]) == ("Cancel", "TIMEOUT")
    assert played["Playback-Status"] == "done"
    assert (cdr["recall_status"], cdr["status"], cdr["abandoned"]) == ("abandoned", "answered", True)
    assert (cdr["agent"], cdr["queuesec"], cdr["agentsec"]) == ("", waited, 0)
    assert rig.live("1001")["no_answer_count"] >= 1


class _SimEsl:
    """What FsWatch needs of a switch (``connect``), for ``autocall simswitch``."""

    def __init__(self, sim: SimSwitch) -> None:
        self.sim = sim

    def connect(self, events: str | None = None, timeout: float = 10.0) -> EslClient:
        esl = EslClient("127.0.0.1", self.sim.port, self.sim.password, timeout=timeout)
        if events:
            esl.subscribe(events)
        return esl


def run_and_read(rig: Rig, watch_on, store) -> tuple[dict[str, dict], dict[str, list[str]]]:
    """The LEADS campaign to its end: per number, what FreeSWITCH did with the lead and what autocall
    recorded (times aside); per agent, the live states the API showed."""
    with FsWatch(watch_on, EVENTS) as watch, LiveStates(rig) as live:
        campaign = start_campaign(rig.autocall, list(LEADS), message_seconds=2.0, **CAMPAIGN)
        results = Results(store, campaign)
        results.wait_settled(timeout=120)
        wait_for(lambda: all(rig.live(ext)["state"] == "Waiting" for ext in AGENTS), 10, "agents Waiting again")
        cdrs = {cdr["call_id"]: cdr for cdr in results.cdrs(rig.autocall)}
    rig.autocall.api("POST", f"/v1/campaign/{campaign.uuid}/run/stop", {})
    by_lead = {lead: number for number, lead in campaign.leads.items()}
    leads = {}
    for leg, hangup in lead_hangups(watch, campaign.uuid).items():
        actions = watch.where(lambda e, leg=leg: e.get("CC-Member-Session-UUID") == leg)
        cdr = cdrs[leg]
        leads[by_lead[hangup["variable_autocall_lead"]]] = {
            "callcenter": [e["CC-Action"] for e in actions if e.get("CC-Action") != "members-count"],
            "hangup": [hangup.get(k) for k in ("Hangup-Cause", "variable_sip_hangup_disposition", "variable_cc_cause")],
            "cc_variables": sorted(k for k in hangup if k.startswith("variable_cc_")),
            "cdr": [cdr[k] for k in ("hangup_cause", "recall_status", "status", "abandoned", "attempt")],
            "agent": bool(cdr["agent"]),
            "seconds": [cdr[k] for k in ("billsec", "queuesec", "agentsec")],
        }
    at = {
        action: {e["CC-Member-Session-UUID"]: int(e["Event-Date-Timestamp"]) for e in cc_events(watch, action)}
        for action in ("member-queue-start", "agent-offering")
    }
    joined, offered = at["member-queue-start"], at["agent-offering"]
    delays = sorted(round((offered[leg] - joined[leg]) / 1000) for leg in offered if leg in joined)
    print(f"\nms from member-queue-start to agent-offering: {delays}")
    return leads, live.changes


def test_the_campaign_ends_lead_by_lead_as_on_the_simulator(rig, autocall_factory, store, tmp_path):
    """The same campaign on ``autocall simswitch`` (its mod_callcenter, softphones like the SIPp phones:
    answer after 1 s, hang up 3 s later; the far end's scenario, simfarend.py): each lead goes through
    the same mod_callcenter events, ends with the same cause and ``cc_*`` variables, and autocall records
    the same outcome; the agents' live states follow the same steps. Times (whole seconds of FreeSWITCH's
    clock, fact 5) may differ by one."""
    for ext in AGENTS:
        rig.agent(ext)
    real, real_live = run_and_read(rig, rig.fs, store)
    rig.autocall.stop()  # a second engine on the same Redis would dial the next campaign too
    listen, secret = f"127.0.0.1:{free_port()}", "realfs-sim-secret"
    agents = {"default": {"ring": 1, "talk": 3, "hangup": "agent"}}
    sim = SimSwitch(tmp_path / "sim", agents=agents, config_url=f"http://{listen}/freeswitch/config", cdr_secret=secret)
    sim.start()
    try:
        env = {"AUTOCALL_LISTEN": listen, "AUTOCALL_CDR_SECRET": secret, "AUTOCALL_AUTODIALER_MAX_WAIT": str(MAX_WAIT)}
        on_sim = Rig(rig.fs, autocall_factory(sim.esl_url + "?name=fs1", env=env), {}, dict(rig.agents))
        simulated, sim_live = run_and_read(on_sim, _SimEsl(sim), store)
    finally:
        sim.stop()
    assert set(real) == set(simulated) == set(LEADS)
    for number, behaviour in LEADS.items():
        ours, theirs = dict(real[number]), dict(simulated[number])
        print(f"{number} ({behaviour}): real {ours} | simulator {theirs}")
        seconds = zip(ours.pop("seconds"), theirs.pop("seconds"), strict=True)
        assert ours == theirs, f"{number} ({behaviour})"
        assert all(abs(a - b) <= 1 for a, b in seconds), f"{number} ({behaviour})"
    assert real_live == sim_live
