"""What the engine keeps of mod_callcenter's events (dialer/engine/callcenter_state.py): each agent's status and
state, each queue's members, who is free for a call, and the pacers to wake. Pure: events in, an injected clock."""

from __future__ import annotations

from dialer.domain.agents import AgentState, LiveUpdate
from dialer.engine.callcenter_state import CallcenterState
from dialer.esl.callcenter import AgentRow

Q = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
NOW = 1_796_310_000.0


class Recorder:
    def __init__(self) -> None:
        self.live: list[tuple[str, LiveUpdate]] = []
        self.agents_woken: list[str] = []
        self.queues_woken: list[str] = []


def tracker(wrap_up: int = 0, retry_delay: int = 0) -> tuple[CallcenterState, Recorder]:
    seen = Recorder()
    state = CallcenterState(
        write_live=lambda name, update: seen.live.append((name, update)),
        wake_agent=seen.agents_woken.append,
        wake_queue=seen.queues_woken.append,
        wrap_up_of=lambda name: wrap_up,
        retry_delay_s=retry_delay,
        clock=lambda: NOW,
    )
    return state, seen


def cc(action: str, **headers: str) -> dict[str, str]:
    event = {"Event-Name": "CUSTOM", "Event-Subclass": "callcenter::info", "CC-Action": action}
    return {**event, **{k.replace("_", "-"): v for k, v in headers.items()}}


def status(agent: str, value: str) -> dict[str, str]:
    return cc("agent-status-change", CC_Agent=agent, CC_Agent_Status=value)


def state_of(agent: str, value: str) -> dict[str, str]:
    return cc("agent-state-change", CC_Agent=agent, CC_Agent_State=value)


def member(action: str, session: str, **headers: str) -> dict[str, str]:
    return cc(action, CC_Queue=Q, CC_Member_Session_UUID=session, CC_Member_UUID="m-" + session, **headers)


def test_an_agent_available_and_waiting_is_free_and_its_campaigns_pacers_are_woken():
    state, seen = tracker()
    state.on_event(status("1001@autocall", "Available"))
    state.on_event(state_of("1001@autocall", "Waiting"))
    free = state.free_agents(["1001@autocall"], NOW)
    assert (free.free, free.logged_in) == (1, 1)
    assert seen.agents_woken == ["1001@autocall"]  # once: the status alone did not make it free


def test_an_agent_on_break_is_neither_free_nor_logged_in():
    state, _ = tracker()
    state.on_event(state_of("1001@autocall", "Waiting"))
    state.on_event(status("1001@autocall", "On Break"))
    free = state.free_agents(["1001@autocall"], NOW)
    assert (free.free, free.logged_in) == (0, 0)


def test_an_agent_in_wrap_up_is_not_free_until_its_wrap_up_ends_on_the_engines_clock():
    state, _ = tracker(wrap_up=10)
    state.on_event(status("1001@autocall", "Available"))
    ended = str(int(NOW) + 3600)  # FreeSWITCH's clock is an hour ahead: its epoch is not taken
    state.on_event(member("bridge-agent-end", "lead-1", CC_Agent="1001@autocall", CC_Bridge_Terminated_Time=ended))
    state.on_event(state_of("1001@autocall", "Waiting"))  # mod_callcenter: Waiting at once, skipped while wrapping up
    free = state.free_agents(["1001@autocall"], NOW)
    assert (free.free, free.logged_in, free.wrap_up_ends) == (0, 1, (NOW + 10,))
    assert state.free_agents(["1001@autocall"], NOW + 10).free == 1


def test_an_agent_that_let_an_offer_ring_out_is_not_free_until_its_retry_delay_ends():
    state, _ = tracker(retry_delay=30)
    state.on_event(status("1001@autocall", "Available"))
    state.on_event(state_of("1001@autocall", "Waiting"))
    fail = member("bridge-agent-fail", "lead-1", CC_Agent="1001@autocall", CC_Hangup_Cause="NO_ANSWER")
    state.on_event({**fail, "CC-Agent-Aborted-Time": str(int(NOW))})
    assert state.free_agents(["1001@autocall"], NOW).wrap_up_ends == (NOW + 30,)
    assert state.free_agents(["1001@autocall"], NOW + 30).free == 1


def test_an_agent_whose_phone_is_not_registered_is_not_counted_for_a_minute_after_each_failed_offer():
    state, _ = tracker()
    state.on_event(status("1001@autocall", "Available"))
    state.on_event(state_of("1001@autocall", "Waiting"))
    state.on_event(
        member("bridge-agent-fail", "lead-1", CC_Agent="1001@autocall", CC_Hangup_Cause="USER_NOT_REGISTERED")
    )
    gone = state.free_agents(["1001@autocall"], NOW + 5)  # mod_callcenter offers it a lead again from now
    assert (gone.free, gone.logged_in, gone.wrap_up_ends) == (0, 0, ())
    assert state.free_agents(["1001@autocall"], NOW + 60).free == 1


