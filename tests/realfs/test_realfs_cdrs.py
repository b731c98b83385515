"""FreeSWITCH's CDRs reach autocall on the real switch (docs/engine.md, "Results from FreeSWITCH's CDRs").

FreeSWITCH is built with ``cdr=True``: freeswitch-conf's json_cdr.conf.xml as shipped, its URL and secret
(AUTOCALL_FS_CDR_URL / AUTOCALL_FS_CDR_SECRET) those of the ``autocall serve`` the test runs
(``fs.autocall_env()``: AUTOCALL_LISTEN, AUTOCALL_CDR_SECRET).

* kill -9 of ``autocall serve`` while calls are up and ringing: every one ends while no autocall runs; after
  the restart they are recorded from FreeSWITCH's CDRs (real cause, FreeSWITCH's billsec, recall status as
  for a heard hangup), none AUTOCALL_LOST, and they end as the same leads end on the simulator.
* a slot claimed by an engine that died before sending the originate: the running autocall adopts it,
  finds no channel, sends the CDR barrier, and on the barrier's CDR records AUTOCALL_NOT_RUN; the lead
  is then dialled for real and counted once.
* mod_json_cdr's posts are answered 200 (no "Got error" in FreeSWITCH's log while autocall runs, nothing
  in json_cdr_err), one per channel, and the CDR carries the call's variables.
"""

from __future__ import annotations

import json
import re
import time
import uuid

from dialer.esl.json_cdr import HANGUP_FIELDS
from tests.realfs.autocall_serve import wait_for
from tests.realfs.campaigns import Results, start_campaign
from tests.realfs.fswatch import FsWatch
from tests.realfs.simfarend import SimSwitch

#: Calls that end while no autocall runs: their ends are timed by the far end, not by autocall.
NUMBERS = {
    "0980000001": "answers after 1 s ring, far end's BYE 3 s later",
    "0980000002": "answers after 1 s ring, far end's BYE 3 s later",
    "0977000001": "rings 2 s, then 486 Busy Here",
    "0983000001": "rings until call_timeout (5 s)",
}
TALKERS = ("0980000001", "0980000002")
CAMPAIGN = {"concurrent_call": 10, "call_timeout": 5, "recall_times": 0}
MESSAGE_SECONDS = 10.0  # longer than the far end's 3 s: its BYE ends the answered calls
GOT_ERROR = re.compile(r"Got error \[(\d+)\] posting to web server")


def _hangup(watch: FsWatch, leg: str) -> dict[str, str] | None:
    return watch.first("CHANNEL_HANGUP_COMPLETE", leg)


def _wait_hangup(watch: FsWatch, leg: str, number: str) -> dict[str, str]:
    return watch.wait(
        lambda e: e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" and e["Unique-ID"] == leg, 15, f"the end of {number}"
    )


def _got_errors(fs) -> list[str]:
    return GOT_ERROR.findall(fs.log_text())


def _err_dir_files(fs) -> list[str]:
    err = fs.dirs["log"] / "json_cdr_err"
    return sorted(p.name for p in err.rglob("*") if p.is_file()) if err.is_dir() else []


def _cdr_posts(autocall) -> dict[str, str]:
    """uuid -> HTTP status of every ``POST /freeswitch/cdr?uuid=…`` in autocall's access log (DEBUG)."""
    out = {}
    for record in autocall.log_records():
        m = re.search(r'"POST /freeswitch/cdr\?uuid=([0-9a-f-]{36}) HTTP/1\.[01]" (\d{3})', record.get("access", ""))
        if m:
            out[m.group(1)] = m.group(2)
    return out


