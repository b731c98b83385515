"""Specification of call outcomes: FreeSWITCH cause (+ SIP, disposition, answer) → recall_status, report key, VBot.

The expected pairs are written out here as the spec; they are never derived
from CAUSE_TABLE. docs/outcomes.md explains each decision.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dialer.domain.enums import RecallStatus, ReportKey
from dialer.esl.protocol import Event, StreamParser, parse_event_body
from dialer.outcomes import (
    CAUSE_TABLE,
    Q850,
    SIP_TO_CAUSE,
    Outcome,
    classify,
    sip_to_cause,
    vbot_status,
)
from dialer.outcomes.table import (
    CAUSE_MARKERS,
    SIP_MARKERS,
    VBOT_MARKERS,
    cause_table,
    embedded,
    sip_table,
    splice,
    vbot_cases,
    vbot_table,
)
from dialer.outcomes.vbot import NEVER_SENT, Disposition, vbot_disposition
from tests.conftest import CAPTURES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "outcomes.md"
REGENERATE = "regenerate with: python -m dialer.outcomes.table --update docs/outcomes.md"

ANSWERED, BUSY, FAILED, NO_ANSWERED = (
    RecallStatus.ANSWERED,
    RecallStatus.BUSY,
    RecallStatus.FAILED,
    RecallStatus.NO_ANSWERED,
)
NOT_AVAILABLE, VOICEMAIL, INVALID, BLOCK, CONGESTION, CANCEL = (
    RecallStatus.NOT_AVAILABLE,
    RecallStatus.VOICEMAIL,
    RecallStatus.INVALID_NUMBER,
    RecallStatus.PHONE_BLOCK,
    RecallStatus.CONGESTION,
    RecallStatus.CANCEL,
)
K_ANSWERED, K_BUSY, K_NOT_AVAILABLE, K_NO_ANSWER, K_CANCEL, K_FAILED = (
    ReportKey.ANSWERED,
    ReportKey.BUSY,
    ReportKey.NOT_AVAILABLE,
    ReportKey.NO_ANSWER,
    ReportKey.CANCEL,
    ReportKey.FAILED,
)

# The spec: cause → (recall_status, report key) of an UNANSWERED attempt, and its Q.850 number.
EXPECTED: dict[str, tuple[int, RecallStatus, ReportKey]] = {
    "UNALLOCATED_NUMBER": (1, INVALID, K_FAILED),
    "NO_ROUTE_TRANSIT_NET": (2, FAILED, K_FAILED),
    "NO_ROUTE_DESTINATION": (3, INVALID, K_FAILED),
    "CHANNEL_UNACCEPTABLE": (6, FAILED, K_FAILED),
    "CALL_AWARDED_DELIVERED": (7, FAILED, K_FAILED),
    "NORMAL_CLEARING": (16, NO_ANSWERED, K_NO_ANSWER),
    "USER_BUSY": (17, BUSY, K_BUSY),
    "NO_USER_RESPONSE": (18, NOT_AVAILABLE, K_NOT_AVAILABLE),
    "NO_ANSWER": (19, NO_ANSWERED, K_NO_ANSWER),
    "SUBSCRIBER_ABSENT": (20, NOT_AVAILABLE, K_NOT_AVAILABLE),
    "CALL_REJECTED": (21, BLOCK, K_BUSY),
    "NUMBER_CHANGED": (22, INVALID, K_FAILED),
    "REDIRECTION_TO_NEW_DESTINATION": (23, FAILED, K_FAILED),
    "EXCHANGE_ROUTING_ERROR": (25, CONGESTION, K_FAILED),
    "DESTINATION_OUT_OF_ORDER": (27, CONGESTION, K_FAILED),
    "INVALID_NUMBER_FORMAT": (28, INVALID, K_FAILED),
    "FACILITY_REJECTED": (29, FAILED, K_FAILED),
    "RESPONSE_TO_STATUS_ENQUIRY": (30, FAILED, K_FAILED),
    "NORMAL_UNSPECIFIED": (31, FAILED, K_FAILED),
    "NORMAL_CIRCUIT_CONGESTION": (34, CONGESTION, K_FAILED),
    "NETWORK_OUT_OF_ORDER": (38, CONGESTION, K_FAILED),
    "NORMAL_TEMPORARY_FAILURE": (41, CONGESTION, K_FAILED),
    "SWITCH_CONGESTION": (42, CONGESTION, K_FAILED),
    "ACCESS_INFO_DISCARDED": (43, FAILED, K_FAILED),
    "REQUESTED_CHAN_UNAVAIL": (44, CONGESTION, K_FAILED),
    "PRE_EMPTED": (45, CONGESTION, K_FAILED),
    "FACILITY_NOT_SUBSCRIBED": (50, FAILED, K_FAILED),
    "OUTGOING_CALL_BARRED": (52, BLOCK, K_FAILED),
    "INCOMING_CALL_BARRED": (54, BLOCK, K_FAILED),
    "BEARERCAPABILITY_NOTAUTH": (57, FAILED, K_FAILED),
    "BEARERCAPABILITY_NOTAVAIL": (58, CONGESTION, K_FAILED),
    "SERVICE_UNAVAILABLE": (63, FAILED, K_FAILED),
    "BEARERCAPABILITY_NOTIMPL": (65, FAILED, K_FAILED),
    "CHAN_NOT_IMPLEMENTED": (66, FAILED, K_FAILED),
    "FACILITY_NOT_IMPLEMENTED": (69, FAILED, K_FAILED),
    "SERVICE_NOT_IMPLEMENTED": (79, FAILED, K_FAILED),
    "INVALID_CALL_REFERENCE": (81, FAILED, K_FAILED),
    "INCOMPATIBLE_DESTINATION": (88, FAILED, K_FAILED),
    "INVALID_MSG_UNSPECIFIED": (95, FAILED, K_FAILED),
    "MANDATORY_IE_MISSING": (96, FAILED, K_FAILED),
    "MESSAGE_TYPE_NONEXIST": (97, FAILED, K_FAILED),
    "WRONG_MESSAGE": (98, FAILED, K_FAILED),
    "IE_NONEXIST": (99, FAILED, K_FAILED),
    "INVALID_IE_CONTENTS": (100, FAILED, K_FAILED),
    "WRONG_CALL_STATE": (101, FAILED, K_FAILED),
    "RECOVERY_ON_TIMER_EXPIRE": (102, NO_ANSWERED, K_NO_ANSWER),
    "MANDATORY_IE_LENGTH_ERROR": (103, FAILED, K_FAILED),
    "PROTOCOL_ERROR": (111, FAILED, K_FAILED),
    "INTERWORKING": (127, FAILED, K_FAILED),
    "ORIGINATOR_CANCEL": (487, CANCEL, K_CANCEL),
    "CRASH": (700, FAILED, K_FAILED),
    "SYSTEM_SHUTDOWN": (701, FAILED, K_FAILED),
    "LOSE_RACE": (702, FAILED, K_FAILED),
    "MANAGER_REQUEST": (703, CANCEL, K_CANCEL),
    "BLIND_TRANSFER": (800, FAILED, K_FAILED),
    "ATTENDED_TRANSFER": (801, FAILED, K_FAILED),
    "ALLOTTED_TIMEOUT": (802, NO_ANSWERED, K_NO_ANSWER),
    "USER_CHALLENGE": (803, FAILED, K_FAILED),
    "MEDIA_TIMEOUT": (804, FAILED, K_FAILED),
    "PICKED_OFF": (805, FAILED, K_FAILED),
    "USER_NOT_REGISTERED": (806, NOT_AVAILABLE, K_NOT_AVAILABLE),
    "PROGRESS_TIMEOUT": (807, NO_ANSWERED, K_NO_ANSWER),
    "INVALID_GATEWAY": (808, FAILED, K_FAILED),
    "GATEWAY_DOWN": (809, CONGESTION, K_FAILED),
    "INVALID_URL": (810, INVALID, K_FAILED),
    "INVALID_PROFILE": (811, FAILED, K_FAILED),
    "NO_PICKUP": (812, NO_ANSWERED, K_NO_ANSWER),
    "SRTP_READ_ERROR": (813, FAILED, K_FAILED),
    "BOWOUT": (814, FAILED, K_FAILED),
    "BUSY_EVERYWHERE": (815, BUSY, K_BUSY),
    "DECLINE": (816, BLOCK, K_BUSY),
    "DOES_NOT_EXIST_ANYWHERE": (817, INVALID, K_FAILED),
    "NOT_ACCEPTABLE": (818, FAILED, K_FAILED),
    "UNWANTED": (819, BLOCK, K_BUSY),
    "NO_IDENTITY": (820, FAILED, K_FAILED),
    "BAD_IDENTITY_INFO": (821, FAILED, K_FAILED),
    "UNSUPPORTED_CERTIFICATE": (822, FAILED, K_FAILED),
    "INVALID_IDENTITY": (823, FAILED, K_FAILED),
    "STALE_DATE": (824, FAILED, K_FAILED),
    "REJECT_ALL": (825, BLOCK, K_FAILED),
}


def pair(outcome: Outcome) -> tuple[RecallStatus, ReportKey]:
    return outcome.recall_status, outcome.report_key


# ---------------------------------------------------------------------------- the table


def test_q850_lists_every_freeswitch_cause_with_its_number():
    assert {name: number for name, (number, _, _) in EXPECTED.items()} == Q850
    assert len(Q850) == 80
    assert len(set(Q850.values())) == 80


def test_the_cause_table_is_total():
    assert set(CAUSE_TABLE) == set(Q850)


@pytest.mark.parametrize("cause", sorted(EXPECTED, key=lambda c: EXPECTED[c][0]))
def test_cause_by_cause(cause):
    _, status, key = EXPECTED[cause]
    assert CAUSE_TABLE[cause] == (status, key)
    outcome = classify(cause=cause, answered=False)
    assert pair(outcome) == (status, key)
    assert outcome.cause == cause
    assert outcome.reason
    # The job result alone (no channel was created) classifies the same way.
    assert pair(classify(cause=None, answered=False, job_error=f"-ERR {cause}\n")) == (status, key)
    # Any cause after an answer is just who hung up.
    assert pair(classify(cause=cause, answered=True, billsec=5)) == (ANSWERED, K_ANSWERED)


def test_the_q850_number_is_accepted_for_the_name():
    assert classify(cause="17", answered=False).cause == "USER_BUSY"
    assert pair(classify(cause="19", answered=False)) == (NO_ANSWERED, K_NO_ANSWER)


def test_cause_names_are_case_and_space_insensitive():
    assert classify(cause=" user_busy\n", answered=False).cause == "USER_BUSY"


# ---------------------------------------------------------------------------- SIP


def test_sip_mapping_is_mod_sofias():
    assert SIP_TO_CAUSE[480] == "NO_USER_RESPONSE"
    assert sip_to_cause(486) == "USER_BUSY" and sip_to_cause(599) == "NORMAL_UNSPECIFIED"


@pytest.mark.parametrize(
    ("sip", "status", "key", "cause"),
    [
        ("486", BUSY, K_BUSY, "USER_BUSY"),
        ("600", BUSY, K_BUSY, "USER_BUSY"),
        ("404", INVALID, K_FAILED, "UNALLOCATED_NUMBER"),
        ("484", INVALID, K_FAILED, "INVALID_NUMBER_FORMAT"),
        ("410", INVALID, K_FAILED, "NUMBER_CHANGED"),
        ("604", INVALID, K_FAILED, "NO_ROUTE_DESTINATION"),
        ("480", NOT_AVAILABLE, K_NOT_AVAILABLE, "NO_USER_RESPONSE"),
        ("408", NO_ANSWERED, K_NO_ANSWER, "RECOVERY_ON_TIMER_EXPIRE"),
        ("504", CONGESTION, K_FAILED, "RECOVERY_ON_TIMER_EXPIRE"),
        ("503", CONGESTION, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("500", FAILED, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("400", FAILED, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("481", FAILED, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("502", CONGESTION, K_FAILED, "NETWORK_OUT_OF_ORDER"),
        ("429", CONGESTION, K_FAILED, "NORMAL_UNSPECIFIED"),
        ("603", BLOCK, K_BUSY, "CALL_REJECTED"),
        ("607", BLOCK, K_BUSY, "UNWANTED"),
        ("403", BLOCK, K_FAILED, "CALL_REJECTED"),
        ("608", BLOCK, K_FAILED, "CALL_REJECTED"),
        ("401", FAILED, K_FAILED, "CALL_REJECTED"),
        ("402", FAILED, K_FAILED, "CALL_REJECTED"),
        ("407", FAILED, K_FAILED, "CALL_REJECTED"),
        ("488", FAILED, K_FAILED, "INCOMPATIBLE_DESTINATION"),
        ("482", CONGESTION, K_FAILED, "EXCHANGE_ROUTING_ERROR"),
        ("487", CANCEL, K_CANCEL, "ORIGINATOR_CANCEL"),
        ("699", FAILED, K_FAILED, "NORMAL_UNSPECIFIED"),
        ("sip:486", BUSY, K_BUSY, "USER_BUSY"),
        (" 480 ", NOT_AVAILABLE, K_NOT_AVAILABLE, "NO_USER_RESPONSE"),
    ],
)
def test_a_sip_status_alone_classifies(sip, status, key, cause):
    outcome = classify(cause=None, answered=False, sip_status=sip)
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == (status, key, cause)


def test_the_reason_of_a_sip_failure_is_the_status_line():
    assert classify(cause="USER_BUSY", answered=False, sip_status="486").reason == "486 Busy Here"


@pytest.mark.parametrize(
    ("cause", "sip", "status", "key", "final"),
    [
        # generic causes: the SIP status decides
        ("NORMAL_UNSPECIFIED", "486", BUSY, K_BUSY, "USER_BUSY"),
        ("NORMAL_UNSPECIFIED", "480", NOT_AVAILABLE, K_NOT_AVAILABLE, "NO_USER_RESPONSE"),
        ("NORMAL_CLEARING", "480", NOT_AVAILABLE, K_NOT_AVAILABLE, "NO_USER_RESPONSE"),
        ("INTERWORKING", "404", INVALID, K_FAILED, "UNALLOCATED_NUMBER"),
        # the cause mod_sofia derived from the status: the status splits it
        ("NORMAL_TEMPORARY_FAILURE", "503", CONGESTION, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("NORMAL_TEMPORARY_FAILURE", "500", FAILED, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        ("CALL_REJECTED", "603", BLOCK, K_BUSY, "CALL_REJECTED"),
        ("CALL_REJECTED", "403", BLOCK, K_FAILED, "CALL_REJECTED"),
        ("CALL_REJECTED", "402", FAILED, K_FAILED, "CALL_REJECTED"),
        ("RECOVERY_ON_TIMER_EXPIRE", "504", CONGESTION, K_FAILED, "RECOVERY_ON_TIMER_EXPIRE"),
        # a Q.850 Reason header made FreeSWITCH pick another cause: the cause wins
        ("USER_BUSY", "503", BUSY, K_BUSY, "USER_BUSY"),
        ("NO_ANSWER", "480", NO_ANSWERED, K_NO_ANSWER, "NO_ANSWER"),
        ("NORMAL_TEMPORARY_FAILURE", "403", CONGESTION, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
        # an unknown cause name gives way to a meaningful SIP status
        ("SOMETHING_NEW", "486", BUSY, K_BUSY, "USER_BUSY"),
    ],
)
def test_sip_refines_a_generic_or_matching_cause(cause, sip, status, key, final):
    outcome = classify(cause=cause, answered=False, sip_status=sip, disposition="recv_refuse")
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == (status, key, final)


def test_a_reason_header_cause_keeps_the_sip_status_in_the_reason():
    reason = classify(cause="USER_BUSY", answered=False, sip_status="503").reason
    assert "503 Service Unavailable" in reason


@pytest.mark.parametrize("garbage", ["", "abc", "sip:", "99", "1000", "4"])
def test_a_garbled_sip_status_is_ignored(garbage):
    assert pair(classify(cause="USER_BUSY", answered=False, sip_status=garbage)) == (BUSY, K_BUSY)
    assert pair(classify(cause=None, answered=False, sip_status=garbage)) == (FAILED, K_FAILED)


# ---------------------------------------------------------------------------- answered, beep, short calls


@pytest.mark.parametrize(
    "evidence",
    [
        {"answered": True},
        {"answered": False, "billsec": 3},
        {"answered": False, "sip_status": "200"},
        {"answered": False, "disposition": "recv_bye"},
        {"answered": False, "disposition": "send_bye"},
    ],
)
def test_any_evidence_of_an_answer_is_an_answer(evidence):
    outcome = classify(cause="NORMAL_CLEARING", **evidence)
    assert pair(outcome) == (ANSWERED, K_ANSWERED)
    assert outcome.cause == "NORMAL_CLEARING"


def test_an_answered_call_keeps_its_post_answer_cause():
    outcome = classify(cause="MEDIA_TIMEOUT", answered=True, billsec=12)
    assert pair(outcome) == (ANSWERED, K_ANSWERED)
    assert outcome.cause == "MEDIA_TIMEOUT"
    assert "MEDIA_TIMEOUT" in outcome.reason
    assert classify(cause=None, answered=True, billsec=1).cause == "NORMAL_CLEARING"


def test_a_beep_after_answer_is_voicemail_reported_answered():
    outcome = classify(cause="NORMAL_CLEARING", answered=True, billsec=20, beep=True)
    assert pair(outcome) == (VOICEMAIL, K_ANSWERED)
    assert outcome.reason == "avmd beep: answering machine"
    assert vbot_status(outcome) == 200


def test_a_beep_wins_over_the_short_call_rule():
    outcome = classify(cause="NORMAL_CLEARING", answered=True, billsec=1, beep=True, min_answered_seconds=5)
    assert pair(outcome) == (VOICEMAIL, K_ANSWERED)


def test_a_beep_without_an_answer_is_voicemail_reported_no_answer():
    outcome = classify(cause="NO_ANSWER", answered=False, beep=True, disposition="send_cancel")
    assert pair(outcome) == (VOICEMAIL, K_NO_ANSWER)
    assert outcome.cause == "NO_ANSWER"
    assert vbot_status(outcome) == 2


@pytest.mark.parametrize(
    ("billsec", "minimum", "status"),
    [
        (0, 3, NO_ANSWERED),
        (2, 3, NO_ANSWERED),
        (3, 3, ANSWERED),  # "below it": equal is long enough
        (10, 3, ANSWERED),
        (0, 0, ANSWERED),  # 0 = rule off
    ],
)
def test_min_answered_seconds_makes_short_answered_calls_recall_eligible(billsec, minimum, status):
    outcome = classify(cause="NORMAL_CLEARING", answered=True, billsec=billsec, min_answered_seconds=minimum)
    assert pair(outcome) == (status, K_ANSWERED)  # the call was answered: the report says so
    assert vbot_status(outcome) == 200


def test_a_short_call_says_why_in_its_reason():
    reason = classify(cause="NORMAL_CLEARING", answered=True, billsec=1, min_answered_seconds=4).reason
    assert "1 s" in reason and "4 s" in reason


# ---------------------------------------------------------------------------- cancel


@pytest.mark.parametrize(
    ("cause", "disposition", "job"),
    [
        ("ORIGINATOR_CANCEL", "send_cancel", None),
        ("NORMAL_CLEARING", "send_cancel", None),  # uuid_kill's default cause
        ("MANAGER_REQUEST", None, None),
        (None, None, "-ERR ORIGINATOR_CANCEL\n"),
        (None, None, None),
    ],
)
def test_our_own_cancel_is_cancel_in_both_the_report_key_and_the_recall_status(cause, disposition, job):
    outcome = classify(cause=cause, answered=False, disposition=disposition, job_error=job, cancelled_by_us=True)
    assert pair(outcome) == (CANCEL, K_CANCEL)
    assert outcome.cause == (cause or "ORIGINATOR_CANCEL")
    assert vbot_status(outcome) == 4


def test_a_far_end_answer_that_beat_our_cancel_wins():
    outcome = classify(
        cause="USER_BUSY", answered=False, sip_status="486", disposition="recv_refuse", cancelled_by_us=True
    )
    assert pair(outcome) == (BUSY, K_BUSY)
    outcome = classify(cause="NORMAL_CLEARING", answered=False, sip_status="404", cancelled_by_us=True)
    assert pair(outcome) == (INVALID, K_FAILED)


def test_cancelled_by_us_after_answer_is_answered():
    assert pair(classify(cause="NORMAL_CLEARING", answered=True, billsec=4, cancelled_by_us=True)) == (
        ANSWERED,
        K_ANSWERED,
    )


def test_a_cancel_from_our_side_that_the_engine_did_not_send_is_still_a_cancel():
    outcome = classify(cause="NORMAL_CLEARING", answered=False, disposition="send_cancel")
    assert pair(outcome) == (CANCEL, K_CANCEL)
    outcome = classify(cause="ORIGINATOR_CANCEL", answered=False, disposition="send_cancel")
    assert pair(outcome) == (CANCEL, K_CANCEL)


def test_a_487_the_far_end_sent_by_itself_is_no_answer():
    outcome = classify(cause="ORIGINATOR_CANCEL", answered=False, sip_status="487", disposition="recv_refuse")
    assert pair(outcome) == (NO_ANSWERED, K_NO_ANSWER)
    assert outcome.reason == "487 Request Terminated"


def test_unanswered_normal_clearing_refused_by_the_far_end_is_no_answer():
    outcome = classify(cause="NORMAL_CLEARING", answered=False, disposition="recv_refuse")
    assert pair(outcome) == (NO_ANSWERED, K_NO_ANSWER)


# ---------------------------------------------------------------------------- job_error, unknown


@pytest.mark.parametrize(
    ("job", "status", "key", "cause"),
    [
        ("-ERR USER_BUSY\n", BUSY, K_BUSY, "USER_BUSY"),  # error/user_busy: no channel events at all
        ("-ERR INVALID_PROFILE\n", FAILED, K_FAILED, "INVALID_PROFILE"),  # a lone CHANNEL_DESTROY
        ("-ERR CHAN_NOT_IMPLEMENTED\n", FAILED, K_FAILED, "CHAN_NOT_IMPLEMENTED"),
        ("-ERR USER_NOT_REGISTERED\n", NOT_AVAILABLE, K_NOT_AVAILABLE, "USER_NOT_REGISTERED"),  # empty target
        ("-ERR DESTINATION_OUT_OF_ORDER\n", CONGESTION, K_FAILED, "DESTINATION_OUT_OF_ORDER"),  # throttle
        ("NO_ANSWER", NO_ANSWERED, K_NO_ANSWER, "NO_ANSWER"),  # the bare name
        ("-ERR nosuchcommand Command not found!\n", FAILED, K_FAILED, "NOSUCHCOMMAND"),
    ],
)
def test_job_error_classifies_when_no_channel_existed(job, status, key, cause):
    outcome = classify(cause=None, answered=False, job_error=job)
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == (status, key, cause)


def test_a_successful_job_body_is_not_an_error():
    assert classify(cause=None, answered=False, job_error="+OK 0c8f\n").cause == "NONE"


def test_the_channel_cause_wins_over_the_job_cause():
    # serial a|b with one global origination_uuid: the job blames the second (never created) leg
    outcome = classify(
        cause="USER_BUSY",
        answered=False,
        sip_status="486",
        disposition="recv_refuse",
        job_error="-ERR DESTINATION_OUT_OF_ORDER\n",
    )
    assert pair(outcome) == (BUSY, K_BUSY)


def test_a_specific_job_cause_wins_over_a_generic_channel_cause():
    outcome = classify(cause="NORMAL_UNSPECIFIED", answered=False, job_error="-ERR SUBSCRIBER_ABSENT\n")
    assert (outcome.recall_status, outcome.cause) == (NOT_AVAILABLE, "SUBSCRIBER_ABSENT")


@pytest.mark.parametrize("cause", ["FOO_BAR", "unknown cause", "9999", "-1"])
def test_an_unknown_cause_is_failed_and_never_raises(cause):
    outcome = classify(cause=cause, answered=False)
    assert pair(outcome) == (FAILED, K_FAILED)
    assert cause.split()[0].upper() in outcome.cause
    assert vbot_status(outcome) == 104


@pytest.mark.parametrize("cause", [None, "", "NONE", "0", "  "])
def test_no_information_at_all_is_failed(cause):
    outcome = classify(cause=cause, answered=False)
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == (FAILED, K_FAILED, "NONE")
    assert vbot_status(outcome) == 104


def test_outcome_is_frozen_and_slotted():
    outcome = classify(cause="USER_BUSY", answered=False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        outcome.cause = "X"  # type: ignore[misc]
    assert not hasattr(outcome, "__dict__")


# ---------------------------------------------------------------------------- VBot


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"cause": "NORMAL_CLEARING", "answered": True, "billsec": 9}, 200),
        ({"cause": "NO_ANSWER", "answered": False}, 2),
        ({"cause": "NO_USER_RESPONSE", "answered": False}, 2),
        ({"cause": "USER_BUSY", "answered": False}, 3),
        ({"cause": "CALL_REJECTED", "answered": False, "sip_status": "603"}, 3),
        ({"cause": "ORIGINATOR_CANCEL", "answered": False, "cancelled_by_us": True}, 4),
        ({"cause": "UNALLOCATED_NUMBER", "answered": False}, 101),
        ({"cause": "INVALID_URL", "answered": False}, 101),
        ({"cause": "INVALID_GATEWAY", "answered": False}, 102),
        ({"cause": "NO_ROUTE_TRANSIT_NET", "answered": False}, 106),
        ({"cause": "NORMAL_CIRCUIT_CONGESTION", "answered": False}, 104),
        ({"cause": "NORMAL_UNSPECIFIED", "answered": False}, 104),
        ({"cause": "INVALID_PROFILE", "answered": False}, 100),
        ({"cause": "CALL_REJECTED", "answered": False, "sip_status": "403"}, 100),
        ({"cause": "CRASH", "answered": False}, 100),
    ],
)
def test_vbot_status(kwargs: dict[str, Any], code):
    assert vbot_status(classify(**kwargs)) == code


@pytest.mark.parametrize("cause", sorted(Q850))
def test_every_cause_has_a_vbot_status_from_the_seed(cause):
    assert vbot_status(classify(cause=cause, answered=False)) in {200, 2, 3, 4, 100, 101, 102, 104, 106}


# The call-history dispositions seed 003 lists.
SEED_DISPOSITIONS = {
    "MORE",
    "MISSCALL",
    "ANSWER",
    "BUSY",
    "NOANSWER",
    "CANCEL",
    "SOMEONEANSWERED",
    "LOGOUT",
    "INCALL",
    "CONGESTION",
    "CHANUNAVAIL",
    "DONTCALL",
    "TORTURE",
    "INVALIDARGS",
    "NORMAL_CLEARING",
}


@pytest.mark.parametrize(
    ("kwargs", "disposition"),
    [
        ({"cause": "NORMAL_CLEARING", "answered": True, "billsec": 9}, "ANSWER"),
        ({"cause": "NORMAL_CLEARING", "answered": True, "billsec": 9, "beep": True}, "ANSWER"),
        ({"cause": "NORMAL_CLEARING", "answered": True, "billsec": 1, "min_answered_seconds": 5}, "ANSWER"),
        ({"cause": "NO_ANSWER", "answered": False}, "NOANSWER"),
        ({"cause": None, "answered": False, "beep": True}, "NOANSWER"),
        ({"cause": "NORMAL_CLEARING", "answered": False, "disposition": "recv_refuse"}, "NOANSWER"),
        ({"cause": "NO_USER_RESPONSE", "answered": False, "sip_status": "480"}, "CHANUNAVAIL"),
        ({"cause": "USER_BUSY", "answered": False, "sip_status": "486"}, "BUSY"),
        ({"cause": "CALL_REJECTED", "answered": False, "sip_status": "603"}, "BUSY"),
        ({"cause": "UNWANTED", "answered": False}, "BUSY"),
        ({"cause": "ORIGINATOR_CANCEL", "answered": False, "cancelled_by_us": True}, "CANCEL"),
        ({"cause": "NORMAL_CLEARING", "answered": False, "disposition": "send_cancel"}, "CANCEL"),
        ({"cause": "NORMAL_TEMPORARY_FAILURE", "answered": False, "sip_status": "503"}, "CONGESTION"),
        ({"cause": "NORMAL_UNSPECIFIED", "answered": False, "sip_status": "429"}, "CONGESTION"),
        ({"cause": "GATEWAY_DOWN", "answered": False}, "CONGESTION"),
        ({"cause": "UNALLOCATED_NUMBER", "answered": False, "sip_status": "404"}, "CHANUNAVAIL"),
        ({"cause": "CALL_REJECTED", "answered": False, "sip_status": "403"}, "CHANUNAVAIL"),
        ({"cause": "OUTGOING_CALL_BARRED", "answered": False}, "CHANUNAVAIL"),
        ({"cause": "INVALID_GATEWAY", "answered": False}, "CHANUNAVAIL"),
        ({"cause": "NO_ROUTE_TRANSIT_NET", "answered": False}, "CHANUNAVAIL"),
        ({"cause": "INVALID_PROFILE", "answered": False}, "NORMAL_CLEARING"),
        ({"cause": "CRASH", "answered": False}, "NORMAL_CLEARING"),
        ({"cause": "AUTOCALL_LOST", "answered": False}, "NORMAL_CLEARING"),
        ({"cause": None, "answered": False}, "NORMAL_CLEARING"),
    ],
)
def test_vbot_disposition(kwargs: dict[str, Any], disposition):
    assert vbot_disposition(classify(**kwargs)).value == disposition


@pytest.mark.parametrize("cause", sorted(Q850))
def test_every_cause_has_a_disposition_the_seed_lists_and_an_outbound_call_can_have(cause):
    disposition = vbot_disposition(classify(cause=cause, answered=False))
    assert disposition.value in SEED_DISPOSITIONS and disposition not in NEVER_SENT


def test_the_disposition_enum_is_the_seeds_list():
    assert {d.value for d in Disposition} == SEED_DISPOSITIONS


def test_the_two_vbot_mappings_agree_with_each_other_and_the_report():
    """Every outcome of the VBot table: answered ⇔ 200 ⇔ ANSWER, and the callee's states line up."""
    pairs = {(vbot_status(o), vbot_disposition(o).value, o.report_key) for _, o in vbot_cases()}
    for status, disposition, key in pairs:
        assert (status == 200) == (disposition == "ANSWER") == (key is ReportKey.ANSWERED)
        assert (status == 3) == (disposition == "BUSY")
        assert (status == 4) == (disposition == "CANCEL")
        if status == 2:
            assert disposition in ("NOANSWER", "CHANUNAVAIL")


