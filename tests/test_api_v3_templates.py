"""/v3/template: CRUD, text and audio checks, audio upload, refusal while a campaign uses a template."""

from __future__ import annotations

import io
import os
import stat
import wave

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Template
from dialer.service import templates as service
from dialer.service.templates import MAX_UPLOAD
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.factories import campaign
from tts.template import placeholders

UUID = "5f427552-857e-4939-8edf-cbd0f1ef6842"
WAV = {"Content-Type": "audio/wav"}


def wav_bytes(*, channels: int = 1, width: int = 2, rate: int = 8000, seconds: float = 0.5) -> bytes:
    """A silent WAV with any layout (write_wav makes only the accepted one)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\x00" * width * channels * int(seconds * rate))
    return out.getvalue()


def good_wav(tmp_path, seconds: float = 0.5, rate: int = 8000) -> bytes:
    return write_wav(tmp_path / f"src-{seconds}-{rate}.wav", seconds=seconds, rate=rate).read_bytes()


def create(api, **body) -> str:
    res = api("POST", "/v3/template", json={"template_name": "nhac no", **body})
    assert res.status_code == 200, res.json
    return res.json["template_uuid"]


def audio_files(services) -> list[str]:
    return sorted(os.listdir(services.audio_dir))


# -- create -------------------------------------------------------------------------
def test_create_answers_the_uuid_and_stores_the_template(api, store):
    res = api(
        "POST",
        "/v3/template",
        json={"template_name": "nhac no", "text": "Chào {{ ten }}", "otp_field": "code", "otp_repeat": 3},
    )
    assert res.status_code == 200 and res.json["created"] is True and set(res.json) == {"template_uuid", "created"}
    stored = store.catalog.templates.get(res.json["template_uuid"])
    assert (stored.template_name, stored.text, stored.otp_field, stored.otp_repeat) == (
        "nhac no",
        "Chào {{ ten }}",
        "code",
        3,
    )
    assert stored.created_at is not None and stored.created_at == stored.updated_at


def test_create_with_defaults_only_needs_a_name(api, store):
    stored = store.catalog.templates.get(create(api))
    assert (stored.text, stored.audio_file, stored.otp_field, stored.otp_repeat) == ("", "", "otp", 2)


def test_create_keeps_a_client_chosen_uuid(api, store):
    assert create(api, template_uuid=UUID.upper()) == UUID
    assert store.catalog.templates.get(UUID).template_name == "nhac no"


def test_create_with_a_taken_uuid_is_a_conflict_and_writes_nothing(api, redis_client):
    create(api, template_uuid=UUID)
    before = snapshot(redis_client)
    res = api("POST", "/v3/template", json={"template_name": "other", "template_uuid": UUID})
    assert res.status_code == 409 and res.json == {"error": "template_uuid is already taken"}
    assert snapshot(redis_client) == before


def test_create_without_a_name_says_template_name_is_required(api):
    res = api("POST", "/v3/template", json={"text": "x"})
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "template_name is required"}]}


def test_create_refuses_unknown_fields_and_wrong_types(api):
    res = api("POST", "/v3/template", json={"template_name": "x", "otp_repeat": "2", "txt": "typo"})
    assert res.status_code == 400
    assert res.json == {
        "error": [
            {"otp_repeat": "Invalid type. Expected: integer, given: string"},
            {"(root)": "Additional property txt is not allowed"},
        ]
    }


def test_create_refuses_an_otp_repeat_out_of_range(api):
    res = api("POST", "/v3/template", json={"template_name": "x", "otp_repeat": 6})
    assert res.json == {"error": [{"otp_repeat": "Must be less than or equal to 5"}]}


def test_a_body_read_with_get_can_be_sent_back(api):
    uuid = create(api, text="{{ a }}")
    body = api("GET", f"/v3/template/{uuid}").json
    res = api("POST", "/v3/template", json={**body, "template_uuid": None})
    assert res.status_code == 200 and res.json["template_uuid"] != uuid


# -- text ---------------------------------------------------------------------------
def test_placeholders_lists_the_names_of_the_text():
    assert placeholders("Chào {{ ten }}, nợ {{so_tien}} đến {{- han -}}; {{ ten }}") == {"ten", "so_tien", "han"}
    assert placeholders("no fields") == set()


def test_placeholders_of_a_text_written_by_hand_finds_the_plain_ones():
    assert placeholders("{% if x %}{{ ten }}{% endif %} {{ a.b }}") == {"ten"}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            "{% if vip %}Kính chào{% endif %}",
            "line 1 has a {% ... %} statement; only plain {{ field }} placeholders are allowed",
        ),
        (
            "{% raw %}{{ x }}{% endraw %}",
            "line 1 has a {% ... %} statement; only plain {{ field }} placeholders are allowed",
        ),
        ("a\n{{ ten|upper }}", "line 2 uses a filter (|upper); only plain {{ field }} placeholders are allowed"),
        (
            "{{ user.__class__ }}",
            "line 1 uses attribute access (.__class__); only plain {{ field }} placeholders are allowed",
        ),
        ("{{ x[0] }}", "line 1 uses item access ([...]); only plain {{ field }} placeholders are allowed"),
        ("{{ lipsum() }}", "line 1 uses a call (...()); only plain {{ field }} placeholders are allowed"),
        ("{{ 42 }}", "line 1 uses a constant (42); only plain {{ field }} placeholders are allowed"),
        ("{{ ten }", "is not a valid template: unexpected '}' (line 1)"),
    ],
)
def test_text_other_than_placeholders_is_refused_and_nothing_written(api, redis_client, text, error):
    before = snapshot(redis_client)
    res = api("POST", "/v3/template", json={"template_name": "x", "text": text})
    assert res.status_code == 400 and res.json == {"error": [{"text": error}]}
    assert snapshot(redis_client) == before


def test_the_view_shows_the_sorted_placeholders(api):
    uuid = create(api, text="Chào {{ ten }}, hạn {{ han }}, {{ ten }}")
    assert api("GET", f"/v3/template/{uuid}").json["placeholders"] == ["han", "ten"]


def test_a_tts_import_requires_every_placeholder_of_a_template_made_here(api, store):
    uuid = create(api, text="Chào {{ ten }}, hạn {{ han }}")
    camp = campaign(store, template_uuid=uuid, type_autocall=TypeAutocall.VOICE_TTS)
    res = api(
        "POST",
        "/v3/autocall/import",
        json={"campaign_uuid": camp.campaign_uuid, "phone_number": "0982596021", "param": {"ten": "A"}},
    )
    assert res.json == {"error": [{"param": "han is required (the campaign's template says {{han}})"}]}


# -- audio_file by name -----------------------------------------------------------
def test_audio_file_may_name_a_valid_wav_in_the_audio_dir(api, store, services):
    write_wav(services.audio_dir / "loi chao.wav", seconds=1.0)
    assert store.catalog.templates.get(create(api, audio_file="loi chao.wav")).audio_file == "loi chao.wav"


@pytest.mark.parametrize("name", ["../etc/passwd", "sub/a.wav", "..", "a\x00.wav", "..\\a.wav"])
def test_audio_file_must_be_a_plain_name_and_nothing_is_written(api, redis_client, name):
    before = snapshot(redis_client)
    res = api("POST", "/v3/template", json={"template_name": "x", "audio_file": name})
    assert res.status_code == 400
    assert res.json == {
        "error": [{"audio_file": "must be a plain file name in the audio directory (no '/', '\\', '..' or NUL)"}]
    }
    assert snapshot(redis_client) == before


def test_audio_file_must_exist(api):
    res = api("POST", "/v3/template", json={"template_name": "x", "audio_file": "nope.wav"})
    assert res.json == {
        "error": [
            {
                "audio_file": "nope.wav is not a file in the audio directory; upload it with "
                "PUT /v3/template/{template_uuid}/audio"
            }
        ]
    }


def test_audio_file_must_not_link_out_of_the_audio_dir(api, services, tmp_path):
    outside = write_wav(tmp_path / "outside.wav")
    (services.audio_dir / "link.wav").symlink_to(outside)
    res = api("POST", "/v3/template", json={"template_name": "x", "audio_file": "link.wav"})
    assert res.json == {
        "error": [{"audio_file": "must be a file in the audio directory (a link out of it is refused)"}]
    }


def test_audio_file_that_freeswitch_could_not_be_given_is_refused(api, services):
    write_wav(services.audio_dir / "it's.wav")
    res = api("POST", "/v3/template", json={"template_name": "x", "audio_file": "it's.wav"})
    assert res.status_code == 400 and res.json["error"][0]["audio_file"].startswith("cannot be passed to FreeSWITCH")


def test_audio_file_must_be_a_wav_by_the_upload_rules(api, services):
    (services.audio_dir / "stereo.wav").write_bytes(wav_bytes(channels=2))
    res = api("POST", "/v3/template", json={"template_name": "x", "audio_file": "stereo.wav"})
    assert res.status_code == 400
    assert res.json["error"][0]["audio_file"].startswith("stereo.wav must be mono; this file has 2 channels")


# -- list, get ------------------------------------------------------------------------
def test_list_pages_in_creation_order(api):
    uuids = [create(api, template_name=f"t{i}") for i in range(3)]
    res = api("GET", "/v3/template?limit=2&offset=1")
    assert res.status_code == 200
    assert [t["template_uuid"] for t in res.json["data"]] == uuids[1:]
    assert (res.json["limit"], res.json["offset"], res.json["total"]) == (2, 1, 3)


def test_list_refuses_a_bad_limit(api):
    assert api("GET", "/v3/template?limit=0").json == {"error": [{"limit": "Must be greater than or equal to 1"}]}


def test_get_answers_every_field(api):
    uuid = create(api, text="{{ a }}", otp_field="ma")
    body = api("GET", f"/v3/template/{uuid}").json
    assert set(body) == {
        "template_uuid",
        "template_name",
        "text",
        "placeholders",
        "audio_file",
        "otp_field",
        "otp_repeat",
        "prompt_set_uuid",
        "voice",
        "created_at",
        "updated_at",
    }
    assert (body["template_uuid"], body["otp_field"], body["created_at"][-6:]) == (uuid, "ma", "+07:00")


@pytest.mark.parametrize("path", [f"/v3/template/{UUID}", "/v3/template/not-a-uuid"])
def test_get_of_an_unknown_or_malformed_uuid_is_not_found(api, path):
    res = api("GET", path)
    assert res.status_code == 404 and res.json == {"error": "Not Found"}


# -- update -------------------------------------------------------------------------
def test_update_changes_only_the_fields_given(api, store):
    uuid = create(api, text="{{ a }}", otp_repeat=3)
    before = store.catalog.templates.get(uuid)
    res = api("PUT", f"/v3/template/{uuid}", json={"template_name": "moi", "otp_field": None})
    assert res.status_code == 200 and res.json == {"template_uuid": uuid}
    after = store.catalog.templates.get(uuid)
    assert (after.template_name, after.text, after.otp_field, after.otp_repeat) == ("moi", "{{ a }}", "otp", 3)
    assert after.created_at == before.created_at and after.updated_at >= before.updated_at


def test_update_of_an_unknown_template_is_not_found_and_creates_nothing(api, redis_client):
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/template/{UUID}", json={"template_name": "x"})
    assert res.status_code == 404 and res.json == {"error": "Not Found"}
    assert snapshot(redis_client) == before


def test_update_with_another_uuid_in_the_body_is_refused(api):
    uuid = create(api)
    res = api("PUT", f"/v3/template/{uuid}", json={"template_uuid": UUID})
    assert res.json == {"error": [{"template_uuid": "template_uuid in the body differs from the one in the URL"}]}


def test_update_checks_the_text_and_writes_nothing_when_refused(api, redis_client):
    uuid = create(api, text="{{ a }}")
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/template/{uuid}", json={"text": "{{ a.b }}"})
    assert res.status_code == 400 and list(res.json["error"][0]) == ["text"]
    assert snapshot(redis_client) == before


def test_update_sending_back_the_get_body_is_accepted_even_if_the_audio_is_gone(api, services):
    write_wav(services.audio_dir / "a.wav")
    uuid = create(api, audio_file="a.wav")
    (services.audio_dir / "a.wav").unlink()
    body = api("GET", f"/v3/template/{uuid}").json
    assert api("PUT", f"/v3/template/{uuid}", json=body).status_code == 200


def test_update_racing_a_delete_does_not_bring_the_template_back(api, store, monkeypatch):
    uuid = create(api)
    real = service._check

    def racing(svc, values, current):
        store.catalog.templates.delete(uuid)  # another client deletes while this update is being checked
        return real(svc, values, current)

    monkeypatch.setattr(service, "_check", racing)
    res = api("PUT", f"/v3/template/{uuid}", json={"template_name": "moi"})
    assert res.status_code == 404 and store.catalog.templates.get(uuid) is None


def test_update_with_an_empty_audio_file_clears_it(api, store, services):
    write_wav(services.audio_dir / "a.wav")
    uuid = create(api, audio_file="a.wav")
    api("PUT", f"/v3/template/{uuid}", json={"audio_file": ""})
    assert store.catalog.templates.get(uuid).audio_file == ""


# -- delete -------------------------------------------------------------------------
def test_delete_removes_the_template(api, store):
    uuid = create(api)
    res = api("DELETE", f"/v3/template/{uuid}")
    assert res.status_code == 200 and res.json == {"template_uuid": uuid}
    assert store.catalog.templates.get(uuid) is None and uuid not in store.catalog.templates.uuids()
    assert api("DELETE", f"/v3/template/{uuid}").status_code == 404


def test_delete_of_a_template_a_campaign_uses_is_refused_and_writes_nothing(api, store, redis_client):
    uuid = create(api)
    campaign(store, campaign_name="Nhắc nợ tháng 5", template_uuid=uuid)
    before = snapshot(redis_client)
    res = api("DELETE", f"/v3/template/{uuid}")
    assert res.status_code == 409 and res.json == {"error": "template is used by campaign Nhắc nợ tháng 5"}
    assert snapshot(redis_client) == before


def test_delete_is_allowed_once_the_campaign_is_deleted(api, store):
    uuid = create(api)
    camp = campaign(store, template_uuid=uuid, active=False)
    api("DELETE", f"/v3/campaign/{camp.campaign_uuid}")
    assert api("DELETE", f"/v3/template/{uuid}").status_code == 200


def test_delete_removes_the_uploaded_audio(api, services, tmp_path):
    uuid = create(api)
    api("PUT", f"/v3/template/{uuid}/audio", body=good_wav(tmp_path), headers=WAV)
    api("DELETE", f"/v3/template/{uuid}")
    assert audio_files(services) == []


def test_delete_keeps_an_uploaded_audio_another_template_names(api, services, tmp_path):
    uuid = create(api)
    api("PUT", f"/v3/template/{uuid}/audio", body=good_wav(tmp_path), headers=WAV)
    create(api, audio_file=f"template-{uuid}.wav")
    api("DELETE", f"/v3/template/{uuid}")
    assert audio_files(services) == [f"template-{uuid}.wav"]


# -- audio upload ---------------------------------------------------------------------
def test_upload_stores_the_wav_and_points_the_template_at_it(api, store, services, tmp_path):
    uuid = create(api)
    data = good_wav(tmp_path, seconds=1.5)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=data, headers=WAV)
    assert res.status_code == 200
    assert res.json == {"template_uuid": uuid, "audio_file": f"template-{uuid}.wav", "seconds": 1.5}
    assert (services.audio_dir / f"template-{uuid}.wav").read_bytes() == data
    assert store.catalog.templates.get(uuid).audio_file == f"template-{uuid}.wav"


def test_upload_is_readable_by_freeswitch_and_leaves_no_temp_file(api, services, tmp_path):
    uuid = create(api)
    api("PUT", f"/v3/template/{uuid}/audio", body=good_wav(tmp_path), headers=WAV)
    assert audio_files(services) == [f"template-{uuid}.wav"]
    assert stat.S_IMODE((services.audio_dir / f"template-{uuid}.wav").stat().st_mode) == 0o644


def test_upload_accepts_16_khz_and_octet_stream(api, tmp_path):
    uuid = create(api)
    res = api(
        "PUT",
        f"/v3/template/{uuid}/audio",
        body=good_wav(tmp_path, rate=16000),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert res.status_code == 200 and res.json["seconds"] == 0.5


def test_a_second_upload_replaces_the_first(api, services, tmp_path):
    uuid = create(api)
    api("PUT", f"/v3/template/{uuid}/audio", body=good_wav(tmp_path, seconds=1.0), headers=WAV)
    second = good_wav(tmp_path, seconds=2.0)
    assert api("PUT", f"/v3/template/{uuid}/audio", body=second, headers=WAV).json["seconds"] == 2.0
    assert (services.audio_dir / f"template-{uuid}.wav").read_bytes() == second


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (wav_bytes(channels=2), "must be mono; this file has 2 channels"),
        (wav_bytes(width=1), "must be 16-bit PCM; this file has 8-bit samples"),
        (wav_bytes(rate=44100), "must be sampled at 8000 or 16000 Hz; this file is 44100 Hz"),
        (wav_bytes(seconds=0.05), "must be at least 0.1 s long; this file is 0.050 s"),
        (wav_bytes(seconds=600.5), "must be at most 10 minutes long; this file is 600.5 s"),
        (b"ID3\x04\x00 an mp3", "is not a WAV file: it does not start with 'RIFF'"),
        (wav_bytes()[:-100], "is truncated: its header announces 4000 samples, it holds 3950"),
        (wav_bytes()[:30], "is not a WAV file: it ends inside its header"),
    ],
)
def test_upload_refuses_what_autocall_will_not_play_and_writes_nothing(api, services, redis_client, data, reason):
    uuid = create(api)
    before = snapshot(redis_client)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=data, headers=WAV)
    assert res.status_code == 400 and res.json["error"][0]["audio"].startswith(reason)
    assert snapshot(redis_client) == before and audio_files(services) == []


def test_upload_names_every_problem_of_the_file(api):
    uuid = create(api)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=wav_bytes(channels=2, rate=22050), headers=WAV)
    assert [list(e) for e in res.json["error"]] == [["audio"], ["audio"]]


def test_upload_of_a_float_wav_says_it_must_be_pcm(api):
    data = bytearray(wav_bytes())
    data[20:22] = (3).to_bytes(2, "little")  # fmt chunk's format tag: IEEE float
    uuid = create(api)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=bytes(data), headers=WAV)
    assert res.json["error"][0]["audio"].startswith("must be PCM (WAV format 1); this file is IEEE float")


def test_upload_of_an_empty_body_is_refused(api):
    uuid = create(api)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=b"", headers=WAV)
    assert res.json == {"error": [{"audio": "the body is empty; send the WAV file itself as the body"}]}


def test_upload_with_another_content_type_is_refused(api, tmp_path):
    uuid = create(api)
    res = api(
        "PUT",
        f"/v3/template/{uuid}/audio",
        body=good_wav(tmp_path),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert res.status_code == 415 and res.json["error"].startswith("Content-Type must be audio/wav")


def test_upload_to_an_unknown_template_is_not_found_and_stores_no_file(api, services, tmp_path):
    res = api("PUT", f"/v3/template/{UUID}/audio", body=good_wav(tmp_path), headers=WAV)
    assert res.status_code == 404 and audio_files(services) == []


def test_upload_larger_than_32_mib_is_refused(api, services):
    uuid = create(api)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=b"\x00" * (MAX_UPLOAD + 1), headers=WAV)
    assert res.status_code == 413 and res.json == {"error": f"request body is larger than {MAX_UPLOAD} bytes"}
    assert audio_files(services) == []


def test_upload_into_an_unwritable_audio_dir_is_a_503_and_keeps_the_template(api, store, tmp_path, monkeypatch):
    uuid = create(api)

    def refuse(path, data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(service, "_write_atomically", refuse)
    res = api("PUT", f"/v3/template/{uuid}/audio", body=good_wav(tmp_path), headers=WAV)
    assert res.status_code == 503
    assert res.json == {"error": "cannot store the audio file: Permission denied (check AUTOCALL_AUDIO_DIR)"}
    assert store.catalog.templates.get(uuid).audio_file == ""


def test_every_template_endpoint_needs_the_bearer_token(api, store):
    store.catalog.templates.put(Template(template_uuid=UUID, template_name="x"))
    for method, path in [
        ("POST", "/v3/template"),
        ("GET", "/v3/template"),
        ("GET", f"/v3/template/{UUID}"),
        ("PUT", f"/v3/template/{UUID}"),
        ("DELETE", f"/v3/template/{UUID}"),
        ("PUT", f"/v3/template/{UUID}/audio"),
    ]:
        assert api(method, path, auth=False).status_code == 401, (method, path)
    assert store.catalog.templates.get(UUID) is not None
