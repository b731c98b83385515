"""``--workers N``'s ``/metrics`` (dialer/worker_metrics.py): workers 2..N publish their engine families
to Redis, worker 1 shows them beside its own, labelled ``worker``. Real Redis; engines stand in as
collectors yielding fixed families (the processes themselves: tests/test_workers_metrics.py)."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from dialer.metrics import exposition
from dialer.worker_metrics import TTL_MS, HostEngineCollector, publish
from tests.test_metrics import samples

SUPERVISOR = "host-a:100"


class FixedEngine:
    """An engine's collector: ``attempts`` originates sent to fs1 for campaign c1, fs1 up."""

    def __init__(self, attempts: int) -> None:
        self.attempts = attempts

    def collect(self):
        family = CounterMetricFamily("autocall_attempts", "Originates sent", labels=["campaign", "node"])
        family.add_metric(["c1", "fs1"], self.attempts)
        yield family
        up = GaugeMetricFamily("autocall_freeswitch_up", "1 while up", labels=["node"])
        up.add_metric(["fs1"], 1)
        yield up


def published_by(store, engine_id: str, worker: int, attempts: int, at_s: float, supervisor: str = SUPERVISOR) -> None:
    store.engines.beat(engine_id, 60_000)  # every engine beats: the reader lists engines, it scans nothing
    publish(store, engine_id, FixedEngine(attempts), worker, supervisor, now=lambda: at_s)


def scrape(store, own_attempts: int = 5) -> dict:
    return samples(
        exposition(store, None, HostEngineCollector(store, FixedEngine(own_attempts), 1, SUPERVISOR)).decode()
    )


def test_one_scrape_shows_each_workers_engine_families_labelled_worker(store):
    published_by(store, "engine-2", 2, attempts=7, at_s=1000)
    published_by(store, "engine-3", 3, attempts=11, at_s=1000)
    m = scrape(store, own_attempts=5)
    attempts = {dict(ls)["worker"]: v for (n, ls), v in m.items() if n == "autocall_attempts_total"}
    assert attempts == {"1": 5, "2": 7, "3": 11}
    ups = {dict(ls)["worker"] for (n, ls), v in m.items() if n == "autocall_freeswitch_up" and v == 1}
    assert ups == {"1", "2", "3"}


def test_a_restarted_workers_new_engine_replaces_its_predecessors_values(store):
    published_by(store, "engine-2-dead", 2, attempts=900, at_s=1000)  # its hash lives on until its TTL
    published_by(store, "engine-2-new", 2, attempts=3, at_s=1004)
    m = scrape(store)
    assert m[("autocall_attempts_total", (("campaign", "c1"), ("node", "fs1"), ("worker", "2")))] == 3
    assert sum(1 for (n, ls) in m if n == "autocall_attempts_total" and ("worker", "2") in ls) == 1


def test_workers_of_another_supervisor_are_not_shown(store):
    published_by(store, "engine-other-host", 2, attempts=40, at_s=1000, supervisor="host-b:200")
    m = scrape(store)
    assert {dict(ls)["worker"] for (n, ls) in m if n == "autocall_attempts_total"} == {"1"}


def test_a_workers_published_values_expire_unless_published_again(store):
    published_by(store, "engine-2", 2, attempts=7, at_s=1000)
    ttl = store.r.pttl(store.keys.engine_metrics("engine-2"))
    assert 0 < ttl <= TTL_MS


def test_a_dead_workers_expired_values_leave_the_scrape(store):
    published_by(store, "engine-2", 2, attempts=7, at_s=1000)
    store.r.delete(store.keys.engine_metrics("engine-2"))  # what its TTL does once it stops publishing
    m = scrape(store)
    assert {dict(ls)["worker"] for (n, ls) in m if n == "autocall_attempts_total"} == {"1"}
