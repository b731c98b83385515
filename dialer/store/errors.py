"""What the store raises: Redis failing to answer, and the refusals of a write.

Only ``dialer/store`` imports redis (an import-linter contract in
pyproject.toml): the API, the services, the engine and the commands catch
:data:`StoreError` to answer 503, retry or log, and stay unaware of the client
library underneath. The refusals name what a write could not do, for the
caller to tell its client.
"""

from __future__ import annotations

import redis

StoreError = redis.RedisError  # any failure of the Redis client: connection, timeout, a refused write


class NameTaken(Exception):
    """A campaign name another campaign holds (names are unique)."""


class Taken(Exception):
    """A campaign's chosen ``campaign_uuid`` or ``campaign_id`` belongs to another (the field's name)."""


class MissingReference(Exception):
    """A campaign names a template or carrier that does not exist (the field's name)."""


class InUse(Exception):
    """An object a campaign still refers to."""

    def __init__(self, campaign_name: str) -> None:
        super().__init__(campaign_name)
        self.campaign_name = campaign_name


class NamedByTemplates(Exception):
    """A recorded prompt set templates still name (their names, in creation order)."""

    def __init__(self, template_names: list[str]) -> None:
        super().__init__(", ".join(template_names))
        self.template_names = template_names


class AgentTaken(Exception):
    """An agent's ``agent_uuid`` or ``extension`` another agent holds (the field's name, and who holds it)."""

    def __init__(self, field: str, holder: str) -> None:
        super().__init__(field)
        self.field = field
        self.holder = holder  # the agent uuid holding it


class NamedByCampaigns(Exception):
    """An agent ``autodialer`` campaigns name in their ``users`` (their names, in creation order)."""

    def __init__(self, campaign_names: list[str]) -> None:
        super().__init__(", ".join(campaign_names))
        self.campaign_names = campaign_names
