"""mod_callcenter's ``callcenter::info`` events and the lead's ``cc_*`` hangup variables
(dialer/esl/callcenter_events.py).

The header dicts are what dialer/esl/connection.py hands the engine for ``event json``: every value
a string. Their CC-* headers are those mod_callcenter.c (FreeSWITCH 1.10.12) adds for each action
(the function is named in each fixture), and tests/captures/batch5 where it shows them.
"""

from __future__ import annotations

import pytest

from dialer.esl.callcenter_events import (
    NOT_BRIDGED,
    AgentOffering,
    AgentStateChange,
    AgentStatusChange,
    BridgeAgentEnd,
    BridgeAgentFail,
    BridgeAgentStart,
    MemberQueueEnd,
    MemberQueueStart,
    MembersCount,
    QueueOutcome,
    parse_event,
    queue_outcome,
)
from dialer.esl.json_cdr import read

QUEUE = "0b6f8a52-1d8e-4c1e-9d53-5f0e8f1a2b3c"
LEAD = "5d2c7a10-8f0e-4b8e-a6a1-2f3b4c5d6e7f"  # the lead's channel: autocall's origination_uuid
MEMBER = "c7e1f0aa-0000-4000-8000-000000000001"  # mod_callcenter's own membership id
AGENT_LEG = "a9b8c7d6-0000-4000-8000-000000000002"
CUSTOM = {"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info"}
# switch_channel_event_set_data(member_channel, event) on a CUSTOM event: the lead's variables too
LEAD_DATA = {"Unique-ID": LEAD, "variable_autocall_engine": "e1", "variable_autocall_call": LEAD}


def event(**headers: str) -> dict[str, str]:
    return {**CUSTOM, **{k.replace("_", "-"): v for k, v in headers.items()}}


# cc_agent_update("status", ...)
STATUS = event(CC_Agent="1001@autocall", CC_Action="agent-status-change", CC_Agent_Status="On Break")
# cc_agent_update("state", ...)
STATE = event(CC_Agent="1001@autocall", CC_Action="agent-state-change", CC_Agent_State="In a queue call")
# callcenter_function, abandoned_epoch == 0
QUEUE_START = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-start",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
        CC_Member_CID_Name="autocall",
        CC_Member_CID_Number="0900000000",
    ),
    **LEAD_DATA,
}
# outbound_agent_thread_run, before it calls the agent
OFFERING = event(
    CC_Queue=QUEUE,
    CC_Action="agent-offering",
    CC_Agent="1001@autocall",
    CC_Agent_Type="Callback",
    CC_Agent_System="single_box",
    CC_Member_UUID=MEMBER,
    CC_Member_Session_UUID=LEAD,
    CC_Member_CID_Name="autocall",
    CC_Member_CID_Number="0900000000",
    CC_Member_DNIS="",
)
# outbound_agent_thread_run, the agent answered (with the AGENT channel's data)
BRIDGE_START = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="bridge-agent-start",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Called_Time="1700000010",
        CC_Agent_Answered_Time="1700000013",
        CC_Member_Joined_Time="1700000009",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
    ),
    "Unique-ID": AGENT_LEG,
}
BRIDGE_END = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="bridge-agent-end",
        CC_Hangup_Cause="NONE",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Bridged="true",
        CC_Agent_Called_Time="1700000010",
        CC_Agent_Answered_Time="1700000013",
        CC_Member_Joined_Time="1700000009",
        CC_Bridge_Terminated_Time="1700000073",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
    ),
    "Unique-ID": AGENT_LEG,
}
# outbound_agent_thread_run, the agent's originate failed
BRIDGE_FAIL = event(
    CC_Queue=QUEUE,
    CC_Action="bridge-agent-fail",
    CC_Hangup_Cause="NO_ANSWER",
    CC_Agent="1001@autocall",
    CC_Agent_System="single_box",
    CC_Agent_Called_Time="1700000010",
    CC_Agent_Aborted_Time="1700000030",
    CC_Member_UUID=MEMBER,
    CC_Member_Session_UUID=LEAD,
    CC_Member_Joined_Time="1700000009",
)
# callcenter_function, canceled (h->member_cancel_reason)
QUEUE_END_CANCEL = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-end",
        CC_Member_Leaving_Time="1700000014",
        CC_Member_Joined_Time="1700000009",
        CC_Cause="Cancel",
        CC_Cancel_Reason="TIMEOUT",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
    ),
    **LEAD_DATA,
}
# outbound_agent_thread_run, "Caller off event" after the bridge
QUEUE_END_TERMINATED = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-end",
        CC_Hangup_Cause="NONE",
        CC_Cause="Terminated",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Called_Time="1700000010",
        CC_Agent_Answered_Time="1700000013",
        CC_Member_Leaving_Time="1700000073",
        CC_Member_Joined_Time="1700000009",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
    ),
    **LEAD_DATA,
}
# cc_queue_count
COUNT = event(CC_Queue=QUEUE, CC_Action="members-count", CC_Count="2", CC_Selection="Single-Queue")


