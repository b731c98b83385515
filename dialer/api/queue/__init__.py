"""The queue dialect (seed 004): ``/v2/autocall/queue...``, ``{"code": ..., "content": ...}`` answers."""

from __future__ import annotations

from dialer.api.routes import Route


def table() -> list[Route]:
    """Every queue-dialect route (importing a module registers its routes)."""
    from dialer.api.queue import queues  # noqa: F401
    from dialer.api.queue.dialect import routes

    return routes.table
