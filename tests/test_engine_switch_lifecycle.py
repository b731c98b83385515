"""The engine through a real FreeSWITCH's lifecycle (esl-captures batch2 and batch3, replayed by the
simulator): shutdown, drain and cancel, restart, a missing dialplan, a missing module.
Real Redis, the simulator over a real socket."""

from __future__ import annotations

import time

from dialer.store.store import Store
from simswitch import Scenario, faults
from simswitch.dialplan_xml import autocall_context
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.eslclient import RawClient
from tests.factories import leads

ANSWER = {"match": "^098", "ring": 0.1, "answer": {"talk": 30.0}}


def cdrs(store: Store, camp) -> list[dict[str, str]]:
    calls = [store.calls.get(c) for c in store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)]
    return [c for c in calls if c.get("reported") == "1"]


def lead_cdrs(store: Store, lead) -> list[dict[str, str]]:
    return [store.calls.get(c) for c in store.r.lrange(store.keys.lead_calls(lead.lead_uuid), 0, -1)]


def all_done(store: Store, batch) -> bool:
    return all(store.leads.get(x.lead_uuid).get("state") == "done" for x in batch)


def admin(server) -> RawClient:
    client = RawClient(*server.address)
    client.login("ClueCon")
    return client


def test_a_shutdown_mid_campaign_burns_no_lead(store, simswitch, tmp_path):
    """SIGTERM with calls answered, ringing and being dialled; FreeSWITCH comes back (systemctl
    restart). Refused originates are not attempts, calls it cut are recalled without counting."""
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.3, "answer": {"talk": 1.5, "hangup": "remote"}}]), time_scale=1.0
    )
    engine = make_engine(store, server, tmp_path / "audio")
    camp = audio_campaign(store, concurrent_call=10, recall_times=0, call_timeout=20)
    batch = leads(store, camp, 30)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered >= 3 and len(server.switch.channels) >= 8)
    faults.shutdown(server, "sigterm", scale=0.3, restart_after=0.5)
    wait_until(lambda: all_done(store, batch) and campaign_settled(store, camp.campaign_uuid), timeout=60)
    engine.flush()
    check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    assert server.switch.restarts == 1
    for lead in batch:
        data = store.leads.get(lead.lead_uuid)
        assert (data["attempts"], data["last_status"]) == ("1", "answered"), lead_cdrs(store, lead)
    cut = [c for c in cdrs(store, camp) if c["hangup_cause"] == "SYSTEM_SHUTDOWN"]
    assert cut, "the shutdown cut no call"
    assert all("recalled, not counted" in c["reason"] for c in cut if c["recall_status"] != "answered")
    assert not [
        c for c in cdrs(store, camp) if c["hangup_cause"] in ("DESTINATION_OUT_OF_ORDER", "CHAN_NOT_IMPLEMENTED")
    ]
    engine.stop(drain_timeout=2)


def test_a_restart_settles_the_old_calls_at_once_with_their_real_talk_time(store, simswitch, tmp_path):
    """kill -9 and a restart 2 s later: the new Core-UUID says every call of the old process is gone.
    The answered one talked until the connection dropped; the ringing one is recalled uncounted."""
    server = simswitch(
        Scenario(
            rules=[
                {"match": "^0980000000$", "ring": 0.1, "answer": {"talk": 60}},
                {"match": "^0980000010$", "no_answer": True},
            ]
        ),
        time_scale=1.0,
    )
    engine = make_engine(store, server, tmp_path / "audio")
    camp = audio_campaign(store, concurrent_call=2, recall_times=0, call_timeout=2)
    talker, ringer = leads(store, camp, 2)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 1 and len(server.switch.channels) == 2)
    answered_at = time.monotonic()
    wait_until(lambda: time.monotonic() - answered_at >= 1.3)  # it talks for a while
    faults.restart(server, down_s=2.0)
    node = engine.nodes[0]
    wait_until(lambda: node.reconnects == 1 and node.up.is_set(), timeout=20)
    back_ms = int(time.time() * 1000)  # the new FreeSWITCH is connected: the outage is over
    wait_until(lambda: all_done(store, [talker, ringer]), timeout=20)
    engine.flush()
    (talk,) = lead_cdrs(store, talker)
    assert (talk["recall_status"], talk["hangup_cause"]) == ("answered", "AUTOCALL_SWITCH_LOST")
    # Ended when the connection dropped, not when the new FreeSWITCH answered 2 s later.
    assert int(talk["end_ms"]) == node.dropped_ms < back_ms - 1000
    assert int(talk["billsec"]) == (int(talk["end_ms"]) - int(talk["answer_ms"])) // 1000 >= 1
    first, second = lead_cdrs(store, ringer)
    assert first["hangup_cause"] == "AUTOCALL_SWITCH_LOST" and "recalled, not counted" in first["reason"]
    assert (second["recall_status"], second["attempt"]) == ("no-answered", "1")
    assert store.leads.get(ringer.lead_uuid)["attempts"] == "1"  # recall_times 0, and still dialled again
    engine.stop(drain_timeout=2)


