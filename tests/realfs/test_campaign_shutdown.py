"""A FreeSWITCH shutdown mid-campaign burns no lead (docs/engine.md, "FreeSWITCH as it really behaves",
item 2), on a real FreeSWITCH: SIGTERM then a start (``systemctl restart freeswitch``), and a drain
(``fsctl shutdown elegant|asap``) that is cancelled.
"""

from __future__ import annotations

import re
import time

import pytest

from tests.realfs.autocall_serve import wait_for
from tests.realfs.campaigns import NOT_COUNTED, NOT_DIALLED, Results, start_campaign
from tests.realfs.fswatch import FsWatch

CALL_EVENTS = "CHANNEL_PROGRESS CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB"
REFUSED_IN_LOG = ("The system cannot create any outbound sessions at this time.", "[CHAN_NOT_IMPLEMENTED]")


def refused_jobs(watch: FsWatch, since: float) -> dict[str, int]:
    """Originates FreeSWITCH refused without a channel after ``since``, by cause (every BACKGROUND_JOB
    is broadcast: autocall's originates are heard here too)."""
    out = dict.fromkeys(NOT_DIALLED, 0)
    for e in watch.events:
        cause = e.get("_body", "").strip().removeprefix("-ERR ")
        if e.get("Event-Name") == "BACKGROUND_JOB" and e["_received"] >= since and cause in out:
            out[cause] += 1
    return out


def test_a_restart_mid_campaign_leaves_every_lead_answered_once(realfs_factory, autocall_factory, store):
    # The far end (the carrier) runs in a FreeSWITCH of its own and stays up, as in production. In the
    # same process, the shutdown would also hang up the far end's unanswered inbound legs, and one
    # hung up before ours answers our INVITE 480: that call ends NO_USER_RESPONSE, a counted attempt.
    far = realfs_factory(heartbeat=20)
    fs = realfs_factory(farend=False, gateway_proxy=far.farend_proxy)
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    numbers = [f"0980{i:06d}" for i in range(40)]  # ring 1 s, answer, the far end hangs up 3 s later
    with FsWatch(fs, CALL_EVENTS) as watch:
        campaign = start_campaign(autocall, numbers, message_seconds=5, concurrent_call=10, call_timeout=20)
        results = Results(store, campaign)

        def calls_up_ringing_and_leads_waiting() -> bool:
            legs = watch.legs().values()
            up = sum(1 for state, _ in legs if state == "up")
            just_ringing = sum(1 for state, t in legs if state == "ringing" and time.time() - t < 0.2)
            return up >= 3 and just_ringing >= 1 and results.waiting() > 0

        wait_for(calls_up_ringing_and_leads_waiting, 60, "calls up, one just ringing, leads waiting", every=0.02)
        log_mark = len(fs.log_text())
        trigger = time.time()
        fs.stop()  # SIGTERM: FreeSWITCH hangs every call up SYSTEM_SHUTDOWN and exits
        stopped_after = time.time() - trigger
        fs.start()
        results.wait_settled(timeout=120)

    for number in numbers:
        assert results.status(number) == ("answered", 1), results.attempts(number)
    cdrs = results.cdrs(autocall)
    assert [c for c in cdrs if c["hangup_cause"] in NOT_DIALLED] == []
    cut = [c for c in cdrs if c["hangup_cause"] == "SYSTEM_SHUTDOWN"]
    cut_ringing = [c for c in cut if c["recall_status"] != "answered"]
    assert cut_ringing, "the shutdown cut no ringing call"
    assert all(NOT_COUNTED in c["reason"] for c in cut_ringing), cut_ringing
    assert all(NOT_COUNTED not in c["reason"] for c in cut if c["recall_status"] == "answered")

    log = fs.log_text()[log_mark:]  # mod_logfile is unloaded first: the log misses the end of a shutdown
    in_log = {text: log.count(text) for text in REFUSED_IN_LOG}
    stopped_dialling = autocall.logged("freeswitch node not dialled", trigger)
    assert stopped_dialling is not None
    print(
        f"\nSIGTERM with {len(cut)} calls cut ({len(cut_ringing)} ringing): autocall stopped dialling "
        f"{stopped_dialling - trigger:.3f} s after the signal; FreeSWITCH exited {stopped_after:.1f} s after it, "
        f"was back after {fs.start_seconds:.1f} s more; originates it refused meanwhile: "
        f"{refused_jobs(watch, trigger)} (in its log: {in_log}), "
        f"autocall_freeswitch_refusals_total {autocall.metric('autocall_freeswitch_refusals_total', node='fs1')}"
    )


