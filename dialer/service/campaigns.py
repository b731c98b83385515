"""Campaign operations: create, update, list, read, (de)activate, delete, run control."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from dialer.domain.agent_test import QUEUE_PREFIX, is_agent_test_queue
from dialer.domain.enums import CampaignStatus, CampaignType
from dialer.domain.ids import new_uuid
from dialer.domain.models import Campaign
from dialer.domain.webhook_targets import host_problem
from dialer.domain.window import zone
from dialer.esl.callcenter import STRATEGIES, BadArgument, check_name
from dialer.service import agents, readiness
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.schema_errors import schema_errors
from dialer.store.errors import MissingReference, NameTaken, Taken
from dialer.store.script_results import Deletion

NAME_TAKEN = "campaign_name is already taken"
QUEUE_TAKEN = "call_center_queue_uuid is already the queue of autodialer campaign {uuid}"
TAKEN = {"campaign_uuid": "campaign_uuid is already taken", "campaign_id": "campaign_id is already taken"}
MUST_BE_INACTIVE = "campaign must be deactive"  # the seed's wording
NO_ENCRYPTION_KEY = (
    "enable_encrypt needs AUTOCALL_ENCRYPTION_KEY, which this server does not have: "
    "set it (docs/configuration.md) before turning encryption on"
)
WEBHOOK_URLS = ("answer_callback_url", "callback_url")
INACTIVE = (
    'campaign is inactive: activate it first (PATCH /v3/campaign/{uuid}/active with {{"active": true}}), then start it'
)
# Set by autocall, never by a request: a body may carry them (echoing a GET), they are ignored
# (a differing value is expected: updated_at moves, a template is renamed, a customer's old domain).
READ_ONLY = frozenset(
    {"created_at", "updated_at", "template_name", "carrier_name", "domain_uuid", "domain_name", "run_id"}
)
# A campaign's identity: chosen (or allocated) on create, never changed; a PUT must repeat it or leave it out.
IDS = ("campaign_uuid", "campaign_id")


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
    catalog = svc.store.catalog
    if "template_uuid" in changed and campaign.template_uuid and catalog.templates.get(campaign.template_uuid) is None:
        errors.append(("template_uuid", f"template {campaign.template_uuid} does not exist"))
    if "carrier_uuid" in changed and campaign.carrier_uuid and catalog.carriers.get(campaign.carrier_uuid) is None:
        errors.append(("carrier_uuid", f"carrier {campaign.carrier_uuid} does not exist"))
    for schedule in campaign.schedules or []:
        for name, value in schedule.model_dump(exclude_none=True).items():
            if name.endswith("_time") and not 0 <= value <= 86_400 * 10**9:
                errors.append((f"schedules.{name}", "Must be between 0 and 86400000000000 (nanoseconds in a day)"))
    try:
        zone(campaign.time_zone)
    except Exception:
        errors.append(("time_zone", f"unknown time zone {campaign.time_zone!r} (an IANA name, e.g. Asia/Ho_Chi_Minh)"))
    for name in WEBHOOK_URLS:  # literal internal addresses; what a name resolves to is checked when sent
        url = getattr(campaign, name)
        problem = host_problem(url) if name in changed and url and not svc.webhook_allow_private else None
        if problem:
            errors.append((name, f"{name} {problem}"))
    if "enable_encrypt" in changed and campaign.enable_encrypt and not svc.store.sealer.ready:
        errors.append(("enable_encrypt", NO_ENCRYPTION_KEY))  # its leads could not be stored sealed
    if changed & {"type", "users", "groups"}:  # an autodialer's users must be agents (docs/autodialer.md, "Agents")
        errors += agents.campaign_problems(svc, campaign)
    if campaign.type is CampaignType.AUTODIALER and changed & {"type", *QUEUE_FIELDS}:
        errors += _queue_problems(svc, campaign)
    if errors:
        raise Invalid(errors)


QUEUE_FIELDS = ("call_center_queue_uuid", "call_center_queue_strategy")


def _queue_problems(svc: Services, campaign: Campaign) -> list[tuple[str, str]]:
    """An autodialer campaign's queue becomes a mod_callcenter queue of that name, with that strategy
    (docs/autodialer.md). mod_callcenter itself takes any strategy name and silently orders agents by
    level and position for one it does not know: a typo is refused here instead."""
    errors = []
    strategy = campaign.call_center_queue_strategy
    if strategy and strategy not in STRATEGIES:
        errors.append(
            (
                "call_center_queue_strategy",
                f"call_center_queue_strategy {strategy!r} is not one of mod_callcenter's: {', '.join(STRATEGIES)}",
            )
        )
    if campaign.call_center_queue_uuid:
        try:
            check_name("call_center_queue_uuid", campaign.call_center_queue_uuid)
        except BadArgument as exc:
            errors.append(("call_center_queue_uuid", str(exc)))
        if is_agent_test_queue(campaign.call_center_queue_uuid):  # autocall agent-test loads and unloads these
            reserved = f"call_center_queue_uuid {campaign.call_center_queue_uuid!r}: {QUEUE_PREFIX}<extension> is"
            errors.append(("call_center_queue_uuid", f"{reserved} reserved for autocall agent-test"))
    return errors


def _with_queue(campaign: Campaign) -> Campaign:
    """An autodialer campaign without a queue gets a new one (a queue name nobody else holds)."""
    if campaign.type is not CampaignType.AUTODIALER or campaign.call_center_queue_uuid:
        return campaign
    return campaign.model_copy(update={"call_center_queue_uuid": new_uuid()})


def _queue_free(svc: Services, campaign: Campaign, changed: set[str]) -> None:
    """A queue the client named must not be another autodialer campaign's (checked, not locked: two
    requests naming the same new queue at once could both pass)."""
    if campaign.type is not CampaignType.AUTODIALER or not changed & {"type", "call_center_queue_uuid"}:
        return
    holder = svc.store.campaigns.by_queue(campaign.call_center_queue_uuid)
    if holder is not None and holder.campaign_uuid != campaign.campaign_uuid:
        raise Conflict(QUEUE_TAKEN.format(uuid=holder.campaign_uuid))


def _stamp_schedules(campaign: Campaign, domain_uuid: str) -> Campaign:
    """Give each schedule the id, domain and campaign the v3 GET shows."""
    if not campaign.schedules:
        return campaign
    stamped = [
        s.model_copy(
            update={"id": s.id or new_uuid(), "domain_uuid": domain_uuid, "campaign_uuid": campaign.campaign_uuid}
        )
        for s in campaign.schedules
    ]
    return campaign.model_copy(update={"schedules": stamped})


def create(svc: Services, values: dict[str, Any], *, uuid: str = "") -> Campaign:
    """A new campaign; ``campaign_uuid`` and ``campaign_id`` may be chosen by the client
    (a migrating customer keeps its ids), 409 if another campaign holds one. ``uuid``, when
    given, is the campaign_uuid a caller chose first (a VBot creation marks it before it clones)."""
    values = {k: v for k, v in values.items() if k not in READ_ONLY and not (k in IDS and not v)}
    if uuid:
        values["campaign_uuid"] = uuid
    campaign = _validated(values)
    _check_references(svc, campaign, set(values))
    _queue_free(svc, campaign, set(values))
    campaign = _stamp_schedules(_with_queue(campaign), svc.domain_uuid)
    try:
        return svc.store.campaigns.create(campaign)
    except NameTaken:
        raise Conflict(NAME_TAKEN) from None
    except Taken as exc:
        raise Conflict(TAKEN[str(exc)]) from None
    except MissingReference as exc:
        raise _missing(campaign, str(exc)) from None


def get(svc: Services, uuid: str) -> Campaign:
    campaign = svc.store.campaigns.get(uuid)
    if campaign is None:
        raise NotFound()
    return campaign


def _can_dial(svc: Services, campaign: Campaign) -> None:
    """A start (or an activation of a started campaign) is refused when no call could be placed."""
    why = readiness.problems(svc, campaign)
    if why:
        raise Conflict(readiness.explain(why))


def _starts(current: Campaign, merged: Campaign) -> bool:
    """Whether an update makes the campaign dial: status start set on one not started (then it must be
    active), or active set on a started one. Any other update is allowed, even one that leaves a running
    campaign unable to dial: the engine holds it (claims nothing) and says why until it is fixed."""
    if merged.status is not CampaignStatus.START:
        return False
    if current.status is not CampaignStatus.START:
        if not merged.active:
            raise Conflict(INACTIVE.format(uuid=merged.campaign_uuid))
        return True
    return merged.active and not current.active


def update(svc: Services, uuid: str, values: dict[str, Any], *, activating: bool = False) -> Campaign:
    """Change the fields given (a field left out keeps its value). ``activating``: an explicit
    activation, checked like a start even when the campaign was active already."""
    body_uuid = values.get("campaign_uuid")
    if body_uuid and body_uuid != uuid:
        raise Invalid.one("campaign_uuid", "campaign_uuid in the body differs from the one in the URL")
    current = get(svc, uuid)
    body_id = values.get("campaign_id")
    if body_id and body_id != current.campaign_id:
        raise Invalid.one("campaign_id", f"campaign_id cannot be changed: this campaign's is {current.campaign_id}")
    values = {k: v for k, v in values.items() if k not in READ_ONLY and k not in IDS}
    merged = _validated({**current.model_dump(), **values})
    _check_references(svc, merged, set(values))
    _queue_free(svc, merged, set(values))
    queued = _with_queue(merged)
    if queued is not merged:  # becomes (or stays) autodialer with no queue: it gets one, written with the rest
        merged = queued
        values["call_center_queue_uuid"] = merged.call_center_queue_uuid
    if _starts(current, merged) or (activating and merged.status is CampaignStatus.START):
        _can_dial(svc, merged)
    merged = _stamp_schedules(merged, svc.domain_uuid)
    now = datetime.now(zone(merged.time_zone))
    merged = merged.model_copy(update={"updated_at": now})
    stored = merged.to_redis()
    fields = {k: stored[k] for k in (*values, "updated_at") if k in stored}
    # Always the body's name (the script compares it with the stored one): a name read
    # before another client's rename must rename back, index included.
    new_name = merged.campaign_name if "campaign_name" in values else ""
    try:
        svc.store.campaigns.update(uuid, fields, new_name)
    except NameTaken:
        raise Conflict(NAME_TAKEN) from None
    except MissingReference as exc:
        raise _missing(merged, str(exc)) from None
    except KeyError:
        raise NotFound() from None
    return merged


def page(svc: Services, *, type: CampaignType | None, limit: int, offset: int) -> tuple[list[Campaign], int]:
    """Campaigns in creation order, optionally of one type: (the page, total matching)."""
    campaigns = svc.store.campaigns.get_many(svc.store.campaigns.uuids())
    if type is not None:
        campaigns = [c for c in campaigns if c.type is type]
    return campaigns[offset : offset + limit], len(campaigns)


def names(svc: Services, page: list[Campaign]) -> dict[str, str]:
    """The template and carrier names the campaigns of ``page`` show, by uuid ("" for one that is gone):
    a campaign stores uuids only, never a name twice."""
    out: dict[str, str] = {}
    for uuid in {c.template_uuid for c in page if c.template_uuid}:
        template = svc.store.catalog.templates.get(uuid)
        out[uuid] = template.template_name if template else ""
    for uuid in {c.carrier_uuid for c in page if c.carrier_uuid}:
        carrier = svc.store.catalog.carriers.get(uuid)
        out[uuid] = carrier.carrier_name if carrier else ""
    return out


def set_active(svc: Services, uuid: str, active: bool) -> Campaign:
    return update(svc, uuid, {"active": active}, activating=active)


def delete(svc: Services, uuid: str) -> None:
    result = svc.store.campaigns.delete(uuid, svc.now_ms())
    if result is Deletion.MISSING:
        raise NotFound()
    if result is Deletion.ACTIVE:
        raise Conflict(MUST_BE_INACTIVE)


def run(svc: Services, uuid: str, status: CampaignStatus, *, checked: bool = True) -> None:
    """start / pause / stop. The engines hear it at once (Redis pub/sub). A start is refused when the
    campaign is inactive or cannot place a call (``checked=False``: a creation that starts the campaign
    it just made, which the engine holds if it cannot dial)."""
    if status is CampaignStatus.START and checked:
        campaign = get(svc, uuid)
        if not campaign.active:
            raise Conflict(INACTIVE.format(uuid=uuid))
        _can_dial(svc, campaign)
    try:
        svc.store.campaigns.update(uuid, {"status": status.value})  # one script: refuses a deleted campaign
    except KeyError:
        raise NotFound() from None


# Set per campaign, never copied from the campaign a new one is cloned from.
NOT_CLONED = frozenset(
    {
        "campaign_uuid",
        "campaign_id",
        "campaign_name",
        "created_at",
        "updated_at",
        "status",
        "active",
        "run_id",
        "orig_campaign_uuid",
        "schedules",
        "call_center_queue_uuid",  # a clone of an autodialer campaign gets a queue of its own
    }
)


def clone(
    svc: Services, source: Campaign, name: str, status: CampaignStatus = CampaignStatus.START, *, uuid: str = ""
) -> Campaign:
    """A new campaign with ``source``'s settings (script, carrier, caps, recall rules,
    schedules, webhooks) under a new name; ``orig_campaign_uuid`` records the source."""
    values = {k: v for k, v in source.model_dump(mode="json").items() if k not in NOT_CLONED}
    schedules = [s.model_dump(exclude={"id", "campaign_uuid"}) for s in source.schedules or []]
    # A template campaign is often kept inactive; its clone is a live campaign.
    values.update(
        campaign_name=name,
        orig_campaign_uuid=source.campaign_uuid,
        status=status.value,
        active=True,
        schedules=schedules or None,
    )
    return create(svc, values, uuid=uuid)


def discard(svc: Services, uuid: str) -> None:
    """Undo a campaign made moments ago by a request that then failed (no call was placed:
    it was never started). Its name is free again; the janitor purges any lead it got."""
    svc.store.campaigns.update(uuid, {"active": "false", "status": CampaignStatus.STOP.value})
    svc.store.campaigns.delete(uuid, svc.now_ms())
