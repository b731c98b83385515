"""An attempt's call record, as written and as every native consumer sees it.

Three shapes, one way: :class:`CallRecord` (:class:`AgentCallRecord` for an
``autodialer`` call, :class:`RetryRecord` for an originate FreeSWITCH refused)
is written once, by the recorder, when the attempt ends; its
:meth:`CallRecord.as_hash` is the call hash stored in Redis (every value a
string: numbers ``str()``'d, lists JSON); :func:`cdr_object`
maps that hash, read back, to :class:`Cdr`, the public object: the items of
``GET /v3/autocall/cdr`` (and its CSV columns), the native ``callback_url``
body, and (a subset, :data:`ANSWER_FIELDS`) the ``answer_callback_url`` body.
The API and the webhooks go through the same function, so they can never
differ in a name or a value: the end webhook reads the record it was just
built from (:func:`record_object`), field for field what :func:`cdr_object`
makes of the record's hash (tests/test_cdr_bodies.py holds them equal).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, create_model

from dialer.domain.json_text import dumps_ascii
from dialer.domain.local_time import local_text


def hash_value(value: Any) -> str:
    """A value as a Redis hash stores it: text as is, lists and dicts as JSON, anything else ``str()``'d."""
    if isinstance(value, str):
        return value
    return dumps_ascii(value) if isinstance(value, list | dict) else str(value)  # json.dumps(value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CallRecord:
    """What the end of a dialled attempt writes as its call hash (``call:<uuid>``), under the stored
    names, in the stored order. Built once by the recorder; :func:`cdr_object` maps it, read back, to :class:`Cdr`."""

    state: str = "done"
    campaign: str
    lead: str
    external_id: str
    attempt: int
    numbers: list[str] | str  # str: sealed (enc:...) or dropped ("") for an enable_encrypt campaign
    legs: list[str]
    network: str
    answered_number: str
    caller_id: str
    node: str
    start_ms: int
    answer_ms: int
    end_ms: int
    duration: int
    billsec: int
    waitsec: int
    hangup_cause: str
    sip_status: str
    job_result: str
    recall_status: str
    report_key: str
    reason: str
    dtmf: str
    recall_at_ms: int
    tts_voice: str = ""  # the voice(s) that spoke the message, comma-separated; "" for audio / no message
    tts_engine: str = ""
    reported: str = "1"

    def as_hash(self) -> dict[str, str]:
        """The call hash's fields, exactly as stored."""
        return dict(zip(_RECORD_FIELDS[type(self)], self.hash_values(), strict=True))

    def hash_values(self) -> list[str]:
        """The call hash's values, exactly as stored, in the order of :data:`CALL_FIELDS`
        (:data:`AGENT_CALL_FIELDS` for an :class:`AgentCallRecord`)."""
        values = _RECORD_VALUES[type(self)](self)
        return [v if type(v) is str else str(v) if type(v) is int else hash_value(v) for v in values]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentCallRecord(CallRecord):
    """The record of an ``autodialer`` attempt: a :class:`CallRecord` and what its time in the
    campaign's mod_callcenter queue was (docs/autodialer.md, "Results and reports"). Only these
    calls store the four fields; any other call's CDR shows them empty / 0 / false."""

    agent: str = ""  # the extension of the agent it was bridged to ("" : none)
    queuesec: int = 0  # s in the queue: joined -> an agent answered, or -> left it
    agentsec: int = 0  # s bridged to the agent
    abandoned: int = 0  # 1: a human answered and no agent took the call (recall_status abandoned)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryRecord:
    """What an originate FreeSWITCH refused (or that never went out) writes: no call happened, the lead is
    retried; the hash is not a CDR (``reported`` "0": neither in the report nor in the CDR API)."""

    state: str = "retry"
    hangup_cause: str
    reported: str = "0"
    end_ms: int

    def as_hash(self) -> dict[str, str]:
        """The call hash's fields, exactly as stored."""
        return dict(zip(RETRY_FIELDS, self.hash_values(), strict=True))

    def hash_values(self) -> list[str]:
        """The call hash's values, exactly as stored, in the order of :data:`RETRY_FIELDS`."""
        return [v if type(v) is str else str(v) if type(v) is int else hash_value(v) for v in _retry_values(self)]


# The call hash's field names, in the stored order (the values of hash_values() go with them).
CALL_FIELDS = tuple(f.name for f in fields(CallRecord))
AGENT_CALL_FIELDS = tuple(f.name for f in fields(AgentCallRecord))  # CALL_FIELDS, then the queue's four
RETRY_FIELDS = tuple(f.name for f in fields(RetryRecord))
_retry_values = attrgetter(*RETRY_FIELDS)
_RECORD_FIELDS = {CallRecord: CALL_FIELDS, AgentCallRecord: AGENT_CALL_FIELDS}
_RECORD_VALUES = {CallRecord: attrgetter(*CALL_FIELDS), AgentCallRecord: attrgetter(*AGENT_CALL_FIELDS)}


