"""``callcenter_config`` commands and their replies (dialer/esl/callcenter.py).

The replies are FreeSWITCH 1.10.12's own texts: quoted from mod_callcenter.c's
``cc_config_api_function`` (each test says which), and from the real captures of
tests/captures/batch5 where those show them.
"""

from __future__ import annotations

import pytest

from dialer.esl import callcenter as cc
from dialer.esl.callcenter import AgentRow, BadArgument, CallcenterError, TierRow

QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
AGENT = "1001@autocall"


# -- the commands ----------------------------------------------------------------------------------
def test_agent_add_is_a_callback_agent():
    assert cc.agent_add(AGENT) == "callcenter_config agent add 1001@autocall callback"


def test_agent_set_contact_sends_the_dial_string_as_one_argument():
    assert (
        cc.agent_set_contact(AGENT, "{originate_timeout=20}user/1001")
        == "callcenter_config agent set contact 1001@autocall {originate_timeout=20}user/1001"
    )


def test_a_status_with_a_space_is_sent_in_single_quotes():
    # switch_separate_string groups the words between single quotes and strips the quotes
    assert cc.agent_set_status(AGENT, "On Break") == "callcenter_config agent set status 1001@autocall 'On Break'"


def test_a_one_word_status_is_sent_bare():
    assert cc.agent_set_status(AGENT, "Available") == "callcenter_config agent set status 1001@autocall Available"


@pytest.mark.parametrize(
    "key", ["max_no_answer", "wrap_up_time", "reject_delay_time", "busy_delay_time", "no_answer_delay_time"]
)
def test_each_numeric_agent_setting_is_sent_by_its_own_key(key):
    assert cc.agent_set_number(key, AGENT, 10) == f"callcenter_config agent set {key} 1001@autocall 10"


def test_agent_del_and_list():
    assert cc.agent_del(AGENT) == "callcenter_config agent del 1001@autocall"
    assert cc.agent_list() == "callcenter_config agent list"
    assert cc.agent_list(AGENT) == "callcenter_config agent list 1001@autocall"


def test_tier_add_names_queue_agent_level_and_position():
    assert cc.tier_add(QUEUE, AGENT, 2, 3) == f"callcenter_config tier add {QUEUE} 1001@autocall 2 3"


def test_tier_set_state_puts_the_key_first_then_queue_agent_value():
    assert (
        cc.tier_set_state(QUEUE, AGENT, "No Answer")
        == f"callcenter_config tier set state {QUEUE} 1001@autocall 'No Answer'"
    )


def test_tier_del_and_list():
    assert cc.tier_del(QUEUE, AGENT) == f"callcenter_config tier del {QUEUE} 1001@autocall"
    assert cc.tier_list() == "callcenter_config tier list"


def test_queue_load_reload_unload():
    assert cc.queue_load(QUEUE) == f"callcenter_config queue load {QUEUE}"
    assert cc.queue_reload(QUEUE) == f"callcenter_config queue reload {QUEUE}"
    assert cc.queue_unload(QUEUE) == f"callcenter_config queue unload {QUEUE}"


def test_queue_list_agents_may_filter_by_status_and_state():
    assert cc.queue_list_agents(QUEUE) == f"callcenter_config queue list agents {QUEUE}"
    assert (
        cc.queue_list_agents(QUEUE, "Available", "Waiting")
        == f"callcenter_config queue list agents {QUEUE} Available Waiting"
    )


# -- what is refused before it is sent --------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["10 01@autocall", "1001\n@autocall", "1001'@autocall", "1001\\@autocall", "", "x" * 256, "1001@autocall\r"],
    ids=["space", "newline", "quote", "backslash", "empty", "too-long", "carriage-return"],
)
def test_a_name_that_would_split_or_end_the_api_line_is_refused(name):
    with pytest.raises(BadArgument, match="cannot be a mod_callcenter name"):
        cc.agent_add(name)


def test_a_bad_queue_name_is_refused_naming_it_a_queue():
    with pytest.raises(BadArgument, match=r"^queue 'q 1'"):
        cc.queue_load("q 1")


