"""``autocall serve``: the engine (and, with the API issue, the HTTP API) in one gevent process.

SIGTERM / SIGINT drain: pacers stop starting calls, calls in flight finish
and are recorded (up to ``AUTOCALL_DRAIN_SECONDS``), queued writes reach
Redis, then the process exits. A call still up after the drain keeps its
slot until its lease expires; the next engine records it as lost.
"""

from __future__ import annotations

import logging
import signal

import gevent
import gevent.event

from dialer.config import Settings
from dialer.engine.engine import Engine
from dialer.logs import setup_logging
from dialer.media import MessageFiles
from dialer.store.store import Store
from dialer.webhooks import WebhookSender

log = logging.getLogger("autocall.daemon")


def build_engine(settings: Settings) -> tuple[Store, Engine, WebhookSender]:
    store = Store.from_url(settings.redis_url, settings.redis_prefix)
    engine = Engine(store, settings.nodes(), MessageFiles(settings.audio_dir), default_gateway=settings.default_gateway,
                    default_caller_id=settings.default_caller_id, lease_s=settings.lease_seconds,
                    command_timeout=settings.command_timeout)  # fmt: skip
    return store, engine, WebhookSender(store)


def serve(settings: Settings) -> int:
    setup_logging(settings.log_level)
    _store, engine, webhooks = build_engine(settings)
    stop = gevent.event.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stop.set)
    engine.start()
    webhooks.start()
    log.info("autocall engine started", extra={"nodes": [n.name for n in engine.nodes], "redis": settings.redis_url})
    stop.wait()
    log.info("draining: no new calls; waiting for calls in flight", extra={"in_flight": engine.tracker.count()})
    engine.stop(drain_timeout=settings.drain_seconds)
    webhooks.stop()
    log.info("autocall engine stopped")
    return 0
