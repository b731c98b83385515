"""Queue operations (seed 004): a queue is a campaign named by its ``queue_code``.

Thin over the campaign and lead services: a push creates the campaign on
first use (or updates the settings it carries), then appends the customers
through :func:`dialer.service.leads.import_many`; stop / start are the
campaign's pause / start; delete is the campaign delete with the queue API's
rule (a running queue is refused); the do-not-call list is the store's.

A push sorts its customers before anything is written: a customer whose id
the request repeats, the queue holds with calls pending (a customer whose
lead is done is taken again: seed 004's id is a customer) or the do-not-call
list names, one with no valid mobile, one the campaign's template rules
refuse (:class:`~dialer.service.leads.LeadRules`) and one sharing a mobile
with a customer with calls pending goes to ``fail`` with its reason. When no
customer is left nothing is written at all (no queue created, no setting
changed); the customers taken land all or none. See docs/api-queue.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from dialer.domain.enums import CampaignStatus, CampaignType, TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.routing.numbers import InvalidNumber, normalize
from dialer.service import campaigns, leads
from dialer.service.context import Services
from dialer.service.errors import BadRequest, Conflict, Invalid, NotFound
from dialer.service.leads import Duplicate, ImportResult, LeadRules, Remember, Row
from dialer.service.schema_errors import schema_errors
from dialer.store.script_results import DeleteRule, Deletion

QUEUE_NOT_FOUND = "queue not found"
TEMPLATE_NOT_FOUND = "template not found"
QUEUE_RUNNING = "queue is running: stop it first (POST /v2/autocall/queue/stop)"

REPEATED = "duplicate id: this customer is given more than once in the request (only the first one counts)"
QUEUED = "duplicate id: this customer is already in the queue, with calls pending"
DO_NOT_CALL = "do not call: this customer is on the queue's do-not-call list"
NO_MOBILE = "no valid mobile"
CHUNK = 10_000  # customer ids per Redis round trip
ATTEMPTS = 3  # a queue created or deleted by another request meanwhile: sort again


@dataclass(slots=True)
class Customer:
    """One customer as pushed: its id, its mobiles (as given) and its template fields."""

    id: str
    mobiles: list[Any]
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Settings:
    """The queue settings of a push; ``None`` = not given (keeps the queue's value)."""

    queue_code: str
    template: str
    concurrent_call: int | None = None
    max_recall_count: int | None = None
    min_recall_duration: int | None = None
    mode_call: str | None = None


@dataclass(slots=True)
class Pushed:
    """What a push did: ids taken and refused (each refused id once, with its reason)."""

    campaign_uuid: str = ""  # "" when nothing was written
    created: bool = False
    success: list[str] = field(default_factory=list)
    fail: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)
    replayed: tuple[int, Any] | None = None  # the answer this Idempotency-Key already got (nothing done)

    def refuse(self, customer_id: str, reason: str) -> None:
        if customer_id not in self.reasons:
            self.fail.append(customer_id)
            self.reasons[customer_id] = reason
        elif reason not in self.reasons[customer_id].split("; "):
            self.reasons[customer_id] += f"; {reason}"

    def warn(self, customer_id: str, warning: str) -> None:
        known = self.warnings.get(customer_id)
        self.warnings[customer_id] = f"{known}; {warning}" if known else warning


# -- lookups ---------------------------------------------------------------------------
def queue(svc: Services, queue_code: str) -> Campaign:
    """The campaign a queue_code names, or ``queue not found``."""
    uuid = svc.store.campaigns.uuid_by_name(queue_code)
    campaign = svc.store.campaigns.get(uuid) if uuid else None
    if campaign is None:
        raise NotFound(QUEUE_NOT_FOUND)
    return campaign


def template_by_name(svc: Services, name: str) -> Template:
    """The template whose ``template_name`` is ``name`` (a ``template_uuid`` is accepted too).

    Names are not unique in the template API: two templates of that name are
    refused (409) rather than one picked at random.
    """
    found = svc.store.catalog.templates.all()
    named = [t for t in found if t.template_name == name]
    if len(named) > 1:
        raise Conflict(
            f"template {name} is ambiguous: {len(named)} templates have this name; rename one or give its template_uuid"
        )
    if named:
        return named[0]
    by_uuid = [t for t in found if t.template_uuid == name.lower()]
    if by_uuid:
        return by_uuid[0]
    raise NotFound(TEMPLATE_NOT_FOUND)


def type_autocall(template: Template) -> TypeAutocall:
    """What a queue does with its template: play its audio file, else speak its text."""
    if template.audio_file:
        return TypeAutocall.AUDIO
    if template.text:
        return TypeAutocall.VOICE_TTS
    raise BadRequest(
        f"template {template.template_name or template.template_uuid} has neither an audio_file "
        "nor a text: a queue plays the one or speaks the other"
    )