def test_an_unreachable_agent_counts_again_once_it_takes_a_call_or_is_logged_in_again():
    state, _ = tracker()
    state.on_event(status("1001@autocall", "Available"))
    state.on_event(state_of("1001@autocall", "Waiting"))
    state.on_event(status("1002@autocall", "Available"))
    state.on_event(state_of("1002@autocall", "Waiting"))
    for agent in ("1001@autocall", "1002@autocall"):
        state.on_event(member("bridge-agent-fail", "lead-1", CC_Agent=agent, CC_Hangup_Cause="USER_NOT_REGISTERED"))
    state.on_event(member("bridge-agent-start", "lead-2", CC_Agent="1001@autocall", CC_Agent_UUID="a-1"))
    state.on_event(member("bridge-agent-end", "lead-2", CC_Agent="1001@autocall", CC_Agent_UUID="a-1"))
    state.on_event(status("1002@autocall", "Available"))  # the operator logged it in again
    assert state.free_agents(["1001@autocall", "1002@autocall"], NOW + 5).free == 2


def test_members_are_counted_waiting_offered_and_bridged_by_the_leads_channel():
    state, _ = tracker()
    for lead in ("lead-1", "lead-2", "lead-3"):
        state.on_event(member("member-queue-start", lead))
    state.on_event(member("agent-offering", "lead-2", CC_Agent="1001@autocall"))
    state.on_event(member("bridge-agent-start", "lead-3", CC_Agent="1002@autocall", CC_Agent_Answered_Time="1"))
    counts = state.queue_counts(Q)
    assert (counts.waiting, counts.offered, counts.bridged) == (2, 1, 1)
    assert state.joined(Q, ["lead-1"]) and not state.joined(Q, ["lead-9"])


def test_a_member_leaving_wakes_the_queues_pacer_and_its_outcome_is_kept():
    state, seen = tracker()
    state.on_event(member("member-queue-start", "lead-1"))
    state.on_event(member("member-queue-end", "lead-1", CC_Cause="Cancel", CC_Cancel_Reason="TIMEOUT"))
    assert seen.queues_woken == [Q] and state.queue_counts(Q).waiting == 0
    assert state.joined(Q, ["lead-1"]) and not state.talked(["lead-1"])  # left without an agent: abandoned


def test_a_bridged_call_is_written_to_the_agents_live_state():
    state, seen = tracker(wrap_up=10)
    state.on_event(member("member-queue-start", "lead-1"))
    start = member("bridge-agent-start", "lead-1", CC_Agent="1001@autocall", CC_Agent_Answered_Time=str(int(NOW)))
    state.on_event(start)
    end = member(
        "bridge-agent-end",
        "lead-1",
        CC_Agent="1001@autocall",
        CC_Agent_Answered_Time=str(int(NOW)),
        CC_Bridge_Terminated_Time=str(int(NOW) + 42),
        CC_Agent_Bridged="true",
    )
    state.on_event(end)
    assert state.talked(["lead-1"])
    updates = [u for name, u in seen.live if name == "1001@autocall"]
    assert (updates[0].add_calls_answered, updates[0].last_call_uuid) == (1, "lead-1")
    assert updates[1].add_talk_time == 42


def test_an_agents_no_answers_are_counted_but_not_its_busy_or_cancelled_offers():
    state, seen = tracker()
    for cause in ("NO_ANSWER", "USER_BUSY", "ORIGINATOR_CANCEL", "NO_ANSWER"):
        state.on_event(member("bridge-agent-fail", "lead-1", CC_Agent="1001@autocall", CC_Hangup_Cause=cause))
    assert [u.no_answer_count for _, u in seen.live] == [1, 2]


def test_an_older_agent_list_does_not_undo_a_newer_event():
    state, seen = tracker()
    asked_at = state.heard
    state.on_event(status("1001@autocall", "On Break"))  # came after the list was asked for
    taken = state.seed(
        [AgentRow("1001@autocall", status="Available", state="Waiting"), AgentRow("1002@autocall", status="Available")],
        asked_at,
    )
    assert taken == ["1002@autocall"]
    assert state.agents["1001@autocall"].status == "On Break"
    assert seen.live[-1] == ("1002@autocall", LiveUpdate(callcenter_status="Available", no_answer_count=0))


def test_a_seed_is_written_once_however_many_syncs_see_the_same():
    state, seen = tracker()
    rows = [AgentRow("1001@autocall", status="Available", state="Waiting")]
    state.seed(rows, state.heard)
    state.seed(rows, state.heard)
    assert len(seen.live) == 1 and seen.live[0][1].state is AgentState.WAITING


def test_members_are_forgotten_when_the_node_drops():
    state, _ = tracker()
    state.on_event(member("member-queue-start", "lead-1"))
    state.node_down()
    assert state.queue_counts(Q).waiting == 0
