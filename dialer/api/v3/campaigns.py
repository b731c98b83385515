"""``/v3/campaign`` (seed 000) and ``/v1/campaign/{uuid}/run/*`` (seed 001)."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call
from dialer.api.v3.campaign_models import (
    ActiveBody,
    ActiveState,
    CampaignBody,
    CampaignPage,
    CampaignQuery,
    CampaignRef,
    CampaignView,
    Created,
    RunBody,
)
from dialer.api.v3.dialect import routes
from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Campaign
from dialer.service import campaigns
from dialer.service.context import Services
from dialer.service.errors import BadRequest

TAG = "campaigns"
# What the seed's freshly created campaigns show (000: "Get Campaign By Id", and "AutocallTTS" in
# "Get Campaign", both never updated) where the domain's defaults differ. Deliberately not copied
# (docs/api-v3.md, "Defaults"): hopper 20 (0 = sized from concurrent_call), "answered" in
# recall_status, and the 08:00-21:00 schedule.
NEW_CAMPAIGN = {
    "schedule_recall": "after",
    "local_start_time": "00:00:00",
    "local_end_time": "23:59:59",
    "customer_order": "id",
    "allow_manual_dial": True,
    "allow_search_lead": True,
    "enable_callback_alert": True,
}


def view(svc: Services, campaign: Campaign, names: dict[str, str] | None = None) -> dict[str, Any]:
    """The seed's campaign body. Template and carrier names are looked up, never stored twice."""
    names = names if names is not None else campaigns.names(svc, [campaign])
    data = campaign.model_dump(mode="json")
    data["domain_uuid"] = data["domain_uuid"] or svc.domain_uuid
    data["template_name"] = names.get(campaign.template_uuid, "")
    data["carrier_name"] = names.get(campaign.carrier_uuid, "")
    return CampaignView.model_validate(data).model_dump(mode="json")


@routes.route(
    "POST", "/v3/campaign", "Create a campaign", body=CampaignBody, response=Created, tag=TAG, errors=(400, 401, 409)
)
def create(call: Call) -> Created:
    campaign = campaigns.create(call.services, {**NEW_CAMPAIGN, **call.body.given()})
    return Created(campaign_uuid=campaign.campaign_uuid)


@routes.route(
    "PUT",
    "/v3/campaign/{campaign_uuid}",
    "Update a campaign (fields left out keep their value)",
    body=CampaignBody,
    response=CampaignRef,
    tag=TAG,
    errors=(400, 401, 404, 409),
)
def update(call: Call) -> CampaignRef:
    campaigns.update(call.services, call.params["campaign_uuid"], call.body.given())
    return CampaignRef(campaign_uuid=call.params["campaign_uuid"])


@routes.route("GET", "/v3/campaign", "List campaigns", query=CampaignQuery, response=CampaignPage, tag=TAG)
def listing(call: Call) -> dict[str, Any]:
    q: CampaignQuery = call.query
    page, total = campaigns.page(call.services, type=q.type, limit=q.limit, offset=q.offset)
    names = campaigns.names(call.services, page)
    return {"data": [view(call.services, c, names) for c in page], "limit": q.limit, "offset": q.offset, "total": total}


@routes.route(
    "GET",
    "/v3/campaign/{campaign_uuid}",
    "Get one campaign, with its schedules",
    response=CampaignView,
    tag=TAG,
    errors=(401, 404),
)
def get(call: Call) -> dict[str, Any]:
    return view(call.services, campaigns.get(call.services, call.params["campaign_uuid"]))


@routes.route(
    "PATCH",
    "/v3/campaign/{campaign_uuid}/active",
    "Activate or deactivate a campaign",
    body=ActiveBody,
    response=ActiveState,
    tag=TAG,
    errors=(400, 401, 404, 409),
)
def patch_active(call: Call) -> ActiveState:
    if call.body.active is None:
        raise BadRequest("active is missing")
    campaigns.set_active(call.services, call.params["campaign_uuid"], call.body.active)
    return ActiveState(active=call.body.active, campaign_uuid=call.params["campaign_uuid"])


@routes.route(
    "DELETE",
    "/v3/campaign/{campaign_uuid}",
    "Delete an inactive campaign",
    response=CampaignRef,
    tag=TAG,
    errors=(401, 404, 409),
)
def delete(call: Call) -> CampaignRef:
    campaigns.delete(call.services, call.params["campaign_uuid"])
    return CampaignRef(campaign_uuid=call.params["campaign_uuid"])


def _errors(status: CampaignStatus) -> tuple[int, ...]:
    # 409: a start of a campaign that is inactive or cannot place a call (the error names what is missing)
    return (400, 401, 404, 409) if status is CampaignStatus.START else (400, 401, 404)


def _run(status: CampaignStatus, summary: str) -> None:
    @routes.route(
        "POST",
        f"/v1/campaign/{{campaign_uuid}}/run/{status.value}",
        summary,
        response=CampaignRef,
        body=RunBody,
        body_optional=True,
        tag=TAG,
        errors=_errors(status),
        max_body=65_536,
    )
    def run(call: Call) -> CampaignRef:
        campaigns.run(call.services, call.params["campaign_uuid"], status)
        return CampaignRef(campaign_uuid=call.params["campaign_uuid"])


_run(CampaignStatus.START, "Start (or resume) dialing")
_run(CampaignStatus.PAUSE, "Pause: no new calls, calls in progress go on")
_run(CampaignStatus.STOP, "Stop: no new calls, ringing calls are cancelled and their leads requeued")
