"""The engine dials an autodialer campaign for its agents (docs/autodialer.md, "The engine"): on the autodialer
node only, by one engine at a time, never more calls in progress than free agents (progressive), into the
autodialer dialplan with the campaign's queue and abandon message.

Real Redis and the simulator over a real socket for the calls (its leads ring and are never answered here, so
every call stays "dialling"); mod_callcenter is tests/callcenter_fake.py behind the node's api path, its
callcenter::info events handed to the engine as the node's reader would. (tests/test_autodialer_campaign.py
runs whole campaigns on the simulator's own mod_callcenter.)"""

from __future__ import annotations

import pytest

from dialer.domain.agents import Agent, AgentStatus
from dialer.domain.enums import CampaignType
from dialer.engine.engine import Engine
from dialer.esl.node import NodeConfig
from dialer.media import MessageFiles
from simswitch import Scenario
from tests.callcenter_fake import FakeCallcenter, FakeNode
from tests.engine_fixtures import audio_campaign, await_turn, wait_until, write_wav
from tests.factories import leads

Q = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
RINGING = Scenario(rules=[{"match": "^098", "no_answer": True}])  # rings until the campaign's call_timeout


@pytest.fixture
def callcenter() -> FakeCallcenter:
    return FakeCallcenter()


@pytest.fixture
def engines(store, services, simswitch, callcenter):
    started: list[Engine] = []
    server = simswitch(RINGING)

    def start(*extra: NodeConfig, **kw) -> Engine:
        write_wav(services.audio_dir / "hello.wav")
        node = NodeConfig("fs1", *server.address, "ClueCon", sps=1000, max_sessions=1000)
        engine = Engine(store, [node, *extra], MessageFiles(services.audio_dir), default_gateway="gw1", **kw)
        fs1 = engine.nodes[0]
        fs1.api_many = FakeNode(callcenter, fs1.name).api_many  # type: ignore[method-assign]
        callcenter.listeners.append(lambda event: engine._on_event(fs1, event))
        started.append(engine)
        engine.start()
        assert fs1.up.wait(5)
        return engine

    start.server = server  # type: ignore[attr-defined]
    yield start
    for engine in started:
        engine.stop(drain_timeout=0)


def agents(store, count: int, *, group: str = "sales", status=AgentStatus.AVAILABLE, first: int = 1001) -> None:
    for ext in range(first, first + count):
        store.agents.create(Agent(extension=str(ext), groups=[group], status=status), 1)


def autodialer(store, **fields):
    fields = {"groups": ["sales"], "call_center_queue_uuid": Q, "call_timeout": 600, "concurrent_call": 50, **fields}
    camp = audio_campaign(store, type=CampaignType.AUTODIALER, **fields)
    leads(store, camp, 30)
    return camp


def in_flight(engine: Engine, camp) -> int:
    return len(engine.tracker.of_campaign(camp.campaign_uuid))


def test_a_progressive_campaign_never_has_more_calls_in_progress_than_free_agents(store, engines):
    agents(store, 5)
    engine = engines()
    camp = autodialer(store)
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(engine, camp) == 5)
    for _ in range(3):  # turns that would have dialled more, had the agents allowed it
        await_turn(engine, camp.campaign_uuid)
    assert in_flight(engine, camp) == 5 and engines.server.switch.stats.originated == 5
    assert engine.autodialer.pacing.decisions[camp.campaign_uuid].reason == "5 free; 5 dialling, 0 waiting -> 0"


def test_a_sixth_agent_logging_in_gets_one_more_call(store, engines):
    agents(store, 5)
    agents(store, 1, status=AgentStatus.LOGGED_OUT, first=1006)
    engine = engines()
    camp = autodialer(store)
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(engine, camp) == 5)
    sixth = store.agents.by_extension("1006")
    store.agents.rewrite(sixth.agent_uuid, lambda a: a.model_copy(update={"status": AgentStatus.AVAILABLE}))
    wait_until(lambda: in_flight(engine, camp) == 6)  # the agents' version moved: synced, the pacer woken
    await_turn(engine, camp.campaign_uuid)
    assert in_flight(engine, camp) == 6


def test_a_ratio_below_100_dials_that_share_of_the_free_agents(store, engines):
    agents(store, 5)
    engine = engines()
    camp = autodialer(store, ratio=60)
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(engine, camp) == 3)
    await_turn(engine, camp.campaign_uuid)
    assert in_flight(engine, camp) == 3