def test_calls_that_end_while_autocall_is_killed_are_recorded_from_their_cdrs(
    realfs_factory, autocall_factory, store, tmp_path
):
    fs = realfs_factory(cdr=True)
    autocall = autocall_factory(fs.esl_url + "?name=fs1", env=fs.autocall_env())
    with FsWatch(fs, "CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE") as watch:
        campaign = start_campaign(autocall, list(NUMBERS), message_seconds=MESSAGE_SECONDS, **CAMPAIGN)
        results = Results(store, campaign)
        legs = campaign.calls  # number -> origination uuid of its first call
        for number in TALKERS:
            watch.wait(
                lambda e, n=number: e["Event-Name"] == "CHANNEL_ANSWER" and e["Unique-ID"] == legs[n],
                10,
                f"the answer of {number}",
            )
        for number in ("0977000001", "0983000001"):
            watch.wait(
                lambda e, n=number: e["Event-Name"] == "CHANNEL_PROGRESS" and e["Unique-ID"] == legs[n],
                10,
                f"the ringing of {number}",
            )
        assert not any(_hangup(watch, leg) for leg in legs.values()), "a call ended before the kill"
        killed_at = time.time()
        autocall.kill9()
        # Every call ends while no autocall runs (FreeSWITCH retries the CDR POSTs meanwhile).
        hangups = {n: _wait_hangup(watch, leg, n) for n, leg in legs.items()}
        restarted_at = time.time()
        for number, hangup in hangups.items():
            assert killed_at < int(hangup["Event-Date-Timestamp"]) / 1e6 < restarted_at, number
        autocall.start()

        # The CDRs come in once autocall listens again, kept in the call hashes until the adoption.
        def kept() -> dict[str, dict] | None:
            found = {}
            for number, leg in legs.items():
                raw = store.r.hget(store.keys.call(leg), f"hangup:{leg}")
                if raw:
                    found[number] = json.loads(raw)
            return found if len(found) == len(legs) else None

        kept_cdrs = wait_for(kept, 20, "the CDRs of the four calls kept in Redis", every=0.1)
        results.wait_settled(timeout=60)

    # Kept in the call's hash: the CDR carried the call's variables (autocall_campaign, autocall_call), and
    # what autocall keeps of it is what the hangup event it missed said.
    for number, cdr in kept_cdrs.items():
        event = {f: hangups[number][f] for f in HANGUP_FIELDS if f in hangups[number]}
        event.pop("Caller-Destination-Number", None)  # never kept: no number at rest
        assert cdr == event, number
        assert cdr["Unique-ID"] == legs[number]

    adopted = [r for r in autocall.log_records() if r["msg"] == "adopted calls of a dead engine"]
    assert [r["calls"] for r in adopted] == [len(NUMBERS)], adopted
    assert not [r for r in autocall.log_records() if "recorded as lost" in r["msg"]]

    real = {}
    for number, hangup in hangups.items():
        (attempt,) = results.attempts(number)
        assert attempt["hangup_cause"] == hangup["Hangup-Cause"], (number, attempt)
        assert attempt["hangup_cause"] not in ("AUTOCALL_LOST", "AUTOCALL_NOT_RUN", "AUTOCALL_SWITCH_LOST")
        assert int(attempt["billsec"]) == int(hangup["variable_billsec"]), (number, attempt)
        real[number] = results.outcome(number)
        print(
            f"\n{number} ({NUMBERS[number]}): from its CDR {real[number]}, FreeSWITCH billusec "
            f"{hangup['variable_billusec']}, sip {hangup.get('variable_sip_term_status')}"
        )
    for number in TALKERS:
        assert round(int(hangups[number]["variable_billusec"]) / 1e6) == 3, "the far end's talk time"
    assert {o["attempts"] for o in real.values()} == {1}

    # During the outage mod_json_cdr could not connect ([0]); every CDR went out after the restart.
    errors = _got_errors(fs)
    print(
        f"mod_json_cdr 'Got error' lines during the {restarted_at - killed_at:.1f} s outage: {len(errors)} "
        f"(codes {sorted(set(errors))}); json_cdr_err: {_err_dir_files(fs)}"
    )
    assert set(errors) <= {"0"}, errors
    assert _err_dir_files(fs) == []

    # The same leads on the simulator, with no kill, end the same.
    autocall.stop()
    sim = SimSwitch(tmp_path / "simswitch").start()
    try:
        simulated_autocall = autocall_factory(sim.esl_url + "?name=fs1")
        sim_campaign = start_campaign(simulated_autocall, list(NUMBERS), message_seconds=MESSAGE_SECONDS, **CAMPAIGN)
        sim_results = Results(store, sim_campaign)
        sim_results.wait_settled(timeout=60)
        simulated = {number: sim_results.outcome(number) for number in NUMBERS}
    finally:
        sim.stop()
    for number in NUMBERS:
        ours = dict(real[number])
        if ours["billsec"]:  # FreeSWITCH bills clock seconds (test_campaign_results.py): compare its talk time
            ours["billsec"] = round(int(hangups[number]["variable_billusec"]) / 1e6)
        print(f"{number}: real (from CDR) {real[number]} | simulator (heard) {simulated[number]}")
        assert ours == simulated[number], number


