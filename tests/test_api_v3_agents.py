"""/v3/agent: the agents of autodialer campaigns, and the campaigns' users and groups (issue 19)."""

from __future__ import annotations

import pytest

from dialer.domain.agents import AgentState, LiveUpdate
from dialer.service import agents as agent_service
from tests.api_fixtures import snapshot

UUID = "5f427552-857e-4939-8edf-cbd0f1ef6842"


def create(api, extension: str = "1001", **body) -> str:
    res = api("POST", "/v3/agent", json={"extension": extension, **body})
    assert res.status_code == 200, res.json
    return res.json["agent_uuid"]


def autodialer(api, name: str = "Nhắc nợ", **body):
    return api("POST", "/v3/campaign", json={"campaign_name": name, "type": "autodialer", **body})


# -- create -------------------------------------------------------------------------------------
def test_a_new_agent_is_logged_out_with_mod_callcenters_defaults(api):
    uuid = create(api, name="Chị Lan", groups=["sales"])
    body = api("GET", f"/v3/agent/{uuid}").json
    assert body["status"] == "Logged Out" and (body["wrap_up_time"], body["max_no_answer"]) == (10, 3)
    assert (body["name"], body["groups"], body["contact"]) == ("Chị Lan", ["sales"], "")
    assert (body["callcenter_name"], body["callcenter_contact"]) == ("1001@autocall", "user/1001")


def test_create_keeps_a_client_chosen_uuid_and_refuses_a_taken_one(api, redis_client):
    assert create(api, agent_uuid=UUID.upper()) == UUID
    before = snapshot(redis_client)
    res = api("POST", "/v3/agent", json={"extension": "1002", "agent_uuid": UUID})
    assert res.status_code == 409 and res.json == {"error": "agent_uuid is already taken"}
    assert snapshot(redis_client) == before


def test_an_extension_another_agent_has_is_a_conflict_naming_it(api, redis_client):
    uuid = create(api)
    before = snapshot(redis_client)
    res = api("POST", "/v3/agent", json={"extension": "1001"})
    assert res.status_code == 409 and res.json == {"error": f"extension 1001 is already taken by agent {uuid}"}
    assert snapshot(redis_client) == before


def test_create_without_an_extension_says_it_is_required(api):
    res = api("POST", "/v3/agent", json={"name": "Lan"})
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "extension is required"}]}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"extension": "10 01"}, "extension", "is not an extension"),
        ({"contact": "user/1001 now"}, "contact", "without spaces"),
        ({"contact": "1001"}, "contact", "dial string such as user/1001"),
        ({"status": "Busy"}, "status", 'status must be one of the following: "Logged Out", "Available", "On Break"'),
        ({"wrap_up_time": -1}, "wrap_up_time", "Must be greater than or equal to 0"),
        ({"max_no_answer": 101}, "max_no_answer", "Must be less than or equal to 100"),
        ({"groups": ["sales", ""]}, "groups.1", "String length must be greater than or equal to 1"),
        ({"name": "Lan\x00"}, "name", "control character U+0000"),
        ({"extension": 1001}, "extension", "Invalid type. Expected: string, given: integer"),
    ],
)
def test_a_bad_field_is_refused_by_name_and_nothing_is_written(api, redis_client, body, field, words):
    res = api("POST", "/v3/agent", json={"extension": "1001", **body})
    assert res.status_code == 400
    [error] = res.json["error"]
    assert list(error) == [field] and words in error[field]
    assert snapshot(redis_client) == {}


def test_unknown_fields_are_refused(api):
    res = api("POST", "/v3/agent", json={"extension": "1001", "state": "Waiting"})
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "Additional property state is not allowed"}]}


# -- read ---------------------------------------------------------------------------------------
def test_list_pages_in_creation_order(api):
    uuids = [create(api, f"100{i}") for i in range(3)]
    res = api("GET", "/v3/agent?limit=2&offset=1")
    assert [a["agent_uuid"] for a in res.json["data"]] == uuids[1:] and res.json["total"] == 3


