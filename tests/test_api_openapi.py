"""/openapi.json describes every route from the same table the app serves; /docs and /healthz.

Who may read them without a token is tests/test_api_auth.py's subject."""

from __future__ import annotations

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from dialer.api.app import all_routes


def test_the_openapi_document_is_valid_openapi_3_1(api):
    res = api("GET", "/openapi.json")
    assert res.status_code == 200 and res.json["openapi"] == "3.1.0"
    validate(res.json)


def test_every_authenticated_route_is_documented_with_its_method(api):
    paths = api("GET", "/openapi.json").json["paths"]
    for route in all_routes():
        if not (route.public or route.docs):
            assert route.method.lower() in paths[route.path], (route.method, route.path)


def test_request_and_response_models_are_in_the_document(api):
    doc = api("GET", "/openapi.json").json
    create = doc["paths"]["/v3/campaign"]["post"]
    body = create["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/CampaignBody"}
    assert "campaign_name" in doc["components"]["schemas"]["CampaignBody"]["required"]
    assert "409" in create["responses"] and doc["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_the_docs_page_lists_the_endpoints(api):
    res = api("GET", "/docs")
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/html")
    assert "/v3/autocall/import" in res.text and "/v1/autocall/report" in res.text


def test_healthz_needs_no_token_and_checks_redis(api):
    assert api("GET", "/healthz", auth=False).json == {"status": "ok"}


def test_every_field_get_answers_is_a_field_put_takes(api):
    schemas = api("GET", "/openapi.json").json["components"]["schemas"]
    for view, body in (("CampaignView", "CampaignBody"), ("TemplateView", "TemplateUpdate"),
                       ("CarrierView", "CarrierUpdate")):  # fmt: skip
        assert set(schemas[view]["properties"]) <= set(schemas[body]["properties"]), view


def test_the_document_says_integral_numbers_are_integers_and_names_hold_no_control(api):
    body = api("GET", "/openapi.json").json["components"]["schemas"]["CampaignBody"]["properties"]
    concurrent = Draft202012Validator(body["concurrent_call"])
    assert concurrent.is_valid(2.0) and not concurrent.is_valid(2.5) and not concurrent.is_valid("2")
    campaign_id = Draft202012Validator(body["campaign_id"])
    assert campaign_id.is_valid(2932) and not campaign_id.is_valid(0) and not campaign_id.is_valid(2**31)
    name = Draft202012Validator(body["campaign_name"])
    assert name.is_valid("Nhắc nợ tháng 5") and not name.is_valid("Nhắc\x00nợ") and not name.is_valid("a\u2028b")
    description = Draft202012Validator(body["description"])
    assert description.is_valid("a\tb\r\nc") and not description.is_valid("a\x07b")
