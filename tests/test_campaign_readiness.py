"""A campaign that cannot place a call burns no lead (issue 15): its start is refused over HTTP, naming what
is missing, and a running one that loses what it needs is held by the engine (nothing claimed, no attempt
counted), shown in /v3/live, ``autocall status`` and one log line, and dials again once fixed."""

from __future__ import annotations

import pytest

from dialer.domain.models import Carrier, Template
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.seed_examples import examples

V3 = examples("000_808eb0c90d7a3116.txt")
START = "/v1/campaign/{}/run/start"


@pytest.fixture
def audio_template(store, services) -> Template:
    template = Template(template_name="nhac_no", audio_file="nhac-no.wav")
    store.put_template(template)
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
    refused(api, redis_client, "POST", START.format(uuid),
            cannot("no template: autocall_voice_tts speaks its template's text (set template_uuid)"))  # fmt: skip
    assert api("GET", f"/v3/campaign/{uuid}").json["status"] == "stop"


def test_an_audio_campaign_naming_a_template_without_audio_is_refused(api, store, redis_client, audio_template):
    text = Template(template_name="loi_chao", text="Xin chào {{ten}}")
    store.put_template(text)
    uuid = create(api, type_autocall="autocall_audio", template_uuid=audio_template.template_uuid)
    res = api("PUT", f"/v3/campaign/{uuid}", json={"campaign_name": "c", "type": "autocall",
                                                   "template_uuid": text.template_uuid})  # fmt: skip
    assert res.status_code == 200  # the update itself is allowed
    refused(api, redis_client, "POST", START.format(uuid),
            cannot("template 'loi_chao' has no audio file, and autocall_audio plays one (upload it, or use "
                   "autocall_voice_tts for a text template)"))  # fmt: skip


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
    store.put_carrier(carrier)
    uuid = create(api, template_uuid=audio_template.template_uuid, carrier_uuid=carrier.carrier_uuid)
    refused(api, redis_client, "POST", START.format(uuid), cannot("carrier 'trong' has no gateway"))


@pytest.mark.parametrize("kind", ["autodialer", "inbound", "manual"])
def test_a_type_the_engine_does_not_run_is_refused(api, redis_client, audio_template, kind):
    uuid = create(api, type=kind, template_uuid=audio_template.template_uuid)
    refused(api, redis_client, "POST", START.format(uuid),
            cannot(f"type {kind} is not supported yet: autocall dials campaigns of type autocall"))  # fmt: skip


def test_a_speaking_campaign_on_a_server_without_speech_is_refused(api, store, redis_client, services):
    services.speech = False  # AUTOCALL_TTS_ENGINE=none
    text = Template(template_name="loi_chao", text="Xin chào {{ten}}")
    store.put_template(text)
    uuid = create(api, type_autocall="autocall_voice_tts", template_uuid=text.template_uuid)
    why = cannot("no speech engine on this server (AUTOCALL_TTS_ENGINE=none): autocall_voice_tts cannot speak")
    refused(api, redis_client, "POST", START.format(uuid), why)


def test_every_missing_thing_is_named_at_once(api, redis_client, services):
    services.default_gateway = ""
    uuid = create(api)
    refused(api, redis_client, "POST", START.format(uuid), cannot(
        "no template: autocall_audio plays its template's audio file (set template_uuid)",
        "no carrier and no default gateway (set carrier_uuid, or AUTOCALL_DEFAULT_GATEWAY on the server)"))  # fmt: skip


def test_starting_an_inactive_campaign_is_refused(api, redis_client, audio_template):
    uuid = create(api, template_uuid=audio_template.template_uuid, active=False)
    refused(api, redis_client, "POST", START.format(uuid),
            f'campaign is inactive: activate it first (PATCH /v3/campaign/{uuid}/active with {{"active": true}}), '
            "then start it")  # fmt: skip
    assert api("PATCH", f"/v3/campaign/{uuid}/active", json={"active": True}).status_code == 200
    assert api("POST", START.format(uuid), json={}).json == {"campaign_uuid": uuid}


def test_activating_a_started_campaign_that_cannot_dial_is_refused(api, store, redis_client):
    uuid = create(api, active=False, status="start")  # created started, inactive: allowed, nothing dials
    why = cannot("no template: autocall_audio plays its template's audio file (set template_uuid)")
    refused(api, redis_client, "PATCH", f"/v3/campaign/{uuid}/active", why, {"active": True})
    refused(api, redis_client, "PUT", f"/v3/campaign/{uuid}", why, {"campaign_name": "c", "type": "autocall",
                                                                    "active": True})  # fmt: skip
    api("POST", f"/v1/campaign/{uuid}/run/stop", json={})
    assert api("PATCH", f"/v3/campaign/{uuid}/active", json={"active": True}).status_code == 200  # stopped: allowed
    assert store.get_campaign(uuid).active is True


def test_a_put_that_starts_a_campaign_is_checked_but_a_round_trip_of_a_started_one_is_not(api, redis_client,
                                                                                           audio_template):  # fmt: skip
    uuid = create(api)
    refused(api, redis_client, "PUT", f"/v3/campaign/{uuid}",
            cannot("no template: autocall_audio plays its template's audio file (set template_uuid)"),
            {"campaign_name": "c", "type": "autocall", "status": "start"})  # fmt: skip
    fixed = {"campaign_name": "c", "type": "autocall", "status": "start", "template_uuid": audio_template.template_uuid}
    assert api("PUT", f"/v3/campaign/{uuid}", json=fixed).status_code == 200  # fixed in the same request: starts
    broken = {**fixed, "template_uuid": ""}  # running, and a PUT takes its template away: allowed, the engine holds it
    assert api("PUT", f"/v3/campaign/{uuid}", json=broken).status_code == 200
    assert api("PUT", f"/v3/campaign/{uuid}", json=broken).status_code == 200  # the same body again: no start


def test_a_queue_that_cannot_dial_is_not_started(api, store, services):
    template = Template(template_name="IVR-1", audio_file="ivr.wav")
    store.put_template(template)
    write_wav(services.audio_dir / "ivr.wav")
    push = {"queue_code": "Q", "template": "IVR-1", "customers": [{"id": "1", "mobiles": ["0981234567"]}]}
    assert api("POST", "/v2/autocall/queue", json=push).json["code"] == 200
    assert api("POST", "/v2/autocall/queue/stop", json={"queue_code": "Q"}).json["code"] == 200
    (services.audio_dir / "ivr.wav").unlink()
    res = api("POST", "/v2/autocall/queue/start", json={"queue_code": "Q"})
    path = (services.audio_dir / "ivr.wav").resolve()
    assert (res.status_code, res.json) == (409, {"code": 409, "content": cannot(
        f"template 'IVR-1': audio file {path} does not exist")})  # fmt: skip
    assert store.running_campaigns() == set()


def test_the_openapi_document_lists_the_refusals(api):
    paths = api("GET", "/openapi.json").json["paths"]
    assert "409" in paths["/v1/campaign/{campaign_uuid}/run/start"]["post"]["responses"]
    assert "409" in paths["/v3/campaign/{campaign_uuid}/active"]["patch"]["responses"]
    assert "409" in paths["/v2/autocall/queue/start"]["post"]["responses"]
