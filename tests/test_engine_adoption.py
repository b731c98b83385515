"""A second engine adopts the calls of one that died (docs/engine.md, "Crashes")."""

from __future__ import annotations

from dialer.store.script_results import Deletion
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

LONG = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 2.0}}])


def crash(engine) -> None:
    """What kill -9 leaves: no greenlet, no socket, the liveness key left to expire (here: expired)."""
    for greenlet in engine._greenlets:
        greenlet.kill()
    for pacer in engine.pacers.values():
        pacer.stop()
    for node in engine.nodes:
        node._stopping = True
        if node._greenlet is not None:
            node._greenlet.kill()
        if node.conn is not None:
            node.conn.close("crashed")
    engine.store.engines.forget(engine.engine_id)


def only_cdr(store, lead):
    (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
    return store.calls.get(call)


def answered_then_crashed(store, server, tmp_path, **fields):
    """One lead dialled by a first engine, answered, then that engine dies (kill -9)."""
    first = make_engine(store, server, tmp_path / "audio")
    camp = audio_campaign(store, **fields)
    (lead,) = leads(store, camp, 1)
    first.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1)
    crash(first)
    return first, camp, lead


def survivor(store, server, tmp_path):
    """A second engine that judges others quickly (short liveness keys)."""
    return make_engine(store, server, tmp_path / "audio", adopt_every_s=0.1, beat_s=0.1, beat_ttl_s=0.5)


def test_a_call_of_a_dead_engine_is_adopted_and_gets_its_real_result(store, simswitch, tmp_path):
    server = simswitch(LONG, time_scale=1.0)
    _first, camp, lead = answered_then_crashed(store, server, tmp_path)
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: second.adopted == 1, timeout=5)
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
        assert server.switch.stats.originated == 1
    finally:
        second.stop(drain_timeout=2)


def test_a_hangup_that_arrives_before_the_adoption_is_kept_for_it(store, simswitch, tmp_path):
    server = simswitch(LONG, time_scale=1.0)
    first, camp, lead = answered_then_crashed(store, server, tmp_path)
    store.engines.beat(first.engine_id, 60_000)  # the dead engine still looks alive: nobody may adopt yet
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: not server.switch.channels, timeout=5)  # the call ends: nobody tracks it
        mark = second.adoption.passes
        wait_until(lambda: second.adoption.passes > mark + 1, timeout=5)  # a whole pass began after it
        assert second.adopted == 0
        store.engines.forget(first.engine_id)  # its liveness expires
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
        assert second.lost == 0
    finally:
        second.stop(drain_timeout=2)


def test_a_call_that_ended_while_no_engine_listened_is_recorded_lost_once(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.5}}]), time_scale=1.0)
    _first, camp, lead = answered_then_crashed(store, server, tmp_path)
    wait_until(lambda: not server.switch.channels, timeout=5)
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "AUTOCALL_LOST" and "disconnected" in cdr["reason"]
        assert second.lost == 1 and server.switch.stats.originated == 1
    finally:
        second.stop(drain_timeout=2)


def test_a_dead_engines_call_in_a_campaign_deleted_since_is_still_recorded(store, simswitch, tmp_path):
    """Else its slot would stay forever, and the janitor never purges a campaign with a slot."""
    server = simswitch(LONG, time_scale=1.0)
    _, camp, _ = answered_then_crashed(store, server, tmp_path)
    store.campaigns.update_fields(camp.campaign_uuid, active=False)
    assert store.campaigns.delete(camp.campaign_uuid, 0) is Deletion.OK
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        second.flush()
        (call,) = store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)
        assert store.calls.get(call)["recall_status"] == "answered"
        while store.campaigns.purge_deleted():
            pass
        assert not store.r.exists(store.keys.campaign(camp.campaign_uuid))
    finally:
        second.stop(drain_timeout=2)


def test_a_dead_engines_call_whose_carrier_route_is_gone_is_still_recorded(store, simswitch, tmp_path):
    """Regression: the rebuilt attempt has no route; recording it must not crash the reader."""
    from dialer.domain.models import Carrier, Network

    server = simswitch(LONG, time_scale=1.0)
    carrier = Carrier(carrier_name="c", gateways={Network.VIETTEL: "gw1"})
    store.catalog.carriers.put(carrier)
    _, camp, lead = answered_then_crashed(store, server, tmp_path, carrier_uuid=carrier.carrier_uuid)
    store.catalog.carriers.delete(carrier.carrier_uuid)  # removed behind the API's back (redis-cli)
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=8)
        second.flush()
        assert only_cdr(store, lead)["recall_status"] == "answered"
        assert second.nodes[0].reconnects == 0
    finally:
        second.stop(drain_timeout=2)


def test_an_engine_that_died_is_noticed_and_forgotten_once_its_calls_are_taken(store, simswitch, tmp_path):
    server = simswitch(LONG, time_scale=1.0)
    first, _, _ = answered_then_crashed(store, server, tmp_path)
    assert store.engines.dead() == [first.engine_id]
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: second.adopted == 1, timeout=5)
        wait_until(lambda: store.engines.dead() == [], timeout=5)
        assert store.r.smembers(store.keys.engines) == {second.engine_id}
    finally:
        second.stop(drain_timeout=2)