# ---------------------------------------------------------------------------- the README table


@pytest.mark.parametrize(
    ("cause", "sip", "disposition", "answered", "billsec", "status", "key", "code"),
    [
        ("NORMAL_CLEARING", "200", "recv_bye", True, 3, ANSWERED, K_ANSWERED, 200),  # 180, 200, far end BYE
        ("NORMAL_CLEARING", None, "send_bye", True, 2, ANSWERED, K_ANSWERED, 200),  # 200, uuid_kill
        ("USER_BUSY", "486", "recv_refuse", False, 0, BUSY, K_BUSY, 3),
        ("UNALLOCATED_NUMBER", "404", "recv_refuse", False, 0, INVALID, K_FAILED, 101),
        ("NO_USER_RESPONSE", "480", "recv_refuse", False, 0, NOT_AVAILABLE, K_NOT_AVAILABLE, 2),
        ("CALL_REJECTED", "603", "recv_refuse", False, 0, BLOCK, K_BUSY, 3),
        ("NORMAL_TEMPORARY_FAILURE", "503", "recv_refuse", False, 0, CONGESTION, K_FAILED, 104),
        ("NO_ANSWER", None, "send_cancel", False, 0, NO_ANSWERED, K_NO_ANSWER, 2),  # originate_timeout
        ("NORMAL_CLEARING", None, "send_bye", True, 2, ANSWERED, K_ANSWERED, 200),  # 183 early media, then 200
    ],
)
def test_the_readme_scenarios(cause, sip, disposition, answered, billsec, status, key, code):
    outcome = classify(cause=cause, answered=answered, billsec=billsec, sip_status=sip, disposition=disposition)
    assert pair(outcome) == (status, key)
    assert outcome.cause == cause
    assert vbot_status(outcome) == code


