"""Prometheus metrics (``GET /metrics``): what the engine counts, and what Redis holds.

Nothing here runs per call: the engine keeps plain dict counters (a dict
increment in the hot path), and the collectors below turn them, and a few
Redis reads, into metric families only when Prometheus scrapes. Queue
metrics come from Redis, so they are right whichever process dials.

Rates are PromQL's job: attempts/s is ``rate(autocall_attempts_total[1m])``.
Names and labels: docs/observability.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from dialer.domain import agent_counts

if TYPE_CHECKING:
    from dialer.engine.engine import Engine
    from dialer.store.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class EngineCollector(Collector):
    """Calls in flight, attempts, outcomes and FreeSWITCH connections of this process's engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        engine = self.engine
        in_flight = GaugeMetricFamily(
            "autocall_calls_in_flight", "Calls this engine is following now", labels=["campaign", "node"]
        )
        counts: dict[tuple[str, str], int] = {}
        for campaign_uuid, calls in list(engine.tracker.by_campaign.items()):
            for att in list(calls.values()):
                key = (campaign_uuid, att.node.name)
                counts[key] = counts.get(key, 0) + 1
        for (campaign_uuid, node_name), n in sorted(counts.items()):
            in_flight.add_metric([campaign_uuid, node_name], n)
        yield in_flight
        attempts = CounterMetricFamily(
            "autocall_attempts", "Originates sent to FreeSWITCH", labels=["campaign", "node"]
        )
        for (campaign_uuid, node_name), n in sorted(engine.counts.attempts.items()):
            attempts.add_metric([campaign_uuid, node_name], n)
        yield attempts
        outcomes = CounterMetricFamily(
            "autocall_outcomes",
            "Attempts recorded, by recall status and hangup cause",
            labels=["campaign", "recall_status", "cause"],
        )
        for (campaign_uuid, status, cause), n in sorted(engine.counts.outcomes.items()):
            outcomes.add_metric([campaign_uuid, status, cause], n)
        yield outcomes
        up = GaugeMetricFamily("autocall_freeswitch_up", "1 while the Event Socket connection is up", labels=["node"])
        reconnects = CounterMetricFamily(
            "autocall_esl_reconnects", "Event Socket connections lost and re-made", labels=["node"]
        )
        free = GaugeMetricFamily(
            "autocall_freeswitch_free_sessions", "Sessions autocall may still start", labels=["node"]
        )
        ready = GaugeMetricFamily(
            "autocall_freeswitch_ready", "1 while the node is connected and may be dialled", labels=["node"]
        )
        problem = GaugeMetricFamily(
            "autocall_freeswitch_problem",
            "1 for each reason the node is not dialled "
            "(dialplan, sofia, shutdown, paused, limits; avmd: only campaigns with "
            "voicemail detection wait)",
            labels=["node", "problem"],
        )
        sps = GaugeMetricFamily(
            "autocall_freeswitch_sps_limit", "FreeSWITCH's sessions-per-second (fsctl sps)", labels=["node"]
        )
        rate = GaugeMetricFamily(
            "autocall_originate_rate", "Originates per second autocall allows itself now", labels=["node"]
        )
        refusals = CounterMetricFamily(
            "autocall_freeswitch_refusals",
            "Originates FreeSWITCH refused without a channel (retried, not counted)",
            labels=["node"],
        )
        for node in engine.nodes:
            up.add_metric([node.name], 1 if node.up.is_set() else 0)
            reconnects.add_metric([node.name], node.reconnects)
            free.add_metric([node.name], max(0, node.free_sessions()))
            ready.add_metric([node.name], 1 if node.ready else 0)
            for kind in sorted(node.problems if node.up.is_set() else ()):
                problem.add_metric([node.name, kind], 1)
            if node.up.is_set() and not node.state.avmd:  # campaigns with voicemail_detection wait
                problem.add_metric([node.name, "avmd"], 1)
            if node.sps_limit is not None:
                sps.add_metric([node.name], node.sps_limit)
            rate.add_metric([node.name], round(node.capacity.bucket.rate, 3) if node.sps_limit is not None else 0)
            refusals.add_metric([node.name], node.capacity.refusals)
        yield from (up, reconnects, free, ready, problem, sps, rate, refusals)
        yield CounterMetricFamily("autocall_calls_adopted", "Calls of dead engines taken over", value=engine.adopted)
        yield CounterMetricFamily("autocall_calls_lost", "Calls that ended unheard (AUTOCALL_LOST)", value=engine.lost)
        yield GaugeMetricFamily(
            "autocall_write_queue", "Results waiting to be written to Redis", value=engine.write_queue_size()
        )
        yield from voice_families(getattr(engine.files.renderer, "voices", None))


