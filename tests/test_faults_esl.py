"""The Event Socket fails under a running campaign: the engine holds.

The simulator cuts the connection, stalls, sends garbage, or restarts (all
channels gone) at seeded moments; the campaign must still end with every
lead accounted for, no slot stuck, no originate sent twice, and every call
FreeSWITCH saw recorded (tests/crash_checks.py).
"""

from __future__ import annotations

import gevent
import pytest

from simswitch import Limits, Scenario
from simswitch.faults import Fault, FaultPlan
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

MIXED = Scenario(
    rules=[],
    default={
        "mix": {"answer": 0.5, "sip486": 0.15, "no_answer": 0.15, "sip404": 0.1, "sip503": 0.1},
        "talk": [5, 40],
        "ring": [1, 10],
    },
)
LEADS = 200


def run_campaign_with(store, simswitch, tmp_path, plan: FaultPlan, seed: int):
    server = simswitch(MIXED, time_scale=0.03, seed=seed, limits=Limits(sps=400))
    plan.attach(server)
    engine = make_engine(store, server, tmp_path / "audio", command_timeout=0.5, keepalive_s=0.3, max_call_s=60)
    try:
        camp = audio_campaign(store, concurrent_call=50, call_timeout=20)
        batch = leads(store, camp, LEADS)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=60)
        engine.flush()
        return (
            engine,
            server,
            check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch]),
        )
    finally:
        engine.stop(drain_timeout=2)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("kind", ["drop", "stall", "garbage", "restart"])
def test_a_campaign_survives_esl_faults_at_seeded_moments(store, simswitch, tmp_path, kind, seed):
    # a stall longer than keepalive + command timeout; a restart down for half a second
    plan = FaultPlan.seeded(seed, (kind,), count=2, span=(20, LEADS - 40), seconds=2.0 if kind == "stall" else 0.5)
    engine, server, _result = run_campaign_with(store, simswitch, tmp_path, plan, seed)
    assert len(plan.fired) == 2
    assert engine.nodes[0].reconnects >= 1
    assert engine.tracker.count() == 0
    if kind == "restart":
        assert server.switch.restarts == 2


def test_a_campaign_survives_every_fault_in_one_run(store, simswitch, tmp_path):
    plan = FaultPlan([Fault(30, "drop"), Fault(60, "garbage"), Fault(90, "stall", 2.0), Fault(120, "restart", 0.5)])
    engine, _server, result = run_campaign_with(store, simswitch, tmp_path, plan, seed=3)
    assert [f.kind for f in plan.fired] == ["drop", "garbage", "stall", "restart"]
    assert engine.nodes[0].reconnects >= 4 and engine.tracker.count() == 0
    assert result["done"] == LEADS


def test_calls_a_freeswitch_restart_took_are_recorded_once_and_their_leads_recalled(store, simswitch, tmp_path):
    """A restart takes the calls with it and sends no event: the new Core-UUID says so, and each
    call is recorded once, cut short by the switch (not lost), its lead recalled without counting."""
    plan = FaultPlan([Fault(50, "restart", 1.0)])
    engine, _server, result = run_campaign_with(store, simswitch, tmp_path, plan, seed=4)
    assert result["switch_lost"] >= 1 and result["lost"] == engine.lost == 0


def long_call(store, simswitch, tmp_path, talk: float = 3.0):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": talk}}]), time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio", command_timeout=0.5, keepalive_s=0.3)
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1)
    return engine, server, camp, lead


def test_a_call_that_outlives_a_dropped_connection_gets_its_real_result(store, simswitch, tmp_path):
    from simswitch import faults

    engine, server, camp, lead = long_call(store, simswitch, tmp_path)
    try:
        faults.drop(server)
        wait_until(lambda: engine.nodes[0].reconnects == 1 and engine.nodes[0].up.is_set())
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=10)
        engine.flush()
        (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
        cdr = store.calls.get(call)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
    finally:
        engine.stop(drain_timeout=2)


def test_a_stalled_freeswitch_is_noticed_without_any_command_to_send(store, simswitch, tmp_path):
    from simswitch import faults

    engine, server, camp, lead = long_call(store, simswitch, tmp_path, talk=5.0)
    try:
        faults.stall(server, 2.0)  # longer than keepalive + command timeout
        wait_until(lambda: engine.nodes[0].reconnects == 1, timeout=5)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=10)
        engine.flush()
        (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
        assert store.calls.get(call)["recall_status"] == "answered"
    finally:
        engine.stop(drain_timeout=2)


def test_an_originate_run_but_never_acknowledged_is_not_sent_again(store, simswitch, tmp_path):
    """At most one originate per attempt: the reply was lost, so the engine cannot know
    whether FreeSWITCH ran it; it asks after the reconnect instead of sending it again."""
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.2, "answer": {"talk": 1.0}}]), time_scale=1.0)
    server.cut_before_reply = 1
    engine = make_engine(store, server, tmp_path / "audio", command_timeout=0.5, keepalive_s=0.3)
    try:
        camp = audio_campaign(store)
        (lead,) = leads(store, camp, 1)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=10)
        engine.flush()
        assert server.switch.stats.originated == 1 and engine.nodes[0].reconnects == 1
        (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
        assert store.calls.get(call)["recall_status"] == "answered"  # it ran, and was followed to its end
    finally:
        engine.stop(drain_timeout=2)


def test_an_unacknowledged_originate_whose_call_is_gone_is_recorded_lost_not_retried(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "sip": 486}]), time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio", command_timeout=0.5, keepalive_s=0.3)
    try:
        server.cut_before_reply = 1
        server.refusing = True  # no reconnect until the call (0.2 s) and its job are over
        gevent.spawn_later(1.0, setattr, server, "refusing", False)
        camp = audio_campaign(store)
        (lead,) = leads(store, camp, 1)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=10)
        engine.flush()
        assert server.switch.stats.originated == 1
        (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
        assert store.calls.get(call)["hangup_cause"] == "AUTOCALL_LOST"
    finally:
        engine.stop(drain_timeout=2)


SERIAL = Scenario(
    rules=[
        {"match": "^0980000000$", "ring": 0.6, "sip": 486},
        {"match": "^0980000001$", "ring": 0.2, "answer": {"talk": 1.0}},
    ]
)


def test_a_serial_call_cut_off_while_its_first_number_rings_ends_with_the_answer_of_the_second(
    store, simswitch, tmp_path
):
    """Regression: after a reconnect its job result is unknown; the first number's busy must
    not end the attempt while FreeSWITCH moves on to the second (which answers)."""
    from simswitch import faults

    server = simswitch(SERIAL, time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio", command_timeout=0.5, keepalive_s=0.3)
    try:
        camp = audio_campaign(store, mode_call="serial", recall_times=3, schedule_recall="after")
        (lead,) = leads(store, camp, 1, numbers_per_lead=2)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: server.switch.channels)
        faults.drop(server)  # leg 0 is ringing
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=10)
        engine.flush()
        (call,) = store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)
        cdr = store.calls.get(call)
        assert (cdr["recall_status"], cdr["answered_number"]) == ("answered", "0980000001")
        assert server.switch.overlaps == [] and server.switch.stats.originated == 1
    finally:
        engine.stop(drain_timeout=2)
