"""POST /v3/autocall/import (seed 001) and the bulk import: every seed example, verbatim."""

from __future__ import annotations

import json

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Template
from tests.api_fixtures import snapshot
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import campaign
from tests.seed_examples import examples

EX = examples("001_1839b865664e4e5a.txt")["Import Lead & Run Autocall"]
SEED_CAMPAIGN = "e43b3104-5e7a-45bb-91ee-4364201c83c0"
TTS_TEXT = "Chào bạn {{customer_name}} vui lòng thanh toán khoản nợ {{due_amount}} trước ngày {{due_date}}"


@pytest.fixture
def seed_campaign(store):
    return campaign(store, campaign_uuid=SEED_CAMPAIGN)


def tts_campaign(store, **fields):
    template = Template(template_name="no", text=TTS_TEXT)
    store.catalog.templates.put(template)
    return campaign(store, template_uuid=template.template_uuid, type_autocall=TypeAutocall.VOICE_TTS, **fields)


def test_seed_example_queues_the_lead_and_answers_the_seed_shape(api, store, seed_campaign):
    res = api(EX.method, EX.path, body=EX.data)
    assert res.status_code == 200
    assert list(res.json) == list(EX.responses[0]) and res.json["message"] == "success"
    lead = store.leads.get(res.json["lead_uuid"])
    assert json.loads(lead["numbers"]) == ["0331111111"] and json.loads(lead["networks"]) == ["viettel"]
    assert json.loads(lead["fields"]) == {"ten": "Nguyễn Văn A", "sdt": "0331111111"}
    assert lead["next_call"] == res.json["call_id"]


def test_sample_data_is_the_same_request(api, seed_campaign):
    assert api("POST", EX.path, json=EX.samples[0]).json["message"] == "success"


@pytest.mark.parametrize(("missing", "error"), [("campaign_uuid", 0), ("phone_number", 1), ("param", 2)])
def test_each_missing_field_answers_the_seed_error(api, redis_client, seed_campaign, missing, error):
    body = json.loads(EX.data)
    del body[missing]
    before = snapshot(redis_client)
    res = api("POST", EX.path, json=body)
    assert res.status_code == 400 and res.json == EX.errors[error]
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("form", ["84331111111", "+84 33 111 1111", "0084331111111", "033.111.1111"])
def test_every_accepted_number_form_is_stored_in_one_normal_form(api, store, seed_campaign, form):
    res = api("POST", EX.path, json={**EX.samples[0], "phone_number": form})
    assert json.loads(store.leads.get(res.json["lead_uuid"])["numbers"]) == ["0331111111"]


def test_an_invalid_number_is_refused_with_its_reason_and_nothing_written(api, redis_client, seed_campaign):
    before = snapshot(redis_client)
    res = api("POST", EX.path, json={**EX.samples[0], "phone_number": "12345"})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["phone_number"]
    assert "12345" in res.json["error"][0]["phone_number"]
    assert snapshot(redis_client) == before


def test_an_unknown_campaign_is_not_found(api):
    res = api("POST", EX.path, body=EX.data)
    assert res.status_code == 404 and res.json == {"error": "campaign is not found"}


def test_a_template_field_missing_from_param_is_named(api, store, redis_client):
    camp = tts_campaign(store)
    before = snapshot(redis_client)
    res = api(
        "POST",
        EX.path,
        json={
            "campaign_uuid": camp.campaign_uuid,
            "phone_number": "0982596021",
            "param": {"customer_name": "Nguyễn Văn A", "due_amount": "10410000"},
        },
    )
    assert res.status_code == 400
    assert res.json == {"error": [{"param": "due_date is required (the campaign's template says {{due_date}})"}]}
    assert snapshot(redis_client) == before


def test_a_voice_otp_lead_needs_its_code(api, store):
    camp = campaign(store, type_autocall=TypeAutocall.VOICE_OTP)
    body = {"campaign_uuid": camp.campaign_uuid, "phone_number": "0982596021", "param": {"otp": "12ab"}}
    assert api("POST", EX.path, json=body).json == {"error": [{"param": "otp must be the OTP code: 3 to 12 digits"}]}
    body["param"]["otp"] = "482915"
    assert api("POST", EX.path, json=body).status_code == 200


def test_param_values_must_be_scalars(api, seed_campaign):
    res = api("POST", EX.path, json={**EX.samples[0], "param": {"ten": {"nested": 1}}})
    assert res.json == {"error": [{"param.ten": "Invalid type. Expected: string, given: object"}]}


def test_the_same_customer_id_is_not_queued_twice(api, seed_campaign):
    body = {**EX.samples[0], "external_id": "kh-1"}
    first = api("POST", EX.path, json=body).json
    res = api("POST", EX.path, json=body)
    assert res.status_code == 400
    message = f"customer kh-1 is already in this campaign (lead {first['lead_uuid']})"
    assert res.json == {"error": [{"external_id": message}]}


