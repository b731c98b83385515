"""``autocall serve``: the HTTP API and the engine in one gevent process.

SIGTERM / SIGINT drain: pacers stop starting calls, calls in flight finish
and are recorded (up to ``AUTOCALL_DRAIN_SECONDS``), queued writes reach
Redis, then the process exits. A call still up after the drain keeps its
slot until its lease expires; the next engine records it as lost.

As worker I of N (``--workers N``, dialer/workers.py) it paces to 1/N of each
node's budget, serves the API only as worker 1 (whose ``/metrics`` shows every
worker's engine: dialer/worker_metrics.py, the others publish theirs), and
drains when its supervisor is gone.
"""

from __future__ import annotations

import logging
import os
import signal

import gevent
import gevent.event

from dialer.api.app import Api, all_routes
from dialer.api.server import PROBE_CONNECTIONS, make_server, raise_fd_limit
from dialer.config import Settings
from dialer.engine.engine import Engine
from dialer.logs import redact_url, setup_logging
from dialer.media import MessageFiles
from dialer.metrics import EngineCollector
from dialer.service.context import Services
from dialer.status import policy_problem
from dialer.store.errors import StoreError
from dialer.store.sealing import Sealer
from dialer.store.store import Store
from dialer.webhooks import WebhookSender
from dialer.worker_metrics import HostEngineCollector, keep_publishing, publish_or_log, supervisor_of
from dialer.workers import WorkerSlot, watch_parent

log = logging.getLogger("autocall.daemon")


def build_renderer(settings: Settings):
    """The speech renderer for TTS and OTP campaigns (None: such campaigns cannot dial)."""
    book = settings.voice_book()
    if book is None:
        return None
    # Imported here, not at the top: optional parts (numpy and soxr cost ~45 ms of import), only
    # for a server that speaks; each voice's engine module is imported by name (tts/engines/registry.py).
    from tts.cache import AudioCache
    from tts.chain import VoiceChain
    from tts.otp import OtpReader
    from tts.renderer import TtsRenderer

    voices = VoiceChain.build(
        book,
        AudioCache(settings.audio_dir / "tts", settings.tts_cache_bytes),
        settings.tts_rate,
        # The dialler's render budget for a batch (engine/dialing.py: a third of the lease, counted once the batch's
        # renders are spawned); a chain starts a moment after that clock, so half a second less.
        budget_s=max(1.0, settings.lease_seconds / 3 - 0.5),
        cooldown_s=settings.tts_cooldown_seconds,
    )
    codes = AudioCache(settings.audio_dir / "tts-otp", 64 << 20)  # one file per code: kept apart, small bound
    return TtsRenderer(voices, OtpReader(voices, pause_ms=settings.otp_pause_ms, output=codes))


def build_engine(settings: Settings, workers: int = 1) -> tuple[Store, Engine, WebhookSender]:
    """``workers``: engine processes dialling the same nodes from this host; each paces to 1/workers."""
    # The API and the engine share this store, so both seal and open with the same keys.
    redis_url, cdr_secret = settings.redis_url.get_secret_value(), settings.cdr_secret.get_secret_value()
    store = Store.from_url(redis_url, settings.redis_prefix, Sealer.from_settings(settings))
    files = MessageFiles(settings.audio_dir, renderer=build_renderer(settings))
    engine = Engine(
        store,
        [node.for_workers(workers) for node in settings.nodes()],
        files,
        default_gateway=settings.default_gateway,
        default_caller_id=settings.default_caller_id,
        lease_s=settings.lease_seconds,
        command_timeout=settings.command_timeout,
        max_call_s=settings.max_call_seconds,
        switch_cdrs=bool(cdr_secret),
        cdr_wait_s=settings.cdr_wait_seconds,
        autodialer_node=settings.autodialer_node_name(),
        abandon_cap_pct=settings.abandon_cap_percent,
        autodialer_max_wait_s=settings.autodialer_max_wait,
    )
    secret = settings.webhook_secret.get_secret_value()
    sender = WebhookSender(store, secret=secret, allow_private=settings.webhook_allow_private)
    return store, engine, sender


def build_api(settings: Settings, store: Store, engine: Engine | None = None, engine_metrics=None):
    """The API's server, and the probe listener's (None unless ``AUTOCALL_PROBE_LISTEN``).
    ``engine_metrics``: the engine families ``/metrics`` shows, when not ``engine``'s alone (``--workers N``)."""
    services = Services(
        store,
        settings.audio_dir,
        domain_uuid=settings.domain_uuid,
        max_import_bytes=settings.max_import_bytes,
        engine=engine,
        engine_metrics=engine_metrics,
        import_staging_s=settings.import_staging_seconds,
        idempotency_s=settings.idempotency_seconds,
        cdr_secret=settings.cdr_secret.get_secret_value(),
        autodialer_moh=settings.autodialer_moh,
        autodialer_max_wait=settings.autodialer_max_wait,
        default_gateway=settings.default_gateway,
        speech=settings.tts_engine != "none",
        voices=_voice_names(settings),
        webhook_allow_private=settings.webhook_allow_private,
    )
    app = Api(services, settings.tokens(), public_docs=settings.public_docs).app
    server = make_server(
        app, settings.listen, client_timeout=settings.http_client_timeout, max_connections=settings.http_max_connections
    )
    if not settings.probe_listen:
        return server, None
    # Only the probes, on a listener of their own: busy API connections never delay them.
    probes = [r for r in all_routes() if r.method == "GET" and r.path in PROBE_PATHS]
    probe_app = Api(services, [], routes=probes).app
    probe = make_server(
        probe_app,
        settings.probe_listen,
        client_timeout=min(settings.http_client_timeout, 5.0),
        max_connections=PROBE_CONNECTIONS,
        name="probe",
    )
    return server, probe


