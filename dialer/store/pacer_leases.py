"""Which engine paces an autodialer campaign: one lease per campaign (docs/autodialer.md, "The engine").

Several engines (``--workers N``, several hosts) may run the same campaign. An autocall campaign's
pacers share its caps through ``claim.lua``, but an autodialer campaign's pacer dials for the free
agents it counts, and every engine would count the same agents: so one engine paces it at a time.
The lease is ``campaign:<uuid>:pacer``, the holder's engine id with an expiry (``pacer_lease.lua``:
``SET NX PX``, or ``PEXPIRE`` by its holder); an engine that dies stops renewing it and another takes
it over once it lapses.
"""

from __future__ import annotations

from dialer.store.store import Store


class PacerLeases:
    def __init__(self, store: Store) -> None:
        self.scripts = store.scripts

    def hold(self, campaign_uuid: str, engine_id: str, lease_ms: int) -> bool:
        """Take the lease, or renew it if this engine holds it: True when it does now."""
        return self.scripts.pacer_lease(campaign_uuid, engine_id, max(1, lease_ms))

    def give_up(self, campaign_uuid: str, engine_id: str) -> None:
        """Let another engine take it at once (this engine stops pacing the campaign)."""
        self.scripts.pacer_lease(campaign_uuid, engine_id, 0)
