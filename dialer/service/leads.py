"""Lead import: one lead (the voice-OTP path) or many (CSV / JSON), with per-row errors.

Every row is checked before anything is written: its number must be a
Vietnamese number (stored in one normal form) and its ``param`` must hold
every field the campaign's script needs. Valid rows are queued in atomic
batches; a row whose customer id (``external_id``) the campaign already has
is a duplicate and is not queued again, so a retried import dials nobody twice.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass, field
from typing import Any

import gevent

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Lead
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.store.sealing import NoKey
from tts.template import placeholders

CAMPAIGN_NOT_FOUND = "campaign is not found"
MAX_NUMBERS = 5
MAX_PARAMS = 100
MAX_PARAM_CHARS = 2000
OTP_CODE = re.compile(r"^[0-9]{3,12}$")
YIELD_EVERY = 500  # rows handled between two yields to the hub (about 10 ms of work)


_gc_holds = 0


@contextlib.contextmanager
def cyclic_gc_paused():
    """No cyclic-GC pass while a bulk import builds its rows.

    A 100,000-row import allocates ~10^6 objects that live until it ends, so
    full collections kept firing and each held the hub 100-200 ms (ESL events
    waited). The rows hold no reference cycles: reference counting frees
    them. Re-entrant across concurrent imports; collection resumes after.
    """
    global _gc_holds
    _gc_holds += 1
    if _gc_holds == 1:
        gc.disable()
    try:
        yield
    finally:
        _gc_holds -= 1
        if _gc_holds == 0:
            gc.enable()


def yield_to_io() -> None:
    """Let the hub poll sockets (ESL readers, other requests) in the middle of a long import.

    ``gevent.sleep(0)`` only runs ready greenlets and does not poll I/O, so a
    100,000-row import yielding that way still held ESL events back for
    ~450 ms at a time; a 1 ms timer forces a loop iteration with a poll.
    """
    gevent.sleep(0.001)


@dataclass(slots=True)
class Row:
    """One lead as a dialect received it."""

    numbers: list[str]
    param: dict[str, Any]
    external_id: str = ""


@dataclass(slots=True)
class ImportResult:
    imported: list[tuple[int, Lead]] = field(default_factory=list)  # (row index, lead)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # (row index, external id, existing lead)
    errors: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)  # (row index, field errors)


class LeadRules:
    """What a campaign needs of each lead, worked out once per import."""

    def __init__(self, svc: Services, campaign: Campaign) -> None:
        self.campaign = campaign
        self.required: list[str] = []
        self.otp_field = ""
        template = svc.store.get_template(campaign.template_uuid) if campaign.template_uuid else None
        if template is not None and campaign.type_autocall is TypeAutocall.VOICE_TTS and template.text:
            self.required = sorted(placeholders(template.text))
        if campaign.type_autocall is TypeAutocall.VOICE_OTP:
            self.otp_field = template.otp_field if template is not None else "otp"

    def check(self, row: Row) -> tuple[Lead | None, list[tuple[str, str]]]:
        errors: list[tuple[str, str]] = []
        if not row.numbers:
            errors.append(("(root)", "phone_number is required"))
        if len(row.numbers) > MAX_NUMBERS:
            errors.append(("phone_number", f"at most {MAX_NUMBERS} numbers per lead"))
        parsed = []
        for raw in row.numbers[:MAX_NUMBERS]:
            try:
                parsed.append(normalize(raw))
            except InvalidNumber as exc:
                errors.append(("phone_number", exc.reason))
        if len(row.param) > MAX_PARAMS:
            errors.append(("param", f"at most {MAX_PARAMS} fields"))
        for key, value in row.param.items():
            if not isinstance(value, str | int | float | bool) and value is not None:
                errors.append((f"param.{key}", f"Invalid type. Expected: string, given: {_json_type(value)}"))
            elif isinstance(value, str) and len(value) > MAX_PARAM_CHARS:
                errors.append((f"param.{key}", f"String length must be less than or equal to {MAX_PARAM_CHARS}"))
        for name in self.required:
            if row.param.get(name) in (None, ""):
                errors.append(("param", f"{name} is required (the campaign's template says {{{{{name}}}}})"))
        if self.otp_field:
            code = str(row.param.get(self.otp_field, "")).strip()
            if not OTP_CODE.match(code):
                errors.append(("param", f"{self.otp_field} must be the OTP code: 3 to 12 digits"))
        if errors:
            return None, errors
        lead = Lead(campaign_uuid=self.campaign.campaign_uuid, external_id=row.external_id,
                    numbers=[p.national for p in parsed], networks=[p.network for p in parsed],
                    fields=row.param)  # fmt: skip
        return lead, []


def _json_type(value: Any) -> str:
    return "array" if isinstance(value, list) else "object"


def campaign_for_import(svc: Services, campaign_uuid: str) -> Campaign:
    campaign = svc.store.get_campaign(campaign_uuid)
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    return campaign


def no_encryption_key(campaign_uuid: str) -> Conflict:
    return Conflict(f"campaign {campaign_uuid} has enable_encrypt on and this server has no "
                    "AUTOCALL_ENCRYPTION_KEY: its leads cannot be stored encrypted, none was stored")  # fmt: skip


def check_sealable(svc: Services, campaign: Campaign) -> None:
    """An enable_encrypt campaign's leads are stored sealed: refused (409) without a key."""
    if campaign.enable_encrypt and not svc.store.sealer.ready:
        raise no_encryption_key(campaign.campaign_uuid)