PROBE_PATHS = ("/healthz", "/readyz")


def _voice_names(settings: Settings) -> tuple[str, ...]:
    """The voices a template may name (checked when a template is written)."""
    book = settings.voice_book()
    return book.names() if book is not None else ()


DEFAULT_ESL_PASSWORD = "ClueCon"  # FreeSWITCH's stock event_socket.conf.xml password


def check_nodes(settings: Settings) -> bool:
    """No FreeSWITCH node, or one with the stock password (unless a test setup says so): refuse."""
    nodes = settings.nodes()
    if not nodes:
        log.error("AUTOCALL_FREESWITCH is empty: set esl://:PASSWORD@HOST:PORT, one per FreeSWITCH node")
        return False
    for node in nodes:
        if node.password != DEFAULT_ESL_PASSWORD:  # case-sensitive, as FreeSWITCH compares it
            continue
        if not settings.allow_default_esl_password:
            log.error(
                "FreeSWITCH node uses the stock ESL password ClueCon: set a real one in its "
                "event_socket.conf.xml and AUTOCALL_FREESWITCH (AUTOCALL_ALLOW_DEFAULT_ESL_PASSWORD=true "
                "for a test setup)",
                extra={"node": node.name},
            )
            return False
        log.warning(
            "FreeSWITCH node uses the stock ESL password ClueCon (AUTOCALL_ALLOW_DEFAULT_ESL_PASSWORD)",
            extra={"node": node.name},
        )
    return True


def check_redis(store: Store) -> str | None:
    """At start, once: warn (one JSON line) unless Redis's ``maxmemory-policy`` is ``noeviction``
    (docs/deploy.md, "Redis"). Never stops the daemon: Redis may be away for now, or the policy
    unreadable on a managed Redis. Returns the policy (None: unknown)."""
    try:
        policy = store.health.eviction_policy()
    except StoreError as exc:
        log.warning("cannot check Redis's maxmemory-policy now (it must be noeviction)", extra={"error": str(exc)})
        return None
    problem = policy_problem(policy)
    if problem:
        log.warning(problem, extra={"maxmemory_policy": policy})
    return policy


def serve(settings: Settings, slot: WorkerSlot | None = None) -> int:
    # No token or password in any log line (the stock ClueCon is public: the refusal below names it).
    secrets = [s for s in settings.secrets() if s != DEFAULT_ESL_PASSWORD]
    setup_logging(settings.log_level, secrets=secrets, fields={"worker": slot.index} if slot else None)
    if settings.api and not settings.tokens():
        log.error("AUTOCALL_API_TOKENS is empty: set at least one bearer token (or AUTOCALL_API=false)")
        return 2
    if not check_nodes(settings):
        return 2
    store, engine, webhooks = build_engine(settings, slot.count if slot else 1)
    first = slot is None or slot.serves_api  # the API and the housekeeping: one process of the host's
    policy = check_redis(store)
    fd_limit = raise_fd_limit()  # idle HTTP connections hold a descriptor each (dialer/api/server.py)
    # --workers N: worker 1's /metrics shows every worker's engine families, the others publish theirs
    worker = slot.index if slot is not None and slot.count > 1 else 0  # 0: the host's only engine
    supervisor = supervisor_of(os.getppid()) if worker else ""
    host_metrics = HostEngineCollector(store, EngineCollector(engine), worker, supervisor) if worker and first else None
    server, probe = build_api(settings, store, engine, host_metrics) if settings.api and first else (None, None)
    stop = gevent.event.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        gevent.signal_handler(sig, stop.set)
    orphaned = watch_parent(stop) if slot else None
    for listener, address in ((server, settings.listen), (probe, settings.probe_listen)):
        if listener is None:
            continue
        try:
            listener.start()
        except OSError as exc:
            log.error("cannot listen", extra={"listen": address, "error": str(exc)})
            return 2
    engine.start()
    webhooks.start()
    janitor = gevent.spawn(_janitor, store) if first else None
    publisher = keep_publishing(store, engine, worker, supervisor) if worker and settings.api and not first else None
    redis_shown = redact_url(settings.redis_url.get_secret_value())  # never its password
    log.info(
        "autocall started",
        extra={
            "engine_id": engine.engine_id,
            "nodes": [n.name for n in engine.nodes],
            "redis": redis_shown,
            "redis_maxmemory_policy": policy,
            "listen": settings.listen if server else None,
            "probe_listen": settings.probe_listen if probe else None,
            "http_max_connections": server.pool.size if server else None,
            "fd_limit": fd_limit,
        },
    )
    stop.wait()
    for listener in (server, probe):
        if listener is not None:
            listener.stop(timeout=5)  # no new requests; requests in progress finish
    for housekeeping in (janitor, orphaned):
        if housekeeping is not None:
            housekeeping.kill()
    log.info("draining: no new calls; waiting for calls in flight", extra={"in_flight": engine.tracker.count()})
    engine.stop(drain_timeout=settings.drain_seconds)
    if publisher is not None:  # the drain's last outcomes, shown until the hash expires
        publisher.kill()
        publish_or_log(store, engine, worker, supervisor)
    webhooks.stop()
    log.info("autocall engine stopped")
    return 0


def _janitor(store: Store, idle_s: float = 30.0) -> None:
    """Purge deleted campaigns' data in small batches, once their calls have ended."""
    while True:
        try:
            busy = store.campaigns.purge_deleted() > 0
        except Exception as exc:  # never let housekeeping take the daemon down
            log.error("purge of deleted campaigns failed", extra={"error": str(exc)})
            busy = False
        gevent.sleep(0.01 if busy else idle_s)