def test_the_ring_timeout_reason():
    assert classify(cause="NO_ANSWER", answered=False, disposition="send_cancel").reason == (
        "ring timeout (originate_timeout)"
    )


# ---------------------------------------------------------------------------- every captured originate


# Scenario → (recall_status, report key, cause), as the classifier must see it from raw events.
CAPTURED: dict[str, tuple[RecallStatus, ReportKey, str]] = {
    "answer-remote-bye": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "answer-uuid-kill": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "early-media-183-then-200": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "loopback-answer": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "serial-busy-then-answer": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "parallel-busy-and-answer": (ANSWERED, K_ANSWERED, "NORMAL_CLEARING"),
    "busy-486": (BUSY, K_BUSY, "USER_BUSY"),
    "notfound-404": (INVALID, K_FAILED, "UNALLOCATED_NUMBER"),
    "unavailable-480": (NOT_AVAILABLE, K_NOT_AVAILABLE, "NO_USER_RESPONSE"),
    "decline-603": (BLOCK, K_BUSY, "CALL_REJECTED"),
    "service-unavailable-503": (CONGESTION, K_FAILED, "NORMAL_TEMPORARY_FAILURE"),
    "ring-no-answer-timeout": (NO_ANSWERED, K_NO_ANSWER, "NO_ANSWER"),
    "loopback-no-route": (INVALID, K_FAILED, "NO_ROUTE_DESTINATION"),
    "bgapi-error-user-busy": (BUSY, K_BUSY, "USER_BUSY"),
    "bgapi-bad-profile": (FAILED, K_FAILED, "INVALID_PROFILE"),
    "api-originate-error-user-busy": (BUSY, K_BUSY, "USER_BUSY"),
    "api-originate-bad-profile": (FAILED, K_FAILED, "INVALID_PROFILE"),
    "api-originate-bad-endpoint": (FAILED, K_FAILED, "CHAN_NOT_IMPLEMENTED"),
    "api-misc": (NOT_AVAILABLE, K_NOT_AVAILABLE, "USER_NOT_REGISTERED"),  # originate to an empty sofia target
    "serial-all-fail": (INVALID, K_FAILED, "UNALLOCATED_NUMBER"),  # 486 then 404: the job reports the last leg
    "parallel-all-fail": (BUSY, K_BUSY, "USER_BUSY"),  # 486 + 404 together: the job says USER_BUSY
    "serial-busy-then-answer-global-uuid": (BUSY, K_BUSY, "USER_BUSY"),  # job: DESTINATION_OUT_OF_ORDER
    "parallel-busy-and-answer-global-uuid": (BUSY, K_BUSY, "USER_BUSY"),
}

