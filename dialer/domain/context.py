"""A campaign as the engine dials it: with the carrier and template it dials with.

Loaded from Redis by the engine (``dialer/engine/campaigns.py``), read by the
pacer (``dialer/pacing/pacer.py``) and the campaign holds: it sits here, below
both, so neither imports the other to name it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.domain.models import Campaign, Carrier, Template


@dataclass(slots=True)
class CampaignContext:
    campaign: Campaign
    carrier: Carrier | None
    template: Template | None
    directory_user: bool = False  # dial user/<number> (autocall test-call), not a gateway
