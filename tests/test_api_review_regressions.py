"""Defects a review found in the API, each pinned by the behaviour that fixes it."""

from __future__ import annotations

import json
import socket
from datetime import datetime

import gevent

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Lead, Network, Template
from dialer.domain.window import zone
from dialer.media import MessageFiles
from tests.api_fixtures import TOKEN, snapshot
from tests.conftest import free_port
from tests.factories import campaign, leads


def test_a_report_until_a_far_future_date_reads_only_hours_that_can_hold_calls(api, store, redis_client):
    camp = campaign(store, created_at=datetime(2026, 1, 1, tzinfo=zone("Asia/Ho_Chi_Minh")))
    calls = []
    original = redis_client.pipeline

    def counting_pipeline(*a, **kw):
        pipe = original(*a, **kw)
        calls.append(pipe)
        return pipe

    store.r.pipeline = counting_pipeline
    q = f"campaign_uuid={camp.campaign_uuid}&end_date=2999-12-31 23:59:59"
    assert api("GET", "/v1/autocall/report", query_string=q).status_code == 200
    assert max(len(p.command_stack) for p in calls) < 24 * 366 * 2  # not ~8.7 million hours


def test_dates_past_year_2999_are_refused_not_overflowed(api, store):
    camp = campaign(store)
    for path in ("/v1/autocall/report", "/v3/autocall/cdr"):
        res = api("GET", path, query_string=f"campaign_uuid={camp.campaign_uuid}&end_date=9999-12-31")
        assert res.status_code == 400
        assert res.json == {"error": [{"end_date": "the year must be between 2000 and 2999"}]}


def test_template_text_nested_too_deeply_is_refused(api):
    res = api("POST", "/v3/template", json={"template_name": "x", "text": "{{" + "(" * 300 + "x" + ")" * 300 + "}}"})
    assert res.status_code == 400 and "nested too deeply" in json.dumps(res.json)


def test_an_idle_half_sent_request_is_dropped(services):
    listen = f"127.0.0.1:{free_port()}"
    server = make_server(build_app(services, [TOKEN]), listen, idle_seconds=0.3)
    server.start()
    try:
        s = socket.create_connection(("127.0.0.1", int(listen.split(":")[1])))
        s.sendall(b"GET /v3/campaign HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        with gevent.Timeout(5):
            while s.recv(4096):  # pywsgi may answer 400 first; then the server closes it
                pass
        s.close()
    finally:
        server.stop()


def test_leads_are_never_written_into_a_deleted_campaign(store, redis_client):
    camp = campaign(store, active=False)
    store.campaigns.delete(camp.campaign_uuid, 1)
    before = snapshot(redis_client)
    lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=["0982596021"], networks=[Network.VIETTEL])
    try:
        store.leads.add([lead], 1)
        raise AssertionError("a deleted campaign took a lead")
    except KeyError:
        pass
    assert snapshot(redis_client) == before


def test_the_purge_also_removes_attempts_that_were_never_reported(store, redis_client):
    camp = campaign(store, active=False)
    (lead,) = leads(store, camp, 1)
    store.calls.claim(camp.campaign_uuid, 1, "fs1", 1, 60_000, ["0b0e7a52-0000-4000-8000-00000000000a"])
    store.r.zrem(store.keys.calls(camp.campaign_uuid), lead.call_id)  # the slot ended, unreported
    store.campaigns.delete(camp.campaign_uuid, 1)
    while store.campaigns.purge_deleted():
        pass
    assert redis_client.keys("autocall:call:*") == [] and redis_client.keys("autocall:lead:*") == []


def test_a_put_that_repeats_a_stale_name_renames_back_with_its_index(api, store):
    camp = campaign(store, campaign_name="A")
    path = f"/v3/campaign/{camp.campaign_uuid}"
    api("PUT", path, json={"campaign_name": "B", "type": "autocall"})  # another client renames
    api("PUT", path, json={"campaign_name": "A", "type": "autocall", "concurrent_call": 3})  # read "A" earlier
    assert store.campaigns.get(camp.campaign_uuid).campaign_name == "A"
    assert api("POST", "/v3/campaign", json={"campaign_name": "A", "type": "autocall"}).status_code == 409
    assert api("POST", "/v3/campaign", json={"campaign_name": "B", "type": "autocall"}).status_code == 200


def test_changing_a_template_tells_the_engines_to_reload_its_campaigns(api, store):
    template = Template(template_name="t", text="Chào {{ten}}")
    store.catalog.templates.put(template)
    camp = campaign(store, template_uuid=template.template_uuid)
    pubsub = store.r.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(store.keys.events)
    pubsub.get_message(timeout=1)
    api("PUT", f"/v3/template/{template.template_uuid}", json={"text": "Xin chào {{ten}}"})
    with gevent.Timeout(5):
        while (msg := pubsub.get_message(timeout=1)) is None:
            pass
    assert msg["data"] == f"changed {camp.campaign_uuid}"
    pubsub.close()


def test_voice_otp_reads_the_templates_otp_field_as_often_as_it_says(tmp_path):
    heard = []

    class Renderer:
        def render_otp(self, code, repeat=2, intro="", voice=""):
            heard.append((code, repeat))
            return tmp_path / "otp.wav"

        def render_text(self, text, fields, voice=""):
            raise AssertionError

    files = MessageFiles(tmp_path, renderer=Renderer())
    template = Template(template_name="otp", otp_field="ma_otp", otp_repeat=3)
    camp = Campaign(campaign_name="otp", type_autocall=TypeAutocall.VOICE_OTP)
    files.for_call(camp, template, {"ma_otp": "482915"})
    assert heard == [("482915", 3)]


def test_a_dead_letter_offset_beyond_any_list_is_a_field_error(api):
    res = api("GET", "/v3/webhook/dead", query_string="offset=99999999999999999999")
    assert res.status_code == 400 and list(res.json["error"][0]) == ["offset"]
