"""Two engines on one real FreeSWITCH: each hears only its own calls (issue 18, dialer/esl/filters.py).

Two in-process engines (as two ``autocall serve`` processes would run them) dial one campaign
through the same FreeSWITCH; mod_event_socket's filters must hand each the events of the calls it
placed and the results of its own originates, and nothing of the other's (the simulator's
version: tests/test_engine_filters.py). And an engine that adopts a dead engine's call still up
hears it to its end through the filter for the dead engine's tag.
"""

from __future__ import annotations

import re

from dialer.engine.engine import Engine
from dialer.esl.node import NodeConfig
from dialer.media import MessageFiles
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads

LEADS = 12


def engine_on(fs, store, audio_dir, *, message_s: float = 0.5, **kw) -> Engine:
    write_wav(audio_dir / "hello.wav", seconds=message_s)
    # sps 4 each: below what the campaign could use, so both engines claim all along
    node = NodeConfig("fs1", fs.host, fs.port, fs.password, sps=4, max_sessions=100)
    engine = Engine(
        store,
        [node],
        MessageFiles(audio_dir),
        default_gateway="autocall-viettel",
        default_caller_id="0900000000",
        **kw,
    )
    engine.start()
    assert engine.wait_connected(10)
    return engine


def heard(engine: Engine) -> list[dict]:
    seen: list[dict] = []
    original = engine.tracker.on_event

    def record(event: dict) -> None:
        seen.append(event)
        original(event)

    engine.tracker.on_event = record
    return seen


def test_two_engines_on_one_real_node_each_hear_only_their_own_calls(realfs, store, tmp_path):
    engines = [engine_on(realfs, store, tmp_path / "audio") for _ in range(2)]
    try:
        seen = {e.engine_id: heard(e) for e in engines}
        camp = audio_campaign(store, concurrent_call=LEADS, call_timeout=10)
        leads(store, camp, LEADS)  # 0980000000, 0980000010, ...: the far end answers after 1 s; our message ends it
        for e in engines:
            e.wake(camp.campaign_uuid)
        wait_until(lambda: sum(e.writer.finished for e in engines) == LEADS, timeout=60)
        for e in engines:
            tag, events = e.engine_id, seen[e.engine_id]
            hangups = [ev for ev in events if ev["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"]
            answers = [ev for ev in events if ev["Event-Name"] == "CHANNEL_ANSWER"]
            jobs = [ev for ev in events if ev["Event-Name"] == "BACKGROUND_JOB"]
            assert all(ev["variable_autocall_engine"] == tag for ev in hangups + answers)
            assert all(re.search(f"autocall_engine={tag}[,}}]", ev["Job-Command-Arg"]) for ev in jobs)
            assert len(hangups) == len(answers) == len(jobs) == e.writer.finished > 0
            assert {ev["Event-Name"] for ev in events} <= {
                "CHANNEL_ANSWER",
                "CHANNEL_HANGUP_COMPLETE",
                "BACKGROUND_JOB",
                "HEARTBEAT",
            }
    finally:
        for e in engines:
            e.stop(drain_timeout=5)


def test_an_adopted_call_still_up_is_heard_to_its_end_through_the_dead_engines_filter(realfs, store, tmp_path):
    """The engine that placed the call dies while it talks; the survivor adds the filter for the dead
    engine's tag before asking FreeSWITCH, and hears the real hangup (no CDRs here: without the
    filter the call would wait for AUTOCALL_MAX_CALL_SECONDS)."""
    from tests.test_engine_adoption import crash, only_cdr

    first = engine_on(realfs, store, tmp_path / "audio", message_s=6.0)
    camp = audio_campaign(store, concurrent_call=1, call_timeout=10)
    (lead,) = leads(store, camp, 1, prefix="098")  # 0980000000: answers after 1 s, our 6 s message ends it
    first.wake(camp.campaign_uuid)
    wait_until(lambda: any(a.answered_ms for a in first.tracker.of_campaign(camp.campaign_uuid)), timeout=15)
    crash(first)
    second = engine_on(realfs, store, tmp_path / "audio", message_s=6.0, adopt_every_s=0.1, beat_s=0.1, beat_ttl_s=0.5)
    try:
        wait_until(lambda: second.adoption.adopted == 1, timeout=10)
        assert second.nodes[0].followed == {first.engine_id}
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0, timeout=20)
        second.flush()
        cdr = only_cdr(store, lead)
        assert cdr["hangup_cause"] == "NORMAL_CLEARING" and cdr["recall_status"] == "answered"
        assert second.lost == 0
        wait_until(lambda: not second.nodes[0].followed, timeout=10)
    finally:
        second.stop(drain_timeout=5)