class Cdr(BaseModel):
    """A finished attempt (a CDR): ``GET /v3/autocall/cdr``'s items and the native ``callback_url`` body."""

    call_id: str = Field(description="the call uuid (origination uuid; import's call_id, webhooks carry the same)")
    campaign_uuid: str
    lead_uuid: str
    external_id: str = Field(description="the lead's id given at import (queue: the customer id); may be empty")
    attempt: int = Field(description="1 = first attempt, 2 = first recall, ...")
    phone_numbers: list[str] = Field(description="the numbers this attempt dialled")
    answered_number: str = Field(description="the number that answered; empty when none did")
    caller_id: str = Field(description="the caller ID (hotline) the call showed")
    network: str = Field(description="viettel, mobi, vina, tel or offnet")
    start: str = Field(description="YYYY-MM-DD HH:MM:SS, campaign local time")
    answer: str = Field(description="empty when not answered")
    end: str
    start_ms: int = Field(description="epoch milliseconds")
    answer_ms: int = Field(description="0 when not answered")
    end_ms: int
    duration: int = Field(description="seconds from originate to hangup")
    billsec: int = Field(description="seconds talking")
    waitsec: int = Field(description="seconds ringing before answer or give-up")
    hangup_cause: str = Field(description="FreeSWITCH's hangup cause, or autocall's own (AUTOCALL_...)")
    sip_status: str
    recall_status: str = Field(description="the finer status: answered, busy, failed, no-answered, ...")
    status: str = Field(description="the report key: answered, busy, not_available, no_answer, cancel, failed")
    reason: str = Field(description="why the attempt ended so, in words")
    dtmf: str = Field(description="keys the callee pressed")
    recall_at: str = Field(description="when the recall this attempt scheduled is due; empty: none")
    recall_at_ms: int
    tts_voice: str = Field(
        description="the configured voice(s) that spoke a TTS/OTP message, comma-separated in the order heard "
        "(a fallback's name when the template's voice failed); empty for audio templates or no message"
    )
    tts_engine: str = Field(description="the engine of each voice in tts_voice (espeak, http, fpt, google, ...)")
    agent: str = Field(
        description="autodialer: the extension of the agent the call was bridged to; empty when none (or not "
        "an autodialer call)"
    )
    queuesec: int = Field(
        description="autodialer: seconds in the agents' queue, from joining it to an agent answering or to leaving it"
    )
    agentsec: int = Field(description="autodialer: seconds bridged to the agent (talk with the agent)")
    abandoned: bool = Field(
        description="autodialer: a human answered and no agent took the call (recall_status abandoned)"
    )


FIELDS = tuple(Cdr.model_fields)  # the JSON object's keys and the CSV's columns, in order

# What the answer callback carries: the CDR's fields known when the call is answered, under the same names.
ANSWER_FIELDS = (
    "call_id",
    "campaign_uuid",
    "lead_uuid",
    "external_id",
    "attempt",
    "phone_numbers",
    "answered_number",
    "caller_id",
    "network",
    "start",
    "answer",
    "start_ms",
    "answer_ms",
)
AnswerEvent = create_model(
    "AnswerEvent",
    __doc__="The native ``answer_callback_url`` body: the call was just answered (the CDR's fields known then).",
    **{name: (Cdr.model_fields[name].annotation, Cdr.model_fields[name]) for name in ANSWER_FIELDS},  # type: ignore[call-overload]
)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _numbers(value: Any) -> list[str]:
    """A list as the engine has it, or its JSON text as the CDR hash stores it."""
    if isinstance(value, str):
        try:
            value = json.loads(value or "[]")
        except ValueError:
            return [value]
    if value is None:
        return []
    return [str(n) for n in value] if isinstance(value, list | tuple) else [str(value)]


def _local(ms: int, tz: ZoneInfo) -> str:
    return local_text(ms, tz) if ms else ""


