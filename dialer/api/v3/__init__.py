"""The v3 dialect (seeds 000, 001, 002): ``/v3/...`` and ``/v1/...`` paths, ``{"error": ...}`` errors."""

from __future__ import annotations

from dialer.api.routes import Route


def table() -> list[Route]:
    """Every v3 route (importing a module registers its routes)."""
    # Imported here, not at the top (no cycle: the contracts in pyproject.toml check): the handlers load
    # when the app asks for its routes, not whenever a model module of the package is imported.
    from dialer.api.v3 import (  # noqa: F401
        agents,
        campaigns,
        carriers,
        cdrs,
        leads,
        live,
        prompt_sets,
        report,
        templates,
        webhooks,
    )
    from dialer.api.v3.dialect import routes

    return routes.table
