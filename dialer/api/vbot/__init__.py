"""The VBot dialect (seed 003): ``/api/campaign/create``, ``{"status", "error", "msg", "data"}`` answers."""

from __future__ import annotations

from dialer.api.routes import Route


def table() -> list[Route]:
    """Every VBot-dialect route (importing a module registers its routes)."""
    # Imported here, not at the top (no cycle: the contracts in pyproject.toml check): the handlers load
    # when the app asks for its routes, not whenever a model module of the package is imported.
    from dialer.api.vbot import campaigns  # noqa: F401
    from dialer.api.vbot.dialect import routes

    return routes.table
