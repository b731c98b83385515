"""Input rules every dialect shares: integral numbers are integers, names hold no control
character, and a JSON object names each key once. Each refusal is in the dialect's own shape
and writes nothing."""

from __future__ import annotations

import json

import pytest

from dialer.domain.models import Template
from tests.api_fixtures import snapshot
from tests.factories import campaign
from tests.seed_examples import SEEDS, examples

PUSH = json.loads(examples("004_af2ae1348c1de947.txt")["Nhận dữ liệu queue"].data)
VBOT_TEXT = (SEEDS / "003_ed9b73e28e69af7c.txt").read_text()
VBOT = json.loads(VBOT_TEXT.split("``` JSON\n", 1)[1].split("```", 1)[0].replace("0366255xxx", "0366255123"))
NOT_INTEGER = "Invalid type. Expected: integer, given: number"


@pytest.fixture
def ivr(store) -> Template:
    """The template seed 004's push names."""
    template = Template(template_name=PUSH["template"], audio_file="hello.wav")
    store.catalog.templates.put(template)
    return template


@pytest.fixture
def vbot_template(store, ivr):
    """Seed 003's template campaign, id 2932."""
    store.r.set(store.keys.seq("campaign"), VBOT["campaignId"] - 1)
    return campaign(store, campaign_name="mau", template_uuid=ivr.template_uuid)


def refused_cleanly(redis_client, send, check) -> None:
    """``send()`` is refused as ``check`` says (it asserts, or returns whether it holds), writing nothing."""
    before = snapshot(redis_client)
    res = send()
    assert check(res) in (None, True), res.text
    assert snapshot(redis_client) == before


def vbot_refusal(res) -> str:
    assert res.json["status"] == 0 and res.json["error"] == 201 and res.json["data"] == "-1", res.text
    return res.json["msg"]


# -- integral numbers are integers ----------------------------------------------------------
def test_v3_integer_fields_take_integral_numbers(api):
    res = api(
        "POST",
        "/v3/campaign",
        json={
            "campaign_name": "x",
            "type": "autocall",
            "concurrent_call": 2.0,
            "network": {"viettel": 1.0},
            "recall_times": 3e0,
            "schedules": [{"monday_start_time": 2.88e13}],
        },
    )
    assert res.status_code == 200, res.text
    got = api("GET", f"/v3/campaign/{res.json['campaign_uuid']}").json
    assert (got["concurrent_call"], got["network"]["viettel"], got["recall_times"]) == (2, 1, 3)
    assert got["schedules"][0]["monday_start_time"] == 28800000000000
    assert '"concurrent_call":2,' in api("GET", f"/v3/campaign/{res.json['campaign_uuid']}").text


def test_v3_a_fractional_number_is_still_refused_with_the_usual_message(api, redis_client):
    def check(res):
        assert res.status_code == 400
        assert res.json == {"error": [{"concurrent_call": NOT_INTEGER}, {"network.viettel": NOT_INTEGER}]}

    body = {"campaign_name": "x", "type": "autocall", "concurrent_call": 2.5, "network": {"viettel": 0.1}}
    refused_cleanly(redis_client, lambda: api("POST", "/v3/campaign", json=body), check)


def test_v3_template_otp_repeat_takes_an_integral_number(api, store):
    res = api("POST", "/v3/template", json={"template_name": "otp", "otp_repeat": 3.0})
    assert res.status_code == 200 and store.catalog.templates.get(res.json["template_uuid"]).otp_repeat == 3
    res = api("POST", "/v3/template", json={"template_name": "otp", "otp_repeat": 2.5})
    assert res.json == {"error": [{"otp_repeat": NOT_INTEGER}]}


def test_queue_integer_fields_and_integer_ids_take_integral_numbers(api, store, ivr):
    body = {
        **PUSH,
        "concurrent_call": 2.0,
        "max_recall_count": 1.0,
        "customers": [{**PUSH["customers"][0], "id": 1234.0}],
    }
    res = api("POST", "/v2/autocall/queue", json=body)
    assert res.status_code == 200 and res.json["data"]["success"] == ["1234"], res.text
    camp = store.campaigns.get(store.campaigns.uuid_by_name(PUSH["queue_code"]))
    assert (camp.concurrent_call, camp.recall_times) == (2, 1)


def test_queue_a_fractional_number_is_refused_in_the_queue_shape(api, redis_client, ivr):
    def check(res):
        assert res.status_code == 400 and res.json["code"] == 400
        assert res.json["errors"] == [{"concurrent_call": NOT_INTEGER}]

    refused_cleanly(
        redis_client, lambda: api("POST", "/v2/autocall/queue", json={**PUSH, "concurrent_call": 2.5}), check
    )


def test_vbot_campaign_id_and_number_call_take_integral_numbers(api, store, vbot_template):
    body = {**VBOT, "campaignId": float(VBOT["campaignId"])}
    body["phones"] = [{"fields": [*VBOT["phones"][0]["fields"], {"key": "numberCall", "value": 2.0}]}]
    res = api("POST", "/api/campaign/create", json=body)
    assert res.json["status"] == 1, res.text
    clone = store.campaigns.uuid_by_id(res.json["data"])
    (lead,) = store.r.zrange(store.keys.fresh(clone), 0, -1)
    assert store.leads.get(lead)["max_attempts"] == "2"


def test_vbot_a_fractional_number_call_is_refused(api, redis_client, vbot_template):
    body = {**VBOT, "phones": [{"fields": [*VBOT["phones"][0]["fields"], {"key": "numberCall", "value": 2.5}]}]}
    refused_cleanly(
        redis_client,
        lambda: api("POST", "/api/campaign/create", json=body),
        lambda res: "numberCall" in vbot_refusal(res),
    )


