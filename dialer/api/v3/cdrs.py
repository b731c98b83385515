"""``GET /v3/autocall/cdr`` (a page of CDRs) and ``GET /v3/autocall/cdr.csv`` (all of them, streamed)."""

from __future__ import annotations

import re
from typing import Any

from dialer.api.routes import Call, Reply
from dialer.api.v3.cdr_models import CdrPage, CdrQuery, CsvQuery
from dialer.api.v3.dialect import routes
from dialer.api.v3.types import UUID_PATTERN
from dialer.service import cdrs

TAG = "cdrs"
_UUID = re.compile(UUID_PATTERN)


def _campaign(text: str) -> str:
    """A uuid, lower-cased; anything else names no campaign (404, as the report answers)."""
    return text.lower() if _UUID.match(text) else ""


@routes.route(
    "GET",
    "/v3/autocall/cdr",
    "A page of a campaign's CDRs over a local-time range",
    query=CdrQuery,
    response=CdrPage,
    tag=TAG,
    errors=(400, 401, 404),
)
def page(call: Call) -> dict[str, Any]:
    q: CdrQuery = call.query
    return cdrs.page(
        call.services,
        _campaign(q.campaign_uuid),
        start=q.start_date,
        end=q.end_date,
        limit=q.limit,
        offset=q.offset,
        after=q.after,
    )


@routes.route(
    "GET",
    "/v3/autocall/cdr.csv",
    "Every CDR of a campaign over a local-time range, as CSV (streamed)",
    query=CsvQuery,
    tag=TAG,
    errors=(400, 401, 404),
    response_type="text/csv",
)
def export(call: Call) -> Reply:
    q: CsvQuery = call.query
    uuid = _campaign(q.campaign_uuid)
    stream = cdrs.export_csv(call.services, uuid, start=q.start_date, end=q.end_date, bom=q.bom)
    return Reply(
        stream=stream,
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="cdr-{uuid}.csv"'},
    )
