"""/v3/campaign and /v1/campaign/{uuid}/run/*: every seed example (000, 001, 002), verbatim."""

from __future__ import annotations

import json
import re

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Carrier, Template
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.factories import campaign
from tests.seed_examples import SEEDS, examples

V3 = examples("000_808eb0c90d7a3116.txt")
RUN = examples("001_1839b865664e4e5a.txt")
SEED_UUID = "c2da23c0-9739-4287-828a-7b15cf0fb19e"
SEED_TEMPLATE = "5f427552-857e-4939-8edf-cbd0f1ef6842"
SEED_CARRIER = "a18b400f-d487-4e17-b5e7-eba5fe6fa54f"


@pytest.fixture
def seed_world(store):
    """The objects the seed's update example refers to."""
    template = Template(template_uuid=SEED_TEMPLATE, template_name="thong_bao_no_cuoc_01", audio_file="a.wav")
    store.catalog.templates.put(template)
    store.catalog.carriers.put(Carrier(carrier_uuid=SEED_CARRIER, carrier_name="Billing", gateways={"offnet": "gw"}))
    return campaign(store, campaign_uuid=SEED_UUID, campaign_name="Old name", status=CampaignStatus.STOP)


def keys_of(value):
    return set(value) if isinstance(value, dict) else set()


# -- create ---------------------------------------------------------------------
def test_create_seed_example_answers_the_seed_shape(api, store):
    ex = V3["Create Campaign Autocall"]
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 200
    assert keys_of(res.json) == keys_of(ex.responses[0]) and res.json["created"] is True
    created = store.campaigns.get(res.json["campaign_uuid"])
    assert created.campaign_name == "VoiceOTP" and created.type_autocall.value == "autocall_voice_tts"


def test_create_with_a_taken_name_answers_the_seed_error(api):
    ex = V3["Create Campaign Autocall"]
    api(ex.method, ex.path, body=ex.data)
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 409 and res.json == ex.errors[0]


def test_create_with_an_unknown_type_answers_the_seed_error(api, redis_client):
    ex = V3["Create Campaign Autocall"]
    before = snapshot(redis_client)
    res = api("POST", "/v3/campaign", body=ex.data.replace('"autocall",', '"robocall",'))
    assert res.status_code == 400 and res.json == ex.errors[1]
    assert snapshot(redis_client) == before


def test_create_sample_data_without_type_says_type_is_required(api):
    res = api("POST", "/v3/campaign", json=V3["Create Campaign Autocall"].samples[0])
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "type is required"}]}


def test_create_without_a_name_says_campaign_name_is_required(api):
    res = api("POST", "/v3/campaign", json={"type": "autocall"})
    assert res.json == {"error": [{"(root)": "campaign_name is required"}]}


def test_create_refers_only_to_existing_templates(api):
    res = api("POST", "/v3/campaign", json={"campaign_name": "x", "type": "autocall", "template_uuid": SEED_TEMPLATE})
    assert res.status_code == 400
    assert res.json == {"error": [{"template_uuid": f"template {SEED_TEMPLATE} does not exist"}]}


def test_a_new_campaign_has_the_defaults_of_the_seeds_freshly_created_ones(api):
    """The seed's "Get Campaign By Id" campaign was never updated (created_at == updated_at): every
    field its create body could not have set shows the service's default. autocall's match, but
    three documented ones (docs/api-v3.md, "Defaults of a new campaign")."""
    seed = V3["Get Campaign By Id"].responses[0]
    assert seed["created_at"] == seed["updated_at"]
    res = api(
        "POST",
        "/v3/campaign",
        json={
            "campaign_name": seed["campaign_name"],
            "type": "autocall",
            "concurrent_call": seed["concurrent_call"],
            "type_autocall": seed["type_autocall"],
        },
    )
    got = api("GET", f"/v3/campaign/{res.json['campaign_uuid']}").json
    own = {"campaign_uuid", "created_at", "updated_at", "carrier_uuid", "carrier_name"}  # this campaign's, not defaults
    differ = {
        "hopper": (20, 0),
        "recall_status": (seed["recall_status"], seed["recall_status"][1:]),
        "schedules": (seed["schedules"], None),
    }
    assert {k: (v, got[k]) for k, v in seed.items() if k not in own and got[k] != v} == differ
    assert seed["recall_status"][0] == "answered"


