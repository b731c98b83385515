"""mod_callcenter's members and agents: leads originated into the autodialer dialplan wait in the
campaign's queue, are offered to agents' softphones, bridged, or abandoned with the message played.

Times are the simulator's (Event-Date-Timestamp, the cc_* epochs), never the wall clock."""

from __future__ import annotations

import pytest

from tests.callcenter_fixtures import (
    ABANDON,
    QUEUE,
    QUEUE_PARAMS,
    ConfigServer,
    actions,
    add_agent,
    api,
    cc,
    connect,
    hangup_of,
    lead,
    scenario,
    wait_cc,
    wait_nth,
)


@pytest.fixture
def config():
    """The campaign's queue; its max-wait-time long enough that no lead waits it out unless a test
    says so (simulated time runs 100x: a busy machine's few wall milliseconds are seconds)."""
    server = ConfigServer({QUEUE: {**QUEUE_PARAMS, "max-wait-time": "60"}})
    yield server
    server.stop()


@pytest.fixture
def switch(simswitch, config):
    """``switch(agents=..., **lead)``: a simulated FreeSWITCH whose mod_xml_curl asks ``config``."""
    return lambda agents=None, **lead: simswitch(scenario(agents, **lead), callcenter=config.settings())


def at(event) -> float:
    return int(event.get("Event-Date-Timestamp")) / 1e6


def test_an_available_agent_is_offered_the_lead_and_bridged_to_it(switch):
    client = connect(switch())
    agent = add_agent(client, "1001")
    uuid = lead(client, 1)
    offering = wait_cc(client, "agent-offering")
    start = wait_cc(client, "bridge-agent-start")
    assert (offering.get("CC-Agent"), offering.get("CC-Member-Session-UUID")) == (agent, uuid)
    assert (start.get("CC-Agent"), start.get("Channel-Name")) == (agent, "sofia/internal/1001@127.0.0.1:5060")
    assert start.get("variable_cc_member_session_uuid") == uuid


def test_a_bridged_lead_hangs_up_with_freeswitchs_cc_variables_in_their_order(switch):
    client = connect(switch())
    add_agent(client, "1001")
    hc = hangup_of(client, lead(client, 1))
    assert [k[9:] for k, _ in hc.items if k.startswith("variable_cc_")] == [  # batch5 cc-bridge-agent-hangs-up
        "cc_side",
        "cc_member_uuid",
        "cc_queue_joined_epoch",
        "cc_queue",
        "cc_agent_uuid",
        "cc_cause",
        "cc_agent_bridged",
        "cc_agent",
        "cc_queue_answered_epoch",
    ]
    assert (hc.get("variable_cc_cause"), hc.get("variable_cc_agent")) == ("answered", "1001@autocall")
    end = wait_cc(client, "bridge-agent-end")  # once the lead is gone: no cc_queue_terminated_epoch on it
    talked = int(end.get("CC-Bridge-Terminated-Time")) - int(hc.get("variable_cc_queue_answered_epoch"))
    assert talked >= 3 and hc.get("Hangup-Cause") == "NORMAL_CLEARING"  # the softphone talks 4 s


def test_agent_states_go_receiving_in_a_queue_call_then_waiting(switch):
    client = connect(switch())
    add_agent(client, "1001")
    lead(client, 1)
    wait_cc(client, "member-queue-end", CC_Cause="Terminated")
    wait_cc(client, "agent-state-change", CC_Agent_State="Waiting")
    states = [e.get("CC-Agent-State") for e in cc(client) if e.get("CC-Action") == "agent-state-change"]
    assert states == ["Receiving", "In a queue call", "Waiting"]


def test_after_its_wrap_up_time_the_agent_takes_the_next_lead(switch):
    client = connect(switch())
    add_agent(client, "1001", wrap_up_time=5)
    lead(client, 1)
    end = wait_cc(client, "bridge-agent-end")
    lead(client, 2)
    second = wait_cc(client, "agent-offering", CC_Member_Session_UUID="00000000-0000-4000-8000-000000000002")
    wrap_over = int(end.get("CC-Bridge-Terminated-Time")) + 5
    assert at(second) >= wrap_over + 1  # last_bridge_end < now - wrap_up_time, in whole seconds


def test_an_available_on_demand_agent_is_idle_after_its_call(switch):
    client = connect(switch())
    add_agent(client, "1001", status="Available (On Demand)")
    lead(client, 1)
    wait_cc(client, "agent-state-change", CC_Agent_State="Idle")
    assert api(client, "agent get state 1001@autocall") == "Idle"


