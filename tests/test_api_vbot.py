"""POST /api/campaign/create (seed 003): clone a template campaign, load its phones, start it."""

from __future__ import annotations

import copy
import json

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Schedule, Template
from tests.api_fixtures import snapshot
from tests.factories import campaign
from tests.seed_examples import SEEDS

SEED = (SEEDS / "003_ed9b73e28e69af7c.txt").read_text()
SEED_BODY = SEED.split("``` JSON\n", 1)[1].split("```", 1)[0]  # the request example, verbatim
SEED_OK = json.loads(SEED.split("```JSON\n", 1)[1].split("```", 1)[0])
PATH = "/api/campaign/create"


@pytest.fixture
def template_campaign(store):
    """The seed's template campaign, id 2932."""
    store.r.set(store.keys.seq("campaign"), 2931)
    template = Template(template_name="nhac_no", audio_file="a.wav")
    store.catalog.templates.put(template)
    return campaign(
        store,
        campaign_name="mau",
        template_uuid=template.template_uuid,
        concurrent_call=7,
        recall_times=2,
        status=CampaignStatus.STOP,
        callback_url="https://crm.example/cdr",
        webhook_format="vbot",
        schedules=[Schedule(monday_start_time=8 * 3600 * 10**9)],
    )


def unmasked(body: str = SEED_BODY) -> str:
    return body.replace("0366255xxx", "0366255123")


def test_seed_example_with_its_masked_number_is_refused_as_an_invalid_parameter(api, redis_client, template_campaign):
    before = snapshot(redis_client)
    res = api("POST", PATH, body=SEED_BODY)
    assert res.status_code == 500 and res.json["status"] == 0 and res.json["error"] == 201
    assert res.json["data"] == "-1" and "0366255xxx" in res.json["msg"]
    assert snapshot(redis_client) == before


def test_seed_example_creates_a_started_clone_and_answers_its_id(api, store, template_campaign):
    res = api("POST", PATH, body=unmasked())
    assert res.status_code == 200 and list(res.json) == list(SEED_OK)
    assert res.json["status"] == 1 and res.json["error"] == 0 and res.json["msg"] == "success"
    new_id = res.json["data"]
    assert isinstance(new_id, int) and new_id != 2932
    clone = store.campaigns.get(store.campaigns.uuid_by_id(new_id))
    assert clone.campaign_name == "campaign_name_new" and clone.status is CampaignStatus.START
    assert clone.orig_campaign_uuid == template_campaign.campaign_uuid
    assert (clone.template_uuid, clone.concurrent_call, clone.recall_times, clone.webhook_format) == (
        template_campaign.template_uuid,
        7,
        2,
        "vbot",
    )
    assert clone.schedules[0].monday_start_time == 8 * 3600 * 10**9
    assert store.reports.queue_sizes(clone.campaign_uuid)["fresh"] == 1


def test_phone_fields_become_the_leads_numbers_fields_and_attempt_cap(api, store, template_campaign):
    body = json.loads(unmasked())
    body["phones"][0]["fields"] += [{"key": "numberCall", "value": 2}, {"key": "description", "value": "VIP"}]
    new_id = api("POST", PATH, json=body).json["data"]
    cid = store.campaigns.uuid_by_id(new_id)
    (lead_uuid,) = store.r.zrange(store.keys.fresh(cid), 0, -1)
    lead = store.leads.get(lead_uuid)
    assert json.loads(lead["numbers"]) == ["0366255123"] and lead["max_attempts"] == "2"
    assert json.loads(lead["fields"]) == {"name": "Nguyễn Văn x", "description": "VIP"}


def test_the_tables_spellings_are_accepted_too(api, template_campaign):
    body = json.loads(unmasked())
    body["vbot_id"], body["project_code"] = body.pop("vbotId"), body.pop("groupCode")
    body["campaignID"] = str(body.pop("campaignId"))
    assert api("POST", PATH, json=body).json["status"] == 1


@pytest.mark.parametrize("field", ["vbotId", "groupCode", "campaignId", "name", "phones"])
def test_each_required_field_missing_is_an_invalid_parameter(api, redis_client, template_campaign, field):
    body = json.loads(unmasked())
    del body[field]
    before = snapshot(redis_client)
    res = api("POST", PATH, json=body)
    assert res.status_code == 500 and res.json["status"] == 0 and res.json["error"] == 201
    assert res.json["data"] == "-1" and field in res.json["msg"]
    assert snapshot(redis_client) == before


