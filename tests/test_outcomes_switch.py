"""Outcomes that are FreeSWITCH's doing, not the callee's (docs/outcomes.md, docs/engine.md):
an answered call into no dialplan, and calls cut by FreeSWITCH going away."""

from __future__ import annotations

import pytest

from dialer.domain.enums import RecallStatus, ReportKey, ScheduleRecall
from dialer.domain.models import Campaign
from dialer.outcomes import classify
from dialer.outcomes.recall import after_switch_death

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


def cut(camp: Campaign, status: RecallStatus, *, answered: bool, attempts_before: int = 0, first: int = 0):
    return after_switch_death(camp, attempts_before=attempts_before, first_attempt_ms=first, status=status,
                              answered=answered, start_ms=1_000, end_ms=61_000, call_uuid="c1")  # fmt: skip


def test_a_call_cut_while_ringing_is_recalled_without_using_up_an_attempt():
    step = cut(campaign(), R.FAILED, answered=False)  # failed is not in recall_status, and recall_times is 0
    assert step.requeue == "recalls" and step.due_ms == 61_000
    assert "attempts" not in step.lead_update and step.lead_update["first_attempt_ms"] == 1_000


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
