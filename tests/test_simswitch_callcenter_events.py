"""The simulator's ``CUSTOM callcenter::info`` events have the header names, in the order, of the ones
FreeSWITCH 1.10.12 sent in batch5 (tests/captures/batch5). Channel variables aside, and for the
events that carry a channel's data, the few headers a channel only has in states the simulator's
templates do not come from (KNOWN_MISSING, said in docs/simswitch.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.esl.protocol import Event, StreamParser, parse_event_body
from tests.callcenter_fixtures import (
    QUEUE,
    QUEUE_PARAMS,
    ConfigServer,
    add_agent,
    api,
    connect,
    lead,
    scenario,
    wait_cc,
)

BATCH5 = Path(__file__).parent / "captures" / "batch5"
CAPTURES = (
    "cc-config.plain",
    "cc-bridge-agent-hangs-up.plain",
    "cc-abandon-timeout.plain",
    "cc-agent-unregistered.plain",
    "cc-agent-noanswer-then-other.plain",
)
# What a channel's data holds in FreeSWITCH but not in the simulator's: the agent leg's user-endpoint
# profile (presence id, caller id names) and, once bridged, the caller profile's bridge fields and the
# other leg's profile (Other-Leg-*).
KNOWN_MISSING = {
    "Channel-Presence-ID",
    "Caller-Caller-ID-Name",
    "Caller-Orig-Caller-ID-Name",
    "Caller-Transfer-Source",
    "Caller-Callee-ID-Name",
}


def kind(e: Event) -> str:
    action = str(e.get("CC-Action"))
    return f"{action}({e.get('CC-Cause')})" if action == "member-queue-end" else action


def names(e: Event) -> list[str]:
    return [k for k, _ in e.items if not k.startswith("variable_")]


def captured() -> dict[str, Event]:
    out: dict[str, Event] = {}
    for stem in CAPTURES:
        for m in StreamParser().feed((BATCH5 / f"{stem}.esl").read_bytes()):
            if m.is_event and (e := parse_event_body(m)).get("Event-Subclass") == "callcenter::info":
                out.setdefault(kind(e), e)
    return out


@pytest.fixture(scope="module")
def real() -> dict[str, Event]:
    return captured()


@pytest.fixture
def simulated(simswitch) -> dict[str, Event]:
    """One of each event from a simulated run: an agent added, its contact set, bridged to a lead
    and back to Waiting, a second agent that does not answer then one not registered, a lead abandoned."""
    config = ConfigServer({QUEUE: {**QUEUE_PARAMS, "max-wait-time": "30"}})  # time for the api calls below
    phones = {"1002": {"answer": 0}, "1003": {"registered": False}}
    client = connect(
        simswitch(scenario({"default": {"ring": 1, "talk": 2}, "phones": phones}), callcenter=config.settings())
    )
    add_agent(client, "1001")
    api(client, "agent get status 1001@autocall")
    api(client, "agent get state 1001@autocall")
    lead(client, 1)
    wait_cc(client, "agent-state-change", CC_Agent_State="Waiting")
    api(client, "agent set status 1001@autocall 'Logged Out'")
    add_agent(client, "1002", contact="[leg_timeout=2]user/1002", max_no_answer=1)
    lead(client, 2)
    wait_cc(client, "agent-max-no-answer")
    add_agent(client, "1003")
    wait_cc(client, "bridge-agent-fail", CC_Hangup_Cause="USER_NOT_REGISTERED")
    wait_cc(client, "member-queue-end", CC_Cancel_Reason="TIMEOUT")
    config.stop()
    out: dict[str, Event] = {}
    for e in client.events():
        if e.get("Event-Subclass") == "callcenter::info":
            out.setdefault(kind(e), e)
    return out


def test_the_run_has_every_event_freeswitch_sent(real, simulated):
    assert set(real) - {"agent-uuid-get"} <= set(simulated)


@pytest.mark.parametrize(
    "action",
    [
        "agent-add",
        "agent-contact-change",
        "agent-status-change",
        "agent-state-change",
        "agent-status-get",
        "agent-state-get",
        "members-count",
        "agent-offering",
        "bridge-agent-fail",
        "agent-max-no-answer",
    ],
)
def test_an_event_without_a_channel_has_freeswitchs_headers_in_its_order(real, simulated, action):
    assert names(simulated[action]) == names(real[action])


@pytest.mark.parametrize(
    "action",
    [
        "member-queue-start",
        "member-queue-end(Cancel)",
        "bridge-agent-start",
        "bridge-agent-end",
        "member-queue-end(Terminated)",
    ],
)
def test_an_event_with_a_channels_data_has_its_cc_headers_in_order_and_the_channels_headers(real, simulated, action):
    ours, theirs = names(simulated[action]), names(real[action])
    cc = [n for n in theirs if n.startswith("CC-")]
    assert ours[:14] == theirs[:14]  # Event-Subclass ... Event-Sequence
    assert [n for n in ours if n.startswith("CC-")] == cc and ours[-len(cc) :] == cc
    missing = {n for n in theirs if not n.startswith("Other-")} - set(ours)
    assert missing <= KNOWN_MISSING and set(ours) <= set(theirs) | {"Hangup-Cause"}
    assert [n for n in ours if n in theirs] == [n for n in theirs if n in ours]  # the same order


def test_an_empty_value_is_no_header(simswitch):
    client = connect(simswitch(scenario()), "CUSTOM callcenter::info")
    api(client, "agent add 1001@autocall callback")
    assert api(client, "agent get uuid 1001@autocall") == "-ERR no reply\n"
    got = client.wait_event("CUSTOM", CC_Action="agent-uuid-get")
    assert "CC-Agent-UUID" not in got.headers and names(got) == names(captured()["agent-uuid-get"])