_ORIGINATE = re.compile(r"^(?:bg)?api originate \S", re.MULTILINE)
ORIGINATE_STREAMS = [
    path
    for path in sorted(CAPTURES.glob("*.esl")) + sorted((CAPTURES / "repeats").glob("*.esl"))
    if path.with_suffix(".cmd").exists() and len(_ORIGINATE.findall(path.with_suffix(".cmd").read_text())) == 1
]


def scenario_of(path: Path) -> str:
    return path.name.split(".")[0]


def attempt_inputs(path: Path) -> dict[str, Any]:
    """What an engine would hand classify() for the one originate in a capture."""
    commands = [c for c in path.with_suffix(".cmd").read_text().split("\n\n") if c.strip()]
    index = next(i for i, c in enumerate(commands) if _ORIGINATE.match(c))
    line = commands[index]
    legs = re.findall(r"origination_uuid=([0-9a-f-]{36})", line)
    messages = StreamParser().feed(path.read_bytes())
    events: list[Event] = [parse_event_body(m) for m in messages if m.is_event]
    if line.startswith("bgapi"):
        job = next(e.body for e in events if e.name == "BACKGROUND_JOB")
    else:  # synchronous api: replies come in command order
        replies = [m.body.decode() for m in messages if m.content_type == "api/response"]
        job = replies[sum(1 for c in commands[:index] if c.startswith("api "))]
    completes = {
        e.get("Unique-ID"): e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") in legs
    }
    answered = {e.get("Unique-ID") for e in events if e.name == "CHANNEL_ANSWER"}
    if job.startswith("+OK"):
        leg_id = job.split()[1]  # the winning leg
    else:
        # every leg failed: the leg whose cause the job reports, else the one that exists
        failed_cause = job.split()[1]
        leg_id = next((u for u, e in completes.items() if e.get("Hangup-Cause") == failed_cause), None)
        leg_id = leg_id or next(iter(completes), None)
    leg = completes.get(leg_id) if leg_id else None
    if leg is None:
        return {"cause": None, "answered": False, "job_error": job}
    return {
        "cause": leg.get("Hangup-Cause"),
        "answered": leg_id in answered,
        "billsec": int(leg.get("variable_billsec") or 0),
        "sip_status": leg.get("variable_sip_term_status"),
        "disposition": leg.get("variable_sip_hangup_disposition"),
        "job_error": job,
    }