# -- names hold no control character -----------------------------------------------------------
@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "0000"),
        ("\x07", "0007"),
        ("\t", "0009"),
        ("\n", "000A"),
        ("\x7f", "007F"),
        ("\x85", "0085"),
        ("\u2028", "2028"),
    ],
)
def test_v3_a_campaign_name_with_a_control_character_is_refused(api, redis_client, char, code):
    def check(res):
        assert res.status_code == 400
        assert res.json == {"error": [{"campaign_name": f"control character U+{code} is not allowed in a name"}]}

    body = {"campaign_name": f"Nhắc{char}nợ", "type": "autocall"}
    refused_cleanly(redis_client, lambda: api("POST", "/v3/campaign", json=body), check)


def test_v3_a_rename_to_a_name_with_a_control_character_is_refused(api, redis_client, store):
    camp = campaign(store)
    body = {"campaign_name": "a\x00b", "type": "autocall"}
    refused_cleanly(
        redis_client,
        lambda: api("PUT", f"/v3/campaign/{camp.campaign_uuid}", json=body),
        lambda res: res.status_code == 400,
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v3/template", {"template_name": "nhac\x00no"}),
        ("/v3/carrier", {"carrier_name": "trunk\r\n", "gateways": {"offnet": "gw"}}),
    ],
)
def test_v3_template_and_carrier_names_with_a_control_character_are_refused(api, redis_client, path, body):
    def check(res):
        assert res.status_code == 400
        (error,) = res.json["error"]
        assert list(error) == [next(iter(body))] and "is not allowed in a name" in next(iter(error.values()))

    refused_cleanly(redis_client, lambda: api("POST", path, json=body), check)


def test_v3_a_description_may_hold_tabs_and_newlines_but_no_other_control(api, redis_client):
    ok = api("POST", "/v3/campaign", json={"campaign_name": "x", "type": "autocall", "description": "a\tb\r\nc"})
    assert ok.status_code == 200
    body = {"campaign_name": "y", "type": "autocall", "description": "a\x00b"}

    def check(res):
        assert res.json == {
            "error": [{"description": "control character U+0000 is not allowed in a text (tab and newlines are)"}]
        }

    refused_cleanly(redis_client, lambda: api("POST", "/v3/campaign", json=body), check)


def test_queue_a_queue_code_with_a_control_character_is_refused(api, redis_client, ivr):
    def check(res):
        assert res.status_code == 400 and res.json["code"] == 400
        assert res.json["errors"] == [{"queue_code": "control character U+0000 is not allowed in a name"}]

    refused_cleanly(
        redis_client, lambda: api("POST", "/v2/autocall/queue", json={**PUSH, "queue_code": "Q\x00"}), check
    )


def test_vbot_a_campaign_name_with_a_control_character_is_refused(api, redis_client, vbot_template):
    refused_cleanly(
        redis_client,
        lambda: api("POST", "/api/campaign/create", json={**VBOT, "name": "moi\x1b[2J"}),
        lambda res: "U+001B" in vbot_refusal(res),
    )


# -- a JSON object names each key once -------------------------------------------------------------
DUPLICATE = 'duplicate key "{}": a JSON object must name each key once'


def test_v3_a_repeated_key_is_refused_naming_it(api, redis_client):
    body = '{"campaign_name": "x", "type": "autocall", "concurrent_call": 5, "concurrent_call": 500}'

    def check(res):
        assert res.status_code == 400 and res.json == {"error": [{"(root)": DUPLICATE.format("concurrent_call")}]}

    refused_cleanly(redis_client, lambda: api("POST", "/v3/campaign", body=body), check)


def test_v3_a_repeated_key_in_a_nested_object_or_an_update_is_refused(api, redis_client, store):
    camp = campaign(store)
    body = '{"campaign_name": "x", "type": "autocall", "network": {"viettel": 1, "viettel": 0}}'
    refused_cleanly(
        redis_client,
        lambda: api("PUT", f"/v3/campaign/{camp.campaign_uuid}", body=body),
        lambda res: res.json == {"error": [{"(root)": DUPLICATE.format("viettel")}]},
    )


def test_v3_a_repeated_key_in_an_import_is_refused(api, redis_client, store):
    camp = campaign(store)
    lead = {"phone_number": "0982596021", "param": {"ten": "A"}}
    one = json.dumps({"campaign_uuid": camp.campaign_uuid, **lead})[:-1] + ', "phone_number": "0912345678"}'
    bulk = json.dumps({"campaign_uuid": camp.campaign_uuid, "leads": [lead]}).replace('"A"', '"A", "ten": "B"')
    for path, body, key in (("/v3/autocall/import", one, "phone_number"), ("/v3/autocall/import/bulk", bulk, "ten")):
        refused_cleanly(
            redis_client,
            lambda p=path, b=body: api("POST", p, body=b),
            lambda res, k=key: res.json == {"error": [{"(root)": DUPLICATE.format(k)}]},
        )


def test_queue_a_repeated_key_is_refused_in_the_queue_shape(api, redis_client, ivr):
    body = json.dumps(PUSH)[:-1] + ', "queue_code": "other"}'

    def check(res):
        assert res.status_code == 400 and res.json["code"] == 400
        assert res.json["content"] == DUPLICATE.format("queue_code")

    refused_cleanly(redis_client, lambda: api("POST", "/v2/autocall/queue", body=body), check)


def test_vbot_a_repeated_key_is_refused_in_the_vbot_shape(api, redis_client, vbot_template):
    body = json.dumps(VBOT)[:-1] + ', "campaignId": 1}'
    refused_cleanly(
        redis_client,
        lambda: api("POST", "/api/campaign/create", body=body),
        lambda res: vbot_refusal(res) == DUPLICATE.format("campaignId"),
    )
