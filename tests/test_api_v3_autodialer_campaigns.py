"""An autodialer campaign's mod_callcenter queue through /v3/campaign (dialer/service/campaigns.py):
``call_center_queue_uuid`` filled when left empty, checked when given, and
``call_center_queue_strategy`` one of mod_callcenter's strategies."""

from __future__ import annotations

import re

import pytest

from dialer.domain.enums import CampaignType
from dialer.service import campaigns as campaign_ops
from tests.api_fixtures import snapshot
from tests.factories import campaign

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def create(api, **fields):
    res = api("POST", "/v3/campaign", json={"campaign_name": "Sales", "type": "autodialer", **fields})
    assert res.status_code == 200, res.text
    return res.json["campaign_uuid"]


def queue_of(api, uuid: str) -> str:
    return api("GET", f"/v3/campaign/{uuid}").json["call_center_queue_uuid"]


def test_an_autodialer_campaign_created_without_a_queue_gets_a_new_one(api):
    uuid = create(api)
    queue = queue_of(api, uuid)
    assert UUID.match(queue) and queue != uuid


def test_each_autodialer_campaign_gets_a_queue_of_its_own(api):
    first, second = create(api, campaign_name="A"), create(api, campaign_name="B")
    assert queue_of(api, first) != queue_of(api, second)


def test_a_queue_the_client_names_is_kept(api):
    uuid = create(api, call_center_queue_uuid="sales_q1@autocall")
    assert queue_of(api, uuid) == "sales_q1@autocall"


def test_an_autocall_campaign_keeps_an_empty_queue(api):
    res = api("POST", "/v3/campaign", json={"campaign_name": "Notices", "type": "autocall"})
    assert queue_of(api, res.json["campaign_uuid"]) == ""


def test_a_campaign_updated_to_autodialer_gets_a_queue(api, store):
    uuid = campaign(store, type=CampaignType.AUTOCALL).campaign_uuid
    res = api("PUT", f"/v3/campaign/{uuid}", json={"campaign_name": "Sales", "type": "autodialer"})
    assert res.status_code == 200, res.text
    assert UUID.match(queue_of(api, uuid))


def test_an_update_emptying_the_queue_gets_a_new_one(api):
    uuid = create(api)
    before = queue_of(api, uuid)
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_uuid": ""}
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200
    assert UUID.match(queue_of(api, uuid)) and queue_of(api, uuid) != before


def test_an_update_that_does_not_name_the_queue_keeps_it(api):
    uuid = create(api)
    before = queue_of(api, uuid)
    body = {"campaign_name": "Sales", "type": "autodialer", "description": "x"}
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200
    assert queue_of(api, uuid) == before


def test_a_strategy_mod_callcenter_knows_is_kept(api):
    uuid = create(api, call_center_queue_strategy="ring-all")
    assert api("GET", f"/v3/campaign/{uuid}").json["call_center_queue_strategy"] == "ring-all"


def test_a_strategy_mod_callcenter_does_not_know_is_refused_and_nothing_written(api, redis_client):
    before = snapshot(redis_client)
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_strategy": "longest-idle"}
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 400
    assert res.json == {
        "error": [
            {
                "call_center_queue_strategy": "call_center_queue_strategy 'longest-idle' is not one of "
                "mod_callcenter's: ring-all, ring-progressively, longest-idle-agent, round-robin, top-down, "
                "agent-with-least-talk-time, agent-with-fewest-calls, sequentially-by-agent-order, random"
            }
        ]
    }
    assert snapshot(redis_client) == before


def test_an_update_to_a_bad_strategy_is_refused(api):
    uuid = create(api)
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_strategy": "fastest"}
    res = api("PUT", f"/v3/campaign/{uuid}", json=body)
    assert res.status_code == 400 and "call_center_queue_strategy" in res.json["error"][0]
    assert api("GET", f"/v3/campaign/{uuid}").json["call_center_queue_strategy"] == ""


def test_an_autocall_campaigns_strategy_is_not_checked(api):
    # it names no mod_callcenter queue: the field is only kept
    body = {"campaign_name": "Notices", "type": "autocall", "call_center_queue_strategy": "whatever"}
    assert api("POST", "/v3/campaign", json=body).status_code == 200


@pytest.mark.parametrize(
    "queue", ["sales queue", "q'1", "q\\1", "q\n1"], ids=["space", "quote", "backslash", "newline"]
)
def test_a_queue_name_that_would_break_the_api_line_is_refused(api, queue):
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_uuid": queue}
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 400
    (error,) = res.json["error"]
    assert "cannot be a mod_callcenter name" in error["call_center_queue_uuid"]


def test_an_agent_tests_queue_name_is_refused(api):
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_uuid": "autocall-agent-test-1001"}
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 400
    (error,) = res.json["error"]
    assert "reserved for autocall agent-test" in error["call_center_queue_uuid"]


def test_a_queue_another_autodialer_campaign_holds_is_refused(api):
    holder = create(api, campaign_name="A", call_center_queue_uuid="sales")
    body = {"campaign_name": "B", "type": "autodialer", "call_center_queue_uuid": "sales"}
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 409
    assert res.json == {"error": f"call_center_queue_uuid is already the queue of autodialer campaign {holder}"}


def test_a_campaign_may_repeat_its_own_queue_in_an_update(api):
    uuid = create(api, call_center_queue_uuid="sales")
    body = {"campaign_name": "Sales", "type": "autodialer", "call_center_queue_uuid": "sales"}
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200


def test_a_clone_of_an_autodialer_campaign_gets_a_queue_of_its_own(services, store):
    source = campaign_ops.create(services, {"campaign_name": "Sales", "type": "autodialer"})
    clone = campaign_ops.clone(services, source, "Sales 2")
    assert UUID.match(clone.call_center_queue_uuid)
    assert clone.call_center_queue_uuid != source.call_center_queue_uuid
    assert store.campaigns.get(clone.campaign_uuid).call_center_queue_uuid == clone.call_center_queue_uuid
