"""The engine end to end: real Redis, the simulator over a real socket, one behaviour per test."""

from __future__ import annotations

import json
import time

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Lead, Network, Schedule
from dialer.pacing import pacer as pacer_module
from dialer.store.holds import HeldCampaigns
from dialer.store.store import Store
from simswitch import Limits, Scenario
from tests.engine_fixtures import audio_campaign, await_turn, disconnect_and_kill, make_engine, wait_until
from tests.factories import campaign, leads

ANSWER = {"match": "^098", "ring": 0.2, "answer": {"talk": 1.0}}
BUSY_THEN_ANSWER = Scenario(
    rules=[{"match": "^0980000000$", "sip": 486}, {"match": "^0980000001$", "ring": 0.1, "answer": {"talk": 0.5}}]
)


def scenario(*rules) -> Scenario:
    return Scenario(rules=list(rules) or [ANSWER], default={"mix": {"sip503": 1}})


@pytest.fixture
def run(store, simswitch, tmp_path):
    engines = []

    def start(scen: Scenario | None = None, *, limits: Limits | None = None, time_scale: float = 0.01, **kw):
        server = simswitch(scen or scenario(), limits=limits, time_scale=time_scale)
        engine = make_engine(store, server, tmp_path / "audio", **kw)
        engines.append(engine)
        return engine, server

    yield start
    for engine in engines:
        engine.stop(drain_timeout=5)


def cdrs(store: Store, camp) -> list[dict[str, str]]:
    return [store.calls.get(c) for c in store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)]


def finished(store: Store, camp, n: int):
    return lambda: len([c for c in cdrs(store, camp) if c.get("reported") == "1"]) >= n


def dial(store, run, scen: Scenario | None = None, *, count: int = 1, wait: int = 1, **fields):
    """Start the engine on ``scen``, create an audio campaign, import leads, wait for ``wait`` results."""
    engine, server = run(scen)
    camp = audio_campaign(store, **fields)
    batch = leads(store, camp, count, numbers_per_lead=fields.pop("numbers_per_lead", 1))
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, wait), timeout=30)
    return engine, server, camp, batch


def test_an_answered_call_is_recorded_with_its_cdr(store, run):
    engine, _server = run()
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 1))
    (cdr,) = cdrs(store, camp)
    assert cdr["recall_status"] == "answered" and cdr["report_key"] == "answered"
    assert cdr["hangup_cause"] == "NORMAL_CLEARING" and int(cdr["answer_ms"]) >= int(cdr["start_ms"]) > 0
    assert json.loads(cdr["numbers"]) == lead.numbers and cdr["lead"] == lead.lead_uuid
    assert store.leads.get(lead.lead_uuid)["state"] == "done"


def test_the_call_carries_the_imported_call_id_and_plays_the_template(store, run):
    engine, server = run()
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 1))
    assert store.calls.get(lead.call_id)["recall_status"] == "answered"
    assert server.switch.stats.answered == 1


def test_busy_lead_is_recalled_up_to_recall_times(store, run):
    engine, _server = run(scenario({"match": "^098", "sip": 486}))
    camp = audio_campaign(store, recall_times=2, schedule_recall_duration=0)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 3))
    assert [c["recall_status"] for c in cdrs(store, camp)] == ["busy"] * 3
    data = store.leads.get(lead.lead_uuid)
    assert data["attempts"] == "3" and data["state"] == "done"
    assert store.r.llen(store.keys.lead_calls(lead.lead_uuid)) == 3


def test_a_leads_own_attempt_cap_replaces_recall_times(store, run):
    engine, _server = run(scenario({"match": "^098", "sip": 486}))
    camp = audio_campaign(store, recall_times=5, schedule_recall_duration=0)
    lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=["0980000001"], networks=[Network.VIETTEL], max_attempts=2)
    store.leads.add([lead], 1_000)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 2))
    wait_until(lambda: store.leads.get(lead.lead_uuid)["state"] == "done")
    assert store.leads.get(lead.lead_uuid)["attempts"] == "2"


def test_no_recall_for_a_status_not_in_recall_status(store, run):
    engine, _server = run(scenario({"match": "^098", "sip": 486}))
    camp = audio_campaign(store, recall_times=3, recall_status=["no-answered"])
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 1))
    engine.flush()
    assert store.leads.get(lead.lead_uuid)["state"] == "done"
    assert store.reports.queue_sizes(camp.campaign_uuid)["recalls"] == 0


