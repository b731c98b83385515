"""``autocall serve --workers 2``'s ``/metrics`` (dialer/worker_metrics.py): one scrape of worker 1 shows
both workers' engine families. Real processes, a real Redis, the simulator over a real socket
(as tests/test_workers.py)."""

from __future__ import annotations

import json
import urllib.request

from dialer.store.store import Store
from simswitch import Limits
from tests.conftest import free_port
from tests.crash_checks import campaign_settled
from tests.engine_fixtures import audio_campaign, wait_until
from tests.factories import leads
from tests.test_metrics import samples
from tests.test_workers import PASSWORD, SHORT, env, started_engines

TOKEN = "metrics-token"


def with_api(settings: dict[str, str]) -> tuple[dict[str, str], str]:
    port = free_port()
    return {**settings, "AUTOCALL_API": "true", "AUTOCALL_LISTEN": f"127.0.0.1:{port}", "AUTOCALL_API_TOKENS": TOKEN}, (
        f"http://127.0.0.1:{port}/metrics"
    )


def scrape(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return samples(reply.read().decode())


def per_worker(metrics: dict, name: str, campaign_uuid: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for (n, labels), value in metrics.items():
        ls = dict(labels)
        if n == name and ls.get("campaign") == campaign_uuid:
            out[ls["worker"]] = out.get(ls["worker"], 0) + value
    return out


def test_one_scrape_of_worker_1_shows_the_calls_each_worker_placed(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    # 100 sessions per second: each worker paces to 37.5 a second, so both place calls.
    store = Store(redis_client)
    server = simswitch(SHORT, time_scale=0.5, password=PASSWORD, limits=Limits(sps=100))
    settings, url = with_api(env(redis_server["url"], server, tmp_path, wav_s=2))
    daemon = daemons(settings, tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    camp = audio_campaign(store, concurrent_call=40, call_timeout=20)
    leads(store, camp, 200)
    store.campaigns.wake(camp.campaign_uuid)
    wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=120)
    engines = started_engines(tmp_path / "log")  # engine id -> worker
    placed: dict[str, float] = {}
    for call_uuid in server.switch.first_legs_by_call:
        worker = str(engines[store.calls.get(call_uuid)["owner"]])
        placed[worker] = placed.get(worker, 0) + 1
    assert set(placed) == {"1", "2"}, "a worker placed no call"
    # Worker 2's figures reach worker 1 within a publish (5 s): poll until they do.
    wait_until(lambda: per_worker(scrape(url), "autocall_attempts_total", camp.campaign_uuid) == placed, timeout=30)
    assert sum(placed.values()) == len(server.switch.first_legs_by_call)


def test_only_the_workers_without_the_api_publish_their_figures(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    store = Store(redis_client)
    server = simswitch(SHORT, time_scale=0.5, password=PASSWORD, limits=Limits(sps=100))
    settings, url = with_api(env(redis_server["url"], server, tmp_path))
    daemon = daemons(settings, tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    by_worker = {worker: engine_id for engine_id, worker in started_engines(tmp_path / "log").items()}
    wait_until(lambda: store.r.exists(store.keys.engine_metrics(by_worker[2])), timeout=30)
    assert {dict(ls)["worker"] for (n, ls) in scrape(url) if n == "autocall_freeswitch_up"} == {"1", "2"}
    assert not store.r.exists(store.keys.engine_metrics(by_worker[1]))  # worker 1 shows its own live


def test_a_draining_worker_publishes_the_outcomes_of_its_last_calls(
    redis_client, redis_server, simswitch, daemons, tmp_path
):
    store = Store(redis_client)
    server = simswitch(SHORT, time_scale=0.5, password=PASSWORD, limits=Limits(sps=100))
    settings, _ = with_api(env(redis_server["url"], server, tmp_path, wav_s=2))
    daemon = daemons(settings, tmp_path / "log")
    daemon.start()
    wait_until(lambda: len(started_engines(tmp_path / "log")) == 2, timeout=30)
    second = next(e for e, worker in started_engines(tmp_path / "log").items() if worker == 2)
    camp = audio_campaign(store, concurrent_call=20, call_timeout=20)
    leads(store, camp, 200)
    store.campaigns.wake(camp.campaign_uuid)

    def seconds_calls() -> list[dict]:
        calls = [store.calls.get(c) for c in list(server.switch.first_legs_by_call)]
        return [c for c in calls if c.get("owner") == second]

    wait_until(lambda: sum(1 for c in seconds_calls() if not c.get("hangup_cause")) >= 3, timeout=30)
    daemon.stop()  # SIGTERM: worker 2 drains its calls in flight, then publishes once more
    recorded = sum(1 for c in seconds_calls() if c.get("hangup_cause"))
    families = json.loads(store.r.hget(store.keys.engine_metrics(second), "families"))
    outcomes = next(samples for name, _, _, samples in families if name == "autocall_outcomes")
    assert sum(value for _, labels, value in outcomes if labels["campaign"] == camp.campaign_uuid) == recorded > 0
