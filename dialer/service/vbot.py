"""VBot's campaign creation (seed 003): a clone of a template campaign, loaded with its phones and
started, landing whole or not at all.

The clone is made stopped, its uuid marked first in ``campaigns-creating`` under its name; one
commit lands every phone and starts it (:mod:`dialer.service.landing`). A creation that failed
half-way and could not undo itself (Redis went away) leaves a stopped clone that never dialled
under the name: a retry of the request deletes it and starts over, where it would otherwise be
refused as "name taken" for good.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dialer.domain.enums import CampaignStatus
from dialer.domain.ids import new_uuid
from dialer.domain.models import Campaign
from dialer.service import campaigns, leads
from dialer.service.context import Services
from dialer.service.errors import BadRequest, NotFound
from dialer.service.leads import Remember, Row
from dialer.store.errors import StoreError

log = logging.getLogger("autocall.api")


def template_campaign(svc: Services, campaign_id: int) -> Campaign:
    """The campaign VBot names by its integer id, to be cloned; NotFound when there is none."""
    uuid = svc.store.campaigns.uuid_by_id(campaign_id)
    source = svc.store.campaigns.get(uuid) if uuid else None
    if source is None:
        raise NotFound(f"campaignId {campaign_id}: no such template campaign")
    return source


def create(
    svc: Services,
    source: Campaign,
    name: str,
    rows: list[Row],
    caps: list[int],
    remember: Remember | None = None,
    answer: Callable[[int], tuple[int, Any]] | None = None,
) -> int | tuple[int, Any]:
    """The new campaign's integer id, or the answer this Idempotency-Key already got. ``rows``
    were checked against ``source``'s rules; ``answer`` renders the id as the dialect answers it."""
    reclaimed = svc.store.imports.reclaim(name, svc.now_ms())
    if reclaimed:
        log.warning("unfinished creation removed", extra={"campaign": reclaimed})
    uuid = new_uuid()
    svc.store.imports.mark_creating(name, uuid)
    try:
        campaign = campaigns.clone(svc, source, name, status=CampaignStatus.STOP, uuid=uuid)
    except Exception:
        _undo(svc, name)  # e.g. the name is taken: only the mark goes
        raise
    if remember is not None and answer is not None:
        remember.render = lambda _result: answer(campaign.campaign_id)
    try:
        with leads.cyclic_gc_paused():
            result = leads.import_many(
                svc, campaign, rows, max_attempts=caps, whole=True, remember=remember, start=True
            )
        if result.replayed is not None:  # an identical request landed meanwhile
            _undo(svc, name)
            return result.replayed
        if result.errors or result.duplicates:  # only if the template changed since the rows were checked
            raise BadRequest(
                f"{len(result.errors) + len(result.duplicates)} phones could not be loaded: "
                "the template campaign changed"
            )
        leads.release(result.imported)  # 100,000 leads, a slice at a time
    except Exception:
        _undo(svc, name)
        raise
    return campaign.campaign_id


def _undo(svc: Services, name: str) -> None:
    """Delete the clone unless its commit landed (then it is started: a commit whose answer was lost
    on the way must stand). When Redis does not answer, a retry of the request does it (see above)."""
    try:
        svc.store.imports.reclaim(name, svc.now_ms())
    except StoreError as exc:
        log.warning("unfinished creation left for its retry", extra={"campaign_name": name, "error": str(exc)})
