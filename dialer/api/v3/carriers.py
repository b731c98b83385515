"""``/v3/carrier``: trunks, per network gateway and caller ID (autocall's own; the seeds only refer to them).

The five routes are the catalog's (dialer/api/v3/resource.py); a carrier adds none.
"""

from __future__ import annotations

from dialer.api.v3.carrier_models import (
    CarrierBody,
    CarrierCreated,
    CarrierPage,
    CarrierRef,
    CarrierUpdate,
    CarrierView,
)
from dialer.api.v3.dialect import routes
from dialer.api.v3.resource import Resource, serve
from dialer.service import carriers

CARRIERS = Resource(
    carriers.catalog,
    "carriers",
    body=CarrierBody,
    update=CarrierUpdate,
    created=CarrierCreated,
    ref=CarrierRef,
    view=CarrierView,
    page=CarrierPage,
)
serve(routes, CARRIERS)
