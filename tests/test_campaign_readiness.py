"""A campaign that cannot place a call burns no lead (issue 15): its start is refused over HTTP, naming what
is missing, and a running one that loses what it needs is held by the engine (nothing claimed, no attempt
counted), shown in /v3/live, ``autocall status`` and one log line, and dials again once fixed."""

from __future__ import annotations

import json
import logging

import pytest

from dialer.domain.models import Campaign, Carrier, Template
from dialer.logs import JsonFormatter
from dialer.media import MessageFiles
from dialer.readiness import NO_AGENT, NO_QUEUE, Means, missing
from dialer.status import gather, render
from simswitch import Scenario
from tests.api_fixtures import snapshot
from tests.engine_fixtures import make_engine, wait_until, write_wav
from tests.seed_examples import examples

V3 = examples("000_808eb0c90d7a3116.txt")
START = "/v1/campaign/{}/run/start"
ANSWER = Scenario(rules=[{"match": "^098", "ring": 0.05, "answer": {"talk": 0.1}}])


@pytest.fixture
def audio_template(store, services) -> Template:
    template = Template(template_name="nhac_no", audio_file="nhac-no.wav")
    store.catalog.templates.put(template)
    write_wav(services.audio_dir / "nhac-no.wav")
    return template


def create(api, **fields) -> str:
    res = api("POST", "/v3/campaign", json={"campaign_name": "c", "type": "autocall", **fields})
    assert res.status_code == 200, res.json
    return res.json["campaign_uuid"]


def refused(api, redis_client, method: str, path: str, why: str, body=None) -> None:
    """The request answers 409 with ``why`` as the v3 error, and writes nothing."""
    before = snapshot(redis_client)
    res = api(method, path, json=body if body is not None else {})
    assert (res.status_code, res.json) == (409, {"error": why})
    assert snapshot(redis_client) == before


def cannot(*why: str) -> str:
    return "campaign cannot place a call: " + "; ".join(why)


# -- run/start and activation are refused, naming what is missing --------------------------------------------
def test_the_seeds_own_create_body_is_accepted_but_its_start_names_the_missing_template(api, redis_client):
    ex = V3["Create Campaign Autocall"]  # autocall_voice_tts with "template_uuid": ""
    res = api(ex.method, ex.path, body=ex.data)
    assert res.status_code == 200  # customers create first and fill in later
    uuid = res.json["campaign_uuid"]
    refused(
        api,
        redis_client,
        "POST",
        START.format(uuid),
        cannot("no template: autocall_voice_tts speaks its template's text (set template_uuid)"),
    )
    assert api("GET", f"/v3/campaign/{uuid}").json["status"] == "stop"


def test_an_audio_campaign_naming_a_template_without_audio_is_refused(api, store, redis_client, audio_template):
    text = Template(template_name="loi_chao", text="Xin chào {{ten}}")
    store.catalog.templates.put(text)
    uuid = create(api, type_autocall="autocall_audio", template_uuid=audio_template.template_uuid)
    res = api(
        "PUT",
        f"/v3/campaign/{uuid}",
        json={"campaign_name": "c", "type": "autocall", "template_uuid": text.template_uuid},
    )
    assert res.status_code == 200  # the update itself is allowed
    refused(
        api,
        redis_client,
        "POST",
        START.format(uuid),
        cannot(
            "template 'loi_chao' has no audio file, and autocall_audio plays one (upload it, or use "
            "autocall_voice_tts for a text template)"
        ),
    )


def test_an_audio_template_whose_file_is_gone_is_refused(api, redis_client, services, audio_template):
    uuid = create(api, template_uuid=audio_template.template_uuid)
    (services.audio_dir / "nhac-no.wav").unlink()
    path = (services.audio_dir / "nhac-no.wav").resolve()
    why = cannot(f"template 'nhac_no': audio file {path} does not exist")
    refused(api, redis_client, "POST", START.format(uuid), why)


def test_no_carrier_and_no_default_gateway_is_refused(api, redis_client, services, audio_template):
    services.default_gateway = ""  # AUTOCALL_DEFAULT_GATEWAY unset
    uuid = create(api, template_uuid=audio_template.template_uuid)
    why = cannot("no carrier and no default gateway (set carrier_uuid, or AUTOCALL_DEFAULT_GATEWAY on the server)")
    refused(api, redis_client, "POST", START.format(uuid), why)


