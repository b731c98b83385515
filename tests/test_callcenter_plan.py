"""What the sync tells mod_callcenter (dialer/engine/callcenter_plan.py): only what differs from what it holds,
and never a status the operator did not change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dialer.domain.agents import Agent, AgentStatus, status_push
from dialer.engine.callcenter_plan import AgentDefaults, QueueWant, plan
from dialer.esl.callcenter import AgentRow, TierRow

Q = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
LOGIN = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def agent(extension: str = "1001", **fields) -> Agent:
    return Agent(extension=extension, **fields)


def row(name: str = "1001@autocall", **fields) -> AgentRow:
    """An agent as mod_callcenter lists it, as autocall pushed it with its defaults unless told."""
    values = {"contact": f"[leg_timeout=5]user/{name.split('@')[0]}", "status": "Logged Out", "state": "Waiting"}
    delays = {"no_answer_delay_time": 30, "busy_delay_time": 30, "reject_delay_time": 30}
    return AgentRow(name=name, **{**values, "max_no_answer": 3, "wrap_up_time": 10, **delays, **fields})


def texts(p) -> list[str]:
    return [c.text for c in p.commands]


def test_an_agent_mod_callcenter_lacks_is_added_with_its_settings_and_status():
    p = plan([agent(status=AgentStatus.AVAILABLE, contact="sofia/gateway/gw1/0901")], [], [], {}, [], {}, set())
    assert texts(p) == [
        "callcenter_config agent add 1001@autocall callback",
        "callcenter_config agent set contact 1001@autocall [leg_timeout=5]sofia/gateway/gw1/0901",
        "callcenter_config agent set max_no_answer 1001@autocall 3",
        "callcenter_config agent set wrap_up_time 1001@autocall 10",
        "callcenter_config agent set no_answer_delay_time 1001@autocall 30",
        "callcenter_config agent set busy_delay_time 1001@autocall 30",
        "callcenter_config agent set reject_delay_time 1001@autocall 30",
        "callcenter_config agent set status 1001@autocall Available",
    ]
    assert p.pushed == {"1001@autocall": "Available|"}


def test_a_new_agent_logged_out_gets_no_status_command_mod_callcenter_adds_it_so():
    p = plan([agent()], [], [], {}, [], {}, set())
    assert not any("set status" in t for t in texts(p))
    assert p.pushed == {"1001@autocall": "Logged Out|"}


def test_nothing_is_sent_when_mod_callcenter_holds_the_agent_as_written():
    p = plan([agent()], [row()], [], {"1001@autocall": "Logged Out|"}, [], {}, set())
    assert texts(p) == [] and p.pushed == {}


def test_a_break_mod_callcenter_gave_is_not_undone_while_the_operator_set_no_status():
    operator = agent(status=AgentStatus.AVAILABLE, status_at=LOGIN)
    after_no_answers = row(status="On Break")  # max_no_answer rang out
    p = plan([operator], [after_no_answers], [], {"1001@autocall": status_push(operator)}, [], {}, set())
    assert texts(p) == []


def test_a_status_the_operator_set_again_is_pushed_once_even_the_same_one():
    before = agent(status=AgentStatus.AVAILABLE, status_at=LOGIN)
    again = before.model_copy(update={"status_at": LOGIN + timedelta(minutes=5)})  # a login after the break
    p = plan([again], [row(status="On Break")], [], {"1001@autocall": status_push(before)}, [], {}, set())
    assert texts(p) == ["callcenter_config agent set status 1001@autocall Available"]
    assert p.pushed == {"1001@autocall": status_push(again)}


def test_a_changed_contact_and_wrap_up_are_set():
    changed = agent(contact="user/2001", wrap_up_time=30)
    p = plan([changed], [row()], [], {"1001@autocall": "Logged Out|"}, [], {}, set())
    assert texts(p) == [
        "callcenter_config agent set contact 1001@autocall [leg_timeout=5]user/2001",
        "callcenter_config agent set wrap_up_time 1001@autocall 30",
    ]


def test_every_contact_rings_at_most_the_queues_max_wait_unless_the_operator_wrote_its_own_bracket():
    defaults = AgentDefaults(ring_s=8, retry_delay_s=30)
    agents = [agent("1001"), agent("1002", contact="[leg_timeout=20]user/1002")]
    p = plan(agents, [], [], {}, [], {}, set(), defaults)
    contacts = [t for t in texts(p) if "set contact" in t]
    assert contacts == [
        "callcenter_config agent set contact 1001@autocall [leg_timeout=8]user/1001",
        "callcenter_config agent set contact 1002@autocall [leg_timeout=20]user/1002",
    ]


def test_an_agent_deleted_from_autocall_is_deleted_from_mod_callcenter_and_others_are_left_alone():
    rows = [row("1002@autocall"), row("1002@default")]
    p = plan([], rows, [TierRow(Q, "1002@autocall")], {"1002@autocall": "Available|"}, [], {}, set())
    assert texts(p) == ["callcenter_config agent del 1002@autocall"]  # its tiers go with it
    assert p.forgotten == ["1002@autocall"]


def test_a_started_campaigns_queue_is_loaded_and_gets_a_tier_per_agent_that_serves_it():
    want = QueueWant(Q, "longest-idle-agent", ("1001@autocall", "1002@autocall"))
    agents = [agent("1001"), agent("1002")]
    rows = [row("1001@autocall"), row("1002@autocall")]
    pushed = {"1001@autocall": "Logged Out|", "1002@autocall": "Logged Out|"}
    p = plan(agents, rows, [TierRow(Q, "1001@autocall")], pushed, [want], {}, {Q})
    assert texts(p) == [f"callcenter_config queue load {Q}", f"callcenter_config tier add {Q} 1002@autocall 1 1"]
    assert p.tiers == {Q: {"1001@autocall", "1002@autocall"}} and p.loaded == {Q: "longest-idle-agent"}


def test_an_agent_that_no_longer_serves_a_campaign_loses_its_tier():
    want = QueueWant(Q, "", ("1001@autocall",))
    agents = [agent("1001"), agent("1002")]
    rows = [row("1001@autocall"), row("1002@autocall")]
    tiers = [TierRow(Q, "1001@autocall"), TierRow(Q, "1002@autocall"), TierRow(Q, "1003@default")]
    pushed = {"1001@autocall": "Logged Out|", "1002@autocall": "Logged Out|"}
    p = plan(agents, rows, tiers, pushed, [want], {Q: ""}, {Q})
    assert texts(p) == [f"callcenter_config tier del {Q} 1002@autocall"]


def test_a_changed_strategy_reloads_the_queue():
    want = QueueWant(Q, "ring-all", ())
    p = plan([], [], [], {}, [want], {Q: "longest-idle-agent"}, {Q})
    assert texts(p) == [f"callcenter_config queue reload {Q}"]


def test_a_stopped_campaigns_tiers_are_kept_and_a_deleted_ones_go():
    stopped, deleted = "queue-of-a-stopped-campaign", "queue-of-a-deleted-campaign"
    tiers = [TierRow(stopped, "1001@autocall"), TierRow(deleted, "1001@autocall")]
    p = plan([agent()], [row()], tiers, {"1001@autocall": "Logged Out|"}, [], {}, {stopped})
    assert texts(p) == [f"callcenter_config tier del {deleted} 1001@autocall"]
