"""The sync pushes autocall's agents, tiers and queues into mod_callcenter on the autodialer node
(dialer/engine/callcenter_sync.py): on each new connection, when the agents' version moves, when an
autodialer campaign starts; it never re-pushes a status the operator did not set. Real Redis; the node's
``api`` path is a fake holding a small mod_callcenter (tests/callcenter_fake.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import gevent
import pytest

from dialer.domain.agents import Agent, AgentStatus
from dialer.engine.agent_roster import AgentRoster
from dialer.engine.callcenter_plan import QueueWant
from dialer.engine.callcenter_state import CallcenterState
from dialer.engine.callcenter_sync import CallcenterSync
from tests.callcenter_fake import FakeCallcenter, FakeNode
from tests.engine_fixtures import wait_until

Q = "5a1e0c1d-0b5e-4c55-9a41-000000000005"


class Harness:
    def __init__(self, store) -> None:
        self.store = store
        self.callcenter = FakeCallcenter()
        self.node = FakeNode(self.callcenter)
        self.queues: list[QueueWant] = []
        self.syncs: list[gevent.Greenlet] = []
        self.sync = self.new_sync()

    def new_sync(self) -> CallcenterSync:
        """A sync as a (re)started engine has it: nothing in memory."""
        state = CallcenterState(
            write_live=lambda name, update: None,
            wake_agent=lambda name: None,
            wake_queue=lambda queue: None,
            wrap_up_of=lambda name: 0,
        )
        sync = CallcenterSync(
            self.store,
            AgentRoster(self.store),
            state,
            node_name="fs1",
            queues=lambda: (list(self.queues), {q.queue for q in self.queues}),
            every_s=3600,
        )
        self.syncs.append(gevent.spawn(sync.run))
        self.sync = sync
        return sync

    def pass_after(self, action) -> list[str]:
        """Do ``action``, await the pass it kicks, and return the commands that pass sent."""
        passes, sent = self.sync.passes, len(self.callcenter.sent)
        action()
        wait_until(lambda: self.sync.passes > passes)
        return self.callcenter.sent[sent:]

    def connect(self) -> list[str]:
        return self.pass_after(lambda: self.sync.node_up(self.node))

    def agent(self, extension: str, **fields) -> Agent:
        agent = Agent(extension=extension, status_at=datetime(2026, 12, 3, tzinfo=UTC), **fields)
        self.store.agents.create(agent, 1)
        return agent

    def set_status(self, agent: Agent, status: AgentStatus, minute: int) -> None:
        """What the service's login/logout/break write: the status, and when it was set."""
        when = datetime(2026, 12, 3, 0, minute, tzinfo=UTC)
        update = {"status": status, "status_at": when}
        self.store.agents.rewrite(agent.agent_uuid, lambda a: a.model_copy(update=update))


@pytest.fixture
def cc(store):
    harness = Harness(store)
    yield harness
    gevent.killall(harness.syncs)


def test_a_new_connection_to_the_autodialer_node_pushes_every_agent(cc):
    cc.agent("1001", status=AgentStatus.AVAILABLE)
    cc.agent("1002", contact="sofia/gateway/gw1/0901234567")
    sent = cc.connect()
    assert sent[:2] == ["callcenter_config agent list", "callcenter_config tier list"]
    settings = {"max_no_answer": "3", "wrap_up_time": "10"}
    settings |= {"reject_delay_time": "30", "busy_delay_time": "30", "no_answer_delay_time": "30"}
    assert cc.callcenter.agents == {
        "1001@autocall": {"contact": "[leg_timeout=5]user/1001", "status": "Available", "state": "Waiting", **settings},
        "1002@autocall": {
            "contact": "[leg_timeout=5]sofia/gateway/gw1/0901234567",
            "status": "Logged Out",
            "state": "Waiting",
            **settings,
        },
    }


def test_a_pass_with_nothing_changed_sends_only_the_two_lists(cc):
    cc.agent("1001", status=AgentStatus.AVAILABLE)
    cc.connect()
    assert cc.pass_after(cc.sync.kick) == ["callcenter_config agent list", "callcenter_config tier list"]


def test_an_agent_created_since_the_last_pass_is_pushed_at_the_next(cc):
    cc.agent("1001")
    cc.connect()
    cc.agent("1003", status=AgentStatus.ON_BREAK)
    sent = cc.pass_after(cc.sync.kick)  # the engine kicks it when the events channel says "agents"
    assert sent[2:] == [
        "callcenter_config agent add 1003@autocall callback",
        "callcenter_config agent set contact 1003@autocall [leg_timeout=5]user/1003",
        "callcenter_config agent set max_no_answer 1003@autocall 3",
        "callcenter_config agent set wrap_up_time 1003@autocall 10",
        "callcenter_config agent set no_answer_delay_time 1003@autocall 30",
        "callcenter_config agent set busy_delay_time 1003@autocall 30",
        "callcenter_config agent set reject_delay_time 1003@autocall 30",
        "callcenter_config agent set status 1003@autocall 'On Break'",
        "callcenter_config agent list",  # for the new agent's state: mod_callcenter fires no event of it
    ]


def test_a_deleted_agent_is_deleted_from_mod_callcenter(cc):
    gone = cc.agent("1001")
    cc.connect()
    cc.store.agents.delete(gone.agent_uuid)
    assert cc.pass_after(cc.sync.kick)[2:] == ["callcenter_config agent del 1001@autocall"]
    assert cc.store.agents.pushed() == {}


def test_a_started_campaign_gets_its_queue_loaded_and_a_tier_per_agent_that_serves_it(cc):
    cc.agent("1001")
    cc.agent("1002")
    cc.connect()
    cc.queues.append(QueueWant(Q, "longest-idle-agent", ("1001@autocall", "1002@autocall")))
    sent = cc.pass_after(cc.sync.kick)  # the engine kicks it when an autodialer campaign starts
    assert sent[2:] == [
        f"callcenter_config queue load {Q}",
        f"callcenter_config tier add {Q} 1001@autocall 1 1",
        f"callcenter_config tier add {Q} 1002@autocall 1 1",
    ]
    assert cc.sync.tiers == {Q: {"1001@autocall", "1002@autocall"}}


def test_a_break_mod_callcenter_gave_survives_syncs_and_an_engine_restart_until_the_operator_logs_in(cc):
    agent = cc.agent("1001", status=AgentStatus.AVAILABLE)
    cc.connect()
    cc.callcenter.agents["1001@autocall"]["status"] = "On Break"  # max_no_answer calls rang out
    assert cc.pass_after(cc.sync.kick)[2:] == []
    cc.new_sync()  # the engine restarted: it remembers nothing
    assert cc.connect()[2:] == []
    cc.set_status(agent, AgentStatus.AVAILABLE, minute=5)  # the agent logs in again
    assert cc.pass_after(cc.sync.kick)[2:] == ["callcenter_config agent set status 1001@autocall Available"]


def test_a_freeswitch_without_mod_callcenter_is_said_and_nothing_breaks(cc, caplog):
    caplog.set_level(logging.ERROR, logger="autocall.engine")
    cc.agent("1001")
    cc.callcenter.loaded = False
    cc.sync.node_up(cc.node)
    wait_until(lambda: any("is it loaded" in r.getMessage() for r in caplog.records))
    cc.callcenter.loaded = True  # loaded since: the next kick pushes the agents
    cc.pass_after(cc.sync.kick)
    assert "1001@autocall" in cc.callcenter.agents