def test_agent_status_change():
    assert parse_event(STATUS) == AgentStatusChange("1001@autocall", "On Break")


def test_agent_state_change():
    assert parse_event(STATE) == AgentStateChange("1001@autocall", "In a queue call")


def test_member_queue_start_names_the_leads_channel_and_call():
    assert parse_event(QUEUE_START) == MemberQueueStart(QUEUE, LEAD, MEMBER, call=LEAD)


def test_member_queue_resume_is_a_start_marked_resumed():
    assert parse_event({**QUEUE_START, "CC-Action": "member-queue-resume"}) == MemberQueueStart(
        QUEUE, LEAD, MEMBER, call=LEAD, resumed=True
    )


def test_agent_offering_names_the_agent_and_the_lead():
    assert parse_event(OFFERING) == AgentOffering(QUEUE, LEAD, MEMBER, "1001@autocall")


def test_bridge_agent_start_names_the_leads_channel_not_the_agents_unique_id():
    assert parse_event(BRIDGE_START) == BridgeAgentStart(
        QUEUE, LEAD, MEMBER, "1001@autocall", AGENT_LEG, 1700000010, 1700000013, 1700000009
    )


def test_bridge_agent_end_carries_when_the_bridge_ended():
    assert parse_event(BRIDGE_END) == BridgeAgentEnd(
        QUEUE, LEAD, MEMBER, "1001@autocall", AGENT_LEG, 1700000013, 1700000009, 1700000073, bridged=True
    )


def test_bridge_agent_fail_carries_the_agent_legs_hangup_cause():
    assert parse_event(BRIDGE_FAIL) == BridgeAgentFail(
        QUEUE, LEAD, MEMBER, "1001@autocall", "NO_ANSWER", 1700000010, 1700000030
    )


def test_member_queue_end_cancelled_carries_the_reason_and_epochs():
    assert parse_event(QUEUE_END_CANCEL) == MemberQueueEnd(
        QUEUE, LEAD, MEMBER, "Cancel", "TIMEOUT", "", 1700000009, 1700000014, call=LEAD
    )


def test_member_queue_end_terminated_names_the_agent():
    assert parse_event(QUEUE_END_TERMINATED) == MemberQueueEnd(
        QUEUE, LEAD, MEMBER, "Terminated", "", "1001@autocall", 1700000009, 1700000073, call=LEAD
    )


def test_members_count():
    assert parse_event(COUNT) == MembersCount(QUEUE, 2)


def test_an_action_not_known_here_is_none():
    # fired by cc_agent_add: nothing autocall acts on
    assert parse_event(event(CC_Agent="1001@autocall", CC_Agent_Type="Callback", CC_Action="agent-add")) is None


def test_another_event_is_none():
    assert parse_event({"Event-Name": "CUSTOM", "Event-Subclass": "avmd::beep"}) is None
    assert parse_event({"Event-Name": "CHANNEL_ANSWER", "Unique-ID": LEAD}) is None


@pytest.mark.parametrize(
    "broken",
    [
        {**OFFERING, "CC-Member-Session-UUID": ""},
        {k: v for k, v in BRIDGE_FAIL.items() if k != "CC-Queue"},
        {k: v for k, v in OFFERING.items() if k != "CC-Agent"},
        {k: v for k, v in STATUS.items() if k != "CC-Agent-Status"},
    ],
    ids=["no-session", "no-queue", "no-agent", "no-status"],
)
def test_a_known_action_missing_what_it_always_carries_is_none(broken):
    assert parse_event(broken) is None


