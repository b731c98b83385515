"""mod_callcenter's strategies: which agent a waiting lead is offered to (members_callback's orders)."""

from __future__ import annotations

import pytest

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


@pytest.fixture
def queue(simswitch):
    """``queue(strategy, agents=...)``: a switch serving the campaign's queue with that strategy."""
    servers: list[ConfigServer] = []

    def start(strategy: str, agents=None):
        config = ConfigServer({QUEUE: {**QUEUE_PARAMS, "strategy": strategy, "max-wait-time": "60"}})
        servers.append(config)
        return connect(simswitch(scenario(agents), callcenter=config.settings()), "CUSTOM callcenter::info")

    yield start
    for server in servers:
        server.stop()


def bridged(client, n: int) -> str:
    """The agent the n-th lead was bridged to, once that call ended."""
    uuid = f"00000000-0000-4000-8000-{n:012d}"
    end = wait_cc(client, "bridge-agent-end", CC_Member_Session_UUID=uuid)
    wait_cc(client, "agent-state-change", CC_Agent=end.get("CC-Agent"), CC_Agent_State="Waiting")
    return str(end.get("CC-Agent"))[:4]


def one_after_another(client, leads: int) -> list[str]:
    out = []
    for n in range(1, leads + 1):
        lead(client, n)
        out.append(bridged(client, n))
    return out


def test_round_robin_goes_down_the_positions_then_starts_over(queue):
    client = queue("round-robin", {"default": {"ring": 0.5, "talk": 1}})
    for ext in ("1001", "1002", "1003"):
        add_agent(client, ext)
    assert one_after_another(client, 4) == ["1001", "1002", "1003", "1001"]


def test_top_down_starts_from_the_first_position_for_every_lead(queue):
    client = queue("top-down", {"default": {"ring": 0.5, "talk": 1}})
    for ext in ("1001", "1002", "1003"):
        add_agent(client, ext)
    assert one_after_another(client, 3) == ["1001", "1001", "1001"]


def test_top_down_offers_the_next_position_after_one_did_not_answer(queue):
    client = queue("top-down", {"default": {"ring": 0.5, "talk": 1}, "phones": {"1001": {"answer": 0}}})
    add_agent(client, "1001", contact="[leg_timeout=2]user/1001")
    add_agent(client, "1002")
    lead(client, 1)
    assert wait_cc(client, "bridge-agent-fail").get("CC-Agent") == "1001@autocall"
    assert bridged(client, 1) == "1002"


def test_longest_idle_agent_skips_one_still_in_wrap_up_for_the_other(queue):
    client = queue("longest-idle-agent", {"default": {"ring": 0.5, "talk": 1}})
    add_agent(client, "1001", wrap_up_time=30)
    add_agent(client, "1002")
    assert one_after_another(client, 3) == ["1001", "1002", "1002"]


@pytest.mark.parametrize(
    ("strategy", "third"), [("agent-with-least-talk-time", "1002"), ("longest-idle-agent", "1001")]
)
def test_the_third_lead_goes_to_the_agent_the_strategy_prefers(queue, strategy, third):
    # 1001 talks 6 s from the start; 1002, logged in meanwhile, answers 5 s late and talks 2 s, ending
    # last: the least talk time is 1002's, the longest idle 1001's.
    phones = {"1001": {"talk": 6}, "1002": {"talk": 2, "ring": 5}}
    client = queue(strategy, {"default": {"ring": 0.5}, "phones": phones})
    add_agent(client, "1001")
    add_agent(client, "1002", status="On Break")
    lead(client, 1)
    wait_cc(client, "bridge-agent-start", CC_Agent="1001@autocall")
    api(client, "agent set status 1002@autocall Available")
    lead(client, 2)
    assert sorted([bridged(client, 1), bridged(client, 2)]) == ["1001", "1002"]
    lead(client, 3)
    assert bridged(client, 3) == third


def test_ring_all_rings_every_free_agent_and_the_first_to_answer_takes_the_lead(queue):
    client = queue("ring-all", {"default": {"talk": 1}, "phones": {"1001": {"ring": 3}, "1002": {"ring": 1}}})
    add_agent(client, "1001")
    add_agent(client, "1002")
    lead(client, 1)
    offered = {
        wait_cc(client, "agent-offering", CC_Agent=a).get("CC-Agent") for a in ("1001@autocall", "1002@autocall")
    }
    lost = wait_cc(client, "bridge-agent-fail")
    assert offered == {"1001@autocall", "1002@autocall"}
    assert (lost.get("CC-Agent"), lost.get("CC-Hangup-Cause")) == ("1001@autocall", "LOSE_RACE")
    assert bridged(client, 1) == "1002"