def test_a_carrier_without_any_gateway_is_refused(api, store, redis_client, audio_template):
    carrier = Carrier(carrier_name="trong")
    store.catalog.carriers.put(carrier)
    uuid = create(api, template_uuid=audio_template.template_uuid, carrier_uuid=carrier.carrier_uuid)
    refused(api, redis_client, "POST", START.format(uuid), cannot("carrier 'trong' has no gateway"))


def not_dialled(kind: str) -> str:
    return f"type {kind} is not dialled: autocall places the calls of autocall and autodialer campaigns only"


@pytest.mark.parametrize("kind", ["inbound", "manual"])
def test_a_type_the_engine_does_not_run_is_refused(api, redis_client, audio_template, kind):
    uuid = create(api, type=kind, template_uuid=audio_template.template_uuid)
    refused(api, redis_client, "POST", START.format(uuid), cannot(not_dialled(kind)))


def test_an_autodialer_campaign_whose_users_and_groups_name_no_agent_is_refused(api, redis_client, audio_template):
    uuid = create(api, type="autodialer", template_uuid=audio_template.template_uuid, groups=["sales"])
    refused(api, redis_client, "POST", START.format(uuid), cannot(NO_AGENT))


def test_an_autodialer_campaign_with_an_agent_starts(api, audio_template):
    assert api("POST", "/v3/agent", json={"extension": "1001", "groups": ["sales"]}).status_code == 200
    uuid = create(api, type="autodialer", template_uuid=audio_template.template_uuid, groups=["sales"])
    assert api("POST", START.format(uuid), json={}).json == {"campaign_uuid": uuid}


def test_an_autodialer_campaign_without_a_queue_cannot_dial(tmp_path):
    write_wav(tmp_path / "a.wav")
    camp = Campaign(campaign_name="c", type="autodialer", template_uuid="t")
    template = Template(template_uuid="t", audio_file="a.wav")
    assert missing(camp, template, None, Means(MessageFiles(tmp_path), "gw1", True), agents=1) == [NO_QUEUE]


def test_a_speaking_campaign_on_a_server_without_speech_is_refused(api, store, redis_client, services):
    services.speech = False  # AUTOCALL_TTS_ENGINE=none
    text = Template(template_name="loi_chao", text="Xin chào {{ten}}")
    store.catalog.templates.put(text)
    uuid = create(api, type_autocall="autocall_voice_tts", template_uuid=text.template_uuid)
    why = cannot("no speech engine on this server (AUTOCALL_TTS_ENGINE=none): autocall_voice_tts cannot speak")
    refused(api, redis_client, "POST", START.format(uuid), why)


def test_every_missing_thing_is_named_at_once(api, redis_client, services):
    services.default_gateway = ""
    uuid = create(api)
    refused(
        api,
        redis_client,
        "POST",
        START.format(uuid),
        cannot(
            "no template: autocall_audio plays its template's audio file (set template_uuid)",
            "no carrier and no default gateway (set carrier_uuid, or AUTOCALL_DEFAULT_GATEWAY on the server)",
        ),
    )


def test_starting_an_inactive_campaign_is_refused(api, redis_client, audio_template):
    uuid = create(api, template_uuid=audio_template.template_uuid, active=False)
    refused(
        api,
        redis_client,
        "POST",
        START.format(uuid),
        f'campaign is inactive: activate it first (PATCH /v3/campaign/{uuid}/active with {{"active": true}}), '
        "then start it",
    )
    assert api("PATCH", f"/v3/campaign/{uuid}/active", json={"active": True}).status_code == 200
    assert api("POST", START.format(uuid), json={}).json == {"campaign_uuid": uuid}


def test_activating_a_started_campaign_that_cannot_dial_is_refused(api, store, redis_client):
    uuid = create(api, active=False, status="start")  # created started, inactive: allowed, nothing dials
    why = cannot("no template: autocall_audio plays its template's audio file (set template_uuid)")
    refused(api, redis_client, "PATCH", f"/v3/campaign/{uuid}/active", why, {"active": True})
    refused(
        api,
        redis_client,
        "PUT",
        f"/v3/campaign/{uuid}",
        why,
        {"campaign_name": "c", "type": "autocall", "active": True},
    )
    api("POST", f"/v1/campaign/{uuid}/run/stop", json={})
    assert api("PATCH", f"/v3/campaign/{uuid}/active", json={"active": True}).status_code == 200  # stopped: allowed
    assert store.campaigns.get(uuid).active is True


