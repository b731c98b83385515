"""The store's refusals: what a write could not do, named for the caller to tell its client."""

from __future__ import annotations


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