def test_an_unknown_template_campaign_is_an_invalid_parameter(api, template_campaign):
    body = json.loads(unmasked())
    body["campaignId"] = 1
    res = api("POST", PATH, json=body)
    assert res.status_code == 500
    assert res.json == {"status": 0, "error": 201, "msg": "campaignId 1: no such template campaign", "data": "-1"}


def test_a_phone_without_a_number_names_its_row(api, template_campaign):
    body = json.loads(unmasked())
    body["phones"].append({"fields": [{"key": "name", "value": "B"}]})
    res = api("POST", PATH, json=body)
    assert res.json["error"] == 201 and res.json["msg"] == "phones[1]: phone is required"


def test_a_taken_name_is_refused(api, template_campaign):
    body = json.loads(unmasked())
    body["name"] = "mau"
    res = api("POST", PATH, json=body)
    assert res.status_code == 500
    assert res.json == {"status": 0, "error": 201, "msg": "campaign_name is already taken", "data": "-1"}


def test_without_a_token_the_answer_is_vbot_shaped_401(api):
    res = api("POST", PATH, body=unmasked(), auth=False)
    assert res.status_code == 401 and res.json == {"status": 0, "error": 401, "msg": "Unauthorized", "data": "-1"}


def test_bad_json_is_an_invalid_parameter(api):
    res = api("POST", PATH, body="{nope")
    assert res.status_code == 500 and res.json["error"] == 201 and res.json["status"] == 0


def test_a_refusal_is_the_seeds_error_status_so_a_client_checking_http_never_reads_minus_one_as_an_id(api):
    """Seed 003's status table: 200 success, 500 error. A client that checks the HTTP status
    (as most do) must not take ``data: "-1"`` for the id of a new campaign."""
    res = api("POST", PATH, json=json.loads(unmasked()))  # campaignId 2932 does not exist here
    assert res.status_code == 500
    assert res.json == {"status": 0, "error": 201, "msg": "campaignId 2932: no such template campaign", "data": "-1"}


def test_an_internal_error_is_500_too_but_error_400_not_201(api, template_campaign, monkeypatch):
    """How a client (and the fuzz test) tells a refusal from a crash: ``error`` 201 vs 400."""
    from dialer.service import vbot

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(vbot.campaigns, "clone", broken)
    res = api("POST", PATH, body=unmasked())
    assert res.status_code == 500 and res.json["status"] == 0 and res.json["error"] == 400
    assert res.json["data"] == "-1" and res.json["msg"].startswith("internal error (incident ")


def test_the_clone_does_not_touch_the_template_campaign(api, store, template_campaign):
    before = copy.deepcopy(store.r.hgetall(store.keys.campaign(template_campaign.campaign_uuid)))
    api("POST", PATH, body=unmasked())
    assert store.r.hgetall(store.keys.campaign(template_campaign.campaign_uuid)) == before


