"""/v3/carrier: CRUD, gateway and caller-ID checks, refusal while a campaign uses a carrier."""

from __future__ import annotations

import pytest

from dialer.domain.enums import Network
from dialer.domain.models import Carrier
from tests.api_fixtures import snapshot
from tests.factories import campaign

UUID = "a18b400f-d487-4e17-b5e7-eba5fe6fa54f"
GATEWAY_RULE = (
    "must be a FreeSWITCH gateway name: 1 to 64 letters, digits, '_', '.' or '-' (it goes into "
    "sofia/gateway/<name>/...)"
)


def create(api, **body) -> str:
    res = api("POST", "/v3/carrier", json={"carrier_name": "Viettel trunk", "gateways": {"offnet": "gw1"}, **body})
    assert res.status_code == 200, res.json
    return res.json["carrier_uuid"]


# -- create -------------------------------------------------------------------------
def test_create_answers_the_uuid_and_stores_the_carrier(api, store):
    res = api(
        "POST",
        "/v3/carrier",
        json={
            "carrier_name": "Billing",
            "gateways": {"viettel": "vt-1", "offnet": "gw.2"},
            "caller_ids": {"viettel": "02471001000", "offnet": "1900123"},
        },
    )
    assert res.status_code == 200 and res.json["created"] is True and set(res.json) == {"carrier_uuid", "created"}
    stored = store.catalog.carriers.get(res.json["carrier_uuid"])
    assert stored.carrier_name == "Billing"
    assert stored.route(Network.VIETTEL) == ("vt-1", "02471001000")
    assert stored.route(Network.MOBI) == ("gw.2", "1900123")


def test_create_keeps_a_client_chosen_uuid(api, store):
    assert create(api, carrier_uuid=UUID) == UUID
    assert store.catalog.carriers.get(UUID).carrier_name == "Viettel trunk"


def test_create_with_a_taken_uuid_is_a_conflict_and_writes_nothing(api, redis_client):
    create(api, carrier_uuid=UUID)
    before = snapshot(redis_client)
    res = api("POST", "/v3/carrier", json={"carrier_name": "x", "gateways": {"offnet": "gw"}, "carrier_uuid": UUID})
    assert res.status_code == 409 and res.json == {"error": "carrier_uuid is already taken"}
    assert snapshot(redis_client) == before


def test_create_needs_a_name_and_gateways(api):
    res = api("POST", "/v3/carrier", json={})
    assert res.status_code == 400
    assert res.json == {"error": [{"(root)": "carrier_name is required"}, {"(root)": "gateways is required"}]}


def test_create_needs_at_least_one_gateway(api, redis_client):
    before = snapshot(redis_client)
    res = api("POST", "/v3/carrier", json={"carrier_name": "x", "gateways": {"mobi": None}})
    assert res.status_code == 400
    assert res.json == {
        "error": [{"gateways": "at least one gateway is required (offnet is used for every network without one)"}]
    }
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    "gateway", ["", "gw/../x", "my gw", "gw{x}", "gw,origination_uuid=x", "gw'", "a" * 65, "gw\n", "trunk:_:x"]
)
def test_a_gateway_name_that_would_change_the_dial_string_is_refused(api, redis_client, gateway):
    before = snapshot(redis_client)
    res = api("POST", "/v3/carrier", json={"carrier_name": "x", "gateways": {"mobi": gateway}})
    assert res.status_code == 400
    assert res.json["error"][0] in (
        {"gateways.mobi": GATEWAY_RULE},
        {"gateways.mobi": "String length must be less than or equal to 64"},
    )
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("caller_id", ["", "+842471001000", "0247-100", "1" * 21, "1${x}"])
def test_a_caller_id_that_is_not_1_to_20_digits_is_refused(api, redis_client, caller_id):
    before = snapshot(redis_client)
    res = api(
        "POST",
        "/v3/carrier",
        json={"carrier_name": "x", "gateways": {"offnet": "gw"}, "caller_ids": {"vina": caller_id}},
    )
    assert res.status_code == 400
    assert res.json == {"error": [{"caller_ids.vina": "must be the caller-ID number: 1 to 20 digits"}]}
    assert snapshot(redis_client) == before


def test_an_unknown_network_is_refused(api):
    res = api("POST", "/v3/carrier", json={"carrier_name": "x", "gateways": {"offnet": "gw", "vietnamobile": "gw"}})
    assert res.json == {"error": [{"gateways": "Additional property vietnamobile is not allowed"}]}


def test_create_refuses_wrong_types(api):
    res = api("POST", "/v3/carrier", json={"carrier_name": "x", "gateways": {"offnet": 5}})
    assert res.json == {"error": [{"gateways.offnet": "Invalid type. Expected: string, given: integer"}]}


# -- list, get ------------------------------------------------------------------------
def test_list_pages_in_creation_order(api):
    uuids = [create(api, carrier_name=f"c{i}") for i in range(3)]
    res = api("GET", "/v3/carrier?limit=2&offset=1")
    assert res.status_code == 200
    assert [c["carrier_uuid"] for c in res.json["data"]] == uuids[1:]
    assert (res.json["limit"], res.json["offset"], res.json["total"]) == (2, 1, 3)


def test_list_refuses_a_bad_offset(api):
    assert api("GET", "/v3/carrier?offset=-1").json == {"error": [{"offset": "Must be greater than or equal to 0"}]}