def cdr_object(call_id: str, cdr: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The stored record (a call hash read back, or :meth:`CallRecord.as_hash`; the hash's names:
    ``campaign``, ``lead``, ``numbers``, ``report_key``...) as :class:`Cdr`, the way the API and the
    webhook show it: local times beside the ms, the report key as ``status``. Missing fields read as
    empty / 0 (the answer callback passes only what is known at the answer)."""
    start_ms, answer_ms, end_ms = _int(cdr.get("start_ms")), _int(cdr.get("answer_ms")), _int(cdr.get("end_ms"))
    recall_at_ms = _int(cdr.get("recall_at_ms"))
    return {
        "call_id": call_id,
        "campaign_uuid": _text(cdr.get("campaign")),
        "lead_uuid": _text(cdr.get("lead")),
        "external_id": _text(cdr.get("external_id")),
        "attempt": _int(cdr.get("attempt")),
        "phone_numbers": _numbers(cdr.get("numbers")),
        "answered_number": _text(cdr.get("answered_number")),
        "caller_id": _text(cdr.get("caller_id")),
        "network": _text(cdr.get("network")),
        "start": _local(start_ms, tz),
        "answer": _local(answer_ms, tz),
        "end": _local(end_ms, tz),
        "start_ms": start_ms,
        "answer_ms": answer_ms,
        "end_ms": end_ms,
        "duration": _int(cdr.get("duration")),
        "billsec": _int(cdr.get("billsec")),
        "waitsec": _int(cdr.get("waitsec")),
        "hangup_cause": _text(cdr.get("hangup_cause")),
        "sip_status": _text(cdr.get("sip_status")),
        "recall_status": _text(cdr.get("recall_status")),
        "status": _text(cdr.get("report_key")),
        "reason": _text(cdr.get("reason")),
        "dtmf": _text(cdr.get("dtmf")),
        "recall_at": _local(recall_at_ms, tz),
        "recall_at_ms": recall_at_ms,
        "tts_voice": _text(cdr.get("tts_voice")),
        "tts_engine": _text(cdr.get("tts_engine")),
        "agent": _text(cdr.get("agent")),
        "queuesec": _int(cdr.get("queuesec")),
        "agentsec": _int(cdr.get("agentsec")),
        "abandoned": _int(cdr.get("abandoned")) == 1,
    }


def answer_object(call_id: str, facts: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The answer callback's body: :func:`cdr_object` of what is known at the answer, its ``ANSWER_FIELDS``."""
    body = cdr_object(call_id, facts, tz)
    return {name: body[name] for name in ANSWER_FIELDS}


# The record's values record_object reads, and the type each is taken as it is in; a record holding
# anything else (a sealed number text, a value of another type) is mapped through its hash.
_OBJECT_FIELDS = (
    *("campaign", "lead", "external_id", "attempt", "numbers", "answered_number", "caller_id", "network"),
    *("start_ms", "answer_ms", "end_ms", "duration", "billsec", "waitsec", "hangup_cause", "sip_status"),
    *("recall_status", "report_key", "reason", "dtmf", "recall_at_ms", "tts_voice", "tts_engine"),
)
_INTS = frozenset({"attempt", "start_ms", "answer_ms", "end_ms", "duration", "billsec", "waitsec", "recall_at_ms"})
_PLAIN_TYPES = tuple(list if n == "numbers" else int if n in _INTS else str for n in _OBJECT_FIELDS)
_object_values = attrgetter(*_OBJECT_FIELDS)
_queue_values = attrgetter("agent", "queuesec", "agentsec", "abandoned")  # an AgentCallRecord's own four
_QUEUE_TYPES = (str, int, int, int)
_STR = frozenset({str})


def record_object(call_id: str, record: CallRecord, tz: ZoneInfo) -> dict[str, Any]:
    """``cdr_object(call_id, record.as_hash(), tz)``, read from the record itself: the end webhook's body
    is built as the attempt ends, without writing every value as hash text and parsing it back."""
    values = _object_values(record)
    if tuple(map(type, values)) != _PLAIN_TYPES or not set(map(type, values[4])) <= _STR:
        return cdr_object(call_id, record.as_hash(), tz)
    if type(record) is AgentCallRecord:
        queue = _queue_values(record)
        if tuple(map(type, queue)) != _QUEUE_TYPES:
            return cdr_object(call_id, record.as_hash(), tz)
        agent, queuesec, agentsec, abandoned = queue
    else:
        agent, queuesec, agentsec, abandoned = "", 0, 0, 0
    (campaign, lead, external_id, attempt, numbers, answered_number, caller_id, network) = values[:8]
    (start_ms, answer_ms, end_ms, duration, billsec, waitsec, hangup_cause, sip_status) = values[8:16]
    (recall_status, report_key, reason, dtmf, recall_at_ms, tts_voice, tts_engine) = values[16:]
    return {
        "call_id": call_id,
        "campaign_uuid": campaign,
        "lead_uuid": lead,
        "external_id": external_id,
        "attempt": attempt,
        "phone_numbers": list(numbers),
        "answered_number": answered_number,
        "caller_id": caller_id,
        "network": network,
        "start": local_text(start_ms, tz) if start_ms else "",
        "answer": local_text(answer_ms, tz) if answer_ms else "",
        "end": local_text(end_ms, tz) if end_ms else "",
        "start_ms": start_ms,
        "answer_ms": answer_ms,
        "end_ms": end_ms,
        "duration": duration,
        "billsec": billsec,
        "waitsec": waitsec,
        "hangup_cause": hangup_cause,
        "sip_status": sip_status,
        "recall_status": recall_status,
        "status": report_key,
        "reason": reason,
        "dtmf": dtmf,
        "recall_at": local_text(recall_at_ms, tz) if recall_at_ms else "",
        "recall_at_ms": recall_at_ms,
        "tts_voice": tts_voice,
        "tts_engine": tts_engine,
        "agent": agent,
        "queuesec": queuesec,
        "agentsec": agentsec,
        "abandoned": abandoned == 1,
    }