def test_list_filters_by_group_and_by_status(api):
    sales = create(api, "1001", groups=["sales"])
    create(api, "1002", groups=["sales"], status="Available")
    create(api, "1003", groups=["support"])
    res = api("GET", "/v3/agent", query_string="group=sales&status=Logged Out")
    assert [a["agent_uuid"] for a in res.json["data"]] == [sales] and res.json["total"] == 1


def test_list_refuses_an_unknown_status(api):
    res = api("GET", "/v3/agent?status=Busy")
    assert res.status_code == 400 and list(res.json["error"][0]) == ["status"]


@pytest.mark.parametrize("path", [f"/v3/agent/{UUID}", "/v3/agent/1001"])
def test_get_of_an_unknown_agent_or_an_extension_in_place_of_its_uuid_is_not_found(api, path):
    create(api)
    res = api("GET", path)
    assert res.status_code == 404 and res.json == {"error": "Not Found"}


def test_get_shows_what_mod_callcenter_last_said_and_it_cannot_be_written(api, store):
    uuid = create(api)
    store.agents.write_live("1001@autocall", LiveUpdate(state=AgentState.WAITING, add_calls_answered=2))
    body = api("GET", f"/v3/agent/{uuid}").json
    assert (body["live"]["state"], body["live"]["calls_answered"]) == ("Waiting", 2)
    sent_back = {**body, "live": {**body["live"], "state": "Idle", "calls_answered": 0}}
    assert api("PUT", f"/v3/agent/{uuid}", json=sent_back).status_code == 200
    assert api("GET", f"/v3/agent/{uuid}").json["live"] == body["live"]


# -- update, status, delete ---------------------------------------------------------------------
def test_update_changes_only_the_fields_given(api):
    uuid = create(api, name="Lan", groups=["sales"])
    assert api("PUT", f"/v3/agent/{uuid}", json={"wrap_up_time": 30}).json == {"agent_uuid": uuid}
    body = api("GET", f"/v3/agent/{uuid}").json
    assert (body["name"], body["groups"], body["wrap_up_time"]) == ("Lan", ["sales"], 30)


def test_update_with_another_uuid_in_the_body_is_refused(api):
    uuid = create(api)
    res = api("PUT", f"/v3/agent/{uuid}", json={"agent_uuid": UUID})
    assert res.status_code == 400 and res.json == {
        "error": [{"agent_uuid": "agent_uuid in the body differs from the one in the URL"}]
    }


def test_update_to_a_taken_extension_is_a_conflict_and_writes_nothing(api, redis_client):
    create(api, "1001")
    uuid = create(api, "1002")
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/agent/{uuid}", json={"extension": "1001"})
    assert res.status_code == 409 and "extension 1001 is already taken" in res.json["error"]
    assert snapshot(redis_client) == before


def test_update_of_an_unknown_agent_is_not_found_and_creates_nothing(api, redis_client):
    res = api("PUT", f"/v3/agent/{UUID}", json={"name": "x"})
    assert res.status_code == 404 and snapshot(redis_client) == {}


def test_login_makes_the_agent_available_and_logout_logs_it_out(api):
    uuid = create(api)
    res = api("POST", f"/v3/agent/{uuid}/login")
    assert res.status_code == 200 and res.json == {"agent_uuid": uuid, "status": "Available"}
    assert api("GET", f"/v3/agent/{uuid}").json["status"] == "Available"
    assert api("POST", f"/v3/agent/{uuid}/logout", json={}).json == {"agent_uuid": uuid, "status": "Logged Out"}


def test_a_break_is_a_status(api):
    uuid = create(api, status="Available")
    res = api("PUT", f"/v3/agent/{uuid}/status", json={"status": "On Break"})
    assert res.json == {"agent_uuid": uuid, "status": "On Break"}
    assert api("GET", "/v3/agent?status=On Break").json["total"] == 1