def test_every_originate_capture_has_an_expectation():
    assert {scenario_of(p) for p in ORIGINATE_STREAMS} == set(CAPTURED)


@pytest.mark.parametrize("path", ORIGINATE_STREAMS, ids=lambda p: str(p.relative_to(CAPTURES)))
def test_every_captured_originate(path):
    outcome = classify(**attempt_inputs(path))
    assert (outcome.recall_status, outcome.report_key, outcome.cause) == CAPTURED[scenario_of(path)]


# ---------------------------------------------------------------------------- docs


def test_docs_cause_table_is_the_generated_one():
    doc = DOC.read_text(encoding="utf-8")
    assert embedded(doc, CAUSE_MARKERS) == cause_table(), REGENERATE


def test_docs_sip_table_is_the_generated_one():
    doc = DOC.read_text(encoding="utf-8")
    assert embedded(doc, SIP_MARKERS) == sip_table(), REGENERATE


def test_docs_vbot_table_is_the_generated_one():
    doc = DOC.read_text(encoding="utf-8")
    assert embedded(doc, VBOT_MARKERS) == vbot_table(), REGENERATE


def test_the_vbot_table_names_every_cause_once():
    rows = vbot_table().splitlines()[2:]
    named = [w.strip() for row in rows for w in row.strip("|").split("|")[4].split(",")]
    assert sorted(c for c in named if c in Q850) == sorted(Q850)
    for row in rows:
        key, status, code, disposition, when = [c.strip() for c in row.strip("|").split("|")]
        assert (
            ReportKey(key) and RecallStatus(status) and int(code.split()[0]) in {200, 2, 3, 4, 100, 101, 102, 104, 106}
        )
        assert disposition in SEED_DISPOSITIONS and when