@pytest.mark.parametrize("contact", ["user/1001 x", "user/'1001'", "user/10\\01", "user/1001\n", ""])
def test_a_contact_with_a_space_quote_backslash_or_line_break_is_refused(contact):
    with pytest.raises(BadArgument, match="contact"):
        cc.agent_set_contact(AGENT, contact)


def test_a_status_mod_callcenter_does_not_know_is_refused_listing_its_own():
    # cc_agent_str2status maps it to Unknown: "-ERR Invalid Agent Status!"
    with pytest.raises(BadArgument, match="'Busy' is not one of mod_callcenter's: Logged Out, Available"):
        cc.agent_set_status(AGENT, "Busy")


@pytest.mark.parametrize("value", [-1, 2**31, True, "10", 1.5])
def test_a_numeric_setting_must_be_a_whole_number_in_a_c_int(value):
    with pytest.raises(BadArgument, match="wrap_up_time must be a whole number"):
        cc.agent_set_number("wrap_up_time", AGENT, value)


def test_an_agent_setting_not_in_the_list_is_refused():
    with pytest.raises(BadArgument, match="'state' is not one of max_no_answer"):
        cc.agent_set_number("state", AGENT, 1)


def test_a_tier_state_mod_callcenter_does_not_know_is_refused():
    with pytest.raises(BadArgument, match="tier state 'Busy'"):
        cc.tier_set_state(QUEUE, AGENT, "Busy")


def test_queue_list_agents_by_state_needs_a_status():
    with pytest.raises(BadArgument, match="only together with a status"):
        cc.queue_list_agents(QUEUE, state="Waiting")


# -- the replies ------------------------------------------------------------------------------------
def test_ok_is_success():
    cc.expect_ok("+OK\n")  # stream->write_function(stream, "%s", "+OK\n")


def test_err_raises_with_freeswitchs_reason():
    with pytest.raises(CallcenterError) as caught:
        cc.expect_ok("-ERR Agent type invalid!\n", "callcenter_config agent add a b")
    assert caught.value.reason == "Agent type invalid!"
    assert str(caught.value) == "'callcenter_config agent add a b' failed: Agent type invalid!"


def test_an_agent_or_tier_already_there_is_told_apart():
    for text in ("-ERR Agent already exist!\n", "-ERR Tier already exist!\n"):
        with pytest.raises(CallcenterError) as caught:
            cc.expect_ok(text)
        assert caught.value.exists and not caught.value.missing


def test_no_such_agent_or_queue_is_told_apart():
    for text in ("-ERR Agent not found!\n", "-ERR Queue not found!\n", "-ERR Invalid Queue not found!\n"):
        with pytest.raises(CallcenterError) as caught:
            cc.expect_ok(text)
        assert caught.value.missing and not caught.value.exists


def test_an_action_callcenter_config_does_not_know_is_an_error():
    # it writes nothing ("goto done"), and mod_event_socket answers so (cc-config: `callcenter_config foo bar`)
    with pytest.raises(CallcenterError) as caught:
        cc.expect_ok("-ERR no reply\n")
    assert caught.value.reason == "no reply"


def test_an_empty_answer_is_an_error():
    with pytest.raises(CallcenterError, match="no answer"):
        cc.expect_ok("")


def test_the_api_layer_refusing_the_command_is_an_error():
    with pytest.raises(CallcenterError) as caught:
        cc.expect_ok("-ERR callcenter_config Command not found!\n")
    assert caught.value.reason == "callcenter_config Command not found!"


def test_a_table_where_ok_was_expected_is_an_error():
    with pytest.raises(CallcenterError, match="unexpected answer"):
        cc.expect_ok("queue|agent|state|level|position\n+OK\n")