# -- update ---------------------------------------------------------------------
def test_update_seed_example_answers_the_seed_response(api, store, seed_world):
    ex = V3["Update Campaign"]
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 200 and res.json == ex.responses[0]
    c = store.campaigns.get(SEED_UUID)
    assert c.campaign_name == "AutocallAudio" and c.concurrent_call == 5 and c.recall_times == 3
    assert c.carrier_uuid == SEED_CARRIER and c.template_uuid == SEED_TEMPLATE and len(c.schedules) == 1


def test_update_sample_data_is_accepted_too(api, seed_world):
    ex = V3["Update Campaign"]
    res = api("PUT", ex.path, json=ex.samples[0])
    assert res.status_code == 200 and res.json == ex.responses[0]


def test_update_page_of_seed_002_is_accepted(api, seed_world):
    text = (SEEDS / "002_0fdfb1d08f0f1cd8.txt").read_text()
    body = re.search(r"--data '(.*?)'\n", text, flags=re.S).group(1)
    res = api("PUT", f"/v3/campaign/{SEED_UUID}", body=body)
    assert res.status_code == 200 and res.json == {"campaign_uuid": SEED_UUID}


def test_update_to_a_taken_name_answers_the_seed_error(api, store, seed_world):
    campaign(store, campaign_name="AutocallAudio")
    ex = V3["Update Campaign"]
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 409 and res.json == ex.errors[0]
    assert store.campaigns.get(SEED_UUID).campaign_name == "Old name"


def test_renaming_frees_the_old_name(api, store, seed_world):
    api("PUT", f"/v3/campaign/{SEED_UUID}", json={"campaign_name": "New", "type": "autocall"})
    res = api("POST", "/v3/campaign", json={"campaign_name": "Old name", "type": "autocall"})
    assert res.status_code == 200


def test_update_keeps_the_fields_it_does_not_name(api, store, seed_world):
    api(
        "PUT", f"/v3/campaign/{SEED_UUID}", json={"campaign_name": "Old name", "type": "autocall", "concurrent_call": 9}
    )
    res = api(
        "PUT", f"/v3/campaign/{SEED_UUID}", json={"campaign_name": "Old name", "type": "autocall", "description": "d"}
    )
    assert res.status_code == 200 and store.campaigns.get(SEED_UUID).concurrent_call == 9


def test_update_of_an_unknown_campaign_is_not_found(api):
    res = api("PUT", f"/v3/campaign/{SEED_UUID}", json={"campaign_name": "x", "type": "autocall"})
    assert res.status_code == 404 and res.json == {"error": "Not Found"}


def test_update_with_another_uuid_in_the_body_is_refused(api, seed_world):
    res = api(
        "PUT",
        f"/v3/campaign/{SEED_UUID}",
        json={"campaign_name": "x", "type": "autocall", "campaign_uuid": SEED_TEMPLATE},
    )
    assert res.status_code == 400 and list(res.json["error"][0]) == ["campaign_uuid"]


def test_parallel_is_read_as_the_seeds_parralel(api, store, seed_world):
    api("PUT", f"/v3/campaign/{SEED_UUID}", json={"campaign_name": "x", "type": "autocall", "mode_call": "parallel"})
    assert api("GET", f"/v3/campaign/{SEED_UUID}").json["mode_call"] == "parralel"


# -- read -----------------------------------------------------------------------
def test_list_answers_every_field_of_the_seed_list(api, seed_world):
    api("PUT", f"/v3/campaign/{SEED_UUID}", body=V3["Update Campaign"].data)
    seed = V3["Get Campaign"].responses[0]
    res = api("GET", "/v3/campaign")
    assert res.status_code == 200 and keys_of(res.json) == keys_of(seed)
    (item,) = res.json["data"]
    assert keys_of(seed["data"][0]) <= keys_of(item)
    assert [k for k in item if k in seed["data"][0]] == list(seed["data"][0])  # the seed's field order
    assert item["template_name"] == "thong_bao_no_cuoc_01" and item["carrier_name"] == "Billing"
    assert item["domain_uuid"] == seed["data"][0]["domain_uuid"]
    assert (res.json["limit"], res.json["offset"], res.json["total"]) == (10, 0, 1)


