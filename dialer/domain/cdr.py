"""The CDR object: one finished attempt as every native consumer sees it.

One model and one function build it for ``GET /v3/autocall/cdr`` (and its
CSV columns) and for the native ``callback_url`` body, so the two can never
differ in a name or a value. The ``answer_callback_url`` body is a subset of
the same fields, built by the same function from what is known at the
answer. A CDR hash read from Redis (every value a string, numbers as JSON)
and the engine's own CDR (ints and lists) give the same object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field, create_model

LOCAL = "%Y-%m-%d %H:%M:%S"


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
    return datetime.fromtimestamp(ms / 1000, tz).strftime(LOCAL) if ms else ""


def cdr_object(call_id: str, cdr: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """A CDR (the hash's names: ``campaign``, ``lead``, ``numbers``, ``report_key``...) as the API
    and the webhook show it: local times beside the ms, the report key as ``status``."""
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
    }


def answer_object(call_id: str, facts: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """The answer callback's body: :func:`cdr_object` of what is known at the answer, its ``ANSWER_FIELDS``."""
    full = cdr_object(call_id, facts, tz)
    return {name: full[name] for name in ANSWER_FIELDS}