def import_one(svc: Services, campaign_uuid: str, row: Row) -> Lead:
    """Queue one lead and wake the campaign's pacer: dialled as soon as the caps allow."""
    campaign = campaign_for_import(svc, campaign_uuid)
    check_sealable(svc, campaign)
    lead, errors = LeadRules(svc, campaign).check(row)
    if errors:
        raise Invalid(errors)
    assert lead is not None
    try:
        duplicates = svc.store.add_leads([lead], svc.now_ms())
    except KeyError:
        raise NotFound(CAMPAIGN_NOT_FOUND) from None
    except NoKey:  # encryption turned on (by another server) while the row was checked
        raise no_encryption_key(campaign_uuid) from None
    if duplicates:
        raise Invalid.one("external_id", f"customer {row.external_id} is already in this campaign "
                                         f"(lead {duplicates[0]})")  # fmt: skip
    svc.store.wake(campaign_uuid)
    return lead


def import_many(svc: Services, campaign: Campaign, rows: list[Row | list[tuple[str, str]]],
                max_attempts: list[int] | None = None) -> ImportResult:  # fmt: skip
    """Check every row, queue the valid ones, report the rest. A row may arrive
    already refused by its dialect's parser (a list of field errors).
    ``max_attempts`` gives rows their own attempt cap (VBot ``numberCall``)."""
    check_sealable(svc, campaign)
    rules = LeadRules(svc, campaign)
    result = ImportResult()
    valid: list[tuple[int, Lead]] = []
    for index, row in enumerate(rows):
        if index % YIELD_EVERY == YIELD_EVERY - 1:
            yield_to_io()
        if isinstance(row, list):
            result.errors.append((index, row))
            continue
        lead, errors = rules.check(row)
        if errors:
            result.errors.append((index, errors))
        else:
            if max_attempts and max_attempts[index]:
                lead = lead.model_copy(update={"max_attempts": max_attempts[index]})  # type: ignore[union-attr]
            valid.append((index, lead))  # type: ignore[arg-type]
    try:
        duplicates = svc.store.add_leads([lead for _, lead in valid], svc.now_ms()) if valid else {}
    except KeyError:  # deleted while the rows were checked
        raise NotFound(CAMPAIGN_NOT_FOUND) from None
    except NoKey:  # encryption turned on (by another server) while the rows were checked
        raise no_encryption_key(campaign.campaign_uuid) from None
    for position, (index, lead) in enumerate(valid):
        if position in duplicates:
            result.duplicates.append((index, lead.external_id, duplicates[position]))
        else:
            result.imported.append((index, lead))
    if result.imported:
        svc.store.wake(campaign.campaign_uuid)
    return result