def test_a_time_that_is_not_a_number_reads_as_zero():
    parsed = parse_event({**BRIDGE_FAIL, "CC-Agent-Called-Time": "soon"})
    assert isinstance(parsed, BridgeAgentFail) and parsed.agent_called == 0


# -- the lead's hangup: cc_* variables set "for xml_cdr needs" ----------------------------------------
# Talked to an agent: callcenter_function sets cc_queue, cc_queue_joined_epoch, cc_member_uuid,
# cc_cause=answered; the agent's thread cc_agent_bridged, cc_agent, cc_queue_answered_epoch and,
# once the agent's leg is down, cc_queue_terminated_epoch.
ANSWERED = {
    "Unique-ID": LEAD,
    "variable_cc_side": "member",
    "variable_cc_queue": QUEUE,
    "variable_cc_queue_joined_epoch": "1700000009",
    "variable_cc_agent_bridged": "true",
    "variable_cc_agent": "1001@autocall",
    "variable_cc_queue_answered_epoch": "1700000013",
    "variable_cc_queue_terminated_epoch": "1700000073",
    "variable_cc_cause": "answered",
    "variable_end_uepoch": "1700000073500000",
}
# Abandoned: cc_queue_canceled_epoch, cc_cause=cancel, cc_cancel_reason.
ABANDONED = {
    "Unique-ID": LEAD,
    "variable_cc_queue": QUEUE,
    "variable_cc_queue_joined_epoch": "1700000009",
    "variable_cc_queue_canceled_epoch": "1700000014",
    "variable_cc_cause": "cancel",
    "variable_cc_cancel_reason": "TIMEOUT",
    "variable_end_uepoch": "1700000020000000",
}


def test_a_lead_that_talked_to_an_agent():
    assert queue_outcome(ANSWERED) == QueueOutcome(QUEUE, "1001@autocall", 4, 60, False, "")


def test_without_the_terminated_epoch_the_talk_ends_with_the_hangup():
    # the agent's thread sets it after the lead's channel may already have been reported
    without = {k: v for k, v in ANSWERED.items() if k != "variable_cc_queue_terminated_epoch"}
    assert queue_outcome(without) == QueueOutcome(QUEUE, "1001@autocall", 4, 60, False, "")


def test_a_lead_that_no_agent_took_in_time_is_abandoned_with_the_reason():
    assert queue_outcome(ABANDONED) == QueueOutcome(QUEUE, "", 5, 0, True, "TIMEOUT")


def test_a_lead_that_hung_up_in_the_queue_is_abandoned_break_out():
    hung_up = {**ABANDONED, "variable_cc_cancel_reason": "BREAK_OUT"}
    assert queue_outcome(hung_up) == QueueOutcome(QUEUE, "", 5, 0, True, "BREAK_OUT")


def test_an_agent_found_but_never_bridged_is_abandoned_not_bridged():
    # the lead left as the agent answered: cc_cause=answered, cc_agent_bridged=false, no answered epoch
    gone = {
        "variable_cc_queue": QUEUE,
        "variable_cc_queue_joined_epoch": "1700000009",
        "variable_cc_agent_bridged": "false",
        "variable_cc_cause": "answered",
        "variable_end_uepoch": "1700000012000000",
    }
    assert queue_outcome(gone) == QueueOutcome(QUEUE, "", 3, 0, True, NOT_BRIDGED)


def test_a_lead_that_never_joined_a_queue_has_no_outcome():
    assert queue_outcome({"Unique-ID": LEAD, "variable_end_uepoch": "1700000020000000"}) is None


def test_the_queue_variables_are_kept_from_a_cdr_as_from_the_hangup_event():
    # mod_json_cdr's "variables" (URL-encoded values) read as the event's variable_* headers
    names = [k.removeprefix("variable_") for k in ANSWERED if k.startswith("variable_cc_")]
    doc = {"variables": {"uuid": LEAD, **{n: ANSWERED[f"variable_{n}"] for n in names}}}
    hangup = read(doc).hangup
    assert queue_outcome({**hangup, "variable_end_uepoch": "1700000073500000"}) == queue_outcome(ANSWERED)
