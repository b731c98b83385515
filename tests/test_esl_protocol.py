"""The sans-IO ESL parser, fed FreeSWITCH's own recorded streams."""

from __future__ import annotations

import random
from urllib.parse import unquote

import pytest

from dialer.esl.protocol import ProtocolError, StreamParser, parse_event_body, url_encode
from tests.conftest import CAPTURES

STREAMS = sorted(CAPTURES.glob("*.esl")) + sorted((CAPTURES / "repeats").glob("*.esl"))


def whole(data: bytes):
    return StreamParser().feed(data)


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_a_stream_cut_at_random_points_gives_the_same_messages(path):
    data = path.read_bytes()
    expected = whole(data)
    rng = random.Random(path.name)
    for _ in range(5):
        parser, got, pos = StreamParser(), [], 0
        while pos < len(data):
            step = rng.choice([1, 2, 7, 64, 1000, 5000])
            got += parser.feed(data[pos : pos + step])
            pos += step
        assert got == expected
        assert parser.buffered == 0


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_every_byte_of_a_capture_is_framed(path):
    parser = StreamParser()
    messages = parser.feed(path.read_bytes())
    assert messages and parser.buffered == 0
    assert messages[0].content_type == "auth/request"


def test_a_plain_background_job_exposes_its_body():
    msgs = whole((CAPTURES / "busy-486.plain.esl").read_bytes())
    job = next(parse_event_body(m) for m in msgs if m.is_event and b"BACKGROUND_JOB" in m.body[:40])
    assert job.body == "-ERR USER_BUSY\n"
    assert job.get("Content-Length") == "15"  # not glued to the body, unlike greenswitch


def test_a_json_background_job_exposes_its_body():
    msgs = whole((CAPTURES / "busy-486.json.esl").read_bytes())
    job = next(parse_event_body(m) for m in msgs if m.is_event and b'"BACKGROUND_JOB"' in m.body[:40])
    assert job.body == "-ERR USER_BUSY\n"


def test_repeated_headers_keep_their_first_value_and_every_pair():
    msgs = whole((CAPTURES / "busy-486.plain.esl").read_bytes())
    hc = next(parse_event_body(m) for m in msgs if m.is_event and b"CHANNEL_HANGUP_COMPLETE" in m.body[:40])
    assert [k for k, _ in hc.items].count("Hangup-Cause") == 2
    assert hc.get("Hangup-Cause") == "USER_BUSY"


def test_an_encoded_newline_stays_inside_its_value():
    msgs = whole((CAPTURES / "busy-486.plain.esl").read_bytes())
    hc = next(parse_event_body(m) for m in msgs if m.is_event and b"CHANNEL_HANGUP_COMPLETE" in m.body[:40])
    assert hc.get("variable_rtp_local_sdp_str").startswith("v=0\r\no=FreeSWITCH")
    assert "o=FreeSWITCH" not in hc.headers  # no bogus continuation header


def test_json_events_are_framed_by_length_not_by_newline():
    data = (CAPTURES / "answer-remote-bye.json.esl").read_bytes()
    msgs = whole(data)
    assert all(not m.body.endswith(b"\n") for m in msgs if m.content_type == "text/event-json")
    assert len([m for m in msgs if m.is_event]) == 27


@pytest.mark.parametrize("path", sorted(CAPTURES.glob("*.plain.esl")), ids=lambda p: p.name)
def test_url_encoding_matches_freeswitch_for_every_captured_value(path):
    for msg in whole(path.read_bytes()):
        if msg.content_type != "text/event-plain":
            continue
        block = msg.body.split(b"\n\n")[0].decode()
        for line in block.split("\n"):
            _, _, raw = line.partition(": ")
            assert url_encode(unquote(raw)) == raw


def test_a_header_line_without_a_colon_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        StreamParser().feed(b"garbage without colon\n\n")


def test_a_negative_content_length_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        StreamParser().feed(b"Content-Length: -5\n\n")