def test_a_freeswitch_without_the_autocall_context_is_not_dialled_until_it_has_one(store, simswitch, tmp_path):
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}], autocall_dialplan=False)
    )
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    assert node.status().startswith("not ready: FreeSWITCH has no dialplan context 'autocall'")
    camp = audio_campaign(store, concurrent_call=3)
    leads(store, camp, 3)
    engine.wake(camp.campaign_uuid)
    assert engine.pick_node(camp.voicemail_detection) is None and node.take(3) == 0
    assert server.switch.stats.originated == 0
    server.switch.scenario.dialplan["autocall"] = autocall_context()  # installed, then reloadxml
    wait_until(lambda: node.status() == "up", timeout=5)
    wait_until(lambda: len(cdrs(store, camp)) == 3, timeout=10)
    assert {c["recall_status"] for c in cdrs(store, camp)} == {"answered"}
    engine.stop(drain_timeout=2)


def test_an_answered_call_into_no_dialplan_is_failed_and_the_node_stops_being_dialled(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 5}}]), time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio")
    del server.switch.scenario.dialplan["autocall"]  # someone removed the file and ran reloadxml
    camp = audio_campaign(store, concurrent_call=1, recall_times=0)
    batch = leads(store, camp, 5)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: cdrs(store, camp))
    cdr = cdrs(store, camp)[0]
    assert (cdr["recall_status"], cdr["report_key"], cdr["hangup_cause"]) == (
        "failed",
        "failed",
        "NO_ROUTE_DESTINATION",
    )
    assert cdr["billsec"] == "0" and "nothing was played" in cdr["reason"]
    wait_until(lambda: engine.nodes[0].status().startswith("not ready"), timeout=5)
    dialled = server.switch.stats.originated
    assert dialled < len(batch)  # the rest wait for the dialplan, unburned
    waiting = [x for x in batch if store.leads.get(x.lead_uuid).get("attempts", "0") == "0"]
    assert len(waiting) >= len(batch) - dialled
    engine.stop(drain_timeout=2)


def test_campaigns_with_voicemail_detection_wait_for_mod_avmd(store, simswitch, tmp_path):
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}], missing_modules=["mod_avmd"])
    )
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    assert "mod_avmd" in node.dialable(voicemail_detection=True) and node.dialable(voicemail_detection=False) is None
    assert node.status() == "up (mod_avmd not loaded: campaigns with voicemail_detection are not dialled here)"
    assert engine.why_not_dialled(voicemail_detection=True).startswith("fs1: mod_avmd is not loaded")
    detecting = audio_campaign(store, voicemail_detection=True)
    plain = audio_campaign(store, voicemail_detection=False)
    waiting, _ = leads(store, detecting, 2), leads(store, plain, 2)
    engine.wake(detecting.campaign_uuid)
    engine.wake(plain.campaign_uuid)
    wait_until(lambda: len(cdrs(store, plain)) == 2)
    assert cdrs(store, detecting) == [] and server.switch.stats.originated == 2
    assert all(store.leads.get(x.lead_uuid).get("attempts", "0") == "0" for x in waiting)
    engine.stop(drain_timeout=2)