def test_an_imported_lead_is_dialled_at_once_with_its_call_id(api, store, simswitch, tmp_path):
    server = simswitch(time_scale=0.01)
    engine = make_engine(store, server, tmp_path / "engine-audio")
    try:
        camp = audio_campaign(store)
        res = api(
            "POST", EX.path, json={"campaign_uuid": camp.campaign_uuid, "phone_number": "0982596021", "param": {}}
        )
        wait_until(lambda: store.calls.get(res.json["call_id"]).get("state") == "done")
        assert store.calls.get(res.json["call_id"])["lead"] == res.json["lead_uuid"]
    finally:
        engine.stop(drain_timeout=5)


# -- bulk ------------------------------------------------------------------------------
BULK = "/v3/autocall/import/bulk"


def test_bulk_json_imports_the_good_rows_and_names_the_bad_ones(api, store, seed_campaign):
    rows = [
        {"phone_number": "0982596021", "param": {"ten": "A"}, "external_id": "1"},
        {"phone_number": "12", "param": {}},
        {"phone_numbers": ["0912345678", "0981234567"], "external_id": "3"},
        {"phone_number": 982596021},
        {"phone_number": "0982596022", "external_id": "1"},
    ]
    res = api("POST", BULK, json={"campaign_uuid": SEED_CAMPAIGN, "leads": rows})
    body = res.json
    assert res.status_code == 200 and body["total"] == 5 and body["imported"] == 2 and body["message"] == "partial"
    assert [e["row"] for e in body["errors"]] == [2, 4] and body["errors_total"] == 2
    assert body["errors"][1]["error"] == [{"phone_number": "Invalid type. Expected: string, given: integer"}]
    assert [d["row"] for d in body["duplicates"]] == [5]
    assert store.reports.queue_sizes(SEED_CAMPAIGN)["fresh"] == 2


def test_bulk_csv_maps_columns_to_param(api, store, seed_campaign):
    csv_text = (
        "\ufeffphone_number,external_id,customer_name,due_amount\n0982596021,kh1,Nguyễn Văn A,10410000\n\n"
        '84912345678;0381234567,kh2,"Trần, B",5000\n'
    )
    res = api(
        "POST",
        BULK,
        body=csv_text.encode(),
        headers={"Content-Type": "text/csv"},
        query_string=f"campaign_uuid={SEED_CAMPAIGN}&with_leads=true",
    )
    assert res.json["imported"] == 2 and res.json["message"] == "success"
    second = store.leads.get(res.json["leads"][1]["lead_uuid"])
    assert json.loads(second["numbers"]) == ["0912345678", "0381234567"]
    assert json.loads(second["fields"]) == {"customer_name": "Trần, B", "due_amount": "5000"}
    assert second["external_id"] == "kh2"


def test_bulk_csv_needs_a_phone_column(api, seed_campaign):
    res = api(
        "POST",
        BULK,
        body=b"name\nA\n",
        headers={"Content-Type": "text/csv"},
        query_string=f"campaign_uuid={SEED_CAMPAIGN}",
    )
    assert res.json == {"error": [{"(root)": "the CSV needs a phone_number column (or phone, sdt, mobile)"}]}


def test_bulk_csv_that_is_not_utf8_is_refused(api, seed_campaign):
    res = api(
        "POST",
        BULK,
        body="phone\n0982596021,Tr\u1ea7n\n".encode("utf-16"),
        headers={"Content-Type": "text/csv"},
        query_string=f"campaign_uuid={SEED_CAMPAIGN}",
    )
    assert res.status_code == 400 and "UTF-8" in res.json["error"]


def test_bulk_without_a_campaign_is_a_root_error(api):
    res = api("POST", BULK, json={"leads": []})
    assert res.json == {"error": [{"(root)": "campaign_uuid is required"}]}


def test_bulk_checks_template_fields_row_by_row(api, store):
    camp = tts_campaign(store)
    rows = [
        {"phone_number": "0982596021", "param": {"customer_name": "A", "due_amount": "1", "due_date": "1/1/2026"}},
        {"phone_number": "0982596022", "param": {"customer_name": "B"}},
    ]
    res = api("POST", BULK, json={"campaign_uuid": camp.campaign_uuid, "leads": rows})
    assert res.json["imported"] == 1 and [e["row"] for e in res.json["errors"]] == [2]
    assert len(res.json["errors"][0]["error"]) == 2


# -- the same person is one lead (issue 15) --------------------------------------------------------
SAME_PERSON = ["0981234567", "+84 98-123.4567", "(098) 123 4567"]


def test_bulk_rows_whose_numbers_normalise_alike_are_one_lead(api, store, seed_campaign):
    rows = [{"phone_number": n, "param": {}} for n in SAME_PERSON] + [{"phone_number": "0912345678", "param": {}}]
    res = api("POST", BULK, json={"campaign_uuid": SEED_CAMPAIGN, "leads": rows}, query_string="with_leads=true")
    first = res.json["leads"][0]["lead_uuid"]
    assert res.status_code == 200 and res.json["imported"] == 2 and res.json["message"] == "success"
    assert res.json["duplicates"] == [
        {"row": 2, "external_id": "", "lead_uuid": first, "phone_number": "0981234567"},
        {"row": 3, "external_id": "", "lead_uuid": first, "phone_number": "0981234567"},
    ]
    assert store.reports.queue_sizes(SEED_CAMPAIGN)["fresh"] == 2


