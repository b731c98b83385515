"""The engine and FreeSWITCH's CDRs: results of calls nobody heard end, originates FreeSWITCH never ran.

The simulator posts its mod_json_cdr CDRs (queued, as freeswitch-conf ships
it) to a real API server in this process; the engine takes them from Redis.
"""

from __future__ import annotations

import pytest

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.domain.enums import CampaignStatus
from dialer.service.context import Services
from simswitch import JsonCdrSettings, Scenario
from simswitch.faults import drop
from tests.conftest import free_port
from tests.crash_checks import check_nothing_lost
from tests.engine_fixtures import audio_campaign, disconnect_and_kill, make_engine, wait_until
from tests.factories import leads

SECRET = "engine-cdr-secret"
TALK = Scenario(rules=[{"match": "^098", "ring": 1, "answer": {"talk": 50}}])


@pytest.fixture
def cdr_url(store, tmp_path):
    """Where the simulator posts its CDRs: the API, with AUTOCALL_CDR_SECRET."""
    services = Services(store, tmp_path, cdr_secret=SECRET)
    server = make_server(build_app(services, ["token"]), f"127.0.0.1:{free_port()}")
    server.start()
    yield f"http://127.0.0.1:{server.server_port}/freeswitch/cdr"
    server.stop()


def posting(url: str, tmp_path) -> JsonCdrSettings:
    return JsonCdrSettings(
        url=url,
        cred=f"freeswitch:{SECRET}",
        retries=100,
        delay=0.1,
        timeout=5,
        queue_capacity=1000,
        log_dir=str(tmp_path / "json_cdr"),
    )


@pytest.fixture
def engines():
    started = []
    yield started
    for engine in started:
        engine.stop(drain_timeout=2)


def start_in_one_batch(store, engine, camp, n: int) -> None:
    """Start the campaign once the node's rate limiter lets all ``n`` originates go at once. Just after
    the engine starts its bucket holds a token or a few (dialer/esl/capacity.py): a claim that came
    then took 4 of 5, and the fifth, dialled after the cut, was not part of it (1 run in ~40 on 2 cores)."""
    node = engine.nodes[0]

    def holds_the_batch() -> bool:
        taken = node.take(n)
        node.give_back(taken)
        return taken == n

    wait_until(holds_the_batch)
    store.campaigns.set_status(camp.campaign_uuid, CampaignStatus.START)
    engine.wake(camp.campaign_uuid)


def cdr_of(store, call: str) -> dict[str, str]:
    return store.calls.get(call)


def test_the_rest_of_a_batch_cut_by_a_dropped_connection_is_dialled_again_uncounted(
    store, simswitch, tmp_path, cdr_url, engines
):
    """FreeSWITCH ran the first originate of the batch and never read the others: those have no channel
    and no CDR, while the first one's CDR comes. They are dialled again; no attempt is counted for them."""
    server = simswitch(TALK, time_scale=0.1, json_cdr=posting(cdr_url, tmp_path))
    server.switch.on_originate.append(lambda n: drop(server) if n == 1 else None)  # before reading the rest
    engine = make_engine(store, server, tmp_path / "audio", switch_cdrs=True, cdr_wait_s=1)
    engines.append(engine)
    camp = audio_campaign(store, concurrent_call=5, recall_times=0, status=CampaignStatus.PAUSE)
    batch = leads(store, camp, 5)
    start_in_one_batch(store, engine, camp, len(batch))
    wait_until(lambda: all(store.leads.get(x.lead_uuid).get("state") == "done" for x in batch), timeout=60)
    engine.flush()
    result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    assert engine.cdrs.not_run == 4 and engine.lost == 0
    assert result["attempts"] == 5 and result["lost"] == 0  # one counted attempt each, every one answered
    assert all(store.leads.get(x.lead_uuid)["attempts"] == "1" for x in batch)
    assert {store.calls.get(c)["recall_status"] for c in server.switch.first_legs_by_call} == {"answered"}


def test_without_cdrs_the_same_cut_is_recorded_lost_and_counted(store, simswitch, tmp_path, engines):
    """The fallback the docs describe: nothing tells a call that never ran from one that rang unheard."""
    server = simswitch(TALK, time_scale=0.1)
    server.switch.on_originate.append(lambda n: drop(server) if n == 1 else None)
    engine = make_engine(store, server, tmp_path / "audio")
    engines.append(engine)
    camp = audio_campaign(store, concurrent_call=5, recall_times=0, status=CampaignStatus.PAUSE)
    batch = leads(store, camp, 5)
    start_in_one_batch(store, engine, camp, len(batch))
    wait_until(lambda: all(store.leads.get(x.lead_uuid).get("state") == "done" for x in batch), timeout=60)
    assert engine.lost == 4 and engine.cdrs.not_run == 0


def test_a_call_that_ended_while_disconnected_is_settled_from_its_cdr(
    store, simswitch, tmp_path, cdr_url, engines, monkeypatch
):
    server = simswitch(TALK, time_scale=1.0, json_cdr=posting(cdr_url, tmp_path))
    engine = make_engine(store, server, tmp_path / "audio", switch_cdrs=True, cdr_wait_s=1)
    engines.append(engine)
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1)
    reconnect = disconnect_and_kill(engine, server, monkeypatch, lead.call_id)  # only the CDR tells
    wait_until(lambda: lead.call_id in server.switch.json_cdr.posted)
    reconnect.set()
    wait_until(lambda: store.calls.get(lead.call_id).get("reported") == "1")
    cdr = store.calls.get(lead.call_id)
    assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
    assert int(cdr["billsec"]) >= 0 and engine.lost == 0 and engine.cdrs.from_cdrs == 1
