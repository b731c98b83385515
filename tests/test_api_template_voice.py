"""/v3/template's ``voice``: a configured voice (AUTOCALL_TTS_VOICES), checked when the template is written."""

from __future__ import annotations

import pytest

from tests.api_fixtures import snapshot


@pytest.fixture
def voiced(services):
    services.voices = ("espeak", "fpt-banmai", "google-vi")
    return services


def test_a_template_names_a_configured_voice(api, voiced, store):
    res = api("POST", "/v3/template", json={"template_name": "x", "text": "Chào {{ ten }}", "voice": "fpt-banmai"})
    assert res.status_code == 200, res.json
    assert store.catalog.templates.get(res.json["template_uuid"]).voice == "fpt-banmai"


def test_a_template_with_no_voice_gets_the_default(api, voiced, store):
    res = api("POST", "/v3/template", json={"template_name": "x", "text": "Chào"})
    assert store.catalog.templates.get(res.json["template_uuid"]).voice == ""


def test_an_unknown_voice_is_refused_naming_the_configured_ones_and_nothing_written(api, voiced, redis_client):
    before = snapshot(redis_client)
    res = api("POST", "/v3/template", json={"template_name": "x", "text": "Chào", "voice": "vbee-hn"})
    assert res.status_code == 400 and res.json == {
        "error": [{"voice": "unknown voice 'vbee-hn'; configured voices: espeak, fpt-banmai, google-vi"}]
    }
    assert snapshot(redis_client) == before


def test_an_update_to_an_unknown_voice_is_refused_and_nothing_written(api, voiced, redis_client):
    uuid = api("POST", "/v3/template", json={"template_name": "x", "text": "Chào"}).json["template_uuid"]
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/template/{uuid}", json={"voice": "azure-hoaimy"})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["voice"]
    assert snapshot(redis_client) == before


def test_with_speech_off_no_voice_can_be_named(api, services):
    res = api("POST", "/v3/template", json={"template_name": "x", "text": "Chào", "voice": "espeak"})
    assert res.status_code == 400 and res.json == {
        "error": [{"voice": "unknown voice 'espeak'; configured voices: none (AUTOCALL_TTS_ENGINE=none)"}]
    }
