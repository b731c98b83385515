"""GET → PUT → GET for campaigns, templates and carriers: whatever GET answers, PUT takes back.

A client reads an object, changes what it wants in the body, and sends the whole body back
(the seed's own update example is such a body). Every field GET shows must be accepted;
the fields autocall sets itself are ignored, the ids must be the object's own.
"""

from __future__ import annotations

import pytest

from dialer.domain.models import Carrier
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.seed_examples import examples

V3 = examples("000_808eb0c90d7a3116.txt")
SEED_CARRIER = "a18b400f-d487-4e17-b5e7-eba5fe6fa54f"
MOVES = {"updated_at"}  # the one field a PUT changes by itself


def ok(res) -> dict:
    assert res.status_code == 200, res.text
    return res.json


def without(body: dict, fields: set[str]) -> dict:
    return {k: v for k, v in body.items() if k not in fields}


@pytest.fixture
def template_uuid(api, services) -> str:
    write_wav(services.audio_dir / "nhac_no.wav")
    body = {"template_name": "nhac no", "audio_file": "nhac_no.wav", "text": "Chào {{ ten }}", "otp_repeat": 3}
    return ok(api("POST", "/v3/template", json=body))["template_uuid"]


@pytest.fixture
def carrier_uuid(api) -> str:
    return ok(
        api(
            "POST",
            "/v3/carrier",
            json={
                "carrier_name": "Billing",
                "gateways": {"viettel": "vt", "offnet": "gw"},
                "caller_ids": {"offnet": "02471001000"},
            },
        )
    )["carrier_uuid"]


@pytest.fixture
def campaign_uuid(api, template_uuid, carrier_uuid) -> str:
    """A campaign with every kind of field set away from its default."""
    body = {
        "campaign_name": "Nhắc nợ",
        "type": "autocall",
        "description": "tháng 5",
        "concurrent_call": 4,
        "carrier_uuid": carrier_uuid,
        "template_uuid": template_uuid,
        "recall_times": 2,
        "limit_recall_duration": 3600,
        "schedule_recall": "minute",
        "schedule_recall_duration": 5,
        "callback_url": "https://crm.example/cdr",
        "answer_callback_url": "https://crm.example/answer",
        "mode_call": "serial",
        "network": {"viettel": 2, "mobi": 0, "vina": 1, "tel": 0, "offnet": 0},
        "recall_status": ["busy", "no-answered"],
        "priority_recall": "recall",
        "time_zone": "Asia/Bangkok",
        "schedules": [{"monday_start_time": 28800000000000, "monday_end_time": 75600000000000}],
        "min_recall_duration": 5,
        "webhook_format": "vbot",
        "voicemail_detection": False,
        "dtmf_wait_ms": 1500,
        "orig_campaign_uuid": "",
        "users": [],
        "groups": [],
        "statuses": [],
    }
    return ok(api("POST", "/v3/campaign", json=body))["campaign_uuid"]


# -- campaigns ------------------------------------------------------------------------------
def test_a_campaign_read_with_get_is_accepted_back_by_put_unchanged(api, campaign_uuid):
    path = f"/v3/campaign/{campaign_uuid}"
    before = ok(api("GET", path))
    assert ok(api("PUT", path, json=before)) == {"campaign_uuid": campaign_uuid}
    after = ok(api("GET", path))
    assert without(after, MOVES) == without(before, MOVES)


def test_a_campaign_from_the_list_is_accepted_back_by_put_unchanged(api, campaign_uuid):
    (item,) = ok(api("GET", "/v3/campaign"))["data"]
    assert ok(api("PUT", f"/v3/campaign/{campaign_uuid}", json=item)) == {"campaign_uuid": campaign_uuid}
    (after,) = ok(api("GET", "/v3/campaign"))["data"]
    assert without(after, MOVES) == without(item, MOVES)


def test_fields_autocall_sets_itself_are_ignored_in_a_put(api, campaign_uuid):
    path = f"/v3/campaign/{campaign_uuid}"
    before = ok(api("GET", path))
    stale = {
        **before,
        "created_at": "2023-03-06T16:27:17.784242+07:00",
        "updated_at": "2023-03-06T18:27:35+07:00",
        "template_name": "renamed since",
        "carrier_name": "",
        "domain_name": "old.example",
        "run_id": "r-1",
        "domain_uuid": "b6b796aa-0000-4000-8000-000000000000",
    }
    ok(api("PUT", path, json=stale))
    assert without(ok(api("GET", path)), MOVES) == without(before, MOVES)


