"""The store: the composition root of everything autocall keeps in Redis.

A :class:`Store` holds the client, the key names, the sealer and one object per concern, each in
its own module of dialer/store/:

========================  =====================================================================
``store.campaigns``       campaigns, their indexes, status, wake-ups, the janitor (campaigns.py)
``store.catalog``         carriers and templates, one generic hash record each (catalog.py)
``store.prompt_sets``     recorded prompt sets, deleted only while no template names them (prompt_sets.py)
``store.agents``          autodialer agents, their live state and version (agents.py)
``store.leads``           seeding leads, reading one, the do-not-call list (leads.py)
``store.imports``         imports that land whole or not at all (imports.py)
``store.calls``           slots: claim, renew, finish, expired, adopt, kept hangups (calls.py)
``store.engines``         engines' liveness (engines.py)
``store.webhook_queue``   webhook deliveries: queue, lease, retry, dead list (webhook_queue.py)
``store.health``          is Redis up and writable (health.py)
``store.reports``         report counters and queue sizes (reports.py)
``store.call_stats``      an autodialer campaign's per-minute call stats, for its pacer (call_stats.py)
``store.sealed``          enable_encrypt: sealing and opening number-bearing fields (sealed_fields.py)
``store.scripts``         the Lua scripts, one typed call each (scripts.py)
``store.cdr_reads``       a campaign's CDRs in end order, a range's first and last (cdr_reads.py)
``store.webhook_backlog`` webhook counts, dead letters, requeue and delete (webhook_backlog.py)
``store.queue_counts``    the live view's and status's counts per campaign (queue_counts.py)
``store.engine_listing``  the engines alive, for ``autocall status`` (engine_listing.py)
``store.engine_metrics``  workers' engine metric families for ``/metrics`` (engine_metrics.py)
``store.subscriptions``   the events channel the engines listen on (subscription.py)
``store.external_ids``    a campaign's external id → lead uuid walk (external_ids.py)
``store.replication``     WAIT for a replica before a write is acted on (replication.py)
========================  =====================================================================

Single-key writes are plain commands; every multi-key change is one Lua script (``lua/``) or one
MULTI transaction, so greenlets and processes never race on a read-modify-write.
:meth:`Store.from_url` connects to one Redis or, through Sentinel, to its current primary (connect.py).
"""

from __future__ import annotations

import redis

from dialer.store.agents import Agents
from dialer.store.call_stats import CallStatsReads
from dialer.store.calls import Calls
from dialer.store.campaigns import Campaigns
from dialer.store.catalog import Catalog
from dialer.store.cdr_reads import CdrReads
from dialer.store.connect import WaitPolicy, connect
from dialer.store.engine_listing import EngineListing
from dialer.store.engine_metrics import EngineMetrics
from dialer.store.engines import Engines
from dialer.store.external_ids import ExternalIds
from dialer.store.health import Health
from dialer.store.imports import LeadImports
from dialer.store.keys import Keys
from dialer.store.leads import Leads
from dialer.store.prompt_sets import PromptSetRecords
from dialer.store.queue_counts import QueueCountReads
from dialer.store.replication import Replication
from dialer.store.reports import Reports
from dialer.store.scripts import Scripts
from dialer.store.sealed_fields import SealedFields
from dialer.store.sealing import Sealer
from dialer.store.subscription import EventSubscriptions
from dialer.store.webhook_backlog import WebhookBacklog
from dialer.store.webhook_queue import WebhookQueue


class Store:
    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "autocall",
        sealer: Sealer | None = None,
        *,
        keys: Keys | None = None,
        wait: WaitPolicy | None = None,
    ) -> None:
        self.r = client  # raw access, only for dialer/store's own helpers (holds, switch_cdrs...)
        self.keys = keys or Keys(prefix)  # ``keys``: other names (a test that loses every pub/sub message)
        self.prefix = prefix
        self.sealer = sealer or Sealer()  # no key: plain campaigns only (enable_encrypt ones are refused)
        self.scripts = Scripts(client, self.keys)
        self.replication = Replication(client, self.keys, wait)  # ``wait``: replicas to wait for (none: one Redis)
        self.sealed = SealedFields(client, self.keys, self.sealer)
        self.campaigns = Campaigns(client, self.keys, self.scripts)
        self.catalog = Catalog(client, self.keys, self.campaigns)
        self.prompt_sets = PromptSetRecords(client, self.keys, self.campaigns, self.catalog.templates)
        self.agents = Agents(client, self.keys, self.scripts, self.campaigns)
        self.leads = Leads(client, self.keys, self.scripts, self.sealed)
        self.calls = Calls(client, self.keys, self.scripts, self.sealed, self.replication)
        self.engines = Engines(client, self.keys)
        self.webhook_queue = WebhookQueue(client, self.keys, self.scripts, self.sealed)
        self.health = Health(client, self.keys)
        self.reports = Reports(client, self.keys)
        self.call_stats = CallStatsReads(client, self.keys)
        self.imports = LeadImports(client, self.keys, self.scripts, self.sealed)
        # Reads and moves the services, status and metrics make
        self.cdr_reads = CdrReads(client, self.keys)
        self.webhook_backlog = WebhookBacklog(client, self.keys)
        self.queue_counts = QueueCountReads(client, self.keys)
        self.engine_listing = EngineListing(client, self.keys)
        self.engine_metrics = EngineMetrics(client, self.keys)
        self.subscriptions = EventSubscriptions(client, self.keys)
        self.external_ids = ExternalIds(client, self.keys)

    @classmethod
    def from_url(cls, url: str, prefix: str = "autocall", sealer: Sealer | None = None) -> Store:
        client, wait = connect(url)
        return cls(client, prefix, sealer, wait=wait)
