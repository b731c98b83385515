"""The native webhooks are the CDR (issue 15): a customer's flow over HTTP, to the bodies its receiver got.

The campaign is made, loaded and started through the v3 API; the engine dials the simulator; the
sender POSTs to a local receiver (``AUTOCALL_WEBHOOK_ALLOW_PRIVATE`` turned on, as a test must). Every
``callback_url`` body validates against ``webhooks.cdr`` of the served /openapi.json and equals what
``GET /v3/autocall/cdr`` answers for the same call; every ``answer_callback_url`` body validates
against ``webhooks.answer`` and is that CDR's answer fields, under the same names.
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dialer.domain import cdr
from dialer.domain.enums import RecallStatus
from dialer.domain.models import Template
from dialer.webhooks import WebhookSender
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until
from tests.receivers import WebhookReceiver

ANSWERS, BUSY, UNALLOCATED, RINGS_OUT = "0980000001", "0980000002", "0980000003", "0980000004"
NO_GATEWAY = "0910000006"  # Vinaphone: the carrier has no gateway for it
SCENARIO = Scenario(
    rules=[
        {"match": f"^{ANSWERS}$", "ring": 0.1, "answer": {"talk": 2.0, "dtmf": "1"}},
        {"match": f"^{BUSY}$", "sip": 486},
        {"match": f"^{UNALLOCATED}$", "sip": 404},
        {"match": f"^{RINGS_OUT}$", "no_answer": True},
    ]
)
PHONES = (ANSWERS, BUSY, UNALLOCATED, RINGS_OUT, NO_GATEWAY)


@pytest.fixture
def services(services):
    services.webhook_allow_private = True  # the receiver is on 127.0.0.1
    return services


def validator(doc: dict[str, Any], webhook: str) -> Draft202012Validator:
    """The JSON schema of one documented webhook's body, its $refs resolved in the document."""
    schema = doc["webhooks"][webhook]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


@pytest.fixture
def delivered(api, store, simswitch, tmp_path) -> tuple[list[tuple[str, Any]], str]:
    """A campaign run over HTTP to its end: the bodies its receiver got, and the campaign uuid."""
    template = Template(template_name="nhac_no", audio_file="hello.wav")  # the engine's audio dir has it
    store.catalog.templates.put(template)
    with WebhookReceiver() as hook:
        got = hook.record(lambda q: (q.path, q.json()))
        engine = make_engine(store, simswitch(SCENARIO), tmp_path / "audio")
        sender = WebhookSender(store, allow_private=True)
        sender.start()
        try:
            carrier = api(
                "POST",
                "/v3/carrier",
                json={
                    "carrier_name": "trunk",
                    "gateways": {"viettel": "gw-v"},
                    "caller_ids": {"viettel": "02873001234"},
                },
            )
            res = api(
                "POST",
                "/v3/campaign",
                json={
                    "campaign_name": "nhac-no",
                    "type": "autocall",
                    "template_uuid": template.template_uuid,
                    "carrier_uuid": carrier.json["carrier_uuid"],
                    "concurrent_call": 5,
                    "recall_times": 1,
                    "recall_status": [RecallStatus.BUSY.value],
                    "schedule_recall_duration": 0,
                    "callback_url": f"{hook.url}/cdr",
                    "answer_callback_url": f"{hook.url}/answer",
                },
            )
            assert res.status_code == 200, res.text
            uuid = res.json["campaign_uuid"]
            for i, phone in enumerate(PHONES):
                res = api(
                    "POST",
                    "/v3/autocall/import",
                    json={"campaign_uuid": uuid, "phone_number": phone, "param": {}, "external_id": f"kh-{i}"},
                )
                assert res.status_code == 200, res.text
            assert api("POST", f"/v1/campaign/{uuid}/run/start", json={}).status_code == 200
            engine.wake(uuid)
            # 5 leads, the busy one recalled once: 6 ends; and one answer
            wait_until(lambda: len([p for p, _ in got if p == "/cdr"]) == 6 and len(got) == 7, timeout=30)
        finally:
            sender.stop()
            engine.stop(drain_timeout=5)
    return got, uuid