def test_an_originate_claimed_by_a_dead_engine_is_judged_never_run_and_dialled_once(
    realfs_factory, autocall_factory, store
):
    fs = realfs_factory(start=False, cdr=True)
    # DEBUG: the access log shows the status autocall answered each of mod_json_cdr's POSTs with.
    autocall = autocall_factory(fs.esl_url + "?name=fs1", env={**fs.autocall_env(), "AUTOCALL_LOG_LEVEL": "DEBUG"})
    numbers = ["0980000011", "0980000012"]
    # FreeSWITCH is not up yet: the campaign runs, but no node is usable and nothing is claimed.
    campaign = start_campaign(autocall, numbers, message_seconds=MESSAGE_SECONDS, **CAMPAIGN)
    autocall.stop()  # nothing may race the dead engine's claim below
    assert store.reports.queue_sizes(campaign.uuid)["in_flight"] == 0
    results = Results(store, campaign)
    fs.start()

    # An engine beat, claimed a slot on fs1 (claim.lua, as its pacer does) and died before sending the originate.
    dead = "dead-" + uuid.uuid4().hex
    store.engines.beat(dead, 1)
    (claim,), _ = store.calls.claim(
        campaign.uuid, 1, "fs1", int(time.time() * 1000), 60_000, [str(uuid.uuid4())], owner=dead
    )
    staged = next(n for n, lead in campaign.leads.items() if lead == claim.lead_uuid)
    staged_call = claim.call_uuid  # the lead's call id (given at import): the originate's origination_uuid
    assert staged_call == campaign.calls[staged]
    wait_for(lambda: dead in store.engines.dead(), 5, "the dead engine's liveness key expired")

    with FsWatch(fs, "CHANNEL_CREATE CHANNEL_HANGUP_COMPLETE") as watch:
        autocall.start()
        results.wait_settled(timeout=60)
        wait_for(lambda: len(_cdr_posts(autocall)) >= len(watch.where(_hung_up)), 15, "every channel's CDR posted")
        ended = watch.where(_hung_up)
        created = watch.where(lambda e: e["Event-Name"] == "CHANNEL_CREATE")

    records = autocall.log_records()
    adopted = [r for r in records if r["msg"] == "adopted calls of a dead engine"]
    assert [r["calls"] for r in adopted] == [1], adopted
    never_ran = [r for r in records if r["msg"].startswith("originate never ran")]
    assert [r.get("call") for r in never_ran] == [staged_call], never_ran
    assert not [r for r in records if "recorded as never run" in r["msg"] or "recorded as lost" in r["msg"]]

    # The barrier ran on FreeSWITCH (before the staged call's only channel), and was answered by its CDR.
    barriers = [e for e in created if e.get("Channel-Name") == "null/autocall-cdr-probe"]
    staged_channels = [e for e in created if e["Unique-ID"] == staged_call]
    assert barriers and len(staged_channels) == 1, (barriers, staged_channels)
    assert int(barriers[0]["Event-Date-Timestamp"]) < int(staged_channels[0]["Event-Date-Timestamp"])

    # Dialled for real once, counted once; its one reported CDR is the real call's.
    (hangup,) = [e for e in ended if e["Unique-ID"] == staged_call]
    assert results.status(staged)[1] == 1
    assert [a["hangup_cause"] for a in results.attempts(staged)] == ["NORMAL_CLEARING"]  # NOT_RUN overwritten
    cdrs = [c for c in results.cdrs(autocall) if c.get("lead_uuid") == claim.lead_uuid]
    assert len(cdrs) == 1, cdrs
    (cdr,) = cdrs
    print(
        f"\nstaged lead {staged}: never ran -> dialled again: {results.outcome(staged)}, reported CDR "
        f"{ {k: cdr.get(k) for k in ('call_id', 'call_uuid', 'hangup_cause', 'billsec', 'attempt')} }, barriers "
        f"{len(barriers)}"
    )
    assert cdr["hangup_cause"] == hangup["Hangup-Cause"] == "NORMAL_CLEARING"
    assert int(cdr["billsec"]) == int(hangup["variable_billsec"])
    other = next(n for n in numbers if n != staged)
    assert results.status(other) == ("answered", 1) and results.status(staged) == ("answered", 1)

    # Every channel's CDR (ours, the far end's legs, the barrier) was posted and answered 200.
    posts = _cdr_posts(autocall)
    missing = [e["Unique-ID"] for e in ended if posts.get(e["Unique-ID"]) != "200"]
    print(f"CDR POSTs answered: {len(posts)} ({sorted(set(posts.values()))}) for {len(ended)} channels")
    assert missing == [], (missing, posts)
    assert _got_errors(fs) == []
    assert _err_dir_files(fs) == []


def _hung_up(e: dict[str, str]) -> bool:
    return e["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"
