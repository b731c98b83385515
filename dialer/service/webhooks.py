"""Webhook queue operations: counts, and the dead letters (list, requeue, delete).

A delivery that failed ``MAX_TRIES`` times sits in the dead list
(``autocall:webhooks:dead``, newest first) with its hash
(``autocall:webhook:<id>``: url, body, tries, last_error, campaign, call).
Requeueing moves it back to the due ZSET with ``tries`` reset, so the sender
takes it at once and retries it with the usual back-off. The store makes every
move one MULTI transaction guarded by WATCH (dialer/store/webhook_backlog.py):
a delivery is never both dead and queued, and one the sender (or another
request) moves meanwhile is left alone.

Delivery ids are decimal numbers from the ``seq:webhook`` counter (used by
both ``finish.lua`` and :meth:`WebhookQueue.queue` (dialer/store/webhook_queue.py)); nothing else is
accepted, so no request text ever reaches a Redis key name.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from dialer.service.context import Services
from dialer.service.errors import NotFound
from dialer.store.sealing import SealError
from dialer.store.store import Store

log = logging.getLogger("autocall.api")

DELIVERY_ID = re.compile(r"^[1-9][0-9]{0,18}$")


def check_id(delivery_id: str) -> str:
    """The id if it is one autocall makes, else 404 (never a key name built from arbitrary text)."""
    if not DELIVERY_ID.match(delivery_id):
        raise NotFound()
    return delivery_id


def stats(svc: Services) -> dict[str, int]:
    """``queued``: deliveries waiting (due or not, and those being sent); ``due``: of those, due now;
    ``dead``: failed for good."""
    counts = svc.store.webhook_backlog.counts(svc.now_ms())
    return {"queued": counts.queued, "due": counts.due, "dead": counts.dead}


def _body(store: Store, delivery: str, data: dict[str, str]) -> str:
    """The body as it is POSTed (enable_encrypt: opened); one that cannot be opened is shown as stored."""
    try:
        return store.sealed.open_webhook_body(data)
    except SealError as exc:
        log.error("webhook body cannot be opened", extra={"delivery": delivery, "error": str(exc)})
        return data.get("body", "")


def _view(store: Store, delivery: str, data: dict[str, str]) -> dict[str, Any]:
    return {
        "delivery_id": delivery,
        "url": data.get("url", ""),
        "campaign_uuid": data.get("campaign", ""),
        "call_id": data.get("call", ""),
        "tries": int(data.get("tries") or 0),
        "last_error": data.get("last_error", ""),
        "body": _body(store, delivery, data),
    }


def dead(svc: Services, *, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
    """One page of dead deliveries, newest first, and how many there are."""
    page, total = svc.store.webhook_backlog.dead(offset=offset, limit=limit)
    return [_view(svc.store, d.delivery_id, d.fields) for d in page], total


def requeue(svc: Services, delivery_id: str) -> None:
    """Move one dead delivery back to the due queue, ``tries`` reset (404 if it is not dead)."""
    if not svc.store.webhook_backlog.requeue(check_id(delivery_id), svc.now_ms()):
        raise NotFound()


def requeue_all(svc: Services) -> int:
    """Move every dead delivery back to the due queue, oldest first, a batch per transaction
    (dialer/store/webhook_backlog.py). Returns how many were requeued."""
    return svc.store.webhook_backlog.requeue_all(svc.now_ms)


def delete(svc: Services, delivery_id: str) -> None:
    """Forget one dead delivery for good (404 if it is not dead: a queued one is never deleted)."""
    if not svc.store.webhook_backlog.delete(check_id(delivery_id)):
        raise NotFound()