def test_with_no_agent_the_lead_is_abandoned_after_max_wait_and_hears_the_message(switch, config):
    config.queues[QUEUE] = QUEUE_PARAMS  # max-wait-time 8
    client = connect(switch())
    uuid = lead(client, 1)
    start = wait_cc(client, "member-queue-start")
    end = wait_cc(client, "member-queue-end")
    played = client.wait_event("PLAYBACK_START", Playback_File_Path=ABANDON)
    hc = hangup_of(client, uuid)
    assert (end.get("CC-Cause"), end.get("CC-Cancel-Reason")) == ("Cancel", "TIMEOUT")
    waited = int(end.get("CC-Member-Leaving-Time")) - int(end.get("CC-Member-Joined-Time"))
    assert waited >= 8 and at(end) > at(start)  # max-wait-time 8 <= now - joined, in whole seconds
    assert played.get("Unique-ID") == uuid
    assert (hc.get("variable_cc_cause"), hc.get("variable_cc_cancel_reason")) == ("cancel", "TIMEOUT")


def test_the_lead_hears_the_queues_music_while_it_waits(switch):
    client = connect(switch())
    lead(client, 1)
    moh = client.wait_event("PLAYBACK_START")
    stop = client.wait_event("PLAYBACK_STOP")
    assert moh.get("Playback-File-Path") == QUEUE_PARAMS["moh-sound"] and moh.get("Application") is None
    assert stop.get("Playback-File-Path") == QUEUE_PARAMS["moh-sound"]
    assert moh.get("variable_current_application") == "callcenter"


def test_a_lead_that_hangs_up_while_waiting_leaves_the_queue_break_out(switch):
    client = connect(switch(talk=3))
    uuid = lead(client, 1)
    end = wait_cc(client, "member-queue-end")
    hc = hangup_of(client, uuid)
    assert end.get("CC-Cancel-Reason") == "BREAK_OUT" and hc.get("variable_cc_cancel_reason") == "BREAK_OUT"
    assert not [e for e in client.events() if e.get("Playback-File-Path") == ABANDON]
    seq = [f"{e.name} {e.get('CC-Action') or e.get('Application') or ''}" for e in client.events()]
    seq = seq[seq.index("CHANNEL_HANGUP ") :]
    assert seq[:5] == [  # batch5 cc-abandon-lead-hangs-up
        "CHANNEL_HANGUP ",
        "PLAYBACK_STOP ",
        "CUSTOM member-queue-end",
        "CUSTOM members-count",
        "CHANNEL_EXECUTE_COMPLETE callcenter",
    ]


def test_a_lead_for_a_queue_nobody_serves_hears_the_message_at_once(switch, config):
    client = connect(switch())
    uuid = lead(client, 1, queue="no-such-queue")
    hc = hangup_of(client, uuid)
    assert hc.get("variable_cc_cause") is None and not cc(client)
    assert [e.get("Application") for e in client.events() if e.name == "CHANNEL_EXECUTE"] == [
        "sched_hangup",
        "answer",
        "callcenter",
        "execute_extension",
        "playback",
        "hangup",
    ]
    assert [dict(f).get("CC-Queue") for f in config.forms] == ["no-such-queue"]


def test_an_agent_that_does_not_answer_is_skipped_for_the_next(switch):
    client = connect(switch({"default": {"ring": 1, "talk": 4}, "phones": {"1001": {"answer": 0}}}))
    add_agent(client, "1001", contact="[leg_timeout=3]user/1001", no_answer_delay_time=30)
    add_agent(client, "1002")
    lead(client, 1)
    fail = wait_cc(client, "bridge-agent-fail")
    start = wait_cc(client, "bridge-agent-start")
    assert (fail.get("CC-Agent"), fail.get("CC-Hangup-Cause")) == ("1001@autocall", "NO_ANSWER")
    assert start.get("CC-Agent") == "1002@autocall"
    row = api(client, "agent list 1001@autocall").split("\n")[1].split("|")
    aborted = int(fail.get("CC-Agent-Aborted-Time"))  # read just after ready_time was set
    assert row[16] == "1" and int(row[19]) in (aborted + 29, aborted + 30)  # no_answer_count, ready_time


