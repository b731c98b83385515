"""decode_event_json: orjson's speed, json.loads's answer, for every event FreeSWITCH sent us."""

from __future__ import annotations

import json

import pytest

from dialer.esl.protocol import StreamParser, decode_event_json
from tests.conftest import CAPTURES

STREAMS = sorted(CAPTURES.glob("*.json.esl")) + sorted((CAPTURES / "repeats").glob("*.json.esl"))


def json_bodies(path):
    return [m.body for m in StreamParser().feed(path.read_bytes()) if m.content_type == "text/event-json"]


@pytest.mark.parametrize("path", STREAMS, ids=lambda p: p.name)
def test_every_captured_event_decodes_to_what_json_loads_gives(path):
    bodies = json_bodies(path)
    assert bodies
    for body in bodies:
        got, want = decode_event_json(body), json.loads(body)
        assert got == want
        assert list(got) == list(want)  # same order of headers too
        assert all(type(k) is str and type(v) is type(want[k]) for k, v in got.items())


@pytest.mark.parametrize(
    "body",
    [
        b'{"Event-Name":"CUSTOM","x":"\\ud800"}',  # a lone surrogate escape: orjson refuses it
        b'{"Event-Name":"HEARTBEAT","x":NaN}',
        b'\xef\xbb\xbf{"Event-Name":"HEARTBEAT"}',  # a byte order mark
        b'{"a":"1","a":"2"}',  # a repeated name: the last wins, as with json.loads
    ],
)
def test_what_orjson_refuses_is_decoded_as_json_loads_decodes_it(body):
    got, want = decode_event_json(body), json.loads(body)
    assert repr(got) == repr(want)


@pytest.mark.parametrize("body", [b"", b"{not json", b'{"a":"\xff"}'])
def test_a_body_that_is_not_json_raises_as_before(body):
    with pytest.raises(ValueError) as want:
        json.loads(body)
    with pytest.raises(type(want.value)):
        decode_event_json(body)
