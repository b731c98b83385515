"""Agents in Redis (dialer/store/agents.py): unique extensions, the version engines sync by, the live
state the engine writes by mod_callcenter's agent name, a campaign's users and groups resolved (issue 19)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dialer.domain.agents import (
    Agent,
    AgentState,
    AgentStatus,
    LiveUpdate,
    callcenter_name,
    campaign_groups,
    campaign_users,
    contact_of,
    extension_of,
    user_problem,
)
from dialer.domain.enums import CampaignType
from dialer.store.errors import AgentTaken, NamedByCampaigns
from tests.api_fixtures import snapshot
from tests.factories import campaign

UUID = "5f427552-857e-4939-8edf-cbd0f1ef6842"


def agent(store, extension: str = "1001", **fields) -> Agent:
    new = Agent(extension=extension, **fields)
    store.agents.create(new, now_ms=1_000)
    return new


def autodialer(store, users=None, groups=None, **fields):
    return campaign(store, type=CampaignType.AUTODIALER, users=users, groups=groups, **fields)


# -- the domain ---------------------------------------------------------------------------------
def test_mod_callcenter_knows_an_agent_as_its_extension_at_autocall():
    a = Agent(extension="1001")
    assert callcenter_name(a) == "1001@autocall" and extension_of("1001@autocall") == "1001"


def test_an_agent_name_of_another_domain_is_not_one_of_autocalls():
    assert extension_of("1001@default") is None and extension_of("1001") is None


def test_the_contact_is_the_user_unless_the_agent_names_another_dial_string():
    assert contact_of(Agent(extension="1001")) == "user/1001"
    assert contact_of(Agent(extension="1001", contact="sofia/gateway/gw1/0901234567")) == "sofia/gateway/gw1/0901234567"


@pytest.mark.parametrize("contact", ["user/1001 x", "user/'1001'", "user\\1001", "1001"])
def test_a_contact_mod_callcenter_would_split_or_cannot_dial_is_refused(contact):
    with pytest.raises(ValueError, match="dial string"):
        Agent(extension="1001", contact=contact)


@pytest.mark.parametrize("extension", ["", "10 01", "1001@x", "x" * 33, "lan/1"])
def test_an_extension_freeswitch_could_not_name_a_user_by_is_refused(extension):
    with pytest.raises(ValueError, match="not an extension"):
        Agent(extension=extension)


def test_groups_keep_their_order_and_each_name_once():
    assert Agent(extension="1", groups=["b", "a", "b"]).groups == ["b", "a"]


@pytest.mark.parametrize("user", ["1001", 1001, UUID.upper()])
def test_a_user_is_an_extension_string_or_integer_or_an_agent_uuid(user):
    assert user_problem(user) is None


@pytest.mark.parametrize("user", [True, 1.5, {"extension": "1001"}, "10 01", None])
def test_anything_else_is_not_a_user(user):
    assert user_problem(user)


def test_only_an_autodialer_campaigns_users_and_groups_count(store):
    dialer = autodialer(store, users=[1001, "1001", UUID.upper()], groups=["sales", "sales"])
    other = campaign(store, users=["1001"], groups=["sales"])
    assert campaign_users(dialer) == ["1001", UUID] and campaign_groups(dialer) == ["sales"]
    assert campaign_users(other) == [] and campaign_groups(other) == []


# -- operator writes ----------------------------------------------------------------------------
def test_a_created_agent_is_listed_and_found_by_its_extension(store):
    a = agent(store, name="Lan")
    assert store.agents.all() == [a] and store.agents.by_extension("1001") == a


def test_an_extension_is_unique_and_a_refused_create_writes_nothing(store, redis_client):
    first = agent(store)
    before = snapshot(redis_client)
    with pytest.raises(AgentTaken) as refused:
        store.agents.create(Agent(extension="1001"), now_ms=2_000)
    assert (refused.value.field, refused.value.holder) == ("extension", first.agent_uuid)
    assert snapshot(redis_client) == before


def test_a_taken_agent_uuid_is_refused(store):
    agent(store, agent_uuid=UUID)
    with pytest.raises(AgentTaken) as refused:
        store.agents.create(Agent(agent_uuid=UUID, extension="1002"), now_ms=2_000)
    assert refused.value.field == "agent_uuid"


def test_every_operator_write_adds_one_to_the_version(store):
    assert store.agents.version() == 0
    a = agent(store)
    store.agents.rewrite(a.agent_uuid, lambda cur: cur.model_copy(update={"status": AgentStatus.AVAILABLE}))
    store.agents.delete(a.agent_uuid)
    assert store.agents.version() == 3


def test_the_roster_is_every_agent_with_the_version_read_before_them(store):
    a, b = agent(store, "1001"), agent(store, "1002")
    roster = store.agents.roster()
    assert roster.version == 2 and roster.agents == [a, b]


def test_a_write_tells_the_engines_on_the_events_channel(store, redis_client):
    pubsub = redis_client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(store.keys.events)
    try:
        agent(store)
        message = pubsub.get_message(timeout=5)
        while message is None:
            message = pubsub.get_message(timeout=5)
        assert message["data"] == "agents"
    finally:
        pubsub.close()


def test_a_new_extension_moves_the_index(store):
    a = agent(store)
    store.agents.rewrite(a.agent_uuid, lambda cur: cur.model_copy(update={"extension": "2001"}))
    assert store.agents.by_extension("1001") is None and store.agents.by_extension("2001").agent_uuid == a.agent_uuid


def test_a_rewrite_to_an_extension_another_agent_took_meanwhile_is_refused(store, monkeypatch):
    a = agent(store)
    real = store.agents.campaigns.get_many

    def racing(uuids):  # read after the extension was found free: another client takes it now
        if store.agents.by_extension("2001") is None:
            agent(store, "2001")
        return real(uuids)

    monkeypatch.setattr(store.agents.campaigns, "get_many", racing)
    with pytest.raises(AgentTaken):
        store.agents.rewrite(a.agent_uuid, lambda cur: cur.model_copy(update={"extension": "2001"}))
    assert store.agents.get(a.agent_uuid).extension == "1001"


def test_a_rewrite_of_a_missing_agent_creates_nothing(store):
    with pytest.raises(KeyError):
        store.agents.rewrite(UUID, lambda cur: cur)
    assert store.agents.get(UUID) is None and store.agents.version() == 0


def test_delete_removes_the_agent_its_extension_and_its_live_state(store, redis_client):
    a = agent(store)
    store.agents.write_live("1001@autocall", LiveUpdate(state=AgentState.WAITING))
    store.agents.delete(a.agent_uuid)
    assert redis_client.keys("*") == [store.keys.agents_version]


def test_an_agent_a_campaign_names_in_users_is_not_deleted(store):
    a = agent(store)
    autodialer(store, users=[1001], campaign_name="Nhắc nợ")
    with pytest.raises(NamedByCampaigns) as refused:
        store.agents.delete(a.agent_uuid)
    assert refused.value.campaign_names == ["Nhắc nợ"] and store.agents.get(a.agent_uuid) == a


def test_a_campaign_naming_the_agent_while_it_is_deleted_keeps_it(store, monkeypatch):
    a = agent(store)
    c = autodialer(store, users=[])
    real = store.agents.campaigns.get_many
    raced = []

    def racing(uuids):
        read = real(uuids)
        if not raced:  # another client names the agent once the campaigns were read
            raced.append(1)
            store.campaigns.update(c.campaign_uuid, {"users": '["1001"]'})
        return read

    monkeypatch.setattr(store.agents.campaigns, "get_many", racing)
    with pytest.raises(NamedByCampaigns):
        store.agents.delete(a.agent_uuid)
    assert store.agents.get(a.agent_uuid) is not None


def test_another_campaign_types_users_do_not_hold_an_agent(store):
    a = agent(store)
    campaign(store, users=["1001"])
    store.agents.delete(a.agent_uuid)
    assert store.agents.get(a.agent_uuid) is None


def test_the_extension_a_campaign_names_cannot_change_but_its_uuid_keeps_it_free_to(store):
    a, b = agent(store, "1001"), agent(store, "1002")
    autodialer(store, users=["1001", b.agent_uuid])
    with pytest.raises(NamedByCampaigns):
        store.agents.rewrite(a.agent_uuid, lambda cur: cur.model_copy(update={"extension": "2001"}))
    store.agents.rewrite(b.agent_uuid, lambda cur: cur.model_copy(update={"extension": "2002"}))
    assert store.agents.by_extension("2002").agent_uuid == b.agent_uuid


# -- live state ----------------------------------------------------------------------------------
def test_the_engine_writes_live_state_by_callcenter_name_and_counts_calls(store):
    a = agent(store)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    live = LiveUpdate(state=AgentState.IN_A_QUEUE_CALL, state_changed_at=at, last_call_uuid="c1", add_calls_answered=1)
    assert store.agents.write_live("1001@autocall", live) == a.agent_uuid
    store.agents.write_live("1001@autocall", LiveUpdate(add_calls_answered=1, add_talk_time=42))
    got = store.agents.live(a.agent_uuid)
    assert (got.state, got.state_changed_at, got.last_call_uuid) == (AgentState.IN_A_QUEUE_CALL, at, "c1")
    assert (got.calls_answered, got.talk_time) == (2, 42)


def test_live_state_never_changes_what_the_operator_wrote_nor_the_version(store):
    a = agent(store, status=AgentStatus.AVAILABLE)
    store.agents.write_live("1001@autocall", LiveUpdate(callcenter_status="On Break", no_answer_count=3))
    assert store.agents.get(a.agent_uuid) == a and store.agents.version() == 1
    assert store.agents.live(a.agent_uuid).callcenter_status == "On Break"


@pytest.mark.parametrize("name", ["1009@autocall", "1001@default", "nobody"])
def test_live_state_of_an_agent_autocall_does_not_have_is_not_written(store, redis_client, name):
    agent(store)
    before = snapshot(redis_client)
    assert store.agents.write_live(name, LiveUpdate(state=AgentState.WAITING)) is None
    assert snapshot(redis_client) == before


def test_a_new_extension_forgets_the_live_state_of_the_old_name(store):
    a = agent(store)
    store.agents.write_live("1001@autocall", LiveUpdate(state=AgentState.WAITING, add_calls_answered=1))
    store.agents.rewrite(a.agent_uuid, lambda cur: cur.model_copy(update={"extension": "2001"}))
    assert store.agents.live(a.agent_uuid).state is None and store.agents.live(a.agent_uuid).calls_answered == 0


# -- a campaign's agents -------------------------------------------------------------------------
def test_users_and_groups_resolve_to_agents_in_creation_order_each_once(store):
    a = agent(store, "1001", groups=["sales"])
    b = agent(store, "1002")
    c = agent(store, "1003", groups=["sales", "vip"])
    agent(store, "1004", groups=["support"])
    resolved = store.agents.resolve([c.agent_uuid, "1002", "1001"], ["sales"])
    assert resolved.agents == [a, b, c] and resolved.missing_users == []


def test_a_user_naming_no_agent_is_reported_missing(store):
    a = agent(store, "1001")
    resolved = store.agents.resolve(["1001", "1009", UUID], [])
    assert resolved.agents == [a] and resolved.missing_users == ["1009", UUID]


def test_a_group_no_agent_is_in_resolves_to_nobody(store):
    agent(store, "1001", groups=["sales"])
    assert store.agents.resolve([], ["Sales"]).agents == []
