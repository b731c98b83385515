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

QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
LEAD = "de4485ca-0f15-460c-ad88-0bb5ce5238ee"  # the lead's channel: autocall's origination_uuid
MEMBER = "5b10a008-ec1b-4d59-9250-ea5b68696069"  # mod_callcenter's own membership id
AGENT_LEG = "a9b8c7d6-0000-4000-8000-000000000002"
CUSTOM = {"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info"}


def event(**headers: str) -> dict[str, str]:
    return {**CUSTOM, **{k.replace("_", "-"): v for k, v in headers.items()}}


# tests/captures/batch5/cc-abandon-lead-hangs-up.plain.esl (cc_agent_update "status" / "state")
STATUS = event(CC_Agent="1001@autocall", CC_Action="agent-status-change", CC_Agent_Status="On Break")
STATE = event(CC_Agent="1001@autocall", CC_Action="agent-state-change", CC_Agent_State="Waiting")
# tests/captures/batch5/cc-abandon-timeout.plain.esl: member-queue-start, members-count, member-queue-end;
# the member events carry the lead's channel data (switch_channel_event_set_data on a CUSTOM event)
LEAD_DATA = {"Unique-ID": LEAD, "variable_autocall_call": "caps5-call-de4485ca", "variable_cc_side": "member"}
QUEUE_START = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-start",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
        CC_Member_CID_Name="0979000005",
        CC_Member_CID_Number="0979000005",
    ),
    **LEAD_DATA,
}
COUNT = event(CC_Queue=QUEUE, CC_Action="members-count", CC_Count="1", CC_Selection="Single-Queue")
QUEUE_END_CANCEL = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-end",
        CC_Member_Leaving_Time="1796309866",
        CC_Member_Joined_Time="1796309858",
        CC_Cause="Cancel",
        CC_Cancel_Reason="TIMEOUT",
        CC_Member_UUID=MEMBER,
        CC_Member_Session_UUID=LEAD,
        CC_Member_CID_Name="0979000005",
        CC_Member_CID_Number="0979000005",
    ),
    **LEAD_DATA,
}
# tests/captures/batch5/cc-agent-noanswer-then-other.plain.esl (outbound_agent_thread_run)
OTHER_LEAD, OTHER_MEMBER = "916b4cdf-4181-489a-92d9-6c02e9d86224", "cc163003-f304-4bce-8266-9da3683d6143"
OFFERING = event(
    CC_Queue=QUEUE,
    CC_Action="agent-offering",
    CC_Agent="1002@autocall",
    CC_Agent_Type="callback",
    CC_Agent_System="single_box",
    CC_Member_UUID=OTHER_MEMBER,
    CC_Member_Session_UUID=OTHER_LEAD,
    CC_Member_CID_Name="0979000003",
    CC_Member_CID_Number="0979000003",
    CC_Member_DNIS="0979000003",
)
BRIDGE_FAIL = event(
    CC_Queue=QUEUE,
    CC_Action="bridge-agent-fail",
    CC_Hangup_Cause="NORMAL_TEMPORARY_FAILURE",
    CC_Agent="1002@autocall",
    CC_Agent_System="single_box",
    CC_Agent_Called_Time="1796309792",
    CC_Agent_Aborted_Time="1796309792",
    CC_Member_UUID=OTHER_MEMBER,
    CC_Member_Session_UUID=OTHER_LEAD,
    CC_Member_CID_Name="0979000003",
    CC_Member_CID_Number="0979000003",
    CC_Member_Joined_Time="1796309792",
)
MAX_NO_ANSWER = event(
    CC_Agent="1002@autocall",
    CC_Action="agent-max-no-answer",
    CC_Agent_No_Answer_Count="1",
    CC_Agent_No_Answer_Status="On Break",
    CC_Member_UUID=OTHER_MEMBER,
    CC_Member_Session_UUID=OTHER_LEAD,
)
# tests/captures/batch5/cc-bridge-agent-hangs-up.plain.esl: a lead bridged to 1001@autocall, who hangs up after 3 s.
# bridge-agent-* carry the AGENT leg's channel data (its Unique-ID); member-queue-end the lead's.
BRIDGED_LEAD, BRIDGED_MEMBER = "0aebb4a4-164d-477f-ad1e-264d8bcadde4", "ecf514a5-8485-4603-a34f-f5af4aee0856"
AGENT_LEG = "a5847743-f424-41ec-a57e-9bca1bce8927"
BRIDGE_START = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="bridge-agent-start",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Called_Time="1796310371",
        CC_Agent_Answered_Time="1796310372",
        CC_Member_Joined_Time="1796310371",
        CC_Member_UUID=BRIDGED_MEMBER,
        CC_Member_Session_UUID=BRIDGED_LEAD,
        CC_Member_CID_Name="0979000001",
        CC_Member_CID_Number="0979000001",
        CC_Member_DNIS="0979000001",
    ),
    "Unique-ID": AGENT_LEG,
    "variable_cc_side": "agent",
}
BRIDGE_END = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="bridge-agent-end",
        CC_Hangup_Cause="SUCCESS",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Bridged="true",
        CC_Agent_Called_Time="1796310371",
        CC_Agent_Answered_Time="1796310372",
        CC_Member_Joined_Time="1796310371",
        CC_Bridge_Terminated_Time="1796310375",
        CC_Member_UUID=BRIDGED_MEMBER,
        CC_Member_Session_UUID=BRIDGED_LEAD,
        CC_Member_CID_Name="0979000001",
        CC_Member_CID_Number="0979000001",
    ),
    "Unique-ID": AGENT_LEG,
    "Hangup-Cause": "NORMAL_CLEARING",
    "variable_cc_side": "agent",
}
QUEUE_END_TERMINATED = {
    **event(
        CC_Queue=QUEUE,
        CC_Action="member-queue-end",
        CC_Hangup_Cause="SUCCESS",
        CC_Cause="Terminated",
        CC_Agent="1001@autocall",
        CC_Agent_System="single_box",
        CC_Agent_UUID=AGENT_LEG,
        CC_Agent_Called_Time="1796310371",
        CC_Agent_Answered_Time="1796310372",
        CC_Member_Leaving_Time="1796310375",
        CC_Member_Joined_Time="1796310371",
        CC_Member_UUID=BRIDGED_MEMBER,
        CC_Member_Session_UUID=BRIDGED_LEAD,
        CC_Member_CID_Name="0979000001",
        CC_Member_CID_Number="0979000001",
    ),
    "Unique-ID": BRIDGED_LEAD,
    "Hangup-Cause": "NORMAL_CLEARING",
    "variable_autocall_call": "caps5-call-0aebb4a4",
    "variable_cc_side": "member",
}


