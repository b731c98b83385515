"""The queue dialect (seed 004): ``/v2/autocall/queue...``, ``{"code": ..., "content": ...}`` answers."""

from __future__ import annotations

from dialer.api.routes import Route


def table() -> list[Route]:
    """Every queue-dialect route (importing a module registers its routes)."""
    # Imported here, not at the top (no cycle: the contracts in pyproject.toml check): the handlers load
    # when the app asks for its routes, not whenever a model module of the package is imported.
    from dialer.api.queue import queues  # noqa: F401
    from dialer.api.queue.dialect import routes

    return routes.table