def test_max_no_answer_puts_the_agent_on_break(switch):
    client = connect(switch({"default": {"answer": 0}}))
    add_agent(client, "1001", contact="[leg_timeout=2]user/1001", max_no_answer=1)
    lead(client, 1)
    limit = wait_cc(client, "agent-max-no-answer")
    status = wait_cc(client, "agent-status-change", CC_Agent_Status="On Break")
    assert (limit.get("CC-Agent-No-Answer-Count"), limit.get("CC-Agent-No-Answer-Status")) == ("1", "On Break")
    assert at(status) >= at(limit)
    assert api(client, "agent get status 1001@autocall") == "On Break"


def test_a_busy_agent_rests_its_busy_delay(switch):
    client = connect(switch({"default": {"answer": 0, "refuse": 486, "ring": 0.2}}))
    add_agent(client, "1001", busy_delay_time=7)
    lead(client, 1)
    fail = wait_cc(client, "bridge-agent-fail")
    assert fail.get("CC-Hangup-Cause") == "USER_BUSY"
    row = api(client, "agent list 1001@autocall").split("\n")[1].split("|")
    aborted = int(fail.get("CC-Agent-Aborted-Time"))  # read just after ready_time was set
    assert row[16] == "0" and int(row[19]) in (aborted + 6, aborted + 7)


def test_an_unregistered_agent_fails_without_a_channel_and_rests_5_seconds(switch):
    client = connect(switch({"phones": {"1003": {"registered": False}}}))
    add_agent(client, "1003")
    lead(client, 1)
    first = wait_cc(client, "bridge-agent-fail")
    second = wait_nth(client, 2, "agent-offering")
    assert first.get("CC-Hangup-Cause") == "USER_NOT_REGISTERED"
    assert at(second) >= int(first.get("CC-Agent-Aborted-Time")) + 5  # its ready_time: 5 s later
    assert not [e for e in client.events() if str(e.get("Channel-Name", "")).startswith("sofia/internal/1003")]
    apis = [(e.get("API-Command"), e.get("API-Command-Argument")) for e in client.events() if e.name == "API"]
    assert ("sofia_contact", "*/1003@127.0.0.1") in apis and ("verto_contact", "1003@127.0.0.1") in apis
    assert second.get("CC-Agent") == "1003@autocall"


def test_a_softphone_that_unregisters_after_its_first_calls_fails_user_not_registered_from_then_on(switch):
    client = connect(switch({"default": {"ring": 1, "talk": 2}, "phones": {"1001": {"unregister_after": 2}}}))
    add_agent(client, "1001")
    for n in (1, 2):
        lead(client, n)
        wait_nth(client, n, "member-queue-end")
    lead(client, 3)
    fail = wait_cc(client, "bridge-agent-fail")
    offers = [a for a in actions(client) if a in ("bridge-agent-start", "bridge-agent-fail")]
    # The third lead waits on in the queue and is offered again after each 5 s rest (simulated time runs
    # on while the test reads): every offer after the first two fails.
    assert offers[:2] == ["bridge-agent-start", "bridge-agent-start"]
    assert offers[2:] and set(offers[2:]) == {"bridge-agent-fail"}
    assert fail.get("CC-Hangup-Cause") == "USER_NOT_REGISTERED"
    phone = [e for e in client.events() if str(e.get("Channel-Name", "")).startswith("sofia/internal/1001")]
    assert len({e.get("Unique-ID") for e in phone}) == 2  # its two calls; the third finds no phone: no channel


def test_an_agent_that_hangs_up_lets_the_lead_go_on_with_its_dialplan(switch):
    client = connect(switch({"default": {"ring": 1, "talk": 3, "hangup": "agent"}}))
    add_agent(client, "1001")
    uuid = lead(client, 1)
    agent = wait_cc(client, "bridge-agent-start").get("CC-Agent-UUID")
    wait_cc(client, "agent-state-change", CC_Agent_State="Waiting")
    seq = [
        (e.name, e.get("CC-Action") or e.get("Application"), e.get("Unique-ID") if e.name != "CUSTOM" else None)
        for e in client.events()
        if e.name in ("CHANNEL_HANGUP_COMPLETE", "CHANNEL_UNBRIDGE", "CHANNEL_EXECUTE", "CUSTOM")
    ]
    seq = seq[seq.index(("CHANNEL_HANGUP_COMPLETE", None, agent)) :]
    assert seq == [  # batch5 cc-bridge-agent-hangs-up (avmd aside)
        ("CHANNEL_HANGUP_COMPLETE", None, agent),
        ("CHANNEL_UNBRIDGE", None, uuid),
        ("CHANNEL_EXECUTE", "execute_extension", uuid),
        ("CHANNEL_EXECUTE", "hangup", uuid),
        ("CHANNEL_HANGUP_COMPLETE", None, uuid),
        ("CUSTOM", "bridge-agent-end", None),
        ("CUSTOM", "member-queue-end", None),
        ("CUSTOM", "agent-state-change", None),
    ]