def test_recall_is_scheduled_schedule_recall_duration_minutes_later(store, run):
    engine, _server = run(scenario({"match": "^098", "sip": 486}))
    camp = audio_campaign(store, recall_times=1, schedule_recall_duration=5)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 1))
    (cdr,) = cdrs(store, camp)
    due = store.r.zscore(store.keys.recalls(camp.campaign_uuid), lead.lead_uuid)
    assert due == int(cdr["end_ms"]) + 5 * 60_000 == int(cdr["recall_at_ms"])


def test_concurrent_call_caps_simultaneous_calls_ringing_included(store, run):
    engine, server = run(scenario({"match": "^098", "ring": 0.5, "answer": {"talk": 0.5}}))
    camp = audio_campaign(store, concurrent_call=3)
    leads(store, camp, 12)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 12), timeout=30)
    assert server.switch.stats.peak_concurrent == 3


def test_network_cap_limits_one_network_only(store, run):
    engine, server = run(scenario({"match": "^09", "ring": 0.5, "answer": {"talk": 0.5}}))
    camp = audio_campaign(store, concurrent_call=10, network={"viettel": 1})
    leads(store, camp, 4, prefix="098")
    leads(store, camp, 4, prefix="090")
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.originated >= 5)
    live = [ch for ch in server.switch.channels.values()]
    viettel = [ch for ch in live if "/098" in ch.ctx.get("channel_name", "")]
    assert len(viettel) <= 1
    wait_until(finished(store, camp, 8), timeout=30)


def test_serial_mode_fails_over_to_the_next_number_in_one_attempt(store, run):
    _, _, camp, _ = dial(store, run, BUSY_THEN_ANSWER, numbers_per_lead=2, mode_call="serial")
    (cdr,) = cdrs(store, camp)
    assert cdr["recall_status"] == "answered" and cdr["answered_number"] == "0980000001"
    assert len(json.loads(cdr["legs"])) == 2


def test_parallel_mode_rings_every_number_and_keeps_the_winner(store, run):
    _, _, camp, _ = dial(store, run, BUSY_THEN_ANSWER, numbers_per_lead=2, mode_call="parallel")
    (cdr,) = cdrs(store, camp)
    assert cdr["recall_status"] == "answered" and cdr["answered_number"] == "0980000001"


def test_parallel_mode_all_failing_reports_the_job_cause(store, run):
    both_fail = scenario({"match": "^0980000000$", "sip": 486}, {"match": "^0980000001$", "sip": 404})
    _, _, camp, _ = dial(store, run, both_fail, numbers_per_lead=2, mode_call="parallel")
    (cdr,) = cdrs(store, camp)
    assert cdr["hangup_cause"] == "USER_BUSY" and cdr["job_result"] == "-ERR USER_BUSY"


def test_direct_mode_recall_dials_the_next_number(store, run):
    _, _, camp, _ = dial(store, run, BUSY_THEN_ANSWER, numbers_per_lead=2, wait=2, mode_call="direct", recall_times=1)
    first, second = cdrs(store, camp)
    assert json.loads(first["numbers"]) == ["0980000000"] and first["recall_status"] == "busy"
    assert json.loads(second["numbers"]) == ["0980000001"] and second["recall_status"] == "answered"


def test_throttled_originates_are_retried_and_not_blamed_on_the_lead(store, run):
    engine, server = run(limits=Limits(sps=1000, max_sessions=1000))
    sessions = server.switch.sessions
    sessions.set_sps(5)  # an operator's "fsctl sps 5" after autocall read the limit...
    wait_until(lambda: sessions.roll() or sessions.sps == 5)  # ...in force from FreeSWITCH's next second
    camp = audio_campaign(store, concurrent_call=30, recall_times=0)
    batch = leads(store, camp, 20)
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 20), timeout=30)
    assert server.switch.stats.sps_rejected > 0
    assert {c["recall_status"] for c in cdrs(store, camp) if c.get("reported") == "1"} == {"answered"}
    assert all(store.leads.get(lead.lead_uuid)["attempts"] == "1" for lead in batch)
    assert engine.nodes[0].sps_limit == 5  # a refusal made the node read the limit again


