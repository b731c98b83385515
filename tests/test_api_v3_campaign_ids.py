"""A migrating customer keeps its identifiers: ``POST /v3/campaign`` takes the campaign's old
``campaign_uuid`` (the one hard-coded in its import and report calls) and its old integer
``campaign_id`` (the one its VBot calls name as ``campaignId``)."""

from __future__ import annotations

import itertools
import json

import pytest

from dialer.domain.models import MAX_CAMPAIGN_ID
from tests.api_fixtures import snapshot
from tests.engine_fixtures import make_engine, wait_until, write_wav
from tests.seed_examples import SEEDS, examples

IMPORT = examples("001_1839b865664e4e5a.txt")["Import Lead & Run Autocall"]
OLD_UUID = json.loads(IMPORT.data)["campaign_uuid"]  # the uuid in the seed's import example
OTHER_UUID = "c2da23c0-9739-4287-828a-7b15cf0fb19e"
VBOT = (SEEDS / "003_ed9b73e28e69af7c.txt").read_text()
VBOT_BODY = json.loads(VBOT.split("``` JSON\n", 1)[1].split("```", 1)[0].replace("0366255xxx", "0366255123"))
OLD_ID = VBOT_BODY["campaignId"]  # 2932


_names = itertools.count(1)


def create(api, **body):
    return api("POST", "/v3/campaign", json={"campaign_name": f"c{next(_names)}", "type": "autocall", **body})


def created(api, **body) -> dict:
    res = create(api, **body)
    assert res.status_code == 200, res.text
    return api("GET", f"/v3/campaign/{res.json['campaign_uuid']}").json


# -- campaign_uuid ------------------------------------------------------------------------
def test_a_chosen_campaign_uuid_is_the_campaigns_uuid(api):
    res = create(api, campaign_uuid=OLD_UUID.upper())
    assert res.json == {"campaign_uuid": OLD_UUID, "created": True}
    assert api("GET", f"/v3/campaign/{OLD_UUID}").json["campaign_uuid"] == OLD_UUID


def test_an_empty_campaign_uuid_lets_autocall_choose(api):
    res = create(api, campaign_uuid="")
    assert res.status_code == 200 and res.json["campaign_uuid"] not in ("", OLD_UUID)


def test_a_taken_campaign_uuid_is_a_conflict_and_writes_nothing(api, redis_client):
    created(api, campaign_uuid=OLD_UUID)
    before = snapshot(redis_client)
    res = api("POST", "/v3/campaign", json={"campaign_name": "other", "type": "autocall", "campaign_uuid": OLD_UUID})
    assert res.status_code == 409 and res.json == {"error": "campaign_uuid is already taken"}
    assert snapshot(redis_client) == before


def test_a_deleted_campaigns_uuid_is_free_again_once_its_data_is_purged(api, store):
    created(api, campaign_uuid=OLD_UUID, active=False)
    assert api("DELETE", f"/v3/campaign/{OLD_UUID}").status_code == 200
    # Its queues and CDRs still live under that uuid until the janitor purges them.
    assert create(api, campaign_uuid=OLD_UUID).json == {"error": "campaign_uuid is already taken"}
    while store.campaigns.purge_deleted():
        pass
    assert create(api, campaign_uuid=OLD_UUID).status_code == 200


def test_a_campaign_uuid_that_is_no_uuid_is_refused(api):
    res = create(api, campaign_uuid="old-campaign-7")
    assert res.status_code == 400 and res.json == {"error": [{"campaign_uuid": "Does not match format 'uuid'"}]}


# -- campaign_id ----------------------------------------------------------------------------
def test_a_chosen_campaign_id_is_the_campaigns_id(api, store):
    campaign = created(api, campaign_id=OLD_ID)
    assert campaign["campaign_id"] == OLD_ID
    assert store.campaigns.uuid_by_id(OLD_ID) == campaign["campaign_uuid"]


def test_a_taken_campaign_id_is_a_conflict_and_writes_nothing(api, redis_client):
    created(api, campaign_id=OLD_ID)
    before = snapshot(redis_client)
    res = api("POST", "/v3/campaign", json={"campaign_name": "other", "type": "autocall", "campaign_id": OLD_ID})
    assert res.status_code == 409 and res.json == {"error": "campaign_id is already taken"}
    assert snapshot(redis_client) == before