def test_a_campaign_created_over_http_runs_to_completion_with_vbot_webhooks(services, store, simswitch, tmp_path):
    import urllib.request

    from dialer.api.app import build_app
    from dialer.api.server import make_server
    from dialer.domain.models import Carrier
    from dialer.webhooks import WebhookSender
    from simswitch import Scenario
    from tests.api_fixtures import TOKEN
    from tests.conftest import free_port
    from tests.engine_fixtures import make_engine, wait_until
    from tests.receivers import WebhookReceiver

    services.webhook_allow_private = True  # the webhook receiver is on 127.0.0.1
    hook = WebhookReceiver().__enter__()
    got = hook.record(lambda q: q.json())
    listen = f"127.0.0.1:{free_port()}"
    api_server = make_server(build_app(services, [TOKEN]), listen)
    api_server.start()
    scenario = Scenario(
        rules=[{"match": "^0980000001$", "ring": 0.1, "answer": {"talk": 1.0}}, {"match": "^0980000002$", "sip": 486}]
    )
    engine = make_engine(store, simswitch(scenario, time_scale=0.1), tmp_path / "engine-audio")
    sender = WebhookSender(store, allow_private=True)
    sender.start()
    try:
        template = Template(template_name="nhac_no", audio_file="hello.wav")
        store.catalog.templates.put(template)
        carrier = Carrier(carrier_name="vbot", gateways={"offnet": "gw"}, caller_ids={"offnet": "02873001234"})
        store.catalog.carriers.put(carrier)
        source = campaign(
            store,
            campaign_name="mau",
            template_uuid=template.template_uuid,
            carrier_uuid=carrier.carrier_uuid,
            status=CampaignStatus.STOP,
            webhook_format="vbot",
            recall_times=3,
            schedule_recall_duration=0,
            callback_url=f"{hook.url}/cdr",
        )
        body = {
            "vbotId": "44634",
            "groupCode": "PR1",
            "campaignId": source.campaign_id,
            "name": "dot-1",
            "phones": [
                {"fields": [{"key": "phone", "value": "0980000001"}, {"key": "name", "value": "An"}]},
                {
                    "fields": [
                        {"key": "phone", "value": "0980000002"},
                        {"key": "name", "value": "Bình"},
                        {"key": "numberCall", "value": 1},
                    ]
                },
            ],
        }
        request = urllib.request.Request(
            f"http://{listen}{PATH}",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as res:
            answer = json.loads(res.read())
        assert answer["status"] == 1
        cid = store.campaigns.uuid_by_id(answer["data"])
        wait_until(
            lambda: store.reports.queue_sizes(cid)["finished"] == 2 and store.calls.in_flight(cid) == 0, timeout=30
        )
        wait_until(lambda: len(got) == 2, timeout=30)
        assert store.reports.queue_sizes(cid)["recalls"] == 0  # numberCall 1 overrides the template's recall_times 3
        by_phone = {b["phone"]: b for b in got}
        assert by_phone["0980000001"]["status"] == 200 and by_phone["0980000001"]["name"] == "An"
        assert by_phone["0980000002"]["status"] == 3 and by_phone["0980000002"]["name"] == "Bình"
        assert {b["campaign_id"] for b in got} == {answer["data"]} and {b["hotline"] for b in got} == {"02873001234"}
    finally:
        sender.stop()
        engine.stop(drain_timeout=5)
        api_server.stop()
        hook.__exit__()


def test_an_inactive_template_campaign_gives_an_active_clone(api, store, template_campaign):
    store.campaigns.update(template_campaign.campaign_uuid, {"active": "false"})
    new_id = api("POST", PATH, body=unmasked()).json["data"]
    clone = store.campaigns.get(store.campaigns.uuid_by_id(new_id))
    assert clone.active and clone.campaign_uuid in store.campaigns.running()


def test_a_failure_while_loading_phones_leaves_no_campaign_behind(api, store, template_campaign, monkeypatch):
    from dialer.service import leads

    def broken(*args, **kwargs):
        raise RuntimeError("simulated failure while loading")

    monkeypatch.setattr(leads, "import_many", broken)
    res = api("POST", PATH, body=unmasked())
    assert res.json["status"] == 0
    assert store.campaigns.uuid_by_name("campaign_name_new") is None and store.campaigns.running() == set()


def test_two_phones_of_the_same_person_refuse_the_creation_and_name_both(api, redis_client, template_campaign):
    """The same person is one lead (issue 15); VBot's answer has no shape for "created without row 2"."""
    body = json.loads(unmasked())
    for n, form in enumerate(["0981234567", "+84 98-123.4567", "(098) 123 4567"]):
        body["phones"].append({"fields": [{"key": "phone", "value": form}, {"key": "name", "value": f"B{n}"}]})
    before = snapshot(redis_client)
    res = api("POST", PATH, json=body)
    assert res.json == {
        "status": 0,
        "error": 201,
        "data": "-1",
        "msg": "phones[2].phone: 0981234567 is the same number as phones[1]'s; "
        "phones[3].phone: 0981234567 is the same number as phones[1]'s",
    }
    assert snapshot(redis_client) == before


def test_a_creation_refused_for_its_name_leaves_no_mark_behind(api, store, template_campaign):
    body = json.loads(unmasked())
    body["name"] = "mau"
    assert api("POST", PATH, json=body).json["msg"] == "campaign_name is already taken"
    assert store.r.hlen(store.keys.creating) == 0
    assert store.campaigns.get(template_campaign.campaign_uuid) is not None


def test_a_creation_that_landed_leaves_no_mark_and_its_name_stays_taken(api, store, template_campaign):
    assert api("POST", PATH, body=unmasked()).json["status"] == 1
    assert store.r.hlen(store.keys.creating) == 0
    again = api("POST", PATH, body=unmasked())
    assert again.json == {"status": 0, "error": 201, "msg": "campaign_name is already taken", "data": "-1"}
