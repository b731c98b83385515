"""The readiness rule (``dialer/readiness.py``) for a campaign as the API sees it.

The rule itself lives below the engine, which holds a running campaign by it;
this module hands it what the API has: the template and carrier read from the
store, an autodialer campaign's agents (how many its users and groups name),
and the server's settings from :class:`Services`.
"""

from __future__ import annotations

from dialer.domain.enums import CampaignType
from dialer.domain.models import Campaign
from dialer.media import MessageFiles
from dialer.readiness import CANNOT_DIAL, Means, explain, missing
from dialer.service.agents import agents_for_campaign
from dialer.service.context import Services

__all__ = ["CANNOT_DIAL", "explain", "means_of", "problems"]


def means_of(svc: Services) -> Means:
    return Means(MessageFiles(svc.audio_dir), svc.default_gateway, svc.speech)


def problems(svc: Services, campaign: Campaign) -> list[str]:
    """:func:`missing` for a campaign as the API sees it (its template and carrier read from Redis)."""
    template = svc.store.catalog.templates.get(campaign.template_uuid) if campaign.template_uuid else None
    carrier = svc.store.catalog.carriers.get(campaign.carrier_uuid) if campaign.carrier_uuid else None
    agents = len(agents_for_campaign(svc, campaign).agents) if campaign.type is CampaignType.AUTODIALER else None
    return missing(campaign, template, carrier, means_of(svc), agents=agents)