def test_a_status_action_on_an_unknown_agent_is_not_found(api):
    assert api("POST", f"/v3/agent/{UUID}/login").status_code == 404


def test_every_write_tells_the_engines_by_the_version(api, store):
    uuid = create(api)
    api("POST", f"/v3/agent/{uuid}/login")
    api("PUT", f"/v3/agent/{uuid}", json={"name": "Lan"})
    api("DELETE", f"/v3/agent/{uuid}")
    assert store.agents.version() == 4


def test_delete_answers_the_uuid_and_frees_the_extension(api):
    uuid = create(api)
    assert api("DELETE", f"/v3/agent/{uuid}").json == {"agent_uuid": uuid}
    assert api("GET", f"/v3/agent/{uuid}").status_code == 404
    create(api, "1001")


# -- campaigns' users and groups ---------------------------------------------------------------
def test_an_autodialer_campaign_names_agents_by_extension_or_uuid_and_groups_by_name(api, services):
    first = create(api, "1001")
    second = create(api, "1002")
    create(api, "1003", groups=["sales"])
    res = autodialer(api, users=[1001, second.upper()], groups=["sales", "nobody yet"])
    assert res.status_code == 200, res.json
    campaign = services.store.campaigns.get(res.json["campaign_uuid"])
    resolved = agent_service.agents_for_campaign(services, campaign)
    assert [a.extension for a in resolved.agents] == ["1001", "1002", "1003"] and resolved.missing_users == []
    assert resolved.agents[0].agent_uuid == first


def test_a_campaign_naming_a_user_no_agent_has_is_refused_and_nothing_written(api, redis_client):
    create(api, "1001")
    before = snapshot(redis_client)
    res = autodialer(api, users=["1001", "1009", True])
    assert res.status_code == 400
    assert res.json == {
        "error": [
            {"users.1": 'no agent has the extension or agent_uuid "1009": create the agent first (POST /v3/agent)'},
            {"users.2": "a user is an agent's extension (a string or an integer) or its agent_uuid"},
        ]
    }
    assert snapshot(redis_client) == before


def test_a_group_must_be_a_name(api):
    res = autodialer(api, groups=[7])
    assert res.status_code == 400 and list(res.json["error"][0]) == ["groups.0"]


def test_an_update_naming_an_unknown_user_is_refused(api):
    campaign = autodialer(api).json["campaign_uuid"]
    res = api(
        "PUT", f"/v3/campaign/{campaign}", json={"campaign_name": "Nhắc nợ", "type": "autodialer", "users": ["1009"]}
    )
    assert res.status_code == 400 and list(res.json["error"][0]) == ["users.0"]


def test_other_campaign_types_keep_users_and_groups_as_sent(api):
    res = api(
        "POST", "/v3/campaign", json={"campaign_name": "otp", "type": "autocall", "users": ["x y"], "groups": [1]}
    )
    assert res.status_code == 200


def test_an_agent_a_campaign_names_is_not_deleted(api):
    uuid = create(api)
    autodialer(api, users=["1001"])
    res = api("DELETE", f"/v3/agent/{uuid}")
    assert res.status_code == 409
    assert res.json == {"error": "agent is named in the users of campaign Nhắc nợ: remove it there first"}


def test_the_extension_a_campaign_names_the_agent_by_cannot_change(api):
    uuid = create(api)
    autodialer(api, users=["1001"])
    res = api("PUT", f"/v3/agent/{uuid}", json={"extension": "2001"})
    assert res.status_code == 409 and "the users of campaign Nhắc nợ name the agent by it" in res.json["error"]


def test_an_agent_only_in_a_campaigns_group_may_be_deleted(api):
    uuid = create(api, groups=["sales"])
    autodialer(api, groups=["sales"])
    assert api("DELETE", f"/v3/agent/{uuid}").status_code == 200
