"""``/v3/carrier``: trunks, per network gateway and caller ID (autocall's own; the seeds only refer to them)."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call
from dialer.api.v3.carrier_models import (
    CarrierBody,
    CarrierCreated,
    CarrierPage,
    CarrierQuery,
    CarrierRef,
    CarrierUpdate,
    CarrierView,
)
from dialer.api.v3.dialect import routes
from dialer.domain.models import Carrier
from dialer.service import carriers

TAG = "carriers"


def view(carrier: Carrier) -> dict[str, Any]:
    return CarrierView.model_validate(carrier.model_dump(mode="json")).model_dump(mode="json")


@routes.route("POST", "/v3/carrier", "Create a carrier", body=CarrierBody, response=CarrierCreated, tag=TAG,
              errors=(400, 401, 409))  # fmt: skip
def create(call: Call) -> CarrierCreated:
    carrier = carriers.create(call.services, call.body.given())
    return CarrierCreated(carrier_uuid=carrier.carrier_uuid)


@routes.route("GET", "/v3/carrier", "List carriers", query=CarrierQuery, response=CarrierPage, tag=TAG)
def listing(call: Call) -> dict[str, Any]:
    q: CarrierQuery = call.query
    page, total = carriers.page(call.services, limit=q.limit, offset=q.offset)
    return {"data": [view(c) for c in page], "limit": q.limit, "offset": q.offset, "total": total}


@routes.route("GET", "/v3/carrier/{carrier_uuid}", "Get one carrier", response=CarrierView, tag=TAG,
              errors=(401, 404))  # fmt: skip
def get(call: Call) -> dict[str, Any]:
    return view(carriers.get(call.services, call.params["carrier_uuid"]))


@routes.route("PUT", "/v3/carrier/{carrier_uuid}", "Update a carrier (fields left out keep their value)",
              body=CarrierUpdate, response=CarrierRef, tag=TAG, errors=(400, 401, 404))  # fmt: skip
def update(call: Call) -> CarrierRef:
    carriers.update(call.services, call.params["carrier_uuid"], call.body.given())
    return CarrierRef(carrier_uuid=call.params["carrier_uuid"])


@routes.route("DELETE", "/v3/carrier/{carrier_uuid}", "Delete a carrier no campaign uses", response=CarrierRef,
              tag=TAG, errors=(401, 404, 409))  # fmt: skip
def delete(call: Call) -> CarrierRef:
    carriers.delete(call.services, call.params["carrier_uuid"])
    return CarrierRef(carrier_uuid=call.params["carrier_uuid"])