def voice_families(voices: Any) -> Iterator[Metric]:
    """The TTS voices' renders by outcome, fallbacks and resting breakers (a tts.chain.VoiceChain; None: no TTS)."""
    if voices is None:
        return
    renders = CounterMetricFamily(
        "autocall_tts_renders",
        "Texts a voice was asked for: ok (spoken or cached), failed (its engine), resting (its breaker open), "
        "no_time (the render budget spent)",
        labels=["voice", "outcome"],
    )
    for (voice, outcome), count in sorted(voices.outcomes.items()):
        renders.add_metric([voice, outcome], count)
    fallbacks = CounterMetricFamily(
        "autocall_tts_fallbacks", "Texts spoken by another voice than the one asked for", labels=["voice", "spoken_by"]
    )
    for (voice, spoken_by), count in sorted(voices.fallbacks.items()):
        fallbacks.add_metric([voice, spoken_by], count)
    resting = GaugeMetricFamily(
        "autocall_tts_voice_resting", "1 while a voice's breaker is open (its fallback speaks)", labels=["voice"]
    )
    for name, synth in sorted(voices.synths.items()):
        breaker = getattr(synth, "breaker", None)
        resting.add_metric([name], 1 if breaker is not None and breaker.state != "closed" else 0)
    yield from (renders, fallbacks, resting)


class StoreCollector(Collector):
    """Queues as Redis holds them: per-campaign hopper, fresh, recalls and slots; webhook backlog;
    agents by status and state (two round trips for every agent, dialer/domain/agent_counts.py's rule)."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        store = self.store

        def per_campaign(name: str, text: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, text, labels=["campaign"])

        families = {
            "hopper": per_campaign("autocall_hopper_depth", "Leads pre-loaded for dialling"),
            "fresh": per_campaign("autocall_fresh_leads", "Leads waiting for a first attempt"),
            "recalls": per_campaign("autocall_recall_backlog", "Recalls scheduled"),
            "in_flight": per_campaign("autocall_slots_taken", "Call slots held, every process"),
        }
        running = store.campaigns.running()
        for campaign_uuid in sorted(running):
            sizes = store.reports.queue_sizes(campaign_uuid)
            for name, family in families.items():
                family.add_metric([campaign_uuid], sizes[name])
        yield from families.values()
        now_ms = int(self.clock() * 1000)
        webhooks = store.webhook_backlog.counts(now_ms)
        yield GaugeMetricFamily(
            "autocall_webhook_backlog", "Webhook deliveries waiting or retrying", value=webhooks.queued
        )
        yield GaugeMetricFamily(
            "autocall_webhooks_dead", "Webhook deliveries that failed for good", value=webhooks.dead
        )
        yield GaugeMetricFamily("autocall_campaigns_running", "Campaigns with status start", value=len(running))
        yield from agent_families(store, now_ms)


def agent_families(store: Store, now_ms: int) -> Iterator[Metric]:
    """Agents by status, logged-in agents by state, and the free ones (the live page's *waiting*)."""
    agents = store.agents.with_live()
    statuses = GaugeMetricFamily(
        "autocall_agents", "Agents by status (mod_callcenter's once reported, else the operator's)", labels=["status"]
    )
    for status, n in agent_counts.by_status(agents).items():
        statuses.add_metric([status], n)
    states = GaugeMetricFamily(
        "autocall_agents_state", "Logged-in agents by mod_callcenter state (Unknown: no event yet)", labels=["state"]
    )
    for state, n in agent_counts.by_state(agents).items():
        states.add_metric([state], n)
    free = GaugeMetricFamily(
        "autocall_agents_free",
        "Agents free for a call now: Available, Waiting and past their wrap-up",
        value=agent_counts.count(agents, now_ms).waiting,
    )
    yield from (statuses, states, free)


def exposition(store: Store, engine: Engine | None, engines: Collector | None = None) -> bytes:
    """The text Prometheus scrapes (a fresh registry each time: nothing global). ``engines``: the
    engine families to show instead of ``engine``'s (``--workers N``: every worker's, dialer/worker_metrics.py)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    if engines is not None:
        registry.register(engines)
    elif engine is not None:
        registry.register(EngineCollector(engine))
    return generate_latest(registry)
