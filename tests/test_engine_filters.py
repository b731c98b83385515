"""Each engine hears only its own calls (issue 18): the ESL filters of dialer/esl/node.py.

Two engines on one simulator node (whose filter follows FreeSWITCH's rules, tests/captures/batch4):
each gets the events of the calls it placed, the results of its own originates and the node-wide
events, and nothing of the other's calls.
"""

from __future__ import annotations

import re

from dialer.esl.filters import engine_filters, follow_filter
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

TALK = Scenario(rules=[{"match": "^098", "ring": 0.05, "answer": {"talk": 0.3}}])


def heard(engine) -> list[dict]:
    """Every event the engine's call tracker is handed from now on."""
    seen: list[dict] = []
    tracker = engine.tracker
    original = tracker.on_event

    def record(event: dict) -> None:
        seen.append(event)
        original(event)

    tracker.on_event = record
    return seen


def test_two_engines_on_one_node_each_hear_only_their_own_calls(store, simswitch, tmp_path):
    server = simswitch(TALK, time_scale=1.0)
    # Each engine's rate (sps) is below what the campaign could use, so both claim all along.
    engines = [make_engine(store, server, tmp_path / "audio", sps=20) for _ in range(2)]
    try:
        seen = {e.engine_id: heard(e) for e in engines}
        camp = audio_campaign(store, concurrent_call=40)
        leads(store, camp, 40)
        for e in engines:
            e.wake(camp.campaign_uuid)
        wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 0 and server.switch.stats.originated == 40)
        for e in engines:
            e.flush()
        for tag, events in seen.items():
            hangups = [ev for ev in events if ev["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"]
            jobs = [ev for ev in events if ev["Event-Name"] == "BACKGROUND_JOB"]
            assert all(ev["variable_autocall_engine"] == tag for ev in hangups)
            assert all(re.search(f"autocall_engine={tag}[,}}]", ev["Job-Command-Arg"]) for ev in jobs)
        for e in engines:  # one leg per call: one job and one hangup for each call it placed, none else
            hangups = [ev for ev in seen[e.engine_id] if ev["Event-Name"] == "CHANNEL_HANGUP_COMPLETE"]
            jobs = [ev for ev in seen[e.engine_id] if ev["Event-Name"] == "BACKGROUND_JOB"]
            assert len(hangups) == len(jobs) == e.writer.finished > 0
        assert sum(e.writer.finished for e in engines) == 40
    finally:
        for e in engines:
            e.stop(drain_timeout=2)


def test_an_engines_connection_is_filtered_to_its_tag(store, simswitch, tmp_path):
    server = simswitch(TALK, time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio")
    try:
        (listener,) = server.switch.bus.listeners
        sent = [f"filter {rule.header} {rule.value}" for rule in listener.filters.rules]
        assert sent == engine_filters(engine.engine_id)
    finally:
        engine.stop(drain_timeout=2)


def test_a_followed_engine_is_filtered_again_on_the_next_connection(store, simswitch, tmp_path):
    server = simswitch(TALK, time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio")
    node = engine.nodes[0]
    try:
        node.follow("deadbeef")
        node.conn.close("test: socket dropped")
        wait_until(lambda: node.reconnects == 1 and node.up.is_set())
        (listener,) = server.switch.bus.listeners
        sent = [f"filter {rule.header} {rule.value}" for rule in listener.filters.rules]
        assert sent == [*engine_filters(engine.engine_id), follow_filter("deadbeef")]
    finally:
        engine.stop(drain_timeout=2)