NEW_QUEUE_RECALL_MINUTES = 5


# -- push ------------------------------------------------------------------------------
def _changes(settings: Settings, template: Template, current: Campaign | None) -> dict[str, Any]:
    """The campaign fields this push sets (all of them for a new queue)."""
    values: dict[str, Any] = {}
    if current is None or current.template_uuid != template.template_uuid:
        values["template_uuid"] = template.template_uuid
        values["type_autocall"] = type_autocall(template).value
    given = {
        "concurrent_call": settings.concurrent_call,
        "recall_times": settings.max_recall_count,
        "min_recall_duration": settings.min_recall_duration,
        "mode_call": settings.mode_call,
    }
    values.update({k: v for k, v in given.items() if v is not None})
    if current is None:
        # Seed 004 has no recall interval: a busy customer is tried again after
        # NEW_QUEUE_RECALL_MINUTES, not seconds later (change it with PUT /v3/campaign).
        values.update(
            campaign_name=settings.queue_code,
            type=CampaignType.AUTOCALL.value,
            status=CampaignStatus.START.value,
            schedule_recall_duration=NEW_QUEUE_RECALL_MINUTES,
        )
    return values


def _prospect(current: Campaign | None, values: dict[str, Any]) -> Campaign:
    """The campaign as it will be after the push (its template decides what a customer needs)."""
    try:
        return Campaign.model_validate({**(current.model_dump() if current else {}), **values})
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None


def _mobiles(customer: Customer, out: Pushed) -> list[str]:
    """The customer's valid mobiles, each number once; the others are dropped with a warning."""
    kept: list[str] = []
    seen: dict[str, str] = {}
    invalid: list[str] = []
    notes: list[str] = []  # in the order of the mobiles
    for raw in customer.mobiles:
        try:
            national = normalize(raw).national
        except InvalidNumber as exc:
            invalid.append(exc.reason)
            notes.append(f"mobile dropped: {exc.reason}")
            continue
        if national in seen:
            notes.append(f"mobile {raw} dropped: the same number as {seen[national]}")
            continue
        seen[national] = raw
        kept.append(raw)
    if kept:
        for note in notes:
            out.warn(customer.id, note)
    elif invalid:
        out.refuse(customer.id, f"{NO_MOBILE}: {'; '.join(invalid)}")
    else:
        out.refuse(customer.id, f"{NO_MOBILE}: mobiles is empty")
    return kept


def _reason(errors: list[tuple[str, str]]) -> str:
    """LeadRules' field errors in the queue API's words (mobiles, and the customer's own fields)."""
    parts = []
    for name, message in errors:
        if name == "phone_number":
            parts.append(f"mobiles: {message}")
        elif name.startswith("param."):
            parts.append(f"{name[6:]}: {message}")
        else:
            parts.append(message)
    return "; ".join(parts)


def _sort(svc: Services, current: Campaign | None, customers: list[Customer]) -> tuple[Pushed, list[Row]]:
    """Refuse the customers the request repeats, the queue holds or must not call, and those
    with no valid mobile; the others become rows for the template's rules (:func:`_takes_one`)."""
    out = Pushed()
    ids = list(dict.fromkeys(c.id for c in customers))
    dnc = svc.store.leads.dnc_members(current.campaign_uuid, ids) if current else set()
    queued = svc.store.leads.queued_ids(current.campaign_uuid, ids) if current else set()
    rows: list[Row] = []
    first: set[str] = set()
    for customer in customers:
        leads.checkpoint()
        if customer.id in first:
            out.refuse(customer.id, REPEATED)
            continue
        first.add(customer.id)
        if customer.id in dnc:
            out.refuse(customer.id, DO_NOT_CALL)
        elif customer.id in queued:
            out.refuse(customer.id, QUEUED)
        else:
            mobiles = _mobiles(customer, out)
            if mobiles:
                rows.append(Row(mobiles, customer.fields, customer.id))
    return out, rows


def _takes_one(rules: LeadRules, rows: list[Row], out: Pushed) -> bool:
    """Whether the template's rules take at least one row. Stops at the first taken: the
    import checks every row again and reports the others; when none is taken, each is refused here."""
    refused = []
    for row in rows:
        leads.checkpoint()
        _, errors = rules.check(row)
        if not errors:
            return True
        refused.append((row.external_id, errors))
    for customer_id, errors in refused:
        out.refuse(customer_id, _reason(errors))
    return False


def _in_request_order(out: Pushed, customers: list[Customer]) -> Pushed:
    position: dict[str, int] = {}
    for n, customer in enumerate(customers):
        position.setdefault(customer.id, n)
    out.fail.sort(key=position.__getitem__)
    return out


