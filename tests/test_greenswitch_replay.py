"""greenswitch, a stock ESL client that is not ours, reading FreeSWITCH's bytes
and the simulator's: the simulator must serve any client, not only autocall's
own (dialer/esl/connection.py). greenswitch is a test dependency only."""

from __future__ import annotations

import gevent
import greenswitch
import pytest
from gevent.server import StreamServer

from dialer.esl.protocol import StreamParser, parse_event_body
from tests.conftest import CAPTURES
from tests.fidelity import assert_span

SUBSCRIBED = ["CHANNEL_PROGRESS", "CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB"]


def collect(esl: greenswitch.InboundESL, names: list[str]) -> list:
    got: list = []
    for name in names:
        esl.register_handle(name, got.append)
    return got


@pytest.mark.parametrize("stem", ["answer-remote-bye", "busy-486", "serial-busy-then-answer", "parallel-all-fail"])
def test_greenswitch_sees_every_event_of_a_captured_stream(stem):
    data = (CAPTURES / f"{stem}.plain.esl").read_bytes()
    commands = [c for c in (CAPTURES / f"{stem}.plain.cmd").read_text().split("\n\n") if c]
    messages = StreamParser().feed(data)
    # Cut the stream before each command/reply: the fake FreeSWITCH sends
    # each part once greenswitch has sent the matching command.
    cuts = [i for i in range(len(data)) if data.startswith(b"Content-Type: command/reply", i)]
    parts = [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]

    def serve(sock, _addr):
        sock.sendall(parts[0])
        for part in parts[1:]:
            sock.recv(4096)
            sock.sendall(part)
        gevent.sleep(2)

    server = StreamServer(("127.0.0.1", 0), serve)
    server.start()
    try:
        esl = greenswitch.InboundESL("127.0.0.1", server.address[1], "ClueCon")
        got = collect(esl, SUBSCRIBED)
        esl.connect()
        for cmd in commands[1:]:
            esl.send(cmd)
        expected = [parse_event_body(m) for m in messages if m.is_event]
        expected = [e for e in expected if e.name in SUBSCRIBED]
        with gevent.Timeout(5):
            while len(got) < len(expected):
                gevent.sleep(0.01)
        assert [e.headers["Event-Name"] for e in got] == [e.name for e in expected]
        for g, e in zip(got, expected, strict=True):
            assert g.headers.get("Unique-ID") == e.get("Unique-ID")
            assert g.headers.get("Hangup-Cause") == e.get("Hangup-Cause")
        # A recording never answers greenswitch's "exit" (stop() would wait
        # forever: greenswitch has no command timeout); drop the link instead.
        esl.connected = False
        esl.stop()
    finally:
        server.stop()


def test_a_greenswitch_client_originates_through_the_simulator_and_sees_the_call(simswitch):
    server = simswitch()
    esl = greenswitch.InboundESL(*server.address, password="ClueCon")
    got = collect(esl, [*SUBSCRIBED, "CHANNEL_CREATE", "CHANNEL_EXECUTE", "CHANNEL_HANGUP"])
    esl.connect()
    esl.send("event plain " + " ".join([*SUBSCRIBED, "CHANNEL_CREATE", "CHANNEL_EXECUTE", "CHANNEL_HANGUP"]))
    uuid = "6c1f4a39-0d3c-4a8e-9d1e-3f2b1c0a9e77"
    reply = esl.send(
        f"bgapi originate {{origination_uuid={uuid},originate_timeout=30,ignore_early_media=true,"
        f"origination_caller_id_number=0900000000}}sofia/gateway/viettel/1001 &playback(/tmp/none.wav)"
    )
    assert reply.headers["Reply-Text"].startswith("+OK Job-UUID: ")
    with gevent.Timeout(10):
        while not any(e.headers["Event-Name"] == "CHANNEL_HANGUP_COMPLETE" for e in got):
            gevent.sleep(0.01)
    names = [e.headers["Event-Name"] for e in got]
    assert names == [
        "CHANNEL_CREATE",
        "CHANNEL_PROGRESS",
        "CHANNEL_ANSWER",
        "BACKGROUND_JOB",
        "CHANNEL_EXECUTE",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
    ]
    assert all(e.headers.get("Unique-ID") == uuid for e in got if e.headers["Event-Name"] != "BACKGROUND_JOB")
    hc = got[-1].headers
    assert hc["Channel-Name"] == "sofia/external/1001"  # a gateway call is named after its profile
    assert_span(hc, "bill", 3)  # the scenario's talk time, in simulated seconds
    assert hc["Hangup-Cause"] == "NORMAL_CLEARING"
    esl.stop()
