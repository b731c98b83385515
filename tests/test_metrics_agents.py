"""/metrics' agent gauges (dialer/metrics.py ``agent_families``): agents by status, logged-in agents by
mod_callcenter state, and the free ones, read from Redis at scrape by the live view's rule
(dialer/domain/agent_counts.py; docs/observability.md)."""

from __future__ import annotations

from falcon.testing import TestClient
from prometheus_client import CollectorRegistry, generate_latest

from dialer.api.app import build_app
from dialer.domain.agents import AgentState, AgentStatus
from dialer.metrics import StoreCollector
from dialer.service import live
from dialer.service.context import Services
from tests.test_live_agents import NOW, team  # noqa: F401 (team: a fixture)
from tests.test_metrics import AUTH, samples, total


def scrape(store, now: float = NOW) -> dict:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, clock=lambda: now))
    return samples(generate_latest(registry).decode())


def by(metrics: dict, name: str, label: str) -> dict[str, float]:
    return {dict(labels)[label]: v for (n, labels), v in metrics.items() if n == name}


def test_agents_are_gauged_by_status_mod_callcenters_once_reported(team, store):  # noqa: F811 (the fixture)
    # 1003: the operator set Available, mod_callcenter put it On Break (max_no_answer)
    assert by(scrape(store), "autocall_agents", "status") == {"Logged Out": 1, "Available": 3, "On Break": 1}


def test_logged_in_agents_are_gauged_by_state_every_state_always_present(team, store):  # noqa: F811 (the fixture)
    states = by(scrape(store), "autocall_agents_state", "state")
    # 1004 (logged out, never heard of) left out; 1003 is Waiting though on break
    expected = dict.fromkeys((s.value for s in AgentState), 0.0) | {"Waiting": 3, "In a queue call": 1}
    assert states == expected


def test_an_agent_no_event_was_heard_for_is_in_state_unknown(team, store):  # noqa: F811 (the fixture)
    store.agents.rewrite(team["quoc"].agent_uuid, lambda a: a.model_copy(update={"status": AgentStatus.AVAILABLE}))
    assert by(scrape(store), "autocall_agents_state", "state")["Unknown"] == 1


def test_free_agents_are_the_live_views_waiting_wrap_up_left_out_until_it_ends(team, store, services):  # noqa: F811 (the fixture)
    assert total(scrape(store), "autocall_agents_free") == live.snapshot(services).agent_totals.waiting == 1
    assert total(scrape(store, NOW + 6), "autocall_agents_free") == 2  # 1005's wrap-up is over


def test_without_agents_every_status_is_zero(store, tmp_path):
    client = TestClient(build_app(Services(store, tmp_path), ["tok"]))
    m = samples(client.simulate_get("/metrics", headers=AUTH).text)
    assert by(m, "autocall_agents", "status") == {"Logged Out": 0, "Available": 0, "On Break": 0}
    assert set(by(m, "autocall_agents_state", "state").values()) == {0} and total(m, "autocall_agents_free") == 0