def test_stop_cancels_ringing_calls_and_requeues_their_leads(store, run):
    engine, server = run(scenario({"match": "^098", "no_answer": True}), time_scale=1.0)
    camp = audio_campaign(store, concurrent_call=2, call_timeout=60)
    batch = leads(store, camp, 2)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: len(server.switch.channels) == 2)
    store.campaigns.set_status(camp.campaign_uuid, CampaignStatus.STOP)
    wait_until(finished(store, camp, 2))
    assert {c["report_key"] for c in cdrs(store, camp)} == {"cancel"}
    assert {c["hangup_cause"] for c in cdrs(store, camp)} == {"ORIGINATOR_CANCEL"}
    for lead in batch:
        data = store.leads.get(lead.lead_uuid)
        assert data["state"] == "queued" and data["attempts"] == "0"


def test_pause_keeps_calls_in_flight_and_starts_none(store, run):
    engine, server = run(scenario({"match": "^098", "ring": 0.1, "answer": {"talk": 0.5}}), time_scale=1.0)
    camp = audio_campaign(store, concurrent_call=1)
    leads(store, camp, 3)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.originated == 1)
    store.campaigns.set_status(camp.campaign_uuid, CampaignStatus.PAUSE)
    wait_until(finished(store, camp, 1))
    engine.flush()
    assert server.switch.stats.originated == 1
    assert cdrs(store, camp)[0]["report_key"] == "answered"


def test_do_not_call_lead_is_never_dialled(store, run):
    engine, server = run()
    camp = audio_campaign(store, status=CampaignStatus.PAUSE)
    first, _second = leads(store, camp, 2)
    store.leads.add_dnc(camp.campaign_uuid, [first.external_id])
    store.campaigns.set_status(camp.campaign_uuid, CampaignStatus.START)
    wait_until(finished(store, camp, 1))
    engine.flush()
    assert server.switch.stats.originated == 1
    assert store.leads.get(first.lead_uuid)["state"] == "done"


def test_imported_lead_for_a_running_campaign_is_dialled_at_once(store, run, monkeypatch):
    monkeypatch.setattr(pacer_module, "IDLE_POLL", 3600.0)  # only the wake-up can start the call in time
    engine, server = run()
    camp = audio_campaign(store)  # created running: every engine hears of it
    await_turn(engine, camp.campaign_uuid)  # the pacer found no lead: it waits for work
    assert server.switch.stats.originated == 0
    store.leads.add(
        [Lead(campaign_uuid=camp.campaign_uuid, numbers=["0981234567"], networks=[Network.VIETTEL])],
        int(time.time() * 1000),
    )
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.originated == 1)


def test_no_call_starts_outside_the_calling_window(store, run):
    engine, server = run()
    closed = Schedule(monday_start_time=0, monday_end_time=1)  # one nanosecond on Mondays only
    camp = audio_campaign(store, schedules=[closed])
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    await_turn(engine, camp.campaign_uuid)  # a turn that saw the lead has decided
    assert store.leads.get(lead.lead_uuid)["state"] == "queued" and store.calls.in_flight(camp.campaign_uuid) == 0
    assert server.switch.stats.originated == 0


def test_answering_machine_beep_is_voicemail(store, run):
    _, _, camp, _ = dial(store, run, scenario({"match": "^098", "ring": 0.1, "answer": {"talk": 3, "beep": True}}))
    assert cdrs(store, camp)[0]["recall_status"] == "voicemail"


def test_dtmf_pressed_is_in_the_cdr(store, run):
    _, _, camp, _ = dial(store, run, scenario({"match": "^098", "ring": 0.1, "answer": {"talk": 3, "dtmf": "12#"}}))
    assert cdrs(store, camp)[0]["dtmf"] == "12#"


def test_a_campaign_without_a_playable_message_is_held_and_uses_up_no_lead(store, run):
    """It used to fail every attempt AUTOCALL_NO_MESSAGE (and every recall): now nothing is claimed
    (tests/test_campaign_readiness.py: the same over HTTP, shown in /v3/live and resumed)."""
    engine, server = run()
    camp = campaign(store)  # autocall_audio with no template
    (lead,) = leads(store, camp, 1)
    seen = engine.holds.held_turns.get(camp.campaign_uuid, 0)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: engine.holds.held_turns.get(camp.campaign_uuid, 0) > seen)  # a turn with the lead queued
    assert store.leads.get(lead.lead_uuid)["attempts"] == "0" and cdrs(store, camp) == []
    assert server.switch.stats.originated == 0


def test_an_expired_slot_of_a_dead_process_is_recorded_as_lost(store, run):
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    # A process that has since died claimed the lead, and its lease ran out.
    store.calls.claim(camp.campaign_uuid, 1, "dead-node", 1_000, 1, [lead.call_id])
    engine, _server = run()
    assert engine.reap() == 1
    wait_until(finished(store, camp, 1))
    (cdr,) = cdrs(store, camp)
    assert cdr["hangup_cause"] == "AUTOCALL_LOST" and cdr["recall_status"] == "failed"
    assert store.calls.in_flight(camp.campaign_uuid) == 0
    assert engine.reap() == 0