def test_list_pages_and_filters_by_type(api, store):
    for i in range(5):
        campaign(store, campaign_name=f"c{i}")
    campaign(store, campaign_name="agents", type="autodialer")
    res = api("GET", "/v3/campaign", query_string="type=autocall&limit=2&offset=3")
    assert [c["campaign_name"] for c in res.json["data"]] == ["c3", "c4"]
    assert (res.json["limit"], res.json["offset"], res.json["total"]) == (2, 3, 5)
    assert api("GET", "/v3/campaign", query_string="type=&limit=100").json["total"] == 6


def test_list_refuses_a_bad_limit(api):
    res = api("GET", "/v3/campaign", query_string="limit=abc")
    assert res.status_code == 400 and list(res.json["error"][0]) == ["limit"]


def test_get_by_id_answers_the_seed_fields_and_schedules(api, seed_world):
    api("PUT", f"/v3/campaign/{SEED_UUID}", body=V3["Update Campaign"].data)
    seed = V3["Get Campaign By Id"].responses[0]
    res = api("GET", f"/v3/campaign/{SEED_UUID}")
    assert res.status_code == 200 and keys_of(seed) <= keys_of(res.json)
    (schedule,) = res.json["schedules"]
    assert keys_of(schedule) == keys_of(seed["schedules"][0]) and schedule["campaign_uuid"] == SEED_UUID
    assert schedule["monday_start_time"] == 28800000000000 and schedule["id"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+07:00$", res.json["created_at"])


def test_get_of_an_unknown_or_malformed_uuid_is_not_found(api):
    assert api("GET", f"/v3/campaign/{SEED_UUID}").json == {"error": "Not Found"}
    for path in ("abc:fresh", f"{SEED_UUID}:fresh", "*"):
        res = api("GET", f"/v3/campaign/{path}")
        assert res.status_code == 404 and res.json == {"error": "Not Found"}


# -- active, delete ---------------------------------------------------------------
def test_patch_active_seed_example(api, store):
    ex = V3["Patch Campagin"]
    uuid = ex.path.split("/")[3]
    campaign(store, campaign_uuid=uuid)
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 200 and res.json == ex.responses[0]
    assert store.campaigns.get(uuid).active is False


def test_patch_active_errors_are_the_seeds(api, store):
    ex = V3["Patch Campagin"]
    assert api(ex.method, ex.path, body=ex.data).json == ex.errors[0]  # Not Found
    campaign(store, campaign_uuid=ex.path.split("/")[3])
    res = api(ex.method, ex.path, body="{}")
    assert res.status_code == 400 and res.json == ex.errors[1]  # active is missing


def test_delete_seed_example(api, store):
    ex = V3["Delete Campaign"]
    uuid = ex.path.split("/")[3]
    campaign(store, campaign_uuid=uuid, campaign_name="doomed")
    assert api(ex.method, ex.path).json == ex.errors[0]  # campaign must be deactive
    api("PATCH", f"/v3/campaign/{uuid}/active", json={"active": False})
    res = api(ex.method, ex.path)
    assert res.status_code == 200 and res.json == ex.responses[0]
    assert api(ex.method, ex.path).json == ex.errors[1]  # Not Found
    assert api("GET", f"/v3/campaign/{uuid}").status_code == 404
    assert api("POST", "/v3/campaign", json={"campaign_name": "doomed", "type": "autocall"}).status_code == 200


def test_a_deleted_campaigns_data_is_purged_once_its_calls_have_ended(api, store, redis_client):
    from tests.factories import leads

    c = campaign(store, active=False)
    leads(store, c, 3)
    api("DELETE", f"/v3/campaign/{c.campaign_uuid}")
    while store.campaigns.purge_deleted(batch=2):
        pass
    assert redis_client.keys(f"autocall:campaign:{c.campaign_uuid}*") == []
    assert redis_client.keys("autocall:lead:*") == [] and redis_client.zcard("autocall:deleted") == 0


# -- run control --------------------------------------------------------------------
def test_run_start_seed_example(api, store, services):
    ex = RUN["Khởi chạy chiến dịch - Run campaign autocall"]
    # A campaign that can place a call (tests/test_campaign_readiness.py: one that cannot is refused)
    store.catalog.templates.put(Template(template_uuid=SEED_TEMPLATE, template_name="thong_bao", audio_file="a.wav"))
    write_wav(services.audio_dir / "a.wav")
    campaign(store, campaign_uuid=SEED_UUID, status=CampaignStatus.STOP, template_uuid=SEED_TEMPLATE)
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 200 and res.json == ex.responses[0]
    assert store.campaigns.get(SEED_UUID).status is CampaignStatus.START
    assert SEED_UUID in store.campaigns.running()


def test_run_start_of_an_unknown_campaign_answers_the_seed_error(api, redis_client):
    ex = RUN["Khởi chạy chiến dịch - Run campaign autocall"]
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 404 and res.json == ex.errors[0]
    assert redis_client.smembers("autocall:running") == set()


@pytest.mark.parametrize("action", ["pause", "stop"])
def test_run_pause_and_stop(api, store, action):
    campaign(store, campaign_uuid=SEED_UUID)
    res = api("POST", f"/v1/campaign/{SEED_UUID}/run/{action}", body="{}")
    assert res.json == {"campaign_uuid": SEED_UUID}
    assert store.campaigns.get(SEED_UUID).status.value == action and not store.campaigns.running()


# -- auth and hostile input -------------------------------------------------------------
def test_every_endpoint_needs_the_bearer_token(api):
    res = api("GET", "/v3/campaign", auth=False)
    assert res.status_code == 401 and res.json == {"error": "Unauthorized"}
    assert api("GET", "/v3/campaign", auth=False, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api("GET", "/v3/campaign", auth=False, headers={"Authorization": "Basic test-token"}).status_code == 401
    assert api("GET", "/v3/campaign", auth=False, headers={"Authorization": "Bearer second-token"}).status_code == 200


HOSTILE = [
    ("not json", "{nope", 400),
    ("empty", "", 400),
    ("an array", "[]", 400),
    ("unknown field", '{"campaign_name": "x", "type": "autocall", "concurent_call": 3}', 400),
    ("string for int", '{"campaign_name": "x", "type": "autocall", "concurrent_call": "3"}', 400),
    ("negative cap", '{"campaign_name": "x", "type": "autocall", "concurrent_call": -1}', 400),
    ("bad enum", '{"campaign_name": "x", "type": "autocall", "mode_call": "random"}', 400),
    ("bad uuid", '{"campaign_name": "x", "type": "autocall", "carrier_uuid": "../../etc"}', 400),
    ("bad url", '{"campaign_name": "x", "type": "autocall", "callback_url": "file:///etc/passwd"}', 400),
    ("bad schedule", '{"campaign_name": "x", "type": "autocall", "schedules": [{"monday_start_time": -5}]}', 400),
    ("bad zone", '{"campaign_name": "x", "type": "autocall", "time_zone": "Mars/Olympus"}', 400),
    ("huge", json.dumps({"campaign_name": "x", "type": "autocall", "description": "a" * (2 << 20)}), 413),
    ("nul bytes", '{"campaign_name": "x\\u0000", "type": "autocall", "network": {"viettel": true}}', 400),
]


@pytest.mark.parametrize(("name", "body", "status"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bodies_get_the_dialect_error_and_write_nothing(api, redis_client, name, body, status):
    before = snapshot(redis_client)
    res = api("POST", "/v3/campaign", body=body)
    assert res.status_code == status and "error" in res.json, res.text
    assert snapshot(redis_client) == before


def test_error_lists_name_each_field(api):
    res = api(
        "POST", "/v3/campaign", json={"campaign_name": "x", "type": "autocall", "concurrent_call": "3", "extra": 1}
    )
    assert res.json == {
        "error": [
            {"concurrent_call": "Invalid type. Expected: integer, given: string"},
            {"(root)": "Additional property extra is not allowed"},
        ]
    }


def test_unknown_paths_and_methods_answer_in_the_dialect_shape(api):
    assert api("GET", "/v3/nothing").json == {"error": "Not Found"}
    res = api("PATCH", "/v3/campaign")
    assert res.status_code == 405 and res.json == {"error": "Method Not Allowed"}
