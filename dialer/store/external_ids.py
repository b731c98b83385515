"""A campaign's leads by the id the caller gave them: the ``campaign:<uuid>:external`` hash walked.

The hash maps external id → lead uuid (one entry per lead imported); it is
walked with HSCAN, a page at a time, so a campaign of millions of leads is
never read in one reply.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import cast

import redis

from dialer.store.keys import Keys


class ExternalIds:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def leads(self, campaign_uuid: str) -> Iterator[tuple[str, str]]:
        """Every (external id, lead uuid) of the campaign, in no particular order."""
        entries = self.r.hscan_iter(self.keys.external(campaign_uuid))
        return cast(Iterator[tuple[str, str]], entries)
