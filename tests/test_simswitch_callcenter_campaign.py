"""A campaign's worth of leads through the simulated mod_callcenter: five agents, hundreds of leads
at once (a predictive dialer far over its abandon cap), and FreeSWITCH's promises hold: every answered
lead talks to an agent or hears the abandon message, no agent takes two leads at once, and the agents
end Waiting."""

from __future__ import annotations

from collections import defaultdict

import gevent

from dialer.esl.protocol import parse_event_body
from simswitch import Scenario
from tests.callcenter_fixtures import ABANDON, QUEUE, QUEUE_PARAMS, ConfigServer, add_agent, connect, lead

LEADS = 300


def test_every_answered_lead_reaches_an_agent_or_hears_the_abandon_message(simswitch):
    config = ConfigServer({QUEUE: QUEUE_PARAMS})
    leads = Scenario.model_validate(
        {
            "rules": [
                {"match": "^0913", "sip": 486},
                {"match": "^0915", "no_answer": True},
                {"match": "^0979", "ring": [0.5, 3], "answer": {"talk": [3, 30]}},  # some hang up waiting
            ],
            "agents": {"default": {"ring": [0.5, 2], "talk": [2, 8], "answer": 0.9}},
            "playback_seconds": 2,
        }
    )
    server = simswitch(leads, callcenter=config.settings(), seed=7)
    client = connect(server, "CHANNEL_HANGUP_COMPLETE PLAYBACK_START CUSTOM callcenter::info")
    for ext in ("1001", "1002", "1003", "1004", "1005"):
        add_agent(client, ext, contact=f"[leg_timeout=4]user/{ext}")
    prefixes = ["0979"] * 8 + ["0913", "0915"]
    uuids = {lead(client, n, number=f"{prefixes[n % 10]}{n:06d}") for n in range(1, LEADS + 1)}
    ended: set[str] = set()
    seen = 0
    with gevent.Timeout(60, AssertionError("the leads did not all end")):
        while len(ended) < LEADS:
            gevent.sleep(0.05)
            fresh, seen = client.messages[seen:], len(client.messages)
            done = [parse_event_body(m) for m in fresh if m.is_event]
            ended |= {str(e.get("Unique-ID")) for e in done if e.name == "CHANNEL_HANGUP_COMPLETE"} & uuids
    events = client.events()
    abandon_played = {e.get("Unique-ID") for e in events if e.get("Playback-File-Path") == ABANDON}
    answered = [e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") in uuids]
    answered = [e for e in answered if e.get("variable_cc_queue")]  # joined the queue: answered by a human
    talked = [e for e in answered if e.get("variable_cc_cause") == "answered"]
    gave_up = [e for e in answered if e.get("variable_cc_cancel_reason") == "BREAK_OUT"]  # hung up waiting
    timed_out = [e for e in answered if e.get("variable_cc_cancel_reason") == "TIMEOUT"]
    assert len(talked) + len(gave_up) + len(timed_out) == len(answered) > LEADS / 2
    assert talked and timed_out and gave_up
    assert all(e.get("variable_cc_agent", "").endswith("@autocall") for e in talked)
    assert {e.get("Unique-ID") for e in timed_out} <= abandon_played
    assert not {e.get("Unique-ID") for e in talked + gave_up} & abandon_played
    states: dict[str, list[str]] = defaultdict(list)
    for e in events:
        if e.get("CC-Action") == "agent-state-change":
            states[str(e.get("CC-Agent"))].append(str(e.get("CC-Agent-State")))
    for agent, changes in states.items():
        text = ",".join(changes)  # an offer ends Waiting before the agent is offered another
        assert "Receiving,Receiving" not in text and "In a queue call,Receiving" not in text, agent
        assert changes[-1] == "Waiting", agent
    config.stop()