def test_a_put_with_another_campaign_id_is_refused_and_writes_nothing(api, redis_client, campaign_uuid):
    path = f"/v3/campaign/{campaign_uuid}"
    body = ok(api("GET", path))
    snap = snapshot(redis_client)
    res = api("PUT", path, json={**body, "campaign_id": body["campaign_id"] + 1, "concurrent_call": 9})
    assert res.status_code == 400
    assert res.json == {
        "error": [{"campaign_id": f"campaign_id cannot be changed: this campaign's is {body['campaign_id']}"}]
    }
    assert snapshot(redis_client) == snap


def test_the_seeds_get_bodies_are_accepted_by_put(api, store):
    """A migrating client sends back what the hosted service's GET gave it (another domain, no campaign_id)."""
    store.catalog.carriers.put(Carrier(carrier_uuid=SEED_CARRIER, carrier_name="Billing", gateways={"offnet": "gw"}))
    one = V3["Get Campaign By Id"].responses[0]
    listed = V3["Get Campaign"].responses[0]["data"][1]
    for seed in (one, listed):
        ok(
            api(
                "POST",
                "/v3/campaign",
                json={
                    "campaign_name": seed["campaign_name"],
                    "type": "autocall",
                    "campaign_uuid": seed["campaign_uuid"],
                },
            )
        )
        path = f"/v3/campaign/{seed['campaign_uuid']}"
        assert ok(api("PUT", path, json=seed)) == {"campaign_uuid": seed["campaign_uuid"]}
        got = ok(api("GET", path))
        assert (got["concurrent_call"], got["carrier_uuid"], got["schedule_recall"], got["hopper"]) == (
            seed["concurrent_call"],
            SEED_CARRIER,
            "after",
            20,
        )


# -- templates ----------------------------------------------------------------------------------
def test_a_template_read_with_get_is_accepted_back_by_put_unchanged(api, template_uuid):
    path = f"/v3/template/{template_uuid}"
    before = ok(api("GET", path))
    assert ok(api("PUT", path, json=before)) == {"template_uuid": template_uuid}
    assert without(ok(api("GET", path)), MOVES) == without(before, MOVES)


def test_a_template_from_the_list_is_accepted_back_by_put_unchanged(api, template_uuid):
    (item,) = ok(api("GET", "/v3/template"))["data"]
    ok(api("PUT", f"/v3/template/{template_uuid}", json=item))
    (after,) = ok(api("GET", "/v3/template"))["data"]
    assert without(after, MOVES) == without(item, MOVES)


def test_a_template_put_with_another_uuid_is_refused_and_writes_nothing(api, redis_client, template_uuid):
    body = ok(api("GET", f"/v3/template/{template_uuid}"))
    snap = snapshot(redis_client)
    res = api("PUT", f"/v3/template/{template_uuid}", json={**body, "template_uuid": SEED_CARRIER})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["template_uuid"]
    assert snapshot(redis_client) == snap


# -- carriers -------------------------------------------------------------------------------------
def test_a_carrier_read_with_get_is_accepted_back_by_put_unchanged(api, carrier_uuid):
    path = f"/v3/carrier/{carrier_uuid}"
    before = ok(api("GET", path))
    assert ok(api("PUT", path, json=before)) == {"carrier_uuid": carrier_uuid}
    assert ok(api("GET", path)) == before


def test_a_carrier_from_the_list_is_accepted_back_by_put_unchanged(api, carrier_uuid):
    (item,) = ok(api("GET", "/v3/carrier"))["data"]
    ok(api("PUT", f"/v3/carrier/{carrier_uuid}", json=item))
    assert ok(api("GET", "/v3/carrier"))["data"] == [item]


def test_a_carrier_put_with_another_uuid_is_refused_and_writes_nothing(api, redis_client, carrier_uuid):
    body = ok(api("GET", f"/v3/carrier/{carrier_uuid}"))
    snap = snapshot(redis_client)
    res = api("PUT", f"/v3/carrier/{carrier_uuid}", json={**body, "carrier_uuid": SEED_CARRIER})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["carrier_uuid"]
    assert snapshot(redis_client) == snap
