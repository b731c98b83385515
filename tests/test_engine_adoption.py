"""A second engine adopts the calls of one that died (docs/engine.md, "Crashes")."""

from __future__ import annotations

from dialer.store.script_results import Deletion
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads
from tests.test_engine_switch_cdrs import cdr_url, posting  # noqa: F401 (cdr_url: a fixture)

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


def survivor(store, server, tmp_path, **kw):
    """A second engine that judges others quickly (short liveness keys)."""
    return make_engine(store, server, tmp_path / "audio", adopt_every_s=0.1, beat_s=0.1, beat_ttl_s=0.5, **kw)


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


def hung_up_before_adoption(store, server, tmp_path, **survivor_kw):
    """The first engine dies with its call up; the call ends while that engine still looks alive
    (nobody may adopt it yet); then its liveness expires. Returns (second engine, campaign, lead)."""
    first, camp, lead = answered_then_crashed(store, server, tmp_path)
    store.engines.beat(first.engine_id, 60_000)  # the dead engine still looks alive: nobody may adopt yet
    second = survivor(store, server, tmp_path, **survivor_kw)
    wait_until(lambda: not server.switch.channels, timeout=5)  # the call ends: nobody tracks it
    mark = second.adoption.passes
    wait_until(lambda: second.adoption.passes > mark + 1, timeout=5)  # a whole pass began after it
    assert second.adopted == 0
    store.engines.forget(first.engine_id)  # its liveness expires
    return second, camp, lead


def test_a_hangup_before_the_adoption_is_not_heard_and_without_cdrs_the_call_is_lost(store, simswitch, tmp_path):
    """Changed in issue 18 (each engine hears only its own calls): no engine keeps the hangup of
    another engine's call any more; without FreeSWITCH's CDRs that call is recorded lost."""
    server = simswitch(LONG, time_scale=1.0)
    second, camp, lead = hung_up_before_adoption(store, server, tmp_path)
    try:
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "AUTOCALL_LOST" and second.lost == 1
    finally:
        second.stop(drain_timeout=2)


def test_a_hangup_before_the_adoption_is_recorded_from_freeswitchs_cdr(store, simswitch, tmp_path, cdr_url):  # noqa: F811
    server = simswitch(LONG, time_scale=1.0, json_cdr=posting(cdr_url, tmp_path))
    second, camp, lead = hung_up_before_adoption(store, server, tmp_path, switch_cdrs=True, cdr_wait_s=5)
    try:
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=8)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
        assert second.lost == 0  # the CDR came with the adopted slot (adopt.lua)
    finally:
        second.stop(drain_timeout=2)


def test_the_adopter_hears_the_dead_engines_calls_until_they_are_settled(store, simswitch, tmp_path):
    server = simswitch(LONG, time_scale=1.0)
    first, camp, _ = answered_then_crashed(store, server, tmp_path)
    second = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: second.adopted == 1, timeout=5)
        assert second.nodes[0].followed == {first.engine_id}  # in place before FreeSWITCH is asked
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=5)
        wait_until(lambda: not second.nodes[0].followed, timeout=5)
        # the survivor's connection (the dead engine's may not have been dropped by the simulator yet)
        (listener,) = [
            sub for sub in server.switch.bus.listeners if any(second.engine_id in r.value for r in sub.filters.rules)
        ]
        # The engine forgets the tag, then sends `filter delete`: FreeSWITCH applies it when it reads it.
        wait_until(lambda: not any(first.engine_id in rule.value for rule in listener.filters.rules), timeout=5)
    finally:
        second.stop(drain_timeout=2)


def test_the_adopter_of_an_adopter_follows_the_engine_that_placed_the_call(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 5.0}}]), time_scale=1.0)
    first, camp, lead = answered_then_crashed(store, server, tmp_path)
    second = survivor(store, server, tmp_path)
    wait_until(lambda: second.adopted == 1, timeout=5)
    crash(second)
    third = survivor(store, server, tmp_path)
    try:
        wait_until(lambda: third.adopted == 1, timeout=5)
        assert third.nodes[0].followed == {first.engine_id}
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=8)
        third.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
        assert third.lost == 0
    finally:
        third.stop(drain_timeout=2)


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


def on_nodes(store, servers, tmp_path, sessions=1000, **kw):
    """An engine connected to each simulator in ``servers`` (fs1, fs2, ...), ``sessions`` on each."""
    from dialer.engine.engine import Engine
    from dialer.esl.node import NodeConfig
    from dialer.media import MessageFiles
    from tests.engine_fixtures import write_wav

    write_wav(tmp_path / "audio" / "hello.wav", seconds=5.0)
    configs = [
        NodeConfig(f"fs{i}", *s.address, "ClueCon", sps=1000, max_sessions=sessions) for i, s in enumerate(servers, 1)
    ]
    engine = Engine(
        store, configs, MessageFiles(tmp_path / "audio"), default_gateway="gw1", default_caller_id="02812345678", **kw
    )
    engine.start()
    wait_until(lambda: all(node.up.is_set() for node in engine.nodes), timeout=5)
    return engine


def test_one_adopt_script_per_window_takes_a_dead_engines_calls_on_all_its_nodes(store, simswitch, tmp_path):
    talk = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 8.0}}])  # hello.wav ends it at 5 s
    servers = [simswitch(talk, time_scale=1.0, seed=1), simswitch(talk, time_scale=1.0, seed=2)]
    first = on_nodes(store, servers, tmp_path, sessions=3)  # 2 calls on each (one session kept free)
    camp = audio_campaign(store, concurrent_call=10)
    leads(store, camp, 4)
    first.wake(camp.campaign_uuid)
    wait_until(lambda: sum(s.switch.stats.answered for s in servers) == 4)
    placed = {
        c: store.r.hget(store.keys.call(c), "node") for c in store.r.zrange(store.keys.calls(camp.campaign_uuid), 0, -1)
    }
    assert sorted(placed.values()) == ["fs1"] * 2 + ["fs2"] * 2, "calls up on both nodes"
    crash(first)
    asked: list[list[str]] = []
    adopt = store.calls.adopt

    def counted(*args, **kw):
        asked.append(args[4])
        return adopt(*args, **kw)

    store.calls.adopt = counted  # type: ignore[method-assign]
    second = on_nodes(store, servers, tmp_path, adopt_every_s=0.1, beat_s=0.1, beat_ttl_s=0.5)
    try:
        wait_until(lambda: second.adopted == 4, timeout=5)
        assert asked and all(nodes == ["fs1", "fs2"] for nodes in asked), "one script for both nodes"
        tracked = {a.call_uuid: a.node.name for calls in second.tracker.by_campaign.values() for a in calls.values()}
        assert tracked == placed, "each call tracked on the node it is up on"
        assert all(node.followed == {first.engine_id} for node in second.nodes)
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=12)
        second.flush()
        cdrs = [store.calls.get(c) for c in placed]
        assert all(cdr["recall_status"] == "answered" for cdr in cdrs) and second.lost == 0
        assert sum(s.switch.stats.originated for s in servers) == 4
    finally:
        second.stop(drain_timeout=2)
