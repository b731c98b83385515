"""Lead import: one lead (the voice-OTP path) or many (CSV / JSON), with per-row errors.

Every row is checked before anything is written: its number must be a
Vietnamese number (stored in one normal form, each number once) and its
``param`` must hold every field the campaign's script needs. A row is a
duplicate when its customer id (``external_id``) is already in the campaign,
or when one of its numbers is the number of a lead that still has calls
pending (or of an earlier row of the same request): the same person is one
lead. The valid rows land whole or not at all (:mod:`dialer.service.landing`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Lead
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.hub import checkpoint, cyclic_gc_paused, release
from dialer.service.landing import Duplicate, ImportResult, Remember, land
from dialer.store.sealing import NoKey
from tts.template import placeholders

__all__ = [
    "Duplicate",
    "ImportResult",
    "LeadRules",
    "Remember",
    "Row",
    "checkpoint",
    "cyclic_gc_paused",
    "import_many",
    "import_one",
    "release",
]

CAMPAIGN_NOT_FOUND = "campaign is not found"
MAX_NUMBERS = 5
MAX_PARAMS = 100
MAX_PARAM_CHARS = 2000
OTP_CODE = re.compile(r"^[0-9]{3,12}$")


@dataclass(slots=True)
class Row:
    """One lead as a dialect received it."""

    numbers: list[str]
    param: dict[str, Any]
    external_id: str = ""


class LeadRules:
    """What a campaign needs of each lead, worked out once per import."""

    def __init__(self, svc: Services, campaign: Campaign) -> None:
        self.campaign = campaign
        self.required: list[str] = []
        self.otp_field = ""
        template = svc.store.catalog.templates.get(campaign.template_uuid) if campaign.template_uuid else None
        if template is not None and campaign.type_autocall is TypeAutocall.VOICE_TTS and template.text:
            self.required = sorted(placeholders(template.text))
        if campaign.type_autocall is TypeAutocall.VOICE_OTP:
            self.otp_field = template.otp_field if template is not None else "otp"

    def check(self, row: Row) -> tuple[Lead | None, list[tuple[str, str]]]:
        errors: list[tuple[str, str]] = []
        if not row.numbers:
            errors.append(("(root)", "phone_number is required"))
        parsed, seen = [], set()
        for raw in row.numbers[: 2 * MAX_NUMBERS]:  # a number given twice counts once
            try:
                number = normalize(raw)
            except InvalidNumber as exc:
                errors.append(("phone_number", exc.reason))
                continue
            if number.national not in seen:
                seen.add(number.national)
                parsed.append(number)
        if len(parsed) > MAX_NUMBERS or len(row.numbers) > 2 * MAX_NUMBERS:
            errors.append(("phone_number", f"at most {MAX_NUMBERS} numbers per lead"))
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
        lead = Lead(
            campaign_uuid=self.campaign.campaign_uuid,
            external_id=row.external_id,
            numbers=[p.national for p in parsed],
            networks=[p.network for p in parsed],
            fields=row.param,
        )
        return lead, []


def _json_type(value: Any) -> str:
    return "array" if isinstance(value, list) else "object"


def campaign_for_import(svc: Services, campaign_uuid: str) -> Campaign:
    campaign = svc.store.campaigns.get(campaign_uuid)
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    return campaign


def no_encryption_key(campaign_uuid: str) -> Conflict:
    return Conflict(
        f"campaign {campaign_uuid} has enable_encrypt on and this server has no "
        "AUTOCALL_ENCRYPTION_KEY: its leads cannot be stored encrypted, none was stored"
    )


def check_sealable(svc: Services, campaign: Campaign) -> None:
    """An enable_encrypt campaign's leads are stored sealed: refused (409) without a key."""
    if campaign.enable_encrypt and not svc.store.sealer.ready:
        raise no_encryption_key(campaign.campaign_uuid)


