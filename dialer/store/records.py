"""The records of the dialling cycle: a lead claimed for an attempt, and what finishing it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialer.domain.cdr import CallRecord, RetryRecord


@dataclass(slots=True)
class Claim:
    """A lead taken for dialling, with the slot it holds."""

    campaign_uuid: str
    lead_uuid: str
    call_uuid: str
    network: str
    number_idx: int
    numbers: list[str]
    fields: dict[str, Any]
    attempts: int  # attempts made before this one
    first_attempt_ms: int
    external_id: str
    max_attempts: int = 0  # this lead's own cap on attempts (VBot numberCall); 0 = the campaign's
    # Why the lead's sealed numbers and fields cannot be opened (wrong key, changed value); "" = readable
    unreadable: str = ""
    switch_cuts: int = 0  # the lead's last attempts in a row cut short by FreeSWITCH going away (not counted)


@dataclass(slots=True)
class Finish:
    """Everything finish.lua writes for one attempt."""

    campaign_uuid: str
    lead_uuid: str
    call_uuid: str
    network: str
    end_ms: int
    hour: str  # local YYYYMMDDHH bucket of the report counters
    cdr: CallRecord | RetryRecord  # the call hash to write (dialer/domain/cdr.py)
    lead_update: dict[str, Any]
    # False for an originate FreeSWITCH refused for its own limits: no call
    # happened, so it is neither in the report nor in the lead's history.
    reported: bool = True
    requeue: str | None = None  # "recalls" | "fresh" | None (lead done)
    due_ms: int = 0
    next_call: str = ""
    stats: dict[str, int] = field(default_factory=dict)
    webhooks: list[tuple[str, str]] = field(default_factory=list)

    def as_lua(self) -> dict[str, Any]:
        """The JSON object finish.lua reads (CDR and lead fields flattened to name, value, ...)."""
        flat_cdr: list[str] = []
        for k, v in self.cdr.as_hash().items():
            flat_cdr += [k, v]
        flat_lead: list[str] = []
        for k, v in self.lead_update.items():
            flat_lead += [k, str(v)]
        stats: list[Any] = []
        for k, n in self.stats.items():
            stats += [k, n]
        return {
            "campaign": self.campaign_uuid,
            "lead": self.lead_uuid,
            "call": self.call_uuid,
            "network": self.network,
            "end_ms": self.end_ms,
            "hour": self.hour,
            "cdr": flat_cdr,
            "lead_update": flat_lead or ["updated_ms", str(self.end_ms)],
            "reported": self.reported,
            "requeue": self.requeue,
            "due_ms": self.due_ms,
            "next_call": self.next_call,
            "stats": stats,
            "webhooks": [list(w) for w in self.webhooks],
        }