@pytest.mark.parametrize("mode", ["elegant", "asap"])
def test_a_cancelled_drain_pauses_the_dialling_and_burns_no_lead(realfs_factory, autocall_factory, store, mode):
    fs = realfs_factory()
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    # A 20 s message: the 0979 callee stays on the line while the 0980 ones hang up after 3 s, so the
    # drain always has a call to wait for (with none left it would shut FreeSWITCH down for good).
    numbers = ["0979000001"] + [f"0980{i:06d}" for i in range(10)]
    with FsWatch(fs, CALL_EVENTS) as watch:
        campaign = start_campaign(autocall, numbers, message_seconds=20, concurrent_call=3, call_timeout=20)
        results = Results(store, campaign)
        wait_for(
            lambda: results.lead("0979000001").get("state") == "dialing" and len(watch.legs()) >= 3,
            30,
            "the long call and others placed",
        )
        wait_for(lambda: sum(1 for s, _ in watch.legs().values() if s == "up") >= 2, 30, "two calls up")

        trigger = time.time()
        fs.fsctl_shutdown(mode, wait=False)
        body = wait_for(autocall.not_ready, 10, "/readyz not ready")
        # SHUTDOWN_REQUESTED says "shutdown requested (elegant|ASAP)"; the checks, once a second, say
        # "shutting down ('fsctl shutdown_check' is true)" (with asap also "paused": pause_check is true)
        assert re.match(r"not ready: FreeSWITCH (shutdown requested|is shutting down)", body["freeswitch"]["fs1"])
        stopped = autocall.logged("freeswitch node not dialled", trigger)
        sent = autocall.metric("autocall_attempts_total", campaign=campaign.uuid, node="fs1")
        # A call ends during the drain and autocall records it: a slot is free and leads are waiting
        # (the recording wakes the pacer), yet no originate is sent until the drain is cancelled.
        done = results.summary().get("done", 0)
        wait_for(lambda: results.summary().get("done", 0) > done, 10, "a call recorded during the drain", every=0.02)
        assert results.waiting() > 0
        assert autocall.metric("autocall_attempts_total", campaign=campaign.uuid, node="fs1") == sent
        cancelled = time.time()
        assert fs.api("fsctl shutdown cancel") == "+OK\n"  # no event says so: autocall's checks see it
        wait_for(lambda: autocall.readyz()[0] == 200, 10, "/readyz ready again after the cancel", every=0.05)
        ready_again = time.time()
        results.wait_settled(timeout=90)

    assert fs.running, "the cancel kept FreeSWITCH running"
    assert watch.where(lambda e: e.get("Hangup-Cause") == "SYSTEM_SHUTDOWN") == []
    for number in numbers:
        assert results.status(number) == ("answered", 1), results.attempts(number)
    assert [c for c in results.cdrs(autocall) if c["hangup_cause"] in NOT_DIALLED] == []
    print(
        f"\nfsctl shutdown {mode}: autocall stopped dialling {stopped - trigger:.3f} s after it; cancelled "
        f"{cancelled - trigger:.1f} s later, once a call had ended during the drain; ready again "
        f"{ready_again - cancelled:.2f} s after the cancel; "
        f"refused originates {refused_jobs(watch, trigger)}, "
        f"autocall_freeswitch_refusals_total {autocall.metric('autocall_freeswitch_refusals_total', node='fs1')}"
    )
