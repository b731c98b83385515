"""Small builders for campaigns and leads used across the engine tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from dialer.domain.cdr import CallRecord
from dialer.domain.enums import CampaignStatus, Network
from dialer.domain.models import Campaign, Lead
from dialer.store.records import Claim
from dialer.store.store import Store

_names = itertools.count(1)
_customers = itertools.count(1)
PREFIX_NETWORK = {
    "098": Network.VIETTEL,
    "090": Network.MOBI,
    "091": Network.VINA,
    "028": Network.TEL,
    "092": Network.OFFNET,
}


def campaign(store: Store, **fields: Any) -> Campaign:
    fields.setdefault("campaign_name", f"campaign-{next(_names)}")
    fields.setdefault("status", CampaignStatus.START)
    return store.campaigns.create(Campaign(**fields))


def number(i: int, prefix: str = "098") -> str:
    return f"{prefix}{i:07d}" if prefix != "028" else f"028{i:08d}"


def leads(
    store: Store,
    camp: Campaign,
    count: int,
    *,
    now_ms: int = 1_000,
    prefix: str = "098",
    numbers_per_lead: int = 1,
    **fields: Any,
) -> list[Lead]:
    out = []
    for i in range(count):
        nums = [number(i * 10 + j, prefix) for j in range(numbers_per_lead)]
        out.append(
            Lead(
                campaign_uuid=camp.campaign_uuid,
                external_id=f"cust-{next(_customers)}",
                numbers=nums,
                networks=[PREFIX_NETWORK[prefix]] * len(nums),
                fields=dict(fields),
            )
        )
    store.leads.add(out, now_ms)
    return out


def in_flight(store: Store) -> Claim:
    """One call holding its slot, as the engine leaves it between the originate and the result."""
    camp = campaign(store)
    leads(store, camp, 1)
    claims, _ = store.calls.claim(camp.campaign_uuid, 1, "fs1", 1_000, 60_000, [str(uuid.uuid4())])
    return claims[0]


def call_record(**fields: Any) -> CallRecord:
    """A finished attempt's record as the recorder writes it: the fields a spec names, the rest empty."""
    blank: dict[str, Any] = {
        "campaign": "",
        "lead": "",
        "external_id": "",
        "attempt": 1,
        "numbers": [],
        "legs": [],
        "network": "",
        "answered_number": "",
        "caller_id": "",
        "node": "",
        "start_ms": 0,
        "answer_ms": 0,
        "end_ms": 0,
        "duration": 0,
        "billsec": 0,
        "waitsec": 0,
        "hangup_cause": "",
        "sip_status": "",
        "job_result": "",
        "recall_status": "",
        "report_key": "",
        "reason": "",
        "dtmf": "",
        "recall_at_ms": 0,
    }
    return CallRecord(**{**blank, **fields})
