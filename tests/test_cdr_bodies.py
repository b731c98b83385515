"""The webhook bodies built straight from the attempt are, byte for byte, what the stored hash mapped
by ``cdr_object`` and written by ``json.dumps(..., ensure_ascii=False)`` gives (docs/webhooks.md)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from enum import StrEnum
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from dialer.domain import json_text
from dialer.domain.cdr import (
    ANSWER_FIELDS,
    CALL_FIELDS,
    AgentCallRecord,
    CallRecord,
    answer_object,
    cdr_object,
    record_object,
)
from dialer.domain.enums import RecallStatus, ScheduleRecall
from dialer.domain.local_time import LOCAL, local_text
from dialer.domain.models import Campaign
from dialer.engine import recorder
from dialer.engine.calls import InFlight
from dialer.outcomes import vbot
from dialer.store.records import Claim
from tests.factories import call_record

ZONES = [
    "Asia/Ho_Chi_Minh",
    "UTC",
    "Europe/London",
    "Australia/Lord_Howe",  # a 30-minute DST change
    "America/St_Johns",
    "Asia/Kathmandu",  # +05:45
    "Africa/Monrovia",  # -00:44:30 until 1972: an offset with seconds
    "Europe/Amsterdam",  # +00:19:32 before 1937
]
ODD = ["", "Nguyễn Văn Ánh", 'quote " and \\ back', "tab\tnew\nline\x01\x7f", "\u2028 emoji 😀", "ascii"]


def text(rng: random.Random) -> str:
    return rng.choice(ODD) + rng.choice(ODD)


def random_record(rng: random.Random) -> CallRecord:
    ms = rng.choice([0, 1, 59_999, 1_700_000_000_000 + rng.randrange(10**9)])
    return call_record(
        campaign=text(rng),
        lead=text(rng),
        external_id=text(rng),
        attempt=rng.randrange(-1, 5),
        numbers=[text(rng) for _ in range(rng.randrange(4))],
        legs=[text(rng)],
        network=text(rng),
        answered_number=text(rng),
        caller_id=text(rng),
        node=text(rng),
        start_ms=ms,
        answer_ms=rng.choice([0, ms + 999]),
        end_ms=rng.choice([0, ms + rng.randrange(100_000)]),
        duration=rng.randrange(100),
        billsec=rng.randrange(100),
        waitsec=rng.randrange(100),
        hangup_cause=text(rng),
        sip_status=text(rng),
        job_result=text(rng),
        recall_status=text(rng),
        report_key=text(rng),
        reason=text(rng),
        dtmf=text(rng),
        recall_at_ms=rng.choice([0, -1_000, ms + 60_000]),
        tts_voice=text(rng),
        tts_engine=text(rng),
    )


def test_the_end_body_from_the_record_is_the_stored_hash_mapped():
    rng = random.Random(17)
    for _ in range(3000):
        record, tz = random_record(rng), ZoneInfo(rng.choice(ZONES))
        want = cdr_object("call-1", record.as_hash(), tz)
        got = record_object("call-1", record, tz)
        assert list(got.items()) == list(want.items())
        assert json_text.dumps(got) == json.dumps(want, ensure_ascii=False)


def test_an_autodialer_record_is_the_stored_hash_mapped_too():
    rng = random.Random(21)
    for _ in range(1000):
        base, tz = random_record(rng), ZoneInfo(rng.choice(ZONES))
        queue = {"agent": text(rng), "queuesec": rng.randrange(100), "agentsec": rng.randrange(1000)}
        record = AgentCallRecord(**{n: getattr(base, n) for n in CALL_FIELDS}, **queue, abandoned=rng.randrange(2))
        want = cdr_object("call-1", record.as_hash(), tz)
        assert list(record_object("call-1", record, tz).items()) == list(want.items())
        assert want["abandoned"] is (record.abandoned == 1)


class Status(StrEnum):
    ANSWERED = "answered"


@pytest.mark.parametrize(
    "odd",
    [
        {"numbers": "enc:sealed"},  # an enable_encrypt record: its numbers are text
        {"numbers": ""},
        {"numbers": ("0981", "0982")},
        {"numbers": [981, "0982"]},
        {"attempt": True},
        {"attempt": "2"},
        {"billsec": None},
        {"recall_status": Status.ANSWERED},
        {"reason": None},
        {"dtmf": 5},
    ],
)
def test_a_record_holding_other_types_is_still_the_stored_hash_mapped(odd):
    record = call_record(**{"numbers": ["0981"], "start_ms": 1_700_000_000_000, **odd})
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert list(record_object("c", record, tz).items()) == list(cdr_object("c", record.as_hash(), tz).items())


def test_the_answer_body_is_the_cdr_object_of_what_is_known_at_the_answer():
    rng = random.Random(18)
    names = ["campaign", "lead", "external_id", "attempt", "numbers", "answered_number", "caller_id", "network"]
    for _ in range(2000):
        facts = {n: rng.choice([text(rng), None, 3, ["0981", 7], '["0982"]']) for n in names if rng.random() < 0.9}
        facts.update(start_ms=rng.choice([0, 1_700_000_000_123, "17"]), answer_ms=rng.choice([0, 1_700_000_100_000]))
        tz = ZoneInfo(rng.choice(ZONES))
        full = cdr_object("call-1", facts, tz)
        assert list(answer_object("call-1", facts, tz).items()) == [(n, full[n]) for n in ANSWER_FIELDS]


@pytest.mark.parametrize(
    "value",
    [
        {"a": 1, "b": [1, 2.5, 0.0, -0.0, 1e16, None, True, False], "c": {"d": [], "e": {}}},
        {"name": 'Nguyễn\u2028\x00\x1f"\\/', "n": 10**30},
        ["x", {"y": "z"}],
        "just text é",
        0.1,
        [],
        {},
    ],
)
def test_json_text_writes_what_json_dumps_writes(value):
    assert json_text.dumps(value) == json.dumps(value, ensure_ascii=False)
    assert json_text.dumps_ascii(value) == json.dumps(value)


def test_a_local_time_is_always_what_datetime_says():
    rng = random.Random(19)
    starts = [
        datetime(1890, 1, 1, tzinfo=UTC),
        datetime(1936, 6, 30, 23, tzinfo=UTC),
        datetime(1971, 12, 31, 22, tzinfo=UTC),
        datetime(2026, 3, 28, tzinfo=UTC),
        datetime(2026, 10, 3, tzinfo=UTC),
        datetime(2026, 10, 24, tzinfo=UTC),
    ]
    for tz_name in ZONES:
        tz = ZoneInfo(tz_name)
        for start in starts:
            base = int(start.timestamp() * 1000)
            for _ in range(3000):
                ms = base + rng.randrange(3 * 86_400_000)
                other = ZoneInfo(rng.choice(ZONES))  # calls of campaigns in other zones interleave
                assert local_text(ms, tz) == datetime.fromtimestamp(ms / 1000, tz).strftime(LOCAL), (tz_name, ms)
                assert local_text(ms, other) == datetime.fromtimestamp(ms / 1000, other).strftime(LOCAL)


def test_every_offset_change_of_the_last_century_is_crossed_exactly():
    rng = random.Random(20)

    def offset(s: int, tz: ZoneInfo):
        return datetime.fromtimestamp(s, tz).utcoffset()

    for tz_name in ZONES:
        tz = ZoneInfo(tz_name)
        day = int(datetime(1925, 1, 1, tzinfo=UTC).timestamp())
        end = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
        while day < end:
            if offset(day, tz) != offset(day + 86_400, tz):
                lo, hi = day, day + 86_400  # the second the offset changes
                while hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (mid, hi) if offset(mid, tz) == offset(day, tz) else (lo, mid)
                instants = [(hi + s) * 1000 + rng.randrange(1000) for s in range(-180, 180)]
                instants += [day * 1000 + rng.randrange(86_400_000) for _ in range(100)]
                for ms in instants:
                    assert local_text(ms, tz) == datetime.fromtimestamp(ms / 1000, tz).strftime(LOCAL), (tz_name, ms)
            day += 86_400


@pytest.mark.parametrize("value", ["native", "vbot", "vbot_call", " VBot ", "VBOT_CALL", "", None, "other"])
def test_a_webhook_format_reads_as_it_did(value):
    try:
        want = vbot.WebhookFormat((value or "").strip().lower())
    except ValueError:
        want = vbot.WebhookFormat.NATIVE
    assert vbot.webhook_format(value) is want


# -- the recorder's bodies, every format ------------------------------------------------------------
def attempt(fmt: str, kind: str) -> InFlight:
    camp = Campaign(
        campaign_name="bodies",
        recall_times=1,
        schedule_recall=ScheduleRecall.MINUTE,
        schedule_recall_duration=0,
        recall_status=[RecallStatus.BUSY, RecallStatus.NO_ANSWERED],
        callback_url="http://127.0.0.1:9/end",
        answer_callback_url="http://127.0.0.1:9/answer",
        webhook_format=fmt,
    )
    claim = Claim(camp.campaign_uuid, "lead-1", "call-1", "viettel", 0, ["0981234567"], {"name": "Ánh"}, 0, 0, "ext")
    att = InFlight(
        claim,
        camp,
        SimpleNamespace(name="fs1"),
        "job-1",
        ["call-1"],
        ["0981234567"],
        1_700_000_000_000,  # type: ignore[arg-type]
    )
    att.caller_ids, att.job_ok, att.job_text = ["02812345678"], True, "+OK call-1"
    if kind == "answered":
        att.answered_ms, att.answered_leg = 1_700_000_002_500, "call-1"
        hang = {"Hangup-Cause": "NORMAL_CLEARING", "variable_billsec": "2", "variable_duration": "4"}
        att.hangups["call-1"] = {**hang, "variable_sip_term_status": "200", "variable_playback_ms": "500"}
    else:
        att.hangups["call-1"] = {
            "Hangup-Cause": "USER_BUSY",
            "variable_sip_term_status": "486",
            "variable_duration": "1",
        }
    att.ended_ms = 1_700_000_004_000
    return att


@pytest.mark.parametrize("fmt", ["native", "vbot", "vbot_call"])
@pytest.mark.parametrize("kind", ["answered", "busy"])
def test_the_recorded_bodies_are_json_dumps_of_the_documented_objects(fmt, kind):
    att = attempt(fmt, kind)
    finish = recorder.build_finish(att, 1_700_000_005_000)
    outcome, _ = recorder.outcome_of(att)
    tz = ZoneInfo(att.campaign.time_zone)
    if fmt == "native":
        want = cdr_object("call-1", finish.cdr.as_hash(), tz)
    else:
        want = recorder.end_body(att, finish.cdr, outcome)  # type: ignore[arg-type]
    assert finish.webhooks == [("http://127.0.0.1:9/end", json.dumps(want, ensure_ascii=False))]
    assert json_text.dumps(recorder.answer_body(att)) == json.dumps(recorder.answer_body(att), ensure_ascii=False)
