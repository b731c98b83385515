"""``POST /api/campaign/create`` (seed 003): a campaign cloned from a template campaign, its phones loaded, started."""

from __future__ import annotations

from typing import Any

from dialer.api import idempotency
from dialer.api.fields import integral
from dialer.api.routes import Call
from dialer.api.vbot.dialect import routes
from dialer.api.vbot.models import CreateCampaign, Created, Phone
from dialer.service import leads, vbot
from dialer.service.errors import Invalid
from dialer.service.leads import LeadRules, Row

RESERVED = {"phone", "description", "numberCall"}


def _row(index: int, phone: Phone) -> tuple[Row, int, list[tuple[str, str]]]:
    """VBot's ``[{key, value}]`` list → a lead row, its attempt cap, and its problems."""
    values: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    for f in phone.fields:
        if f.key in values:
            errors.append((f"phones[{index}]", f"key {f.key} is given twice"))
        values[f.key] = f.value
    number = values.pop("phone", None)
    if number in (None, ""):
        errors.append((f"phones[{index}]", "phone is required"))
    attempts = values.pop("numberCall", None)
    cap = 0
    if attempts not in (None, ""):
        try:
            cap = int(str(integral(attempts)))  # 3 or 3.0 (an integer to a JSON schema), or "3"
        except ValueError:
            cap = -1
        if not 1 <= cap <= 101:
            errors.append((f"phones[{index}]", "numberCall must be a number of attempts from 1 to 101"))
    return Row([str(number)] if number not in (None, "") else [], values), max(cap, 0), errors


PATH = "/api/campaign/create"


@routes.route(
    "POST",
    PATH,
    "Create a campaign from a template campaign, load its phones, start it (all or nothing)",
    body=CreateCampaign,
    response=Created,
    tag="vbot",
    bulk=True,
    idempotent=True,
    errors=(400, 401),
)
def create(call: Call) -> Any:
    b: CreateCampaign = call.body
    svc = call.services
    remember = idempotency.requested(call, PATH)
    if (prior := idempotency.prior(call, remember)) is not None:
        return prior
    try:
        template_id = int(str(b.campaign_id))
    except ValueError:
        raise Invalid.one("campaignId", "campaignId must be the template campaign's number") from None
    source = vbot.template_campaign(svc, template_id)
    # Every phone is checked against the template's rules before anything is written.
    rules = LeadRules(svc, source)
    rows, caps, errors = [], [], []
    first: dict[str, int] = {}  # number -> the phone that has it first: the same person is one lead
    for i, phone in enumerate(b.phones):
        leads.checkpoint()  # the ESL readers share this hub
        row, cap, problems = _row(i, phone)
        if not problems:
            lead, checked = rules.check(row)
            problems = [(f"phones[{i}].{f}" if f != "(root)" else f"phones[{i}]", m) for f, m in checked]
            for number in lead.numbers if lead is not None else []:
                if number in first:
                    problems.append((f"phones[{i}].phone", f"{number} is the same number as phones[{first[number]}]'s"))
                first.setdefault(number, i)
        errors += problems
        rows.append(row)
        caps.append(cap)
    if errors:
        raise Invalid(errors[:20])
    outcome = vbot.create(svc, source, b.name, rows, caps, remember, _answer)
    if isinstance(outcome, tuple):
        return idempotency.replay(outcome)
    return Created(data=outcome)


def _answer(campaign_id: int) -> tuple[int, Any]:
    return 200, Created(data=campaign_id).model_dump()