def test_get_answers_the_carrier(api):
    uuid = create(api, caller_ids={"offnet": "1900123"})
    res = api("GET", f"/v3/carrier/{uuid}")
    assert res.status_code == 200
    assert res.json == {
        "carrier_uuid": uuid,
        "carrier_name": "Viettel trunk",
        "gateways": {"offnet": "gw1"},
        "caller_ids": {"offnet": "1900123"},
    }


@pytest.mark.parametrize("path", [f"/v3/carrier/{UUID}", "/v3/carrier/not-a-uuid"])
def test_get_of_an_unknown_or_malformed_uuid_is_not_found(api, path):
    res = api("GET", path)
    assert res.status_code == 404 and res.json == {"error": "Not Found"}


# -- update -------------------------------------------------------------------------
def test_update_changes_only_the_fields_given(api, store):
    uuid = create(api, caller_ids={"offnet": "1900123"})
    res = api("PUT", f"/v3/carrier/{uuid}", json={"carrier_name": "Mobi trunk", "caller_ids": None})
    assert res.status_code == 200 and res.json == {"carrier_uuid": uuid}
    stored = store.catalog.carriers.get(uuid)
    assert (stored.carrier_name, stored.route(Network.MOBI)) == ("Mobi trunk", ("gw1", "1900123"))


def test_update_replaces_the_gateways_as_a_whole(api, store):
    uuid = create(api, gateways={"offnet": "gw1", "viettel": "vt"})
    api("PUT", f"/v3/carrier/{uuid}", json={"gateways": {"mobi": "mb"}})
    assert store.catalog.carriers.get(uuid).gateways == {Network.MOBI: "mb"}


def test_update_checks_the_merged_carrier_and_writes_nothing_when_refused(api, redis_client):
    uuid = create(api)
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/carrier/{uuid}", json={"gateways": {}})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["gateways"]
    assert snapshot(redis_client) == before


def test_update_of_an_unknown_carrier_is_not_found_and_creates_nothing(api, redis_client):
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/carrier/{UUID}", json={"carrier_name": "x"})
    assert res.status_code == 404 and res.json == {"error": "Not Found"}
    assert snapshot(redis_client) == before


def test_update_with_another_uuid_in_the_body_is_refused(api):
    uuid = create(api)
    res = api("PUT", f"/v3/carrier/{uuid}", json={"carrier_uuid": UUID})
    assert res.json == {"error": [{"carrier_uuid": "carrier_uuid in the body differs from the one in the URL"}]}


def test_a_body_read_with_get_can_be_sent_back(api):
    uuid = create(api)
    body = api("GET", f"/v3/carrier/{uuid}").json
    assert api("PUT", f"/v3/carrier/{uuid}", json=body).status_code == 200


# -- delete -------------------------------------------------------------------------
def test_delete_removes_the_carrier(api, store):
    uuid = create(api)
    res = api("DELETE", f"/v3/carrier/{uuid}")
    assert res.status_code == 200 and res.json == {"carrier_uuid": uuid}
    assert store.catalog.carriers.get(uuid) is None and uuid not in store.catalog.carriers.uuids()
    assert api("DELETE", f"/v3/carrier/{uuid}").status_code == 404


def test_delete_of_a_carrier_a_campaign_uses_is_refused_and_writes_nothing(api, store, redis_client):
    uuid = create(api)
    campaign(store, campaign_name="Thu cước", carrier_uuid=uuid)
    before = snapshot(redis_client)
    res = api("DELETE", f"/v3/carrier/{uuid}")
    assert res.status_code == 409 and res.json == {"error": "carrier is used by campaign Thu cước"}
    assert snapshot(redis_client) == before


def test_a_campaign_can_use_a_carrier_made_here(api):
    uuid = create(api)
    res = api("POST", "/v3/campaign", json={"campaign_name": "c", "type": "autocall", "carrier_uuid": uuid})
    assert res.status_code == 200


def test_every_carrier_endpoint_needs_the_bearer_token(api, store):
    store.catalog.carriers.put(Carrier(carrier_uuid=UUID, carrier_name="x", gateways={"offnet": "gw"}))
    for method, path in [
        ("POST", "/v3/carrier"),
        ("GET", "/v3/carrier"),
        ("GET", f"/v3/carrier/{UUID}"),
        ("PUT", f"/v3/carrier/{UUID}"),
        ("DELETE", f"/v3/carrier/{UUID}"),
    ]:
        assert api(method, path, auth=False).status_code == 401, (method, path)
    assert store.catalog.carriers.get(UUID) is not None


def test_delete_rechecks_when_a_campaign_starts_using_the_carrier_meanwhile(api, store, monkeypatch):
    uuid = create(api)
    real = store.campaigns.get_many

    def racing(uuids):
        monkeypatch.setattr(store.campaigns, "get_many", real)
        seen = real(uuids)
        campaign(store, campaign_name="late", carrier_uuid=uuid)  # after the check, before the delete
        return seen

    monkeypatch.setattr(store.campaigns, "get_many", racing)
    res = api("DELETE", f"/v3/carrier/{uuid}")
    assert res.status_code == 409 and res.json == {"error": "carrier is used by campaign late"}
    assert store.catalog.carriers.get(uuid) is not None