def test_agent_status_change():
    assert parse_event(STATUS) == AgentStatusChange("1001@autocall", "On Break")


def test_agent_state_change():
    assert parse_event(STATE) == AgentStateChange("1001@autocall", "Waiting")


def test_member_queue_start_names_the_leads_channel_and_call():
    assert parse_event(QUEUE_START) == MemberQueueStart(QUEUE, LEAD, MEMBER, call="caps5-call-de4485ca")


def test_member_queue_resume_is_a_start_marked_resumed():
    assert parse_event({**QUEUE_START, "CC-Action": "member-queue-resume"}) == MemberQueueStart(
        QUEUE, LEAD, MEMBER, call="caps5-call-de4485ca", resumed=True
    )


def test_agent_offering_names_the_agent_and_the_lead():
    assert parse_event(OFFERING) == AgentOffering(QUEUE, OTHER_LEAD, OTHER_MEMBER, "1002@autocall")


def test_bridge_agent_start_names_the_leads_channel_not_the_agents_unique_id():
    assert parse_event(BRIDGE_START) == BridgeAgentStart(
        QUEUE, BRIDGED_LEAD, BRIDGED_MEMBER, "1001@autocall", AGENT_LEG, 1796310371, 1796310372, 1796310371
    )


def test_bridge_agent_end_carries_when_the_bridge_ended():
    assert parse_event(BRIDGE_END) == BridgeAgentEnd(
        QUEUE,
        BRIDGED_LEAD,
        BRIDGED_MEMBER,
        "1001@autocall",
        AGENT_LEG,
        1796310372,
        1796310371,
        1796310375,
        bridged=True,
    )


def test_bridge_agent_fail_carries_the_agent_legs_hangup_cause():
    assert parse_event(BRIDGE_FAIL) == BridgeAgentFail(
        QUEUE, OTHER_LEAD, OTHER_MEMBER, "1002@autocall", "NORMAL_TEMPORARY_FAILURE", 1796309792, 1796309792
    )


def test_member_queue_end_cancelled_carries_the_reason_and_epochs():
    assert parse_event(QUEUE_END_CANCEL) == MemberQueueEnd(
        QUEUE, LEAD, MEMBER, "Cancel", "TIMEOUT", "", 1796309858, 1796309866, call="caps5-call-de4485ca"
    )


