"""``/v3/webhook/*`` (autocall's own): the delivery queue's counts and its dead letters."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.api.v3.types import EmptyBody
from dialer.service import webhooks

TAG = "webhooks"


class DeadQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10**9)  # Redis list indexes are 64-bit: never pass it a bigger one


class DeadDelivery(BaseModel):
    delivery_id: str = Field(description="a decimal number; sent as X-Autocall-Delivery")
    url: str
    campaign_uuid: str
    call_id: str = Field(description="the call the body reports")
    tries: int
    last_error: str
    body: str = Field(description="the JSON body, exactly the bytes that are POSTed")


class DeadPage(BaseModel):
    data: list[DeadDelivery]
    limit: int
    offset: int
    total: int


class Requeued(BaseModel):
    requeued: int


class DeliveryRef(BaseModel):
    delivery_id: str


class QueueStats(BaseModel):
    queued: int = Field(description="deliveries waiting: due, backing off, or being sent")
    due: int = Field(description="of those, due now")
    dead: int = Field(description="failed for good (see /v3/webhook/dead)")


@routes.route("GET", "/v3/webhook/stats", "Webhook queue counts", response=QueueStats, tag=TAG, errors=(401,))
def stats(call: Call) -> dict[str, int]:
    return webhooks.stats(call.services)


@routes.route(
    "GET",
    "/v3/webhook/dead",
    "Webhook deliveries that failed for good, newest first",
    query=DeadQuery,
    response=DeadPage,
    tag=TAG,
)
def dead(call: Call) -> dict[str, Any]:
    q: DeadQuery = call.query
    page, total = webhooks.dead(call.services, limit=q.limit, offset=q.offset)
    return {"data": page, "limit": q.limit, "offset": q.offset, "total": total}


@routes.route(
    "POST",
    "/v3/webhook/dead/retry",
    "Requeue every dead delivery (tries reset)",
    response=Requeued,
    body=EmptyBody,
    body_optional=True,
    tag=TAG,
    errors=(400, 401),
    max_body=65_536,
)
def retry_all(call: Call) -> Requeued:
    return Requeued(requeued=webhooks.requeue_all(call.services))


@routes.route(
    "POST",
    "/v3/webhook/dead/{delivery_id}/retry",
    "Requeue one dead delivery (tries reset)",
    response=DeliveryRef,
    body=EmptyBody,
    body_optional=True,
    tag=TAG,
    errors=(400, 401, 404),
    max_body=65_536,
)
def retry_one(call: Call) -> DeliveryRef:
    webhooks.requeue(call.services, call.params["delivery_id"])
    return DeliveryRef(delivery_id=call.params["delivery_id"])


@routes.route(
    "DELETE",
    "/v3/webhook/dead/{delivery_id}",
    "Delete one dead delivery for good",
    response=DeliveryRef,
    tag=TAG,
    errors=(401, 404),
)
def delete(call: Call) -> DeliveryRef:
    webhooks.delete(call.services, call.params["delivery_id"])
    return DeliveryRef(delivery_id=call.params["delivery_id"])
