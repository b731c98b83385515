"""What the simulator does once instead of per call gives what doing it per call gave.

Events are rendered from each template compiled once per format (simswitch/render.py); the
dial string is scanned at its special characters only; a context's routing is decided once per
shape of the variables its conditions test; a WAV's length is read once per version of the file.
Each is checked here against the per-call way it replaced.
"""

from __future__ import annotations

import random
import time
import uuid
import wave

import pytest

from simswitch import dialstring, header_rules
from simswitch.bus import EventBus
from simswitch.calls import playback_ms
from simswitch.clock import SimClock
from simswitch.dialplan_xml import DialplanApp, route, route_cached
from simswitch.ids import random_uuid, uuid4_text
from simswitch.scenario import Scenario
from simswitch.templates import library

CALL = {
    "core_uuid": "6e1c0f4c-5a57-4c1c-9d3e-1b7a3c1f7c11",
    "hostname": "vm",
    "uuid": "2f1e8a3c-2222-4000-8000-000000000001",
    "uuid_b": "2f1e8a3c-2222-4000-8000-00000000000b",
    "uuid_tmp": "2f1e8a3c-2222-4000-8000-00000000000c",
    "channel_name": "sofia/external/0900000001",
    "dest": "0900000001",
    "sip_port": "5060",
    "sip_hostport": "10.0.0.1:5060",
    "sip_uri": "0900000001@10.0.0.1:5060",
    "gateway": "viettel",
    "exten": "autocall",
    "context": "autocall",
    "cid_num": "0281234567",
    "originate_vars": [("origination_uuid", "2f1e8a3c"), ("autocall_file", "/var/a b.wav"), ("x", "1")],
    "session_id": 7,
    "sip_call_id": "9d0a",
    "media_port": "16390",
    "created_us": 1_764_740_000_123_456,
    "progress_us": 1_764_740_001_000_000,
    "progress_media_us": 1_764_740_001_500_000,
    "answered_us": 1_764_740_002_654_321,
    "profile_created_us": 1_764_740_002_700_000,
    "hangup_us": 1_764_740_005_999_999,
    "now_us": 1_764_740_006_000_001,
    "seq": 9,
    "cause": "NORMAL_CLEARING",
    "q850": 16,
    "sip_status": 200,
    "app": "playback",
    "app_data": "/var/a b.wav",
    "app_uuid": "a0",
    "app_response": "FILE PLAYED",
    "app_no_data": False,
    "playback_ms": 500,
    "playback_type": "native",
    "job_uuid": "job-1",
    "job_cmd": "originate",
    "job_arg": "{x=1}sofia/gateway/gw/1 &park()",
    "api_cmd": "originate",
    "api_arg": "a",
    "body": "+OK 2f1e8a3c\n",
    "dtmf_digit": "5",
}
NOT_YET = ("app", "playback_ms", "cause", "sip_status", "answered_us", "progress_us", "body")
HOSTILE = 'q"u\\o\nte %41%2 € \x01 {x} }{ @@uuid@@ 100%'


def calls() -> list[dict]:
    """Calls in different states, and values that need every kind of escaping."""
    bare = {k: v for k, v in CALL.items() if k not in NOT_YET}
    return [
        CALL,
        {**CALL, "app_no_data": True, "app_data": ""},
        bare,
        {**bare, "replay": True},
        {**CALL, "sip_fail_status": 486, "sip_fail_phrase": "Busy Here", "originate_vars": [("v€r", HOSTILE)]},
        {**CALL, "dest": "09%41", "cid_num": HOSTILE, "app_data": HOSTILE, "body": HOSTILE},  # %: header by header
        {**CALL, "channel_name": 'sofia/"x"\\', "job_arg": HOSTILE, "originate_vars": []},
    ]


def every_template():
    lib = library()
    yield from lib.templates.values()
    for replay in lib.replays.values():
        for _, template in replay:
            yield template


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_every_template_renders_the_same_bytes_compiled_as_header_by_header(fmt):
    for call in calls():
        for template in every_template():
            assert template.render(dict(call), fmt) == template.render_headers(dict(call), fmt), template.name


def test_the_dial_string_scan_splits_as_the_character_loop_does():
    rng = random.Random(17)
    alphabet = "ab,| \\'{}[]<>=^:_&()1"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        for sep in (" ", "|", ","):
            assert dialstring.split_top(text, sep) == dialstring._split_top_by_char(text, sep), (text, sep)
        for sep in (",", ":"):
            assert dialstring._split_vars(text, sep) == dialstring._split_vars_by_char(text, sep), (text, sep)
        for open_c, close_c in (("{", "}"), ("[", "]")):
            assert _outcome(dialstring._take_block, text, open_c, close_c) == _outcome(
                _take_block_by_char, text, open_c, close_c
            ), text


def _take_block_by_char(text: str, open_c: str, close_c: str) -> tuple[str | None, str]:
    """The character loop _take_block replaced."""
    if not text.startswith(open_c):
        return None, text
    depth, quote = 0, False
    for i, c in enumerate(text):
        if c == "'":
            quote = not quote
        elif not quote and c == open_c:
            depth += 1
        elif not quote and c == close_c:
            depth -= 1
            if depth == 0:
                return text[1:i], text[i + 1 :]
    raise dialstring.DialStringError(f"unterminated {open_c}")