def test_member_queue_end_terminated_names_the_agent():
    assert parse_event(QUEUE_END_TERMINATED) == MemberQueueEnd(
        QUEUE,
        BRIDGED_LEAD,
        BRIDGED_MEMBER,
        "Terminated",
        "",
        "1001@autocall",
        1796310371,
        1796310375,
        call="caps5-call-0aebb4a4",
    )


def test_members_count():
    assert parse_event(COUNT) == MembersCount(QUEUE, 1)


def test_an_action_not_known_here_is_none():
    # cc-config.plain.esl: fired by cc_agent_add, nothing autocall acts on
    assert parse_event(event(CC_Agent="1001@autocall", CC_Agent_Type="callback", CC_Action="agent-add")) is None
    assert parse_event(MAX_NO_ANSWER) is None  # the agent-status-change that follows says it


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
# Talked to an agent: the lead's CHANNEL_HANGUP_COMPLETE in cc-bridge-agent-hangs-up.plain.esl. callcenter_function
# set cc_queue, cc_queue_joined_epoch, cc_cause=answered; the agent's thread cc_agent_bridged, cc_agent,
# cc_queue_answered_epoch; cc_queue_terminated_epoch, set once the agent's leg is down, came after the
# lead's channel was reported (the hangup came before bridge-agent-end, in both bridge captures).
ANSWERED = {
    "Hangup-Cause": "NORMAL_CLEARING",
    "Unique-ID": BRIDGED_LEAD,
    "variable_autocall_call": "caps5-call-0aebb4a4",
    "variable_cc_side": "member",
    "variable_cc_member_uuid": BRIDGED_MEMBER,
    "variable_cc_queue_joined_epoch": "1796310371",
    "variable_cc_queue": QUEUE,
    "variable_cc_agent_uuid": AGENT_LEG,
    "variable_cc_cause": "answered",
    "variable_cc_agent_bridged": "true",
    "variable_cc_agent": "1001@autocall",
    "variable_cc_queue_answered_epoch": "1796310372",
    "variable_answer_uepoch": "1796310371758185",
    "variable_end_uepoch": "1796310375898191",
}
# Abandoned: cc_queue_canceled_epoch, cc_cause=cancel, cc_cancel_reason. The lead's CHANNEL_HANGUP_COMPLETE
# in tests/captures/batch5/cc-abandon-timeout.plain.esl (max-wait-time 8; then the abandon message played).
ABANDONED = {
    "Unique-ID": LEAD,
    "variable_autocall_call": "caps5-call-de4485ca",
    "variable_cc_side": "member",
    "variable_cc_member_uuid": MEMBER,
    "variable_cc_queue_joined_epoch": "1796309858",
    "variable_cc_queue": QUEUE,
    "variable_cc_queue_canceled_epoch": "1796309866",
    "variable_cc_cause": "cancel",
    "variable_cc_cancel_reason": "TIMEOUT",
    "variable_end_uepoch": "1796309868054512",
}
# ...and in tests/captures/batch5/cc-abandon-lead-hangs-up.plain.esl (the lead hung up after 3 s)
HUNG_UP = {
    "Unique-ID": "b93dfa19-7016-4d5a-8ae5-7a61034e6d63",
    "variable_cc_side": "member",
    "variable_cc_queue_joined_epoch": "1796309871",
    "variable_cc_queue": QUEUE,
    "variable_cc_queue_canceled_epoch": "1796309874",
    "variable_cc_cause": "cancel",
    "variable_cc_cancel_reason": "BREAK_OUT",
    "variable_end_uepoch": "1796309874374538",
}
# An agent's leg mod_callcenter called and that failed, in tests/captures/batch5/cc-bridge-member-hangs-up.plain.esl:
# the originate's variables (cc_queue, cc_queue_joined_epoch, cc_agent...) with cc_side=agent.
AGENT_LEG_HANGUP = {
    "Hangup-Cause": "NORMAL_TEMPORARY_FAILURE",
    "Unique-ID": "ac77078a-9024-4892-888c-d0edcc704915",
    "variable_cc_queue": QUEUE,
    "variable_cc_queue_joined_epoch": "1796309739",
    "variable_cc_member_uuid": "200a6945-de46-49a3-b21f-a0403ce49cf1",
    "variable_cc_member_session_uuid": "1224fe92-63c3-415a-8f3a-560575f6d946",
    "variable_cc_agent": "1001@autocall",
    "variable_cc_agent_type": "callback",
    "variable_cc_side": "agent",
    "variable_end_uepoch": "1796309745094500",
}