def _duplicate_reason(dup: Duplicate) -> str:
    if not dup.phone_number:
        return QUEUED
    if dup.in_request:
        return f"duplicate mobile: {dup.phone_number} is also customer {dup.owner}'s, earlier in this request"
    who = f"customer {dup.owner}" if dup.owner else f"lead {dup.lead_uuid}"
    return f"duplicate mobile: {dup.phone_number} is already in the queue for {who}, with calls pending"


def _outcome(sorted_out: Pushed, rows: list[Row], result: ImportResult, customers: list[Customer]) -> Pushed:
    """The push's answer once the import said which rows landed (``sorted_out`` is left as it is)."""
    out = Pushed(
        sorted_out.campaign_uuid,
        sorted_out.created,
        [],
        list(sorted_out.fail),
        dict(sorted_out.reasons),
        dict(sorted_out.warnings),
    )
    for index, errors in result.errors:
        out.refuse(rows[index].external_id, _reason(errors))
    for dup in result.duplicates:  # a mobile of another customer, or pushed by another request since the sort
        out.refuse(rows[dup.row].external_id, _duplicate_reason(dup))
    out.success = [rows[index].external_id for index, _ in sorted(result.imported, key=lambda x: x[0])]
    return _in_request_order(out, customers)


def push(
    svc: Services,
    settings: Settings,
    customers: list[Customer],
    remember: Remember | None = None,
    answer: Callable[[Pushed], tuple[int, Any]] | None = None,
) -> Pushed:
    """Create or update the queue, append its customers (all or none of those taken). Nothing is
    written when none is taken. With an Idempotency-Key, ``answer`` renders what is remembered."""
    template = template_by_name(svc, settings.template)
    for _ in range(ATTEMPTS):
        uuid = svc.store.campaigns.uuid_by_name(settings.queue_code)
        current = svc.store.campaigns.get(uuid) if uuid else None
        values = _changes(settings, template, current)
        out, rows = _sort(svc, current, customers)
        if not _takes_one(LeadRules(svc, _prospect(current, values)), rows, out):
            return _in_request_order(out, customers)
        if current is None:
            try:
                campaign = campaigns.create(svc, values)
            except Conflict as exc:
                if exc.message != campaigns.NAME_TAKEN:
                    raise
                continue  # created by another request meanwhile: sort again
            out.created = True
        else:
            # An existing queue's new settings are written only once a customer has landed: the
            # import may still refuse every row (a mobile another customer holds, a race), and a
            # refused push writes nothing. The rows are checked against the settings as they will be.
            campaign = _prospect(current, values)
        out.campaign_uuid = campaign.campaign_uuid
        if remember is not None and answer is not None:
            remember.render = lambda result, out=out, rows=rows: answer(_outcome(out, rows, result, customers))
        try:
            # A customer whose earlier lead is done (no call pending) is taken again: seed 004's id is a customer.
            result = leads.import_many(svc, campaign, rows, pending_only=True, remember=remember)
        except NotFound:
            raise NotFound(QUEUE_NOT_FOUND) from None  # deleted while importing
        if result.replayed is not None:
            return Pushed(replayed=result.replayed)
        if current is not None and values and result.imported:
            try:
                campaigns.update(svc, current.campaign_uuid, values)
            except NotFound:
                raise NotFound(QUEUE_NOT_FOUND) from None
        return _outcome(out, rows, result, customers)
    raise Conflict("the queue kept changing while this push was sorted; retry")


# -- the others ------------------------------------------------------------------------
def do_not_call(svc: Services, queue_code: str, ids: list[str]) -> None:
    """Customers not yet dialled are skipped; a call in progress is not cut (and is not recalled)."""
    campaign = queue(svc, queue_code)
    unique = list(dict.fromkeys(ids))
    for base in range(0, len(unique), CHUNK):
        svc.store.leads.add_dnc(campaign.campaign_uuid, unique[base : base + CHUNK])


def _run(svc: Services, queue_code: str, status: CampaignStatus) -> None:
    campaign = queue(svc, queue_code)
    try:
        campaigns.run(svc, campaign.campaign_uuid, status)
    except NotFound:
        raise NotFound(QUEUE_NOT_FOUND) from None


def stop(svc: Services, queue_code: str) -> None:
    """Pause: no new call starts; calls in progress finish (and their recalls stay due)."""
    _run(svc, queue_code, CampaignStatus.PAUSE)


def start(svc: Services, queue_code: str) -> None:
    _run(svc, queue_code, CampaignStatus.START)


def delete(svc: Services, queue_code: str) -> None:
    """Remove a queue that is not running; its queue_code can be pushed again as a new queue."""
    campaign = queue(svc, queue_code)
    result = svc.store.campaigns.delete(campaign.campaign_uuid, svc.now_ms(), DeleteRule.STOPPED)
    if result is Deletion.MISSING:
        raise NotFound(QUEUE_NOT_FOUND)
    if result is Deletion.RUNNING:
        raise Conflict(QUEUE_RUNNING)
