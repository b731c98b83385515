"""Is the daemon alive, and ready to take writes? What ``/healthz`` and ``/readyz`` ask of the store."""

from __future__ import annotations

from dialer.service.context import Services
from dialer.store.errors import StoreError


def alive(svc: Services) -> None:
    """Redis answers a PING (raises :data:`StoreError` otherwise). Never a write: a full Redis is
    not a reason to restart the daemon."""
    svc.store.health.ping()


def redis_state(svc: Services) -> str:
    """``up``, ``down``, or ``not ready: <why>`` (a read-only replica, a failed snapshot, full under
    ``noeviction``): a SET of an expiring 1-byte key and INFO memory."""
    try:
        refusal = svc.store.health.write_refusal()
    except StoreError:
        return "down"
    return f"not ready: {refusal}" if refusal else "up"