def test_a_put_that_starts_a_campaign_is_checked_but_a_round_trip_of_a_started_one_is_not(
    api, redis_client, audio_template
):
    uuid = create(api)
    refused(
        api,
        redis_client,
        "PUT",
        f"/v3/campaign/{uuid}",
        cannot("no template: autocall_audio plays its template's audio file (set template_uuid)"),
        {"campaign_name": "c", "type": "autocall", "status": "start"},
    )
    fixed = {"campaign_name": "c", "type": "autocall", "status": "start", "template_uuid": audio_template.template_uuid}
    assert api("PUT", f"/v3/campaign/{uuid}", json=fixed).status_code == 200  # fixed in the same request: starts
    broken = {**fixed, "template_uuid": ""}  # running, and a PUT takes its template away: allowed, the engine holds it
    assert api("PUT", f"/v3/campaign/{uuid}", json=broken).status_code == 200
    assert api("PUT", f"/v3/campaign/{uuid}", json=broken).status_code == 200  # the same body again: no start


def test_a_queue_that_cannot_dial_is_not_started(api, store, services):
    template = Template(template_name="IVR-1", audio_file="ivr.wav")
    store.catalog.templates.put(template)
    write_wav(services.audio_dir / "ivr.wav")
    push = {"queue_code": "Q", "template": "IVR-1", "customers": [{"id": "1", "mobiles": ["0981234567"]}]}
    assert api("POST", "/v2/autocall/queue", json=push).json["code"] == 200
    assert api("POST", "/v2/autocall/queue/stop", json={"queue_code": "Q"}).json["code"] == 200
    (services.audio_dir / "ivr.wav").unlink()
    res = api("POST", "/v2/autocall/queue/start", json={"queue_code": "Q"})
    path = (services.audio_dir / "ivr.wav").resolve()
    assert (res.status_code, res.json) == (
        409,
        {"code": 409, "content": cannot(f"template 'IVR-1': audio file {path} does not exist")},
    )
    assert store.campaigns.running() == set()


def test_the_openapi_document_lists_the_refusals(api):
    paths = api("GET", "/openapi.json").json["paths"]
    assert "409" in paths["/v1/campaign/{campaign_uuid}/run/start"]["post"]["responses"]
    assert "409" in paths["/v3/campaign/{campaign_uuid}/active"]["patch"]["responses"]
    assert "409" in paths["/v2/autocall/queue/start"]["post"]["responses"]


# -- a running campaign that loses what it needs is held ------------------------------------------------------
@pytest.fixture
def dialer(store, services, simswitch):
    engines = []

    def start(**kw):
        server = simswitch(ANSWER, time_scale=0.1)
        engine = make_engine(store, server, services.audio_dir, **kw)
        engines.append(engine)
        return engine, server

    yield start
    for engine in engines:
        engine.stop(drain_timeout=5)


def import_leads(api, uuid: str, *numbers: str) -> list[str]:
    return [
        api("POST", "/v3/autocall/import", json={"campaign_uuid": uuid, "phone_number": n, "param": {}}).json[
            "lead_uuid"
        ]
        for n in numbers
    ]


def live_row(api, uuid: str) -> dict:
    (row,) = [c for c in api("GET", "/v3/live").json["campaigns"] if c["campaign_uuid"] == uuid]
    return row


def a_turn_later(engine, uuid: str) -> None:
    """Wait for a pacer turn that began after now and found the campaign held: had it not been held,
    that turn would have claimed what is queued now."""
    seen = engine.holds.held_turns.get(uuid, 0)
    engine.wake(uuid)
    wait_until(lambda: engine.holds.held_turns.get(uuid, 0) > seen)


def untouched(store, leads: list[str]) -> bool:
    return all(store.leads.get(x)["state"] == "queued" and store.leads.get(x)["attempts"] == "0" for x in leads)