# `tier list` in tests/captures/batch5/cc-setup.summary.txt (list_result_callback: the SQL column names joined
# by '|', then each row, then "+OK")
TIERS = (
    "queue|agent|state|level|position\n"
    "5a1e0c1d-0b5e-4c55-9a41-000000000005|1002@autocall|Ready|1|1\n"
    "5a1e0c1d-0b5e-4c55-9a41-000000000005|1001@autocall|Ready|1|2\n"
    "5a1e0c1d-0b5e-4c55-9a41-000000000005|1003@autocall|Ready|1|3\n+OK\n"
)
# The agents table's columns (agents_sql), as `agent list` prints them (cc-config); uuid is NULL until a bridge.
AGENTS_HEADER = (
    "name|instance_id|uuid|type|contact|status|state|max_no_answer|wrap_up_time|reject_delay_time|"
    "busy_delay_time|no_answer_delay_time|last_bridge_start|last_bridge_end|last_offered_call|"
    "last_status_change|no_answer_count|calls_answered|talk_time|ready_time|external_calls_count"
)


def test_a_tier_list_reads_as_rows():
    assert cc.parse_tiers(TIERS) == [
        TierRow(QUEUE, "1002@autocall", "Ready", 1, 1),
        TierRow(QUEUE, "1001@autocall", "Ready", 1, 2),
        TierRow(QUEUE, "1003@autocall", "Ready", 1, 3),
    ]


def test_a_list_with_no_row_is_only_ok():
    # no row: list_result_callback never runs, so not even the header is printed (cc-config: `agent list` after
    # `agent del`; `queue list agents no-such-queue`)
    assert cc.parse_agents("+OK\n") == []


def test_an_agent_list_reads_its_columns_by_name_with_null_as_empty():
    # cc-config: `agent list` after agent add, set contact, status, max_no_answer, wrap_up_time, *_delay_time
    row = "1001@autocall|single_box||callback|user/1001|On Break|Waiting|3|2|5|5|5|0|0|0|1796309683|0|0|0|0|0"
    (agent,) = cc.parse_agents(f"{AGENTS_HEADER}\n{row}\n+OK\n")
    assert agent == AgentRow(
        name="1001@autocall",
        type="callback",
        contact="user/1001",
        status="On Break",
        state="Waiting",
        max_no_answer=3,
        wrap_up_time=2,
        reject_delay_time=5,
        busy_delay_time=5,
        no_answer_delay_time=5,
        last_status_change=1796309683,
    )


def test_queue_list_agents_reads_as_agents():
    # cc-setup: `queue list agents <queue>` (SELECT agents.* ... tiers): a contact with a leg variable
    rows = (
        "1002@autocall|single_box||callback|[leg_timeout=3]user/1002|Logged Out|Waiting|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
        "1001@autocall|single_box||callback|user/1001|Logged Out|Waiting|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
    )
    agents = cc.parse_agents(f"{AGENTS_HEADER}\n{rows}+OK\n")
    assert [(a.name, a.contact, a.status) for a in agents] == [
        ("1002@autocall", "[leg_timeout=3]user/1002", "Logged Out"),
        ("1001@autocall", "user/1001", "Logged Out"),
    ]


def test_a_contact_holding_a_pipe_keeps_its_row_whole():
    row = "1001@autocall|single_box||callback|user/1001|user/1002|Available|Waiting|0|0|0|0|0|0|0|0|0|0|0|0|0|0"
    (agent,) = cc.parse_agents(f"{AGENTS_HEADER}\n{row}\n+OK\n")
    assert (agent.contact, agent.status, agent.external_calls_count) == ("user/1001|user/1002", "Available", 0)


def test_a_row_that_does_not_fit_its_header_is_an_error():
    with pytest.raises(CallcenterError, match="a row of 6 cells under a header of 5"):
        cc.parse_tiers(f"queue|agent|state|level|position\n{QUEUE}|a|b|Ready|1|1\n+OK\n")


def test_a_column_this_version_does_not_know_is_ignored():
    assert cc.parse_tiers("queue|agent|state|level|position|extra\nq|a|Ready|1|1|x\n+OK\n") == [
        TierRow("q", "a", "Ready", 1, 1)
    ]


def test_a_list_answering_err_raises():
    with pytest.raises(CallcenterError, match="Invalid!"):
        cc.parse_agents("-ERR Invalid!\n")


def test_the_strategies_are_mod_callcenters():
    # members_callback's names; any other silently falls back to level, position, last offered call
    assert "longest-idle-agent" in cc.STRATEGIES and "ring-all" in cc.STRATEGIES and len(cc.STRATEGIES) == 9