def test_the_lead_is_bridged_to_the_agent_in_a_uuid_bridge(switch):
    client = connect(switch())
    add_agent(client, "1001")
    uuid = lead(client, 1)
    bridge = client.wait_event("CHANNEL_BRIDGE")
    agent = wait_cc(client, "bridge-agent-start").get("CC-Agent-UUID")
    executed = [e for e in client.events() if e.get("Application") == "uuid_bridge"]
    assert (bridge.get("Bridge-A-Unique-ID"), bridge.get("Bridge-B-Unique-ID")) == (uuid, agent)
    assert [(e.get("Unique-ID"), e.get("Application-Data"), e.get("Application-UUID")) for e in executed] == [
        (uuid, agent, None)
    ]
    assert bridge.get("Channel-State") == "CS_SOFT_EXECUTE"


def test_a_lead_that_hangs_up_during_the_call_hangs_the_agent_up(switch):
    client = connect(switch({"default": {"ring": 1, "talk": 3, "hangup": "lead"}}))
    add_agent(client, "1001")
    uuid = lead(client, 1)
    start = wait_cc(client, "bridge-agent-start")
    lead_hc = hangup_of(client, uuid)
    agent_hc = hangup_of(client, start.get("CC-Agent-UUID"))
    end = wait_cc(client, "bridge-agent-end")
    assert at(agent_hc) >= at(lead_hc) and lead_hc.get("variable_cc_cause") == "answered"
    assert end.get("CC-Agent-Bridged") == "true"
    assert api(client, "agent get state 1001@autocall") == "Waiting"


def test_logging_out_an_agent_being_rung_cancels_its_call(switch):
    client = connect(switch({"default": {"ring": 30}}))
    add_agent(client, "1001")
    lead(client, 1)
    wait_cc(client, "agent-offering")
    client.wait_event("CHANNEL_PROGRESS")  # the softphone rings
    assert api(client, "agent set status 1001@autocall 'Logged Out'") == "+OK\n"
    fail = wait_cc(client, "bridge-agent-fail")
    assert fail.get("CC-Hangup-Cause") == "ORIGINATOR_CANCEL"
    assert api(client, "agent get status 1001@autocall") == "Logged Out"


def test_agents_on_break_or_logged_out_are_not_offered_leads(switch):
    client = connect(switch())
    add_agent(client, "1001", status="On Break")
    add_agent(client, "1002", status="Logged Out")
    lead(client, 1)
    wait_cc(client, "member-queue-end")
    assert "agent-offering" not in [e.get("CC-Action") for e in cc(client)]


def test_events_can_be_taken_as_json(switch):
    server = switch()
    client = connect(server, "CUSTOM callcenter::info")
    client.command("event json CUSTOM callcenter::info")
    add_agent(client, "1001")
    lead(client, 1)
    start = wait_cc(client, "bridge-agent-start")
    assert start.get("CC-Queue") == QUEUE and start.get("Event-Subclass") == "callcenter::info"


def test_a_lead_that_hangs_up_while_an_agent_rings_cancels_the_agents_call_after_leaving(switch):
    client = connect(switch({"default": {"ring": 30}}, talk=3))
    add_agent(client, "1001")
    lead(client, 1)
    fail = wait_cc(client, "bridge-agent-fail")
    assert fail.get("CC-Hangup-Cause") == "ORIGINATOR_CANCEL"
    order = [e.get("CC-Action") for e in cc(client)]
    assert order.index("member-queue-end") < order.index("bridge-agent-fail")  # batch5 cc-agent-ringing-past-max-wait


def test_music_from_a_local_stream_the_switch_lacks_plays_nothing(simswitch):
    config = ConfigServer({QUEUE: {**QUEUE_PARAMS, "moh-sound": "local_stream://moh", "max-wait-time": "3"}})
    client = connect(simswitch(scenario(), callcenter=config.settings()))
    uuid = lead(client, 1)
    wait_cc(client, "member-queue-end", CC_Cancel_Reason="TIMEOUT")
    hangup_of(client, uuid)
    played = [e.get("Playback-File-Path") for e in client.events() if e.name == "PLAYBACK_START"]
    assert played == [ABANDON]  # batch5 cc-moh-local-stream
    config.stop()
