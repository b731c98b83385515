"""A campaign as the engine dials it: with the carrier and template it dials with.

Loaded from Redis by the engine (``dialer/engine/campaigns.py``), read by the
pacer (``dialer/pacing/pacer.py``) and the campaign holds: it sits here, below
both, so neither imports the other to name it.

A context is never changed: a change of the campaign, its carrier or its
template makes a new one. What the dialler works out once per campaign
(its originate plan) is kept in ``prepared`` and so goes with it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.domain.models import Campaign, Carrier, Template


@dataclass(slots=True)
class CampaignContext:
    campaign: Campaign
    carrier: Carrier | None
    template: Template | None
    directory_user: bool = False  # dial user/<number> (autocall test-call), not a gateway
    loopback_context: str = ""  # dial loopback/<number>/<context> (autocall agent-test's echo), not a gateway
    # Worked out at the first call and reused for every other (dialer/engine/dialing.py).
    prepared: dict[str, object] = field(default_factory=dict, compare=False, repr=False)