def test_a_number_of_a_pending_lead_is_a_duplicate_in_csv_and_in_a_single_import(api, store, seed_campaign):
    first = api("POST", EX.path, json={**EX.samples[0], "phone_number": SAME_PERSON[0]}).json["lead_uuid"]
    csv_text = f'phone_number,external_id\n"{SAME_PERSON[2]}",kh9\n0912345678,kh10\n'
    res = api(
        "POST", BULK, body=csv_text, headers={"Content-Type": "text/csv"}, query_string=f"campaign_uuid={SEED_CAMPAIGN}"
    )
    assert res.json["imported"] == 1
    dup = {"row": 1, "external_id": "kh9", "lead_uuid": first, "phone_number": "0981234567"}
    assert res.json["duplicates"] == [dup]
    again = api("POST", EX.path, json={**EX.samples[0], "phone_number": SAME_PERSON[1]})
    assert again.status_code == 400
    assert again.json == {
        "error": [{"phone_number": f"0981234567 is already in this campaign with calls pending (lead {first})"}]
    }
    assert store.reports.queue_sizes(SEED_CAMPAIGN)["fresh"] == 2


def test_a_leads_own_numbers_are_kept_once_in_their_first_order(api, store, seed_campaign):
    row = {"phone_numbers": ["0912345678", *SAME_PERSON], "param": {}}
    res = api("POST", BULK, json={"campaign_uuid": SEED_CAMPAIGN, "leads": [row]}, query_string="with_leads=true")
    lead = store.leads.get(res.json["leads"][0]["lead_uuid"])
    assert json.loads(lead["numbers"]) == ["0912345678", "0981234567"]
    assert json.loads(lead["networks"]) == ["vina", "viettel"]
    csv_text = "phone_number\n0381234567;038.123.4567;0381234568\n"
    res = api(
        "POST",
        BULK,
        body=csv_text,
        headers={"Content-Type": "text/csv"},
        query_string=f"campaign_uuid={SEED_CAMPAIGN}&with_leads=true",
    )
    assert json.loads(store.leads.get(res.json["leads"][0]["lead_uuid"])["numbers"]) == ["0381234567", "0381234568"]


def test_a_number_whose_lead_is_done_can_be_imported_again(api, store, simswitch, tmp_path):
    server = simswitch(time_scale=0.01)
    engine = make_engine(store, server, tmp_path / "engine-audio")
    try:
        camp = audio_campaign(store)
        body = {"campaign_uuid": camp.campaign_uuid, "phone_number": SAME_PERSON[0], "param": {}}
        first = api("POST", EX.path, json=body).json
        wait_until(lambda: store.leads.get(first["lead_uuid"]).get("state") == "done")
        second = api("POST", EX.path, json={**body, "phone_number": SAME_PERSON[2]})
        assert second.status_code == 200 and second.json["lead_uuid"] != first["lead_uuid"]
        wait_until(lambda: store.calls.get(second.json["call_id"]).get("state") == "done")
    finally:
        engine.stop(drain_timeout=5)


def test_a_row_another_request_queued_meanwhile_is_a_duplicate_and_the_rest_lands(api, store, services, seed_campaign):
    """Between the staging and the commit of a big import, another request queues one of its people:
    the commit writes nothing, that row becomes a duplicate (its staged hash unlinked) and the rest lands."""
    from dialer.service import leads as lead_service

    rows = [{"phone_number": f"098{i:07d}", "param": {}} for i in range(2500)]  # staged: more than 2,000 rows
    original, other = store.imports.commit, {}

    def commit(*args, **kwargs):
        if not other:
            other["lead"] = ""  # the other request's own commit goes straight through
            result = lead_service.import_one(services, SEED_CAMPAIGN, lead_service.Row(["+84 98 000 0010"], {}))
            other["lead"] = result.imported[0][1].lead_uuid
        return original(*args, **kwargs)

    store.imports.commit = commit
    res = api("POST", BULK, json={"campaign_uuid": SEED_CAMPAIGN, "leads": rows})
    assert res.json["imported"] == 2499
    assert res.json["duplicates"] == [
        {"row": 11, "external_id": "", "lead_uuid": other["lead"], "phone_number": "0980000010"}
    ]
    assert store.reports.queue_sizes(SEED_CAMPAIGN)["fresh"] == 2500
    lead_keys = [k for k in store.r.scan_iter(match=f"{store.prefix}:lead:*", count=10_000) if k.count(":") == 2]
    assert len(lead_keys) == 2500 and all(store.r.pttl(k) == -1 for k in lead_keys)