def test_a_running_campaign_whose_audio_vanishes_is_held_shows_why_and_resumes_when_it_is_back(
    api, store, services, dialer, audio_template, caplog
):
    caplog.set_level(logging.INFO, logger="autocall.engine")
    engine, server = dialer(hold_check_s=0.05)  # the audio directory is looked at again every 50 ms
    uuid = create(api, campaign_name="Nhắc nợ", template_uuid=audio_template.template_uuid)
    assert api("POST", START.format(uuid), json={}).status_code == 200
    (first,) = import_leads(api, uuid, "0981000001")
    wait_until(lambda: store.leads.get(first)["state"] == "done")
    wait_until(lambda: server.switch.stats.originated == 1)

    audio = services.audio_dir / "nhac-no.wav"
    audio.unlink()
    why = [f"template 'nhac_no': audio file {audio.resolve()} does not exist"]
    wait_until(lambda: live_row(api, uuid)["held"] == why)
    waiting = import_leads(api, uuid, "0981000002", "0981000003", "0981000004")
    for _ in range(3):
        a_turn_later(engine, uuid)
    engine.flush()
    assert untouched(store, waiting) and store.reports.queue_sizes(uuid)["in_flight"] == 0
    report = api("GET", f"/v1/autocall/report?campaign_uuid={uuid}").json["data"]
    assert report["total_calls"] == 1 and server.switch.stats.originated == 1  # no attempt counted, none dialled

    row = live_row(api, uuid)
    assert row["held_since_ms"] > 0 and api("GET", "/v3/live").json["totals"]["held"] == 1
    (shown,) = [c for c in gather(store)["campaigns"] if c["uuid"] == uuid]
    assert shown["held"] == why
    assert f"HELD: Nhắc nợ: {why[0]}" in render(gather(store)) and "start (held)" in render(gather(store))
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if "held" in r.getMessage()]
    held = ("campaign held: it cannot place a call, and no lead is claimed until it can", uuid, why[0])
    assert [(x["msg"], x["campaign"], x["why"]) for x in lines] == [held]  # once, however many turns

    write_wav(audio)  # fixed: it dials again by itself
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in waiting))
    wait_until(lambda: live_row(api, uuid)["held"] == [])
    assert server.switch.stats.originated == 4
    assert [r.getMessage() for r in caplog.records if "no longer held" in r.getMessage()] == [
        "campaign no longer held: dialling again"
    ]


def test_a_put_that_takes_a_running_campaigns_template_away_holds_it_until_a_put_gives_one_back(
    api, store, dialer, audio_template
):
    engine, server = dialer()
    uuid = create(api, template_uuid=audio_template.template_uuid)
    assert api("POST", START.format(uuid), json={}).status_code == 200
    body = {"campaign_name": "c", "type": "autocall", "template_uuid": ""}
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200  # allowed: the engine holds it
    wait_until(
        lambda: (
            live_row(api, uuid)["held"]
            == ["no template: autocall_audio plays its template's audio file (set template_uuid)"]
        )
    )
    waiting = import_leads(api, uuid, "0981000002", "0981000003")
    a_turn_later(engine, uuid)
    assert untouched(store, waiting) and server.switch.stats.originated == 0
    body["template_uuid"] = audio_template.template_uuid
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200
    wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in waiting))
    assert live_row(api, uuid)["held"] == []


def test_a_file_gone_between_two_looks_costs_the_lead_no_attempt(api, store, services, dialer, audio_template):
    """The engine last looked a while ago (an hour here): the attempt that finds the file gone holds the
    campaign on the spot, and its lead goes back to wait, not counted, with no CDR."""
    engine, server = dialer(hold_check_s=3600)
    uuid = create(api, template_uuid=audio_template.template_uuid)
    assert api("POST", START.format(uuid), json={}).status_code == 200
    (first,) = import_leads(api, uuid, "0981000001")
    wait_until(lambda: store.leads.get(first)["state"] == "done")
    (services.audio_dir / "nhac-no.wav").unlink()
    (lead,) = import_leads(api, uuid, "0981000002")
    wait_until(lambda: live_row(api, uuid)["held"] != [])
    engine.flush()
    a_turn_later(engine, uuid)
    assert untouched(store, [lead]) and server.switch.stats.originated == 1
    cdrs = api("GET", f"/v3/autocall/cdr?campaign_uuid={uuid}").json["data"]
    assert [c["lead_uuid"] for c in cdrs] == [first]


def test_a_running_campaign_of_a_type_the_engine_does_not_run_is_held(api, store, dialer, audio_template):
    engine, server = dialer()
    uuid = create(api, template_uuid=audio_template.template_uuid)
    assert api("POST", START.format(uuid), json={}).status_code == 200
    body = {"campaign_name": "c", "type": "inbound"}
    assert api("PUT", f"/v3/campaign/{uuid}", json=body).status_code == 200
    wait_until(lambda: live_row(api, uuid)["held"] == [not_dialled("inbound")])
    waiting = import_leads(api, uuid, "0981000002")
    a_turn_later(engine, uuid)
    assert untouched(store, waiting) and server.switch.stats.originated == 0
