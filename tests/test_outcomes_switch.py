"""Outcomes that are FreeSWITCH's doing, not the callee's (docs/outcomes.md, docs/engine.md):
an answered call into no dialplan, and calls cut by FreeSWITCH going away."""

from __future__ import annotations

import pytest

from dialer.domain.enums import RecallStatus, ReportKey, ScheduleRecall
from dialer.domain.models import Campaign
from dialer.outcomes import classify
from dialer.outcomes.recall import SWITCH_CUTS_MAX, after_attempt, after_switch_death

R = RecallStatus


@pytest.mark.parametrize("cause", ["NO_ROUTE_DESTINATION", "DESTINATION_OUT_OF_ORDER"])
def test_an_answered_call_whose_dialplan_played_nothing_is_failed_not_answered(cause):
    outcome = classify(cause=cause, answered=True, billsec=0, disposition="send_bye", message_played=False)
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == (R.FAILED, ReportKey.FAILED, cause)
    assert "nothing was played" in outcome.reason


def test_an_answered_call_that_played_its_message_is_answered_whatever_the_cause():
    outcome = classify(cause="NO_ROUTE_DESTINATION", answered=True, billsec=4, message_played=True)
    assert (outcome.recall_status, outcome.report_key) == (R.ANSWERED, ReportKey.ANSWERED)


def test_without_a_hangup_to_tell_an_answered_call_stays_answered():
    outcome = classify(cause="NO_ROUTE_DESTINATION", answered=True, message_played=None)
    assert outcome.recall_status is R.ANSWERED


def campaign(**fields) -> Campaign:
    base = {"campaign_name": "c", "recall_times": 0, "recall_status": [R.BUSY, R.NO_ANSWERED]}
    return Campaign(**{**base, **fields})


def cut(
    camp: Campaign,
    status: RecallStatus,
    *,
    answered: bool,
    attempts_before: int = 0,
    first: int = 0,
    cuts_before: int = 0,
):
    return after_switch_death(
        camp,
        attempts_before=attempts_before,
        first_attempt_ms=first,
        status=status,
        answered=answered,
        start_ms=1_000,
        end_ms=61_000,
        call_uuid="c1",
        cuts_before=cuts_before,
    )


def test_a_call_cut_while_ringing_is_recalled_without_using_up_an_attempt():
    step = cut(campaign(), R.FAILED, answered=False)  # failed is not in recall_status, and recall_times is 0
    assert step.requeue == "recalls" and step.due_ms == 61_000
    assert "attempts" not in step.lead_update and step.lead_update["first_attempt_ms"] == 1_000
    assert step.lead_update["switch_cuts"] == 1


def test_a_lead_cut_short_three_times_in_a_row_counts_the_third():
    assert cut(campaign(), R.FAILED, answered=False, cuts_before=1).lead_update["switch_cuts"] == 2
    assert cut(campaign(), R.FAILED, answered=False, cuts_before=SWITCH_CUTS_MAX - 1) is None  # after_attempt's


def test_an_attempt_that_was_not_cut_resets_the_count():
    step = after_attempt(
        campaign(),
        attempts_before=0,
        first_attempt_ms=0,
        number_idx=0,
        numbers=1,
        status=R.BUSY,
        start_ms=0,
        end_ms=1,
        call_uuid="c",
    )
    assert step.lead_update["switch_cuts"] == 0


def test_the_recall_is_due_as_the_campaigns_schedule_says():
    step = cut(campaign(schedule_recall=ScheduleRecall.MINUTE, schedule_recall_duration=5), R.FAILED, answered=False)
    assert step.due_ms == 61_000 + 5 * 60_000 == step.recall_at_ms


def test_never_later_than_limit_recall_duration_then_the_lead_is_done_and_counted():
    camp = campaign(schedule_recall=ScheduleRecall.MINUTE, schedule_recall_duration=5, limit_recall_duration=60)
    step = cut(camp, R.FAILED, answered=False, attempts_before=2)
    assert step.requeue is None and step.lead_update["attempts"] == 3