def test_the_module_prints_the_vbot_table():
    run = subprocess.run(
        [sys.executable, "-m", "dialer.outcomes.table", "--vbot"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert run.stdout == vbot_table()


def test_the_generated_cause_table_has_one_row_per_cause():
    rows = cause_table().splitlines()[2:]
    assert len(rows) == len(Q850)
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert len(cells) == 5
        name, number, status, key, why = cells
        assert Q850[name] == int(number)
        assert (RecallStatus(status), ReportKey(key)) == EXPECTED[name][1:]
        assert why


def test_splice_replaces_only_between_the_markers():
    doc = f"intro\n{CAUSE_MARKERS[0]}\nold\n{CAUSE_MARKERS[1]}\noutro\n"
    assert splice(doc, CAUSE_MARKERS, "new\n") == f"intro\n{CAUSE_MARKERS[0]}\nnew\n{CAUSE_MARKERS[1]}\noutro\n"


def test_the_module_prints_the_table():
    run = subprocess.run(
        [sys.executable, "-m", "dialer.outcomes.table"], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert run.stdout == cause_table()


@pytest.mark.parametrize(
    ("listed", "recalled"),
    [
        (["cancel"], True),
        (["failed"], True),  # the seeds' lists know no cancel: such a call was failed, and is still recalled
        (["busy", "no-answered"], False),
    ],
)
def test_a_counted_cancel_is_recalled_when_recall_status_names_cancel_or_failed(listed, recalled):
    from dialer.domain.models import Campaign
    from dialer.outcomes.recall import after_attempt

    camp = Campaign(campaign_name="c", recall_times=1, recall_status=listed)
    step = after_attempt(
        camp,
        attempts_before=0,
        first_attempt_ms=0,
        number_idx=0,
        numbers=1,
        status=CANCEL,
        start_ms=1_000,
        end_ms=2_000,
        call_uuid="call-1",
    )
    assert (step.requeue == "recalls") is recalled
