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
    for view, body in (
        ("CampaignView", "CampaignBody"),
        ("TemplateView", "TemplateUpdate"),
        ("CarrierView", "CarrierUpdate"),
    ):
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


# -- answers the document once left out (issue 15) ----------------------------------------------------
def documented(doc: dict, method: str, path: str, status: int, body: object) -> None:
    """``body`` is an answer the document gives for ``status`` of that operation (its schema validates it)."""
    from jsonschema import Draft202012Validator

    responses = doc["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answers {status}, undocumented: {sorted(responses)}"
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": doc["components"]}).validate(body)


def test_an_import_refused_for_its_campaigns_encryption_is_the_documented_409(api, redis_client):
    """A server without AUTOCALL_ENCRYPTION_KEY refuses imports into an enable_encrypt campaign: 409."""
    import base64

    from dialer.domain.models import Campaign
    from dialer.store.sealing import Sealer
    from dialer.store.store import Store

    sealed = Store(redis_client, sealer=Sealer(base64.b64encode(bytes(32)).decode()))
    camp = sealed.campaigns.create(Campaign(campaign_name="kin", enable_encrypt=True))
    doc = api("GET", "/openapi.json").json
    one = api(
        "POST",
        "/v3/autocall/import",
        json={"campaign_uuid": camp.campaign_uuid, "phone_number": "0982596021", "param": {}},
    )
    assert one.status_code == 409, one.text
    documented(doc, "POST", "/v3/autocall/import", 409, one.json)
    bulk = api(
        "POST",
        "/v3/autocall/import/bulk",
        json={"campaign_uuid": camp.campaign_uuid, "leads": [{"phone_number": "0982596021"}]},
    )
    assert bulk.status_code == 409, bulk.text
    documented(doc, "POST", "/v3/autocall/import/bulk", 409, bulk.json)


def test_a_queue_push_that_takes_no_one_is_the_documented_import_fail_answer(api, store):
    from dialer.domain.models import Template

    store.catalog.templates.put(Template(template_name="nhac_no", text="Xin chào"))
    res = api(
        "POST",
        "/v2/autocall/queue",
        json={"queue_code": "q1", "template": "nhac_no", "customers": [{"id": 1, "mobiles": ["12"]}]},
    )
    assert res.status_code == 400 and res.json["content"] == "import fail" and res.json["data"]["fail"] == ["1"]
    doc = api("GET", "/openapi.json").json
    documented(doc, "POST", "/v2/autocall/queue", 400, res.json)
    data = doc["components"]["schemas"]["queue_error"]["properties"]["data"]
    assert data["required"] == ["fail", "success"] and data["properties"]["reasons"]["type"] == "object"
    assert "import fail" in doc["paths"]["/v2/autocall/queue"]["post"]["responses"]["400"]["description"]


def test_a_vbot_refusal_is_documented_as_its_500(api):
    doc = api("GET", "/openapi.json").json
    res = api(
        "POST",
        "/api/campaign/create",
        json={
            "vbotId": 1,
            "groupCode": "g",
            "campaignId": 424242,
            "name": "n",
            "phones": [{"fields": [{"key": "phone", "value": "0982596021"}]}],
        },
    )
    assert res.status_code == 500 and res.json["error"] == 201
    documented(doc, "POST", "/api/campaign/create", 500, res.json)
    assert "200" in doc["paths"]["/api/campaign/create"]["post"]["responses"]  # success alone, no anyOf


def test_bodies_that_may_be_left_out_are_documented_as_optional(api):
    paths = api("GET", "/openapi.json").json["paths"]
    assert paths["/v1/campaign/{campaign_uuid}/run/start"]["post"]["requestBody"]["required"] is False
    assert paths["/v3/webhook/dead/retry"]["post"]["requestBody"]["required"] is False
    assert paths["/v3/campaign"]["post"]["requestBody"]["required"] is True
