"""The simulator's ESL ``filter`` against FreeSWITCH 1.10.12's (tests/captures/batch4).

Replayed from the captures: the reply text of every ``filter`` command; which events a
listener's filters let through (the captured probes: a ``bgapi status`` job and a heartbeat
after each change); which of the dialer's events carry the originate's variables (only
CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE: not DTMF, not BACKGROUND_JOB); and two listeners
filtered as two engines, each receiving only its own calls' events and its own jobs.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from dialer.esl.protocol import StreamParser, parse_event_body
from simswitch import Scenario
from tests.conftest import CAPTURES
from tests.eslclient import RawClient
from tests.fidelity import capture_commands

BATCH = Path(CAPTURES) / "batch4"
SUBSCRIBED = ("CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE", "BACKGROUND_JOB", "DTMF")
# The far end of batch 4: 0980… answers, a key is pressed (the simulator's DTMF comes 1 s after the
# answer, as the capture's uuid_recv_dtmf did) and it hangs up; 0981… is busy.
FAREND = Scenario(
    rules=[
        {"match": "^0980", "ring": 0.05, "answer": {"talk": 1.2, "dtmf": "5"}},
        {"match": "^0981", "sip": 486},
    ]
)


def captured(name: str):
    """(commands, messages) of one captured connection."""
    return capture_commands(BATCH / f"{name}.cmd"), StreamParser().feed((BATCH / f"{name}.esl").read_bytes())


def replies(messages) -> list[str]:
    return [m.headers.get("Reply-Text", "") for m in messages if m.content_type == "command/reply"]


def count(c: RawClient, name: str) -> int:
    return sum(e.name == name for e in c.events())


def client(server) -> RawClient:
    c = RawClient(*server.address)
    c.login("ClueCon")
    return c


def test_filter_replies_are_freeswitchs(simswitch):
    commands, messages = captured("filter-rules")
    expected = dict(zip(commands, replies(messages), strict=True))  # every command there has a command/reply
    c = client(simswitch())
    for cmd in commands[1:]:
        if cmd.startswith("filter"):
            assert c.command(cmd).headers["Reply-Text"] == expected[cmd], cmd


def probes() -> list[tuple[list[str], set[str]]]:
    """For each captured probe (``bgapi status``): the filter commands sent before it, and the
    names of the events that came through until the next command."""
    out: list[tuple[list[str], set[str]]] = []
    sent: list[str] = []
    lines = (BATCH / "filter-rules.timeline.tsv").read_text().splitlines()[1:]
    for line in lines:
        _, _, direction, _, summary = line.split("\t", 4)
        if direction == "TX":
            if summary.startswith("bgapi status"):
                out.append((list(sent), set()))
            elif summary.startswith("filter"):
                sent.append(summary)
        elif direction == "RX" and out and summary.split(" ", 1)[0] in ("HEARTBEAT", "BACKGROUND_JOB"):
            if len(out[-1][0]) == len(sent):  # still this probe's window (no command since)
                out[-1][1].add(summary.split(" ", 1)[0])
    return out


def test_what_passes_the_filters_is_what_freeswitch_let_through(simswitch):
    _, messages = captured("filter-rules")
    events = [parse_event_body(m) for m in messages if m.is_event]
    samples = {name: next(e for e in events if e.name == name) for name in ("HEARTBEAT", "BACKGROUND_JOB")}
    server = simswitch()
    c = client(server)
    c.command("event plain HEARTBEAT BACKGROUND_JOB")
    (listener,) = server.switch.bus.listeners
    done = 0
    checked = 0
    for sent, came in probes():
        for cmd in sent[done:]:
            c.command(cmd)
        done = len(sent)
        passed = {
            name
            for name, ev in samples.items()
            if listener.passes_filters({k.lower(): v for k, v in reversed(ev.items)}.get)
        }
        assert passed == came, sent
        checked += 1
    assert checked == 12  # every probe of the capture


def test_only_answer_and_hangup_carry_the_originates_variables(simswitch):
    _, messages = captured("filter-all")
    ours = [e for e in (parse_event_body(m) for m in messages if m.is_event) if e.name in SUBSCRIBED]
    carried = {e.name for e in ours if "variable_autocall_engine" in e.headers}
    assert carried == {"CHANNEL_ANSWER", "CHANNEL_HANGUP_COMPLETE"}
    assert {e.name for e in ours} == set(SUBSCRIBED)  # each was there to be looked at
    server = simswitch(FAREND, time_scale=1.0)
    c = client(server)
    c.command("event json ALL")
    c.command(
        "bgapi originate {autocall_engine=e1,origination_uuid=00000000-0000-4000-8000-000000000001}"
        "sofia/gateway/autocall-viettel/0980000001 &park()"
    )
    c.wait_event("CHANNEL_HANGUP_COMPLETE", Unique_ID="00000000-0000-4000-8000-000000000001")
    c.wait_event("BACKGROUND_JOB")
    sim = [e for e in c.events() if e.name in SUBSCRIBED]
    assert {e.name for e in sim} == set(SUBSCRIBED)
    assert {e.name for e in sim if "variable_autocall_engine" in e.headers} == carried


def test_two_listeners_filtered_as_two_engines_get_only_their_own_calls(simswitch):
    server = simswitch(FAREND, time_scale=1.0)
    clients = {}
    for side in "ab":
        commands, messages = captured(f"filter-engine-{side}")
        c = client(server)
        setup = [cmd for cmd in commands if cmd.startswith(("filter", "event"))]
        assert [c.command(cmd).headers["Reply-Text"] for cmd in setup] == replies(messages)[1 : len(setup) + 1]
        clients[side] = (c, [cmd for cmd in commands if cmd.startswith("bgapi")], messages)
    for c, bgapis, _ in clients.values():
        for cmd in bgapis:
            c.command(cmd)
    for side, (c, _, messages) in clients.items():
        tag = f"caps4{side}"
        want = Counter(e.name for e in (parse_event_body(m) for m in messages if m.is_event) if e.name != "HEARTBEAT")
        assert want == {"CHANNEL_HANGUP_COMPLETE": 2, "BACKGROUND_JOB": 2, "CHANNEL_ANSWER": 1}
        c.wait_for(lambda m, c=c: count(c, "CHANNEL_HANGUP_COMPLETE") == 2 and count(c, "BACKGROUND_JOB") == 2)
        got = [e for e in c.events() if e.name != "HEARTBEAT"]
        assert Counter(e.name for e in got) == want
        channel = [e for e in got if e.name != "BACKGROUND_JOB"]
        assert all(e.get("variable_autocall_engine") == tag for e in channel)
        assert all(f"autocall_engine={tag}" in e.get("Job-Command-Arg") for e in got if e.name == "BACKGROUND_JOB")