def cdrs_of(api, uuid: str) -> dict[str, dict[str, Any]]:
    res = api("GET", "/v3/autocall/cdr", query_string=f"campaign_uuid={uuid}&limit=100")
    assert res.status_code == 200, res.text
    return {c["call_id"]: c for c in res.json["data"]}


def test_each_callback_url_body_is_the_cdr_apis_object_for_that_call(api, delivered):
    got, uuid = delivered
    ends = [body for path, body in got if path == "/cdr"]
    api_cdrs = cdrs_of(api, uuid)
    assert sorted(api_cdrs) == sorted(b["call_id"] for b in ends)
    for body in ends:
        assert body == api_cdrs[body["call_id"]]  # every name, every value, same order
        assert list(body) == list(cdr.FIELDS)
    phone = {f"kh-{i}": number for i, number in enumerate(PHONES)}  # an INVALID_GATEWAY CDR may list no number
    statuses = sorted((phone[b["external_id"]], b["status"], b["recall_status"]) for b in ends)
    assert statuses == sorted(
        [
            (ANSWERS, "answered", "answered"),
            (BUSY, "busy", "busy"),
            (BUSY, "busy", "busy"),
            (UNALLOCATED, "failed", "invalid-number"),
            (RINGS_OUT, "no_answer", "no-answered"),
            (NO_GATEWAY, "failed", "failed"),
        ]
    )
    answered = next(b for b in ends if b["status"] == "answered")
    assert (answered["answered_number"], answered["caller_id"], answered["dtmf"]) == (ANSWERS, "02873001234", "1")
    assert answered["campaign_uuid"] == uuid and answered["external_id"] == "kh-0" and answered["answer"]
    first_busy = min((b for b in ends if phone[b["external_id"]] == BUSY), key=lambda b: b["attempt"])
    assert first_busy["recall_at_ms"] and first_busy["recall_at"]


def test_callback_url_bodies_validate_against_the_documented_webhook(api, delivered):
    got, _ = delivered
    doc = api("GET", "/openapi.json").json
    check = validator(doc, "cdr")
    ends = [body for path, body in got if path == "/cdr"]
    for body in ends:
        check.validate(body)
    schema = doc["components"]["schemas"]["Cdr"]
    assert set(schema["required"]) == set(schema["properties"]) == set(ends[0])  # nothing more, nothing less
    page = doc["paths"]["/v3/autocall/cdr"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page == {"$ref": "#/components/schemas/CdrPage"}  # the CDR API's items are the same schema
    items = doc["components"]["schemas"]["CdrPage"]["properties"]["data"]["items"]
    assert items == {"$ref": "#/components/schemas/Cdr"}


def test_the_answer_callback_carries_the_cdrs_names_and_values_known_at_the_answer(api, delivered):
    got, uuid = delivered
    ((_, answer),) = [(p, b) for p, b in got if p == "/answer"]
    validator(api("GET", "/openapi.json").json, "answer").validate(answer)
    assert tuple(answer) == cdr.ANSWER_FIELDS
    full = cdrs_of(api, uuid)[answer["call_id"]]
    assert answer == {name: full[name] for name in cdr.ANSWER_FIELDS}
    assert answer["campaign_uuid"] == uuid and answer["answered_number"] == ANSWERS and answer["answer_ms"] > 0


def test_a_body_that_is_not_the_cdr_fails_the_documented_schema(api):
    """The check above can fail: the old native body's names are not the CDR's."""
    check = validator(api("GET", "/openapi.json").json, "cdr")
    old = {
        "call_id": "c",
        "campaign": "x",
        "lead": "y",
        "numbers": ["0980000001"],
        "legs": ["c"],
        "job_result": "+OK",
        "report_key": "answered",
    }
    assert not check.is_valid(old)