def test_an_agent_on_break_is_dialled_for_by_no_one(store, engines, callcenter):
    agents(store, 2)
    engine = engines()
    wait_until(lambda: len(callcenter.agents) == 2)
    callcenter.set_agent("1002@autocall", "status", "On Break")  # max_no_answer rang out
    wait_until(lambda: engine.autodialer.state.agents["1002@autocall"].status == "On Break")
    camp = autodialer(store)
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(engine, camp) == 1)
    await_turn(engine, camp.campaign_uuid)
    assert in_flight(engine, camp) == 1


def test_an_autodialer_call_goes_to_the_autodialer_dialplan_with_its_queue_and_abandon_message(
    store, services, engines
):
    agents(store, 1)
    engine = engines()
    camp = autodialer(store)
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: len(engines.server.switch.channels) == 1)
    (channel,) = engines.server.switch.channels.values()
    message = (services.audio_dir / "hello.wav").resolve()
    assert channel.job.arg.endswith(" autodialer XML autodialer")
    assert f"autocall_queue={Q}," in channel.job.arg
    assert f"autocall_abandon_file={message}" in channel.job.arg


def test_a_campaign_whose_groups_name_no_agent_is_held(store, engines):
    engine = engines()
    camp = autodialer(store, groups=["nobody-here"])
    engine.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: engine.holds.held_turns.get(camp.campaign_uuid, 0) > 0)
    assert engine.holds.why(engine.campaigns.context(camp.campaign_uuid))[0].startswith("no agent serves")
    assert engines.server.switch.stats.originated == 0


def test_a_second_engine_does_not_dial_a_campaign_the_first_paces(store, engines):
    agents(store, 5)
    first = engines()
    camp = autodialer(store)
    first.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(first, camp) == 5)
    second = engines()
    second.campaign_changed(camp.campaign_uuid)
    for _ in range(3):
        await_turn(second, camp.campaign_uuid)
    assert in_flight(second, camp) == 0 and engines.server.switch.stats.originated == 5
    assert not second.autodialer.leases.holds(camp.campaign_uuid)


def test_the_second_engine_takes_over_once_the_first_gives_its_lease_up(store, engines):
    agents(store, 2)
    first = engines()
    camp = autodialer(store)
    first.campaign_changed(camp.campaign_uuid)
    wait_until(lambda: in_flight(first, camp) == 2)
    second = engines()
    second.campaign_changed(camp.campaign_uuid)
    await_turn(second, camp.campaign_uuid)
    first.stop(drain_timeout=0)  # gives its lease up; its ringing calls stay with the switch
    wait_until(lambda: second.autodialer.leases.holds(camp.campaign_uuid))


def test_an_autodialer_campaign_is_dialled_only_on_the_autodialer_node(store, engines):
    agents(store, 1)
    elsewhere = NodeConfig("fs2", "127.0.0.1", 1, "ClueCon")  # never connects
    engine = engines(elsewhere, autodialer_node="fs2")
    camp = autodialer(store)
    engine.campaign_changed(camp.campaign_uuid)
    await_turn(engine, camp.campaign_uuid)
    assert engines.server.switch.stats.originated == 0
    assert engine.why_not_dialled(False) == ""  # fs1 takes any other campaign's calls
    assert engine._why_not_dialled(engine.campaigns.context(camp.campaign_uuid)).startswith("fs2: ")


def test_two_campaigns_sharing_their_agents_never_dial_more_than_those_agents_together(store, engines):
    agents(store, 3)
    engine = engines()
    first = autodialer(store)
    second = autodialer(store, call_center_queue_uuid="5a1e0c1d-0b5e-4c55-9a41-000000000006")
    engine.campaign_changed(first.campaign_uuid)
    engine.campaign_changed(second.campaign_uuid)
    wait_until(lambda: in_flight(engine, first) + in_flight(engine, second) == 3)
    for _ in range(3):  # turns of each that would have dialled for the other's agents again
        await_turn(engine, first.campaign_uuid)
        await_turn(engine, second.campaign_uuid)
    assert in_flight(engine, first) + in_flight(engine, second) == 3
    assert engines.server.switch.stats.originated == 3