def _outcome(fn, *args):
    try:
        return fn(*args)
    except dialstring.DialStringError as exc:
        return str(exc)


def test_a_contexts_routing_is_decided_per_shape_of_the_variables_it_tests():
    apps = Scenario().dialplan["autocall"]
    for variables in (
        {},
        {"autocall_avmd": "false"},
        {"autocall_dtmf_ms": "3000"},
        {"autocall_dtmf_ms": "12"},
        {"autocall_avmd": "false", "autocall_dtmf_ms": "99999"},
    ):
        for dest in ("autocall", "nosuchext"):
            values = {**variables, "destination_number": dest}
            expected = route(apps, values.get)
            assert route_cached(apps, values.get) == expected
            assert route_cached(apps, values.get) == expected  # the second time, from the plan


def test_a_context_changed_in_any_way_is_routed_afresh():
    apps = [DialplanApp(app="playback", data="a.wav")]
    assert route_cached(apps, {}.get) == [("playback", "a.wav")]
    apps[0].data = "b.wav"  # an app edited in place
    assert route_cached(apps, {}.get) == [("playback", "b.wav")]
    apps.append(DialplanApp(app="hangup"))  # the list itself
    assert route_cached(apps, {}.get) == [("playback", "b.wav"), ("hangup", "")]
    apps[1] = DialplanApp(app="park")  # an app replaced
    assert route_cached(apps, {}.get) == [("playback", "b.wav"), ("park", "")]
    routed = route_cached(apps, {}.get)
    routed.pop()  # a leg consumes its copy, never the plan's
    assert route_cached(apps, {}.get) == [("playback", "b.wav"), ("park", "")]


def test_a_wavs_length_is_read_again_when_the_file_changes(tmp_path):
    path = tmp_path / "m.wav"

    def write(seconds: float) -> None:
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(b"\0\0" * int(seconds * 8000))

    write(0.5)
    assert playback_ms(str(path), 3.0) == 500
    assert playback_ms(str(path), 3.0) == 500
    write(1.25)  # re-rendered in place (a TTS message rewritten)
    assert playback_ms(str(path), 3.0) == 1250
    path.write_bytes(b"not a wav")
    assert playback_ms(str(path), 3.0) == 3000
    path.unlink()
    assert playback_ms(str(path), 2.0) == 2000


def test_uuid_text_is_what_uuid_writes():
    rng = random.Random(5)
    for n in [0, (1 << 128) - 1] + [rng.getrandbits(128) for _ in range(10_000)]:
        assert uuid4_text(n) == str(uuid.UUID(int=n, version=4))
    made = random_uuid()
    assert str(uuid.UUID(made)) == made and uuid.UUID(made).version == 4


class Subscriber:
    def __init__(self, *names: str) -> None:
        self.fmt = "json"
        self.names = set(names)
        self.got: list[bytes] = []

    def wants(self, event_name: str, subclass: str) -> bool:
        return event_name in self.names

    def passes_filters(self, header) -> bool:
        return True

    def deliver(self, data: bytes) -> None:
        self.got.append(data)


def test_who_wants_an_event_is_asked_again_after_any_subscription_change():
    bus = EventBus(SimClock(), "core", "vm")
    template = library()["core:HEARTBEAT"]
    ctx = {**bus.base, "uptime_text": "x"}
    a, b = Subscriber("HEARTBEAT"), Subscriber()
    bus.emit(template, dict(ctx))  # nobody yet
    bus.listeners.append(a)
    bus.emit(template, dict(ctx))
    bus.listeners.append(b)
    b.names.add("HEARTBEAT")  # `event json HEARTBEAT` (the listener tells the bus)
    bus.subscriptions_changed()
    bus.emit(template, dict(ctx))
    bus.listeners.remove(a)
    bus.emit(template, dict(ctx))
    bus.listeners = [a]
    bus.emit(template, dict(ctx))
    assert (len(a.got), len(b.got)) == (3, 2)
    assert bus.wants("HEARTBEAT") and not bus.wants("CHANNEL_ANSWER")


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_stamps_are_strftimes_across_minutes_and_offset_changes(zone, monkeypatch):
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    header_rules._LOCAL_MINUTES.clear()
    try:
        rng = random.Random(3)
        # 2026's spring and autumn transitions (Europe: 29 March and 25 October, 01:00 UTC), and anywhere
        seconds = [*range(1_774_746_000 - 3600, 1_774_746_000 + 3600, 7)]
        seconds += [*range(1_792_890_000 - 3600, 1_792_890_000 + 3600, 11)]
        seconds += [rng.randrange(0, 4_000_000_000) for _ in range(5000)]
        for second in seconds:
            assert header_rules._local_second(second) == time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            assert header_rules._gmt_second(second) == time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second))
    finally:
        monkeypatch.undo()
        time.tzset()
        header_rules._LOCAL_MINUTES.clear()