def test_a_lead_that_talked_to_an_agent():
    # waited 1 s, talked until its channel was reported (3 s: agent list's talk_time said 3 too)
    assert queue_outcome(ANSWERED) == QueueOutcome(QUEUE, "1001@autocall", 1, 3, False, "")


def test_the_bridges_end_is_taken_when_the_lead_has_it():
    # a CDR written later, or a lead that outlived its agent's leg, has cc_queue_terminated_epoch
    later = {**ANSWERED, "variable_cc_queue_terminated_epoch": "1796310374"}
    assert queue_outcome(later) == QueueOutcome(QUEUE, "1001@autocall", 1, 2, False, "")


def test_a_lead_that_no_agent_took_in_time_is_abandoned_with_the_reason():
    assert queue_outcome(ABANDONED) == QueueOutcome(QUEUE, "", 8, 0, True, "TIMEOUT")


def test_a_lead_that_hung_up_in_the_queue_is_abandoned_break_out():
    assert queue_outcome(HUNG_UP) == QueueOutcome(QUEUE, "", 3, 0, True, "BREAK_OUT")


def test_an_agents_leg_gives_no_outcome():
    assert queue_outcome(AGENT_LEG_HANGUP) is None


def test_an_agent_found_but_never_bridged_is_abandoned_not_bridged():
    # the lead left as the agent answered: cc_cause=answered, cc_agent_bridged=false, no answered epoch
    gone = {
        "variable_cc_side": "member",
        "variable_cc_queue": QUEUE,
        "variable_cc_queue_joined_epoch": "1700000009",
        "variable_cc_agent_bridged": "false",
        "variable_cc_cause": "answered",
        "variable_end_uepoch": "1700000012000000",
    }
    assert queue_outcome(gone) == QueueOutcome(QUEUE, "", 3, 0, True, NOT_BRIDGED)


def test_a_lead_held_past_the_max_wait_by_a_ringing_agent_is_measured_as_it_waited():
    # tests/captures/batch5/cc-agent-ringing-past-max-wait.plain.esl: max-wait-time 8, but the member thread waits
    # while an agent is being called (agent-originate-timeout); the lead hung up after 30 s
    ringing = {
        "Hangup-Cause": "NORMAL_CLEARING",
        "variable_cc_side": "member",
        "variable_cc_member_uuid": "70550eea-7e78-455f-a461-d44ed00989dd",
        "variable_cc_queue_joined_epoch": "1796310493",
        "variable_cc_queue": QUEUE,
        "variable_sip_hangup_disposition": "recv_bye",
        "variable_cc_queue_canceled_epoch": "1796310523",
        "variable_cc_cause": "cancel",
        "variable_cc_cancel_reason": "BREAK_OUT",
        "variable_end_uepoch": "1796310523698184",
        "variable_last_app": "callcenter",
    }
    assert queue_outcome(ringing) == QueueOutcome(QUEUE, "", 30, 0, True, "BREAK_OUT")


def test_a_lead_that_never_joined_a_queue_has_no_outcome():
    # tests/captures/batch5/cc-queue-unknown.plain.esl: callcenter found no such queue, the abandon message played
    unknown = {
        "Hangup-Cause": "NORMAL_CLEARING",
        "variable_end_uepoch": "1796310430158206",
        "variable_last_app": "hangup",
        "variable_sip_hangup_disposition": "send_bye",
    }
    assert queue_outcome(unknown) is None


def test_the_queue_variables_are_kept_from_a_cdr_as_from_the_hangup_event():
    # tests/captures/batch5/json_cdr/cc-bridge-agent-hangs-up.plain.lead.json: the same channel's CDR, its
    # "variables" URL-encoded (encode-values)
    variables = {
        "uuid": BRIDGED_LEAD,
        "cc_side": "member",
        "cc_member_uuid": BRIDGED_MEMBER,
        "cc_queue_joined_epoch": "1796310371",
        "cc_queue": QUEUE,
        "cc_agent_uuid": AGENT_LEG,
        "cc_cause": "answered",
        "cc_agent_bridged": "true",
        "cc_agent": "1001%40autocall",
        "cc_queue_answered_epoch": "1796310372",
        "end_uepoch": "1796310375898191",
    }
    assert queue_outcome(read({"variables": variables}).hangup) == queue_outcome(ANSWERED)
