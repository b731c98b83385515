"""/metrics (Prometheus) and /readyz, on a real engine, Redis and simulator."""

from __future__ import annotations

from falcon.testing import TestClient
from prometheus_client.parser import text_string_to_metric_families

from dialer.api.app import build_app
from dialer.service.context import Services
from simswitch import Limits, Scenario
from tests.crash_checks import campaign_settled
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

AUTH = {"Authorization": "Bearer tok"}
MIX = Scenario(rules=[], default={"mix": {"answer": 0.5, "sip486": 0.5}, "talk": [1, 2], "ring": [1, 2]})


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def total(metrics: dict, name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in metrics.items() if n == name and all((k, x) in ls for k, x in labels.items()))


def test_metrics_count_attempts_outcomes_and_queues(store, simswitch, tmp_path):
    server = simswitch(MIX, time_scale=0.01, limits=Limits(sps=500))
    engine = make_engine(store, server, tmp_path / "audio")
    client = TestClient(build_app(Services(store, tmp_path / "audio", engine=engine), ["tok"]))
    try:
        camp = audio_campaign(store, concurrent_call=10, recall_times=1, schedule_recall_duration=60)
        leads(store, camp, 40)
        engine.wake(camp.campaign_uuid)
        wait_until(
            lambda: (
                campaign_settled(store, camp.campaign_uuid)
                and store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == 0
            ),
            timeout=20,
        )
        engine.flush()
        res = client.simulate_get("/metrics", headers=AUTH)
        assert res.status_code == 200 and res.headers["content-type"].startswith("text/plain; version=0.0.4")
        m = samples(res.text)
        c = camp.campaign_uuid
        assert total(m, "autocall_attempts_total", campaign=c, node="fs1") == server.switch.stats.originated == 40
        assert total(m, "autocall_outcomes_total", campaign=c) == 40
        assert total(m, "autocall_outcomes_total", campaign=c, recall_status="answered") == server.switch.stats.answered
        busy = total(m, "autocall_outcomes_total", campaign=c, cause="USER_BUSY")
        assert busy == 40 - server.switch.stats.answered
        assert total(m, "autocall_recall_backlog", campaign=c) == store.reports.queue_sizes(c)["recalls"] == busy
        assert total(m, "autocall_freeswitch_up", node="fs1") == 1
        assert total(m, "autocall_esl_reconnects_total", node="fs1") == 0
        assert total(m, "autocall_calls_in_flight") == 0 and total(m, "autocall_webhook_backlog") == 0
        assert total(m, "autocall_campaigns_running") == 1
    finally:
        engine.stop(drain_timeout=2)


def test_metrics_show_calls_in_flight_per_campaign_and_node(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 5}}]), time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio")
    client = TestClient(build_app(Services(store, tmp_path / "audio", engine=engine), ["tok"]))
    try:
        camp = audio_campaign(store, concurrent_call=3)
        leads(store, camp, 5)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: server.switch.stats.answered == 3)
        m = samples(client.simulate_get("/metrics", headers=AUTH).text)
        assert total(m, "autocall_calls_in_flight", campaign=camp.campaign_uuid, node="fs1") == 3
        assert total(m, "autocall_slots_taken", campaign=camp.campaign_uuid) == 3
        assert (
            total(m, "autocall_fresh_leads", campaign=camp.campaign_uuid)
            + total(m, "autocall_hopper_depth", campaign=camp.campaign_uuid)
            == 2
        )
    finally:
        engine.stop(drain_timeout=0)


def test_metrics_need_the_token(store, tmp_path):
    client = TestClient(build_app(Services(store, tmp_path), ["tok"]))
    assert client.simulate_get("/metrics").status_code == 401
    assert client.simulate_get("/metrics", headers=AUTH).status_code == 200


def test_readyz_is_ready_with_redis_and_a_connected_freeswitch(store, simswitch, tmp_path):
    server = simswitch()
    engine = make_engine(store, server, tmp_path / "audio")
    client = TestClient(build_app(Services(store, tmp_path / "audio", engine=engine), ["tok"]))
    try:
        res = client.simulate_get("/readyz")
        assert res.status_code == 200 and res.json == {"status": "ready", "redis": "up", "freeswitch": {"fs1": "up"}}
        server.stop()
        wait_until(lambda: not engine.nodes[0].up.is_set())
        res = client.simulate_get("/readyz")
        assert res.status_code == 503 and res.json["freeswitch"] == {"fs1": "down"}
    finally:
        engine.stop(drain_timeout=0)


def test_readyz_without_an_engine_needs_only_redis(store, tmp_path):
    client = TestClient(build_app(Services(store, tmp_path), ["tok"]))
    assert client.simulate_get("/readyz").json == {"status": "ready", "redis": "up"}


def test_a_node_without_the_autocall_context_is_not_ready_and_says_why(store, simswitch, tmp_path):
    server = simswitch(Scenario(autocall_dialplan=False))
    engine = make_engine(store, server, tmp_path / "audio")
    client = TestClient(build_app(Services(store, tmp_path / "audio", engine=engine), ["tok"]))
    try:
        res = client.simulate_get("/readyz")
        assert res.status_code == 503
        assert res.json["freeswitch"]["fs1"].startswith("not ready: FreeSWITCH has no dialplan context 'autocall'")
        m = samples(client.simulate_get("/metrics", headers=AUTH).text)
        assert total(m, "autocall_freeswitch_ready", node="fs1") == 0
        assert total(m, "autocall_freeswitch_problem", node="fs1", problem="dialplan") == 1
        assert total(m, "autocall_freeswitch_up", node="fs1") == 1
        assert total(m, "autocall_freeswitch_sps_limit", node="fs1") == 1000
    finally:
        engine.stop(drain_timeout=0)