def test_an_id_autocall_allocated_cannot_be_chosen_again(api):
    first = created(api)
    assert create(api, campaign_id=first["campaign_id"]).json == {"error": "campaign_id is already taken"}


def test_allocated_ids_skip_the_ids_clients_chose(api):
    """The customer brings ids 2 and 3; autocall's own sequence then goes 1, 4, 5."""
    chosen = [created(api, campaign_id=i)["campaign_id"] for i in (2, 3)]
    allocated = [created(api, description=str(i))["campaign_id"] for i in range(3)]
    assert chosen == [2, 3] and allocated == [1, 4, 5]


def test_a_deleted_campaigns_id_may_be_chosen_again(api, store):
    old = created(api, campaign_id=OLD_ID, active=False)
    api("DELETE", f"/v3/campaign/{old['campaign_uuid']}")
    new = created(api, campaign_id=OLD_ID)
    assert store.campaigns.uuid_by_id(OLD_ID) == new["campaign_uuid"] != old["campaign_uuid"]


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, "Must be greater than or equal to 1"),
        (MAX_CAMPAIGN_ID + 1, f"Must be less than or equal to {MAX_CAMPAIGN_ID}"),
        ("2932", "Invalid type. Expected: integer, given: string"),
        (2932.5, "Invalid type. Expected: integer, given: number"),
    ],
)
def test_a_campaign_id_must_be_a_positive_32_bit_integer(api, redis_client, value, error):
    before = snapshot(redis_client)
    res = create(api, campaign_id=value)
    assert res.status_code == 400 and res.json == {"error": [{"campaign_id": error}]}
    assert snapshot(redis_client) == before


def test_with_both_ids_taken_the_uuid_is_named(api):
    created(api, campaign_uuid=OLD_UUID, campaign_id=OLD_ID)
    res = create(api, campaign_uuid=OLD_UUID, campaign_id=OLD_ID)
    assert res.status_code == 409 and res.json == {"error": "campaign_uuid is already taken"}


# -- the customer's flow, replayed ------------------------------------------------------------
def test_a_migrating_customer_recreates_its_campaign_and_its_calls_work_unchanged(
    api, store, services, simswitch, tmp_path
):
    """Re-create the campaign under its old uuid and id; then the seed's import example (its uuid
    hard-coded), the report by that uuid, and VBot's create naming the old id, all unchanged."""
    write_wav(services.audio_dir / "hello.wav")
    template = api("POST", "/v3/template", json={"template_name": "hello", "audio_file": "hello.wav"}).json
    carrier = api("POST", "/v3/carrier", json={"carrier_name": "trunk", "gateways": {"offnet": "gw1"}}).json
    res = api(
        "POST",
        "/v3/campaign",
        json={
            "campaign_uuid": OLD_UUID,
            "campaign_id": OLD_ID,
            "campaign_name": "nhac no",
            "type": "autocall",
            "type_autocall": "autocall_audio",
            "template_uuid": template["template_uuid"],
            "carrier_uuid": carrier["carrier_uuid"],
            "concurrent_call": 2,
        },
    )
    assert res.json == {"campaign_uuid": OLD_UUID, "created": True}
    engine = make_engine(store, simswitch(time_scale=0.01), tmp_path / "engine-audio")
    try:
        assert api("POST", f"/v1/campaign/{OLD_UUID}/run/start", body="{}").json == {"campaign_uuid": OLD_UUID}
        imported = api(IMPORT.method, IMPORT.path, body=IMPORT.data)
        assert imported.status_code == 200, imported.text
        wait_until(lambda: store.calls.get(imported.json["call_id"]).get("state") == "done")
        wait_until(
            lambda: (
                api("GET", "/v1/autocall/report", query_string=f"campaign_uuid={OLD_UUID}").json["data"]["total_calls"]
                == 1
            )
        )

        vbot = api("POST", "/api/campaign/create", json=VBOT_BODY).json
        assert vbot["status"] == 1 and vbot["data"] != OLD_ID, vbot
        clone = store.campaigns.get(store.campaigns.uuid_by_id(vbot["data"]))
        assert clone.orig_campaign_uuid == OLD_UUID and clone.template_uuid == template["template_uuid"]
        wait_until(lambda: store.reports.queue_sizes(clone.campaign_uuid)["finished"] == 1)
    finally:
        engine.stop(drain_timeout=5)
