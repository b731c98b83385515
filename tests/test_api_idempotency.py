"""``Idempotency-Key`` on the import routes: a retry gets the first answer and writes nothing; the same
key with another request is refused; the answer is kept AUTOCALL_IDEMPOTENCY_SECONDS. (A retry after a
failure mid-import is tests/test_import_outages.py's.)"""

from __future__ import annotations

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Template
from tests.api_fixtures import snapshot
from tests.factories import campaign

ROUTES = [
    ("POST", "/v3/autocall/import"),
    ("POST", "/v3/autocall/import/bulk"),
    ("POST", "/v2/autocall/queue"),
    ("POST", "/api/campaign/create"),
]


@pytest.fixture
def camp(store):
    return campaign(store)


def one(camp, number: str = "0982596021") -> dict:
    return {"campaign_uuid": camp.campaign_uuid, "phone_number": number, "param": {"ten": "A"}}


def test_a_retry_with_the_same_key_gets_the_first_answer_and_writes_nothing(api, store, redis_client, camp):
    key = {"Idempotency-Key": "2b1f6c3e-9a41-4c55-8a51-0d1f0f7f3a10"}
    first = api("POST", "/v3/autocall/import", json=one(camp), headers=key)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    before = snapshot(redis_client)
    again = api("POST", "/v3/autocall/import", json=one(camp), headers=key)
    assert again.status_code == 200 and again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert snapshot(redis_client) == before
    assert store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == 1


def test_a_bulk_retry_replays_the_first_answer_not_a_list_of_duplicates(api, camp):
    body = {
        "campaign_uuid": camp.campaign_uuid,
        "leads": [{"phone_number": "0982596021", "external_id": "kh1"}, {"phone_number": "12"}],
    }
    key = {"Idempotency-Key": "bulk-1"}
    first = api("POST", "/v3/autocall/import/bulk", json=body, headers=key, query_string="with_leads=true")
    again = api("POST", "/v3/autocall/import/bulk", json=body, headers=key, query_string="with_leads=true")
    assert first.json["imported"] == 1 and again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    other = api("POST", "/v3/autocall/import/bulk", json=body, headers={"Idempotency-Key": "bulk-2"})
    assert other.json["imported"] == 0 and other.json["duplicates"][0]["external_id"] == "kh1"


def test_a_push_refused_whole_remembers_no_answer_and_writes_nothing(api, store, redis_client):
    """Every customer of the push clashes with one pending (found by the import, not the sort): the
    refusal writes nothing, its key included, so the same key lands the push once the clash is gone."""
    store.catalog.templates.put(Template(template_name="nhac_no", text="Xin chào"))
    body = {"queue_code": "Q", "template": "nhac_no"}
    pushed = api("POST", "/v2/autocall/queue", json={**body, "customers": [{"id": "A", "mobiles": ["0982596021"]}]})
    assert pushed.status_code == 200
    before = snapshot(redis_client)
    key = {"Idempotency-Key": "push-b"}
    clash = {**body, "customers": [{"id": "B", "mobiles": ["0982596021"]}]}
    refused = api("POST", "/v2/autocall/queue", json=clash, headers=key)
    assert refused.status_code == 400 and refused.json["content"] == "import fail"
    assert snapshot(redis_client) == before


def test_the_same_key_with_another_request_is_refused(api, redis_client, camp):
    key = {"Idempotency-Key": "k-1"}
    api("POST", "/v3/autocall/import", json=one(camp), headers=key)
    before = snapshot(redis_client)
    res = api("POST", "/v3/autocall/import", json=one(camp, "0912345678"), headers=key)
    assert res.status_code == 409 and "different request" in res.json["error"]
    assert snapshot(redis_client) == before


def test_a_key_is_scoped_to_its_route(api, store):
    store.catalog.templates.put(Template(template_name="IVR-1", audio_file="hello.wav"))
    camp = campaign(store, status=CampaignStatus.START)
    key = {"Idempotency-Key": "shared"}
    assert api("POST", "/v3/autocall/import", json=one(camp), headers=key).status_code == 200
    push = {"queue_code": "Q", "template": "IVR-1", "customers": [{"id": "A", "mobiles": ["0912345678"]}]}
    res = api("POST", "/v2/autocall/queue", json=push, headers=key)
    assert res.status_code == 200 and "Idempotent-Replayed" not in res.headers


@pytest.mark.parametrize("bad", ["", "x" * 256, "clé", "two words"])
def test_a_key_that_is_not_1_to_255_visible_ascii_characters_is_refused(api, redis_client, camp, bad):
    before = snapshot(redis_client)
    res = api("POST", "/v3/autocall/import", json=one(camp), headers={"Idempotency-Key": bad})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["Idempotency-Key"]
    assert snapshot(redis_client) == before


def test_the_answer_is_kept_for_the_configured_time(api, store, services, camp):
    services.idempotency_s = 120
    api("POST", "/v3/autocall/import", json=one(camp), headers={"Idempotency-Key": "ttl"})
    (key,) = store.r.scan_iter(match=store.keys.idempotency("*"))
    assert 0 < store.r.pttl(key) <= 120_000


def test_the_openapi_document_names_the_header_on_each_import_route(api):
    paths = api("GET", "/openapi.json").json["paths"]
    for method, path in ROUTES:
        (header,) = [p for p in paths[path][method.lower()]["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key" and not header["required"]
