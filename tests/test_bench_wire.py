"""bench/enginebench/wire.py: the framing that counts a real FreeSWITCH's event bytes per call
(docs/scaling.md's real figure) accounts for every byte of a capture and names each event."""

from pathlib import Path

from bench.enginebench.wire import frames, subscribed_names

CAPTURES = Path(__file__).parent / "captures"


def test_frames_account_for_every_byte_of_a_capture() -> None:
    data = (CAPTURES / "busy-486.json.esl").read_bytes()
    assert sum(size for _, size in frames(data)) == len(data)


def test_frames_name_json_events_by_event_name() -> None:
    kinds = [kind for kind, _ in frames((CAPTURES / "busy-486.json.esl").read_bytes())]
    assert kinds.count("BACKGROUND_JOB") == 1
    assert kinds.count("CHANNEL_HANGUP_COMPLETE") == 1
    assert "auth/request" in kinds


def test_subscribed_names_are_the_engines_subscription_without_custom() -> None:
    names = subscribed_names()
    assert {"CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"} <= names
    assert "CUSTOM" not in names