def test_a_switch_without_mod_json_cdr_is_dialled_but_says_its_cdrs_are_missing(store, simswitch, tmp_path):
    """Where autocall takes FreeSWITCH's CDRs in (AUTOCALL_CDR_SECRET), their absence is shown, not fatal."""
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}], missing_modules=["mod_json_cdr"])
    )
    engine = make_engine(store, server, tmp_path / "audio", switch_cdrs=True)
    node = engine.nodes[0]
    assert node.ready and node.status() == (
        "up (mod_json_cdr not loaded: a call that ends while autocall is away is recorded lost, "
        "and an originate that may not have run counts as an attempt)"
    )
    engine.stop(drain_timeout=2)
    quiet = make_engine(store, server, tmp_path / "audio")  # CDRs not expected: nothing to say
    assert quiet.nodes[0].status() == "up"
    quiet.stop(drain_timeout=2)
    full = make_engine(store, simswitch(), tmp_path / "audio", switch_cdrs=True)
    assert full.nodes[0].status() == "up"
    full.stop(drain_timeout=2)


def test_an_asap_shutdown_stops_the_dialling_and_a_cancel_resumes_it(store, simswitch, tmp_path):
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0, "hangup": "remote"}}]), time_scale=1.0
    )
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    camp = audio_campaign(store, concurrent_call=2, recall_times=0)
    batch = leads(store, camp, 6)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: server.switch.stats.answered == 2)
    ops = admin(server)
    ops.command("bgapi fsctl shutdown asap")
    wait_until(lambda: "shutdown requested (ASAP)" in node.status())  # SHUTDOWN_REQUESTED's own words
    ops.command("api fsctl shutdown cancel")
    wait_until(lambda: node.status() == "up", timeout=5)
    wait_until(lambda: all_done(store, batch), timeout=20)
    assert all(store.leads.get(x.lead_uuid)["attempts"] == "1" for x in batch)
    assert {c["recall_status"] for c in cdrs(store, camp)} == {"answered"}
    engine.stop(drain_timeout=2)


def test_a_paused_freeswitch_refuses_calls_that_are_retried_uncounted_until_it_resumes(store, simswitch, tmp_path):
    """``fsctl pause outbound``: no event says so; refusals (DESTINATION_OUT_OF_ORDER, no channel)
    make the node look, and it waits for ``fsctl resume``."""
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.05, "answer": {"talk": 0.1}}]))
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    ops = admin(server)
    ops.command("api fsctl pause outbound")
    camp = audio_campaign(store, concurrent_call=5, recall_times=0)
    batch = leads(store, camp, 10)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: node.status().startswith("not ready: FreeSWITCH refuses new outbound sessions"))
    assert server.switch.stats.shutdown_rejected >= 1 and node.capacity.refusals >= 1
    ops.command("api fsctl resume outbound")
    wait_until(lambda: all_done(store, batch), timeout=20)
    assert all(store.leads.get(x.lead_uuid)["attempts"] == "1" for x in batch)
    assert {c["recall_status"] for c in cdrs(store, camp)} == {"answered"}
    engine.stop(drain_timeout=2)


def test_mod_sofia_gone_refuses_calls_chan_not_implemented_and_none_is_counted(store, simswitch, tmp_path):
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.05, "answer": {"talk": 0.1}}]))
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    server.switch.unload_sofia()  # as at a shutdown, before the SHUTDOWN event would come
    camp = audio_campaign(store, concurrent_call=5, recall_times=0)
    batch = leads(store, camp, 10)
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: node.status().startswith("not ready: mod_sofia is not loaded"))
    assert server.switch.stats.by_cause["CHAN_NOT_IMPLEMENTED"] >= 1
    server.switch.endpoints_gone = False  # load mod_sofia
    server.switch.modules.add("mod_sofia")
    wait_until(lambda: all_done(store, batch), timeout=20)
    assert all(store.leads.get(x.lead_uuid)["attempts"] == "1" for x in batch)
    assert not [c for c in cdrs(store, camp) if c["hangup_cause"] == "CHAN_NOT_IMPLEMENTED"]
    engine.stop(drain_timeout=2)