def test_an_answered_call_cut_short_is_done_unless_its_status_is_recalled():
    done = cut(campaign(), R.ANSWERED, answered=True, attempts_before=1)
    assert done.requeue is None and done.lead_update["attempts"] == 2
    again = cut(campaign(recall_status=[R.NO_ANSWERED]), R.NO_ANSWERED, answered=True)  # short: min_recall_duration
    assert again.requeue == "recalls" and "attempts" not in again.lead_update


def attempt(cuts_before: int, cause: str = "SYSTEM_SHUTDOWN"):
    """A ringing attempt FreeSWITCH's shutdown hung up, as the tracker hands it to the recorder."""
    from dialer.engine.calls import InFlight
    from dialer.esl.node import Node, NodeConfig
    from dialer.store.records import Claim

    camp = campaign()
    claim = Claim(
        camp.campaign_uuid,
        "lead-1",
        "call-1",
        "viettel",
        0,
        ["0980000001"],
        {},
        1,
        1_000,
        "ext-1",
        switch_cuts=cuts_before,
    )
    node = Node(NodeConfig("fs1", "127.0.0.1", 8021, "x"), on_event=lambda n, e: None)
    att = InFlight(
        claim, camp, node, "job-1", ["call-1"], ["0980000001"], 2_000, job_ok=False, job_text=f"-ERR {cause}"
    )
    att.hangups["call-1"] = {"Hangup-Cause": cause, "variable_sip_hangup_disposition": "send_cancel"}
    return att


def test_the_recorder_recalls_a_cut_call_uncounted_and_counts_the_third_cut_in_a_row():
    from dialer.engine.recorder import build_finish

    first = build_finish(attempt(cuts_before=0), 5_000)
    assert first.requeue == "recalls" and "attempts" not in first.lead_update
    assert "recalled, not counted" in first.cdr.reason
    third = build_finish(attempt(cuts_before=SWITCH_CUTS_MAX - 1), 5_000)
    assert third.lead_update["attempts"] == 2 and third.lead_update["switch_cuts"] == 0
    assert f"{SWITCH_CUTS_MAX} times in a row: counted" in third.cdr.reason


def two_legs(mode: str = "serial"):
    """An attempt dialling two numbers (serial or parallel), as the tracker holds it."""
    from dialer.engine.calls import InFlight
    from dialer.esl.node import Node, NodeConfig
    from dialer.store.records import Claim

    camp = campaign(mode_call=mode, recall_status=[R.NO_ANSWERED, R.FAILED], recall_times=3)
    claim = Claim(camp.campaign_uuid, "lead-1", "call-1", "viettel", 0, ["0980000001", "0980000002"], {}, 0, 0, "e")
    node = Node(NodeConfig("fs1", "127.0.0.1", 8021, "x"), on_event=lambda n, e: None)
    return InFlight(claim, camp, node, "job-1", ["call-1", "leg-2"], ["0980000001", "0980000002"], 1_000)


@pytest.mark.parametrize("mode", ["serial", "parralel"])
def test_a_call_answered_on_its_second_number_then_lost_with_freeswitch_keeps_its_talk_time(mode):
    from dialer.engine.recorder import SWITCH_LOST, build_finish

    att = two_legs(mode)  # the first number was busy (or lost the race); the second answered...
    att.hangups["call-1"] = {"Hangup-Cause": "USER_BUSY" if mode == "serial" else "LOSE_RACE"}
    att.answered_ms, att.answered_leg = 3_000, "leg-2"
    att.ended_ms, att.problem = 33_000, SWITCH_LOST  # ...and FreeSWITCH died 30 s into the talk
    finish = build_finish(att, 40_000)
    cdr = finish.cdr
    assert (cdr.recall_status, cdr.hangup_cause, cdr.billsec) == ("answered", SWITCH_LOST, 30)
    assert cdr.answered_number == "0980000002"


def test_a_serial_attempt_whose_second_number_was_refused_is_retried_whole_and_not_counted():
    from dialer.engine.recorder import build_finish

    att = two_legs("serial")
    att.hangups["call-1"] = {"Hangup-Cause": "NO_ANSWER", "variable_sip_hangup_disposition": "send_cancel"}
    att.job_ok, att.job_text = False, "-ERR DESTINATION_OUT_OF_ORDER"  # no channel for the second number
    finish = build_finish(att, 5_000)
    assert not finish.reported and finish.requeue == "fresh" and "attempts" not in finish.lead_update