def test_a_call_still_up_after_an_esl_reconnect_is_finished_normally(store, run):
    engine, server = run(scenario({"match": "^098", "ring": 0.05, "answer": {"talk": 1.0}}), time_scale=1.0)
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1)
    node = engine.nodes[0]
    node.conn.close("test: socket dropped")
    wait_until(lambda: node.reconnects == 1 and node.up.is_set())
    wait_until(finished(store, camp, 1))
    assert store.calls.get(lead.call_id)["hangup_cause"] == "NORMAL_CLEARING"


def test_a_call_that_ended_while_disconnected_is_recorded_as_lost(store, run, monkeypatch):
    engine, server = run(scenario({"match": "^098", "ring": 0.05, "answer": {"talk": 30}}), time_scale=1.0)
    camp = audio_campaign(store)
    (lead,) = leads(store, camp, 1)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1)
    reconnect = disconnect_and_kill(engine, server, monkeypatch, lead.call_id)  # no CDRs here: nothing tells
    reconnect.set()
    wait_until(finished(store, camp, 1))
    assert store.calls.get(lead.call_id)["hangup_cause"] == "AUTOCALL_LOST"


def test_a_campaign_whose_carrier_is_gone_dials_nothing_rather_than_the_default_trunk(store, run):
    from dialer.domain.models import Carrier

    engine, server = run()
    carrier = Carrier(carrier_name="gone", gateways={"offnet": "gw-gone"})
    store.catalog.carriers.put(carrier)
    camp = audio_campaign(store, carrier_uuid=carrier.carrier_uuid)
    store.r.delete(store.keys.carrier(carrier.carrier_uuid))  # removed behind the API's back
    (lead,) = leads(store, camp, 1)
    engine.reconcile_campaigns()  # the engine reads the campaign again (as every 30 s): its carrier is gone
    seen = engine.holds.held_turns.get(camp.campaign_uuid, 0)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: engine.holds.held_turns.get(camp.campaign_uuid, 0) > seen)
    # Held (it used to fail each attempt INVALID_GATEWAY): no lead used up, and never the default trunk
    held = HeldCampaigns(store).of([camp.campaign_uuid])[camp.campaign_uuid]
    assert held["why"] == [f"carrier {carrier.carrier_uuid} does not exist"]
    assert store.leads.get(lead.lead_uuid)["attempts"] == "0" and server.switch.stats.originated == 0


def test_a_carrier_without_a_gateway_for_the_network_dials_nothing(store, run):
    from dialer.domain.models import Carrier

    engine, server = run()
    carrier = Carrier(carrier_name="vina only", gateways={"vina": "gw-vina"})
    store.catalog.carriers.put(carrier)
    camp = audio_campaign(store, carrier_uuid=carrier.carrier_uuid)
    (lead,) = leads(store, camp, 1)  # a Viettel number
    engine.wake(camp.campaign_uuid)
    wait_until(finished(store, camp, 1))
    assert store.calls.get(lead.call_id)["hangup_cause"] == "INVALID_GATEWAY"
    assert server.switch.stats.originated == 0


def test_without_voicemail_detection_the_dialplan_runs_no_avmd_and_no_beep_is_seen(store, run):
    _engine, server, camp, _ = dial(
        store,
        run,
        scenario({"match": "^098", "ring": 0.1, "answer": {"talk": 3, "beep": True}}),
        voicemail_detection=False,
    )
    assert cdrs(store, camp)[0]["recall_status"] == "answered"
    (command,) = [c for c in server.received if c.startswith("bgapi originate")]
    assert ",autocall_avmd=false}" in command


def test_a_dtmf_wait_keeps_the_line_open_for_a_key_after_the_message(store, run):
    _engine, server, camp, _ = dial(
        store, run, scenario({"match": "^098", "ring": 0.1, "answer": {"talk": 30, "dtmf": "7"}}), dtmf_wait_ms=3000
    )
    (cdr,) = cdrs(store, camp)
    assert cdr["dtmf"] == "7" and cdr["recall_status"] == "answered"
    (command,) = [c for c in server.received if c.startswith("bgapi originate")]
    assert ",autocall_dtmf_ms=3000}" in command
