"""Operations routes: Prometheus ``/metrics`` and the ``/readyz`` probe (``/healthz`` is in openapi.py).

``/metrics`` needs the bearer token like every data route (Prometheus sends
it: ``authorization: {credentials: ...}`` in the scrape config). ``/readyz``
is public like ``/healthz``: a readiness probe carries no token, and it
shows only up/down per dependency.
"""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Call, Dialect, Reply, Routes
from dialer.metrics import CONTENT_TYPE, exposition
from dialer.service import health

OPS = Routes(Dialect())


@OPS.route("GET", "/metrics", "Prometheus metrics (text exposition format)", response_type=CONTENT_TYPE)
def metrics(call: Call) -> Reply:
    services = call.services
    return Reply(body=exposition(services.store, services.engine, services.engine_metrics), content_type=CONTENT_TYPE)


@OPS.route(
    "GET", "/readyz", "Readiness: Redis takes writes and a FreeSWITCH node can be dialled", public=True, errors=()
)
def readyz(call: Call) -> Reply:
    """Ready when Redis takes a write and (in a process that dials) at least one FreeSWITCH node is
    up and can take calls. Redis shows ``up``, ``down`` or ``not ready: refuses writes: <Redis's
    error>`` (a read-only replica, a failed snapshot...) or ``not ready: full: …`` (less than
    1 MiB left under ``maxmemory`` and no lead may be evicted: ``noeviction``); each node
    ``up``, ``down`` or ``not ready: <why>`` (no autocall dialplan context, shutting down, paused…)."""
    checks: dict[str, Any] = {"redis": health.redis_state(call.services)}
    engine = call.services.engine
    if engine is not None:
        checks["freeswitch"] = {node.name: node.status() for node in engine.nodes}
    ready = checks["redis"] == "up" and (engine is None or any(node.ready for node in engine.nodes))
    return Reply(body={"status": "ready" if ready else "not ready", **checks}, status=200 if ready else 503)


def routes() -> list:
    return OPS.table
