"""A FreeSWITCH killed with SIGKILL and started again is a new switch (docs/engine.md, "FreeSWITCH as it
really behaves", item 3), on a real FreeSWITCH: the calls of the dead process are settled as soon as
autocall sees the new Core-UUID, the answered one with its talk time until the kill (not the outage),
the ringing one recalled without counting.
"""

from __future__ import annotations

import time

from tests.realfs.autocall_serve import wait_for
from tests.realfs.campaigns import NOT_COUNTED, Results, start_campaign
from tests.realfs.fswatch import FsWatch

TALKER, RINGER = "0979000001", "0983000001"  # answers after 1 s and stays on; rings, never answers
OUTAGE_S = 2.0


def test_a_kill9_and_restart_settles_the_calls_with_their_talk_time_and_recalls_the_ringing_one(
    realfs_factory, autocall_factory, store
):
    fs = realfs_factory()
    autocall = autocall_factory(fs.esl_url + "?name=fs1")
    with FsWatch(fs, "CHANNEL_PROGRESS CHANNEL_ANSWER") as watch:
        campaign = start_campaign(autocall, [TALKER, RINGER], message_seconds=60, concurrent_call=2, call_timeout=15)
        results = Results(store, campaign)
        answer = watch.wait(
            lambda e: e["Event-Name"] == "CHANNEL_ANSWER" and e["Unique-ID"] == campaign.calls[TALKER],
            10,
            "the answer of the talker's call",
        )
        watch.wait(
            lambda e: e["Event-Name"] == "CHANNEL_PROGRESS" and e["Unique-ID"] == campaign.calls[RINGER],
            10,
            "the ringing of the ringer's call",
        )
    answered_at = int(answer["Caller-Channel-Answered-Time"]) / 1e6  # FreeSWITCH's clock: this machine's
    wait_for(lambda: time.time() - answered_at >= 2.5, 5, "a few seconds of talk", every=0.05)
    killed_at = time.time()
    fs.kill9()
    wait_for(lambda: autocall.readyz()[1]["freeswitch"]["fs1"] == "down", 5, "autocall sees the switch down")
    wait_for(lambda: time.time() - killed_at >= OUTAGE_S, 5, "the outage", every=0.05)
    started_at = time.time()  # no FreeSWITCH process existed between killed_at and this
    fs.start()
    back_at = time.time()
    results.wait_settled(timeout=60)

    # Settled as soon as autocall saw the new Core-UUID (not after a lease, not as AUTOCALL_LOST).
    (restart,) = [r for r in autocall.log_records() if r["msg"].startswith("freeswitch restarted (new Core-UUID)")]
    assert restart["calls"] == 2

    (talk,) = results.attempts(TALKER)
    measured = killed_at - answered_at
    print(
        f"\ntalker: billsec {talk['billsec']} for {measured:.2f} s from answer to kill -9 (outage {OUTAGE_S} s, "
        f"FreeSWITCH back {back_at - killed_at:.1f} s after the kill)"
    )
    assert (talk["hangup_cause"], talk["recall_status"]) == ("AUTOCALL_SWITCH_LOST", "answered")
    assert abs(int(talk["billsec"]) - measured) <= 1.0
    assert results.status(TALKER) == ("answered", 1)

    first, second = results.attempts(RINGER)
    assert first["hangup_cause"] == "AUTOCALL_SWITCH_LOST" and NOT_COUNTED in first["reason"], first
    assert int(second["start_ms"]) / 1000 >= started_at, "dialled again on the new FreeSWITCH"
    assert (second["hangup_cause"], second["recall_status"]) == ("NO_ANSWER", "no-answered")
    assert results.status(RINGER) == ("no-answered", 1)  # recall_times 0, yet dialled twice
