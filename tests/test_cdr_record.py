"""CallRecord / RetryRecord: the call hash an attempt's end writes, field by field and in order, as stored."""

from __future__ import annotations

from dataclasses import FrozenInstanceError, replace
from zoneinfo import ZoneInfo

import pytest

from dialer.domain.cdr import CallRecord, RetryRecord, cdr_object

RECORD = CallRecord(
    campaign="camp-1",
    lead="lead-1",
    external_id="e-1",
    attempt=2,
    numbers=["0980000001", "0980000002"],
    legs=["call-1", "leg-2"],
    network="viettel",
    answered_number="0980000002",
    caller_id="02871000000",
    node="fs1",
    start_ms=1_000,
    answer_ms=3_000,
    end_ms=33_000,
    duration=32,
    billsec=30,
    waitsec=2,
    hangup_cause="NORMAL_CLEARING",
    sip_status="200",
    job_result="+OK call-1",
    recall_status="answered",
    report_key="answered",
    reason="answered",
    dtmf="1#",
    recall_at_ms=0,
    tts_voice="fpt-banmai,espeak",
    tts_engine="fpt,espeak",
)


def test_the_call_hash_is_every_field_as_a_string_in_the_stored_order():
    assert list(RECORD.as_hash().items()) == [
        ("state", "done"),
        ("campaign", "camp-1"),
        ("lead", "lead-1"),
        ("external_id", "e-1"),
        ("attempt", "2"),
        ("numbers", '["0980000001", "0980000002"]'),
        ("legs", '["call-1", "leg-2"]'),
        ("network", "viettel"),
        ("answered_number", "0980000002"),
        ("caller_id", "02871000000"),
        ("node", "fs1"),
        ("start_ms", "1000"),
        ("answer_ms", "3000"),
        ("end_ms", "33000"),
        ("duration", "32"),
        ("billsec", "30"),
        ("waitsec", "2"),
        ("hangup_cause", "NORMAL_CLEARING"),
        ("sip_status", "200"),
        ("job_result", "+OK call-1"),
        ("recall_status", "answered"),
        ("report_key", "answered"),
        ("reason", "answered"),
        ("dtmf", "1#"),
        ("recall_at_ms", "0"),
        ("tts_voice", "fpt-banmai,espeak"),
        ("tts_engine", "fpt,espeak"),
        ("reported", "1"),
    ]


def test_a_retry_writes_its_four_fields():
    retry = RetryRecord(hangup_cause="DESTINATION_OUT_OF_ORDER", end_ms=5_000)
    assert list(retry.as_hash().items()) == [
        ("state", "retry"),
        ("hangup_cause", "DESTINATION_OUT_OF_ORDER"),
        ("reported", "0"),
        ("end_ms", "5000"),
    ]


def test_a_record_is_written_once_and_sealed_by_replacing_fields():
    with pytest.raises(FrozenInstanceError):
        RECORD.reason = "changed"  # type: ignore[misc]
    sealed = replace(RECORD, numbers="enc:x", answered_number="enc:y")
    assert sealed.as_hash()["numbers"] == "enc:x" and RECORD.as_hash()["numbers"].startswith("[")


def test_the_public_cdr_is_the_stored_hash_mapped():
    cdr = cdr_object("call-1", RECORD.as_hash(), ZoneInfo("Asia/Ho_Chi_Minh"))
    assert (cdr["campaign_uuid"], cdr["phone_numbers"], cdr["attempt"], cdr["status"]) == (
        "camp-1",
        ["0980000001", "0980000002"],
        2,
        "answered",
    )
