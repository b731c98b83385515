"""``GET /v3/live`` (autocall): the running campaigns and the agents now, for the ``/live`` page and for monitoring
(dialer/service/live.py says what each number counts; docs/live.md shows the answer)."""

from __future__ import annotations

from dialer.api.routes import Call
from dialer.api.v3.dialect import routes
from dialer.service import live
from dialer.service.live import LiveSnapshot


@routes.route(
    "GET",
    "/v3/live",
    "Running campaigns now: in flight, calls/s, today's outcomes, queues; agents and their states",
    response=LiveSnapshot,
    tag="live",
    errors=(401,),
)
def live_snapshot(call: Call) -> LiveSnapshot:
    return live.snapshot(call.services)
