"""Campaign operations: create, update, list, read, (de)activate, delete, run control."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from dialer.api.schema_errors import schema_errors
from dialer.domain.enums import CampaignStatus, CampaignType
from dialer.domain.ids import new_uuid
from dialer.domain.models import Campaign
from dialer.pacing.window import zone
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.store.store import MissingReference, NameTaken

NAME_TAKEN = "campaign_name is already taken"
MUST_BE_INACTIVE = "campaign must be deactive"  # the seed's wording
NO_ENCRYPTION_KEY = ("enable_encrypt needs AUTOCALL_ENCRYPTION_KEY, which this server does not have: "
                     "set it (docs/configuration.md) before turning encryption on")  # fmt: skip
# Set by autocall, never by a request: a body may carry them (echoing a GET), they are ignored.
READ_ONLY = frozenset({"campaign_uuid", "campaign_id", "created_at", "updated_at", "template_name", "carrier_name",
                       "domain_uuid", "domain_name", "run_id"})  # fmt: skip


def _validated(values: dict[str, Any]) -> Campaign:
    try:
        return Campaign.model_validate(values)
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None


def _missing(campaign: Campaign, field: str) -> Invalid:
    """Deleted between our check and the write (the store's script re-checks atomically)."""
    what = field.removesuffix("_uuid")
    return Invalid.one(field, f"{what} {getattr(campaign, field)} does not exist")


def _check_references(svc: Services, campaign: Campaign, changed: set[str]) -> None:
    errors = []
    if "template_uuid" in changed and campaign.template_uuid and svc.store.get_template(campaign.template_uuid) is None:
        errors.append(("template_uuid", f"template {campaign.template_uuid} does not exist"))
    if "carrier_uuid" in changed and campaign.carrier_uuid and svc.store.get_carrier(campaign.carrier_uuid) is None:
        errors.append(("carrier_uuid", f"carrier {campaign.carrier_uuid} does not exist"))
    for schedule in campaign.schedules or []:
        for name, value in schedule.model_dump(exclude_none=True).items():
            if name.endswith("_time") and not 0 <= value <= 86_400 * 10**9:
                errors.append((f"schedules.{name}", "Must be between 0 and 86400000000000 (nanoseconds in a day)"))
    try:
        zone(campaign.time_zone)
    except Exception:
        errors.append(("time_zone", f"unknown time zone {campaign.time_zone!r} (an IANA name, e.g. Asia/Ho_Chi_Minh)"))
    if "enable_encrypt" in changed and campaign.enable_encrypt and not svc.store.sealer.ready:
        errors.append(("enable_encrypt", NO_ENCRYPTION_KEY))  # its leads could not be stored sealed
    if errors:
        raise Invalid(errors)


def _stamp_schedules(campaign: Campaign, domain_uuid: str) -> Campaign:
    """Give each schedule the id, domain and campaign the v3 GET shows."""
    if not campaign.schedules:
        return campaign
    stamped = [s.model_copy(update={"id": s.id or new_uuid(), "domain_uuid": domain_uuid,
                                    "campaign_uuid": campaign.campaign_uuid}) for s in campaign.schedules]  # fmt: skip
    return campaign.model_copy(update={"schedules": stamped})


def create(svc: Services, values: dict[str, Any], *, uuid: str = "") -> Campaign:
    """A new campaign; ``uuid`` is its campaign_uuid when the caller chose one (a VBot creation marks it first)."""
    values = {k: v for k, v in values.items() if k not in READ_ONLY}
    if uuid:
        values["campaign_uuid"] = uuid
    campaign = _validated(values)
    _check_references(svc, campaign, set(values))
    campaign = _stamp_schedules(campaign, svc.domain_uuid)
    try:
        return svc.store.create_campaign(campaign)
    except NameTaken:
        raise Conflict(NAME_TAKEN) from None
    except MissingReference as exc:
        raise _missing(campaign, str(exc)) from None


def get(svc: Services, uuid: str) -> Campaign:
    campaign = svc.store.get_campaign(uuid)
    if campaign is None:
        raise NotFound()
    return campaign


def update(svc: Services, uuid: str, values: dict[str, Any]) -> Campaign:
    """Change the fields given (a field left out keeps its value)."""
    body_uuid = values.get("campaign_uuid")
    if body_uuid and body_uuid != uuid:
        raise Invalid.one("campaign_uuid", "campaign_uuid in the body differs from the one in the URL")
    current = get(svc, uuid)
    values = {k: v for k, v in values.items() if k not in READ_ONLY}
    merged = _validated({**current.model_dump(), **values})
    _check_references(svc, merged, set(values))
    merged = _stamp_schedules(merged, svc.domain_uuid)
    now = datetime.now(zone(merged.time_zone))
    merged = merged.model_copy(update={"updated_at": now})
    stored = merged.to_redis()
    fields = {k: stored[k] for k in (*values, "updated_at") if k in stored}
    # Always the body's name (the script compares it with the stored one): a name read
    # before another client's rename must rename back, index included.
    new_name = merged.campaign_name if "campaign_name" in values else ""
    try:
        svc.store.update_campaign(uuid, fields, new_name)
    except NameTaken:
        raise Conflict(NAME_TAKEN) from None
    except MissingReference as exc:
        raise _missing(merged, str(exc)) from None
    except KeyError:
        raise NotFound() from None
    return merged


def page(svc: Services, *, type: CampaignType | None, limit: int, offset: int) -> tuple[list[Campaign], int]:
    """Campaigns in creation order, optionally of one type: (the page, total matching)."""
    campaigns = svc.store.get_campaigns(svc.store.campaign_uuids())
    if type is not None:
        campaigns = [c for c in campaigns if c.type is type]
    return campaigns[offset : offset + limit], len(campaigns)


def set_active(svc: Services, uuid: str, active: bool) -> Campaign:
    return update(svc, uuid, {"active": active})


def delete(svc: Services, uuid: str) -> None:
    result = svc.store.delete_campaign(uuid, svc.now_ms())
    if result == "missing":
        raise NotFound()
    if result == "active":
        raise Conflict(MUST_BE_INACTIVE)


def run(svc: Services, uuid: str, status: CampaignStatus) -> None:
    """start / pause / stop. The engines hear it at once (Redis pub/sub)."""
    try:
        svc.store.update_campaign(uuid, {"status": status.value})  # one script: refuses a deleted campaign
    except KeyError:
        raise NotFound() from None


# Set per campaign, never copied from the campaign a new one is cloned from.
NOT_CLONED = frozenset({"campaign_uuid", "campaign_id", "campaign_name", "created_at", "updated_at", "status",
                        "active", "run_id", "orig_campaign_uuid", "schedules"})  # fmt: skip


def clone(svc: Services, source: Campaign, name: str, status: CampaignStatus = CampaignStatus.START, *,
          uuid: str = "") -> Campaign:  # fmt: skip
    """A new campaign with ``source``'s settings (script, carrier, caps, recall rules,
    schedules, webhooks) under a new name; ``orig_campaign_uuid`` records the source."""
    values = {k: v for k, v in source.model_dump(mode="json").items() if k not in NOT_CLONED}
    schedules = [s.model_dump(exclude={"id", "campaign_uuid"}) for s in source.schedules or []]
    # A template campaign is often kept inactive; its clone is a live campaign.
    values.update(campaign_name=name, orig_campaign_uuid=source.campaign_uuid, status=status.value, active=True,
                  schedules=schedules or None)  # fmt: skip
    return create(svc, values, uuid=uuid)


def discard(svc: Services, uuid: str) -> None:
    """Undo a campaign made moments ago by a request that then failed (no call was placed:
    it was never started). Its name is free again; the janitor purges any lead it got."""
    svc.store.update_campaign(uuid, {"active": "false", "status": CampaignStatus.STOP.value})
    svc.store.delete_campaign(uuid, svc.now_ms())
