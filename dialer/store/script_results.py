"""What the Lua scripts answer, as types: every magic string or number a script returns is decoded
here once (dialer/store/scripts.py), so callers compare enum members and read dataclass fields."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any, NamedTuple


class CreateRefusal(Enum):
    """Why create_campaign.lua wrote nothing (its return code)."""

    NAME_TAKEN = 0
    NO_TEMPLATE = -1
    NO_CARRIER = -2
    UUID_TAKEN = -3
    ID_TAKEN = -4


@dataclass(frozen=True, slots=True)
class Creation:
    campaign_id: int = 0  # the campaign's integer id (0 when refused)
    refusal: CreateRefusal | None = None


class CampaignUpdate(Enum):
    """update_campaign.lua's answer."""

    OK = "ok"
    MISSING = "missing"  # no such campaign, or deleted
    NAME_TAKEN = "taken"
    NO_TEMPLATE = "no-template"
    NO_CARRIER = "no-carrier"


class Deletion(Enum):
    """delete_campaign.lua's answer."""

    OK = "ok"
    MISSING = "missing"
    ACTIVE = "active"  # rule 'inactive': v3 deletes only an inactive campaign
    RUNNING = "running"  # rule 'stopped': the queue API deletes only a campaign not started


class DeleteRule(Enum):
    """What a campaign must be to be deleted."""

    INACTIVE = "inactive"  # v3: active=false
    STOPPED = "stopped"  # queue API: status is not start


@dataclass(frozen=True, slots=True)
class AddedLeads:
    """add_leads.lua's answer: the duplicates skipped (1-based index in the batch, the lead already
    queued for that customer), or the campaign found missing (nothing written)."""

    duplicates: list[tuple[int, str]] = field(default_factory=list)
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimInfo:
    """claim.lua's view of the campaign after the claim."""

    busy: int = 0  # calls in flight after the claim
    cap: int = 1  # concurrent_call
    next_due: int = -1  # ms of the next recall due, -1 when none
    stopped: bool = False  # the campaign is not started or not active: nothing claimed


@dataclass(frozen=True, slots=True)
class Claimed:
    """claim.lua's answer: one row per lead claimed (lead, call, network, number index, numbers,
    fields, attempts, first attempt ms, customer id, max attempts, switch cuts)."""

    rows: list[list[Any]]
    info: ClaimInfo


@dataclass(frozen=True, slots=True)
class Finished:
    """finish.lua's answer: the calls recorded, or (nothing written) the campaigns the batch sealed
    wrong, with their enable_encrypt as it is now."""

    recorded: list[str]
    sealed_wrong: dict[str, bool] = field(default_factory=dict)


class ExpiredSlot(NamedTuple):
    """A slot whose lease expired and whose owner is gone (reap.lua)."""

    call: str
    lead: str
    network: str
    node: str
    start_ms: int


class AdoptedSlot(NamedTuple):
    """A slot re-owned from a dead engine (adopt.lua), with the hangups kept for it (leg -> CDR fields)
    and the engine that placed the call (its channels' ``autocall_engine``; "" if unknown)."""

    call: str
    lead: str
    network: str
    node: str
    start_ms: int
    hangups: dict[str, dict[str, str]]
    origin: str


class ClaimedDelivery(NamedTuple):
    """A webhook delivery leased to this sender (claim_webhooks.lua)."""

    delivery: str
    receiver: str  # host:port


class LeasedDelivery(NamedTuple):
    """A webhook delivery leased to this sender with its hash (url, body, tries, campaign...; {} when gone)."""

    delivery: str
    receiver: str  # host:port
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class CommitReply:
    """commit_leads.lua's answer: exactly one field is set."""

    ok: int | None = None  # rows made dialable
    replay: str | None = None  # the answer already given to this Idempotency-Key
    missing: str | None = None  # the campaign is gone
    expired: str | None = None  # the import's marker expired
    lost: int | None = None  # staged hashes missing (evicted)
    clashes: list[list[Any]] = field(default_factory=list)  # [row, lead, field, number index, customer id]
