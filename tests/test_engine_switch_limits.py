"""The engine paces by FreeSWITCH's stated limit, not by what a HEARTBEAT happens to show
(esl-captures batch2 "heartbeat-sps"): real Redis, the simulator over a real socket."""

from __future__ import annotations

from dialer.esl.capacity import rates
from dialer.store.store import Store
from simswitch import Limits, Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

QUICK = Scenario(rules=[{"match": "^098", "sip": 486}])


def done(store: Store, camp, n: int):
    return lambda: (
        store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == 0
        and store.r.zcard(store.keys.cdrs(camp.campaign_uuid)) >= n
    )


def test_the_limit_is_fsctl_sps_and_busy_heartbeats_never_lower_the_rate(store, simswitch, tmp_path):
    # HEARTBEATs every 50 ms under load show what is left of FreeSWITCH's second (e.g. 12, 4294967294),
    # which an engine reading them as the limit would pace by.
    server = simswitch(QUICK, limits=Limits(sps=30, max_sessions=1000), heartbeat=0.05)
    engine = make_engine(store, server, tmp_path / "audio", sps=None)
    camp = audio_campaign(store, concurrent_call=100, recall_times=0)
    leads(store, camp, 45)
    engine.wake(camp.campaign_uuid)
    wait_until(done(store, camp, 45), timeout=30)
    node = engine.nodes[0]
    assert node.sps_limit == 30 and node.capacity.target == rates(30)[0] == 22.5
    assert node.capacity.bucket.rate == 22.5  # never lowered
    assert server.switch.stats.sps_rejected == 0
    engine.stop(drain_timeout=2)


def test_the_sps_of_the_freeswitch_url_caps_the_switchs_own_limit(store, simswitch, tmp_path):
    server = simswitch(QUICK, limits=Limits(sps=60, max_sessions=2000))
    engine = make_engine(store, server, tmp_path / "audio", sps=10, max_sessions=None)
    node = engine.nodes[0]
    assert (node.sps_limit, node.max_sessions, node.capacity.target) == (60, 2000, rates(10)[0])
    engine.stop(drain_timeout=1)


def test_a_raised_limit_shows_in_the_heartbeat_and_is_read_again(store, simswitch, tmp_path):
    server = simswitch(QUICK, limits=Limits(sps=30, max_sessions=1000), heartbeat=0.05)
    engine = make_engine(store, server, tmp_path / "audio", sps=None)
    server.switch.sessions.set_sps(60)  # "fsctl sps 60": an idle HEARTBEAT now shows 60 > 30
    wait_until(lambda: engine.nodes[0].sps_limit == 60, timeout=5)
    assert engine.nodes[0].capacity.target == rates(60)[0]
    engine.stop(drain_timeout=1)


def test_a_lowered_limit_shows_in_the_heartbeat_and_is_read_again(store, simswitch, tmp_path):
    server = simswitch(QUICK, limits=Limits(sps=60, max_sessions=1000), heartbeat=0.05)
    engine = make_engine(store, server, tmp_path / "audio", sps=None)
    server.switch.sessions.set_sps(20)  # Session-Per-Sec-Last turns negative (20 - 60)
    wait_until(lambda: engine.nodes[0].sps_limit == 20, timeout=5)
    engine.stop(drain_timeout=1)


def test_a_small_limit_leaves_room_for_freeswitchs_own_window(store, simswitch, tmp_path):
    """sps 5: FreeSWITCH admits 4 per second; burst + rate stays within that."""
    rate, burst = rates(5)
    assert rate + burst <= 4
    server = simswitch(QUICK, limits=Limits(sps=5, max_sessions=1000))
    engine = make_engine(store, server, tmp_path / "audio", sps=None)
    camp = audio_campaign(store, concurrent_call=100, recall_times=0)
    leads(store, camp, 12)
    engine.wake(camp.campaign_uuid)
    wait_until(done(store, camp, 12), timeout=30)
    assert server.switch.stats.sps_rejected == 0
    engine.stop(drain_timeout=2)
