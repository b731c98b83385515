"""The records of the dialling cycle: a lead claimed for an attempt, and what finishing it writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialer.domain.cdr import AGENT_CALL_FIELDS, CALL_FIELDS, RETRY_FIELDS, AgentCallRecord, CallRecord, RetryRecord

# The record shapes finish.lua writes as a call hash, their field names in the stored order
# (finish.lua's ARGV[3]): a finish names its shape by position (1-based) and sends only the values.
CDR_SHAPES: tuple[tuple[str, ...], ...] = (CALL_FIELDS, RETRY_FIELDS, AGENT_CALL_FIELDS)


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
    # An autodialer attempt's sample for its campaign's pacer (dialer/store/call_stats.py): counters added
    # to the minute it ended; and the agent whose wrap-up time finish.lua adds to it ("": none).
    call_stats: dict[str, int] = field(default_factory=dict)
    wrap_agent: str = ""

    def as_lua(self) -> list[Any]:
        """The list finish.lua reads, by position (finish.lua names them): campaign, lead, call, network,
        end ms, hour, the CDR's shape (1 CallRecord, 2 RetryRecord: :data:`CDR_SHAPES`) and values,
        the lead update flattened (name, value, ...), reported 1/0, the queue to requeue in ("": none),
        due ms, next call, the counters flattened, the webhooks flattened (url, body, ...), the pacer's
        counters flattened, the agent whose wrap-up counts (3 is an :class:`AgentCallRecord`)."""
        lead: list[str] = []
        for k, v in self.lead_update.items():
            lead += (k, v if type(v) is str else str(v))
        stats: list[Any] = []
        for k, n in self.stats.items():
            stats += (k, n)
        hooks: list[str] = []
        for url, body in self.webhooks:
            hooks += (url, body)
        pacing: list[Any] = []
        for k, n in self.call_stats.items():
            pacing += (k, n)
        cdr = self.cdr
        shape = 3 if type(cdr) is AgentCallRecord else 1 if isinstance(cdr, CallRecord) else 2
        return [
            self.campaign_uuid,
            self.lead_uuid,
            self.call_uuid,
            self.network,
            self.end_ms,
            self.hour,
            shape,
            cdr.hash_values(),
            lead or ["updated_ms", str(self.end_ms)],
            1 if self.reported else 0,
            self.requeue or "",
            self.due_ms,
            self.next_call or "",
            stats,
            hooks,
            pacing,
            self.wrap_agent,
        ]