def import_one(svc: Services, campaign_uuid: str, row: Row, remember: Remember | None = None) -> ImportResult:
    """Queue one lead and wake the campaign's pacer: dialled as soon as the caps allow.
    The result holds the lead, or the answer this Idempotency-Key already got."""
    campaign = campaign_for_import(svc, campaign_uuid)
    check_sealable(svc, campaign)
    lead, errors = LeadRules(svc, campaign).check(row)
    if errors:
        raise Invalid(errors)
    assert lead is not None
    result = ImportResult()
    _land(svc, campaign_uuid, [(0, lead)], result, whole=True, remember=remember)
    if result.duplicates:
        raise Invalid([duplicate_error(result.duplicates[0])])
    return result


def duplicate_error(dup: Duplicate) -> tuple[str, str]:
    """A duplicate as a field error (the single import refuses it)."""
    if dup.phone_number:
        return (
            "phone_number",
            f"{dup.phone_number} is already in this campaign with calls pending (lead {dup.lead_uuid})",
        )
    return ("external_id", f"customer {dup.external_id} is already in this campaign (lead {dup.lead_uuid})")


class _Seen:
    """The customers and numbers of the rows taken so far: a later row sharing one is a duplicate."""

    def __init__(self) -> None:
        self.customers: dict[str, Lead] = {}
        self.numbers: dict[str, Lead] = {}

    def duplicate(self, index: int, lead: Lead) -> Duplicate | None:
        first = self.customers.get(lead.external_id) if lead.external_id else None
        if first is not None:
            return Duplicate(index, lead.external_id, first.lead_uuid, owner=first.external_id, in_request=True)
        for number in lead.numbers:
            first = self.numbers.get(number)
            if first is not None:
                return Duplicate(index, lead.external_id, first.lead_uuid, number, first.external_id, True)
        if lead.external_id:
            self.customers[lead.external_id] = lead
        for number in lead.numbers:
            self.numbers[number] = lead
        return None


def import_many(
    svc: Services,
    campaign: Campaign,
    rows: Sequence[Row | list[tuple[str, str]]],
    max_attempts: list[int] | None = None,
    *,
    pending_only: bool = False,
    whole: bool = False,
    remember: Remember | None = None,
    start: bool = False,
) -> ImportResult:
    """Check every row, land the valid ones (all or none), report the rest. A row may arrive
    already refused by its dialect's parser (a list of field errors).
    ``max_attempts`` gives rows their own attempt cap (VBot ``numberCall``); ``pending_only``,
    ``whole``, ``remember`` and ``start`` are :func:`dialer.service.landing.land`'s; with
    ``whole`` a refused or duplicate row lands nothing."""
    check_sealable(svc, campaign)
    rules = LeadRules(svc, campaign)
    result = ImportResult()
    valid: list[tuple[int, Lead]] = []
    seen = _Seen()
    for index, row in enumerate(rows):
        checkpoint()
        if isinstance(row, list):
            result.errors.append((index, row))
            continue
        lead, errors = rules.check(row)
        if errors:
            result.errors.append((index, errors))
            continue
        assert lead is not None
        if max_attempts and max_attempts[index]:
            lead = lead.model_copy(update={"max_attempts": max_attempts[index]})
        duplicate = seen.duplicate(index, lead)
        if duplicate is not None:
            result.duplicates.append(duplicate)
        else:
            valid.append((index, lead))
    if whole and (result.errors or result.duplicates):
        return result
    _land(
        svc,
        campaign.campaign_uuid,
        valid,
        result,
        pending_only=pending_only,
        whole=whole,
        remember=remember,
        start=start,
    )
    return result


def _land(
    svc: Services, campaign_uuid: str, valid: list[tuple[int, Lead]], result: ImportResult, **options: Any
) -> None:
    try:
        land(svc, campaign_uuid, valid, result, **options)
    except KeyError:  # deleted while the rows were checked
        raise NotFound(CAMPAIGN_NOT_FOUND) from None
    except NoKey:  # encryption turned on (by another server) while the rows were checked
        raise no_encryption_key(campaign_uuid) from None
