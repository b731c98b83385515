"""``autocall serve --workers N``: one ``/metrics`` scrape shows every worker's engine families.

Workers 2..N each publish what their engine's collector shows (dialer/metrics.py) to Redis every
``PUBLISH_EVERY_S``, in a hash per engine that expires ``TTL_MS`` after the last publish (a dead
worker's values vanish with it). Worker 1, which serves ``/metrics``, shows its own engine's
families live and, for each other worker of its supervisor, the newest values published, every
sample labelled ``worker``. With one worker nothing is published and nothing labelled.
docs/observability.md, "Several workers: one scrape".
"""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import gevent
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from dialer.metrics import EngineCollector

if TYPE_CHECKING:
    from dialer.engine.engine import Engine
    from dialer.store.store import Store

log = logging.getLogger("autocall.metrics")

PUBLISH_EVERY_S = 5.0  # a third of Prometheus's usual 15 s scrape interval: a scrape sees values ≤ 5 s old
TTL_MS = 15_000  # three publishes missed: the worker is gone (or Redis was away that long)
WORKER_LABEL = "worker"


def supervisor_of(pid: int) -> str:
    """The workers of one supervisor share this: another host's (or an earlier supervisor's) are not ours."""
    return f"{socket.gethostname()}:{pid}"


def snapshot(families: Iterable[Metric]) -> str:
    """The families as JSON: [[name, type, help, [[sample name, labels, value], ...]], ...]."""
    return json.dumps(
        [[m.name, m.type, m.documentation, [[s.name, s.labels, s.value] for s in m.samples]] for m in families],
        separators=(",", ":"),
    )


def publish(
    store: Store, engine_id: str, own: Collector, worker: int, supervisor: str, now: Callable[[], float] = time.time
) -> None:
    """This worker's engine families now (``own``: its engine's collector), for worker 1's ``/metrics``."""
    values = {
        "worker": str(worker),
        "supervisor": supervisor,
        "at_ms": str(int(now() * 1000)),
        "families": snapshot(own.collect()),
    }
    store.engine_metrics.publish(engine_id, values, TTL_MS)


def publish_or_log(store: Store, engine: Engine, worker: int, supervisor: str) -> None:
    try:
        publish(store, engine.engine_id, EngineCollector(engine), worker, supervisor)
    except Exception as exc:  # Redis away...: the next publish tries again; never end the worker
        log.warning("cannot publish this worker's metrics", extra={"error": str(exc)})


def keep_publishing(
    store: Store, engine: Engine, worker: int, supervisor: str, every_s: float = PUBLISH_EVERY_S
) -> gevent.Greenlet:
    """A greenlet: publish at once, then every ``every_s`` (killed at the drain; the last values expire)."""

    def run() -> None:
        while True:
            publish_or_log(store, engine, worker, supervisor)
            gevent.sleep(every_s)

    return gevent.spawn(run)


def newest_per_worker(published: dict[str, dict[str, str]], supervisor: str, own: int) -> dict[int, list]:
    """worker -> its families, the newest publish of each other worker of ``supervisor`` (a restarted
    worker's new engine replaces its dead predecessor's at its first publish)."""
    newest: dict[int, tuple[int, str]] = {}
    for values in published.values():
        try:
            worker, at_ms = int(values["worker"]), int(values["at_ms"])
        except (KeyError, ValueError):
            continue
        if values.get("supervisor") != supervisor or worker == own:
            continue
        if worker not in newest or at_ms > newest[worker][0]:
            newest[worker] = (at_ms, values.get("families", "[]"))
    out: dict[int, list] = {}
    for worker, (_, text) in sorted(newest.items()):
        try:
            out[worker] = json.loads(text)
        except ValueError:
            continue
    return out


class HostEngineCollector(Collector):
    """Worker 1's engine families, live (``own``: its engine's collector), and the other workers' as
    last published: each sample labelled ``worker``."""

    def __init__(self, store: Store, own: Collector, worker: int, supervisor: str) -> None:
        self.store, self.own, self.worker, self.supervisor = store, own, worker, supervisor

    def collect(self) -> Iterator[Metric]:
        families: dict[str, Metric] = {}
        for own in self.own.collect():
            family = families[own.name] = Metric(own.name, own.documentation, own.type)
            for s in own.samples:
                family.add_sample(s.name, {**s.labels, WORKER_LABEL: str(self.worker)}, s.value)
        others = newest_per_worker(self.store.engine_metrics.published(), self.supervisor, self.worker)
        for worker, published in others.items():
            for name, typ, documentation, samples in published:
                if name not in families:  # a family this version does not have (a worker of another version)
                    families[name] = Metric(name, documentation, typ)
                family = families[name]
                for sample_name, labels, value in samples:
                    family.add_sample(sample_name, {**labels, WORKER_LABEL: str(worker)}, value)
        yield from families.values()
