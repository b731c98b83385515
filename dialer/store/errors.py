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
