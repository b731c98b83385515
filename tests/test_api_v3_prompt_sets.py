"""/v3/prompt-set: recorded prompt sets, their uploads, and the templates that name them (issue 20)."""

from __future__ import annotations

import os
import stat

import gevent
import pytest

from dialer.domain.prompt_sets import PromptSet
from dialer.service import templates as template_service
from tests.api_fixtures import snapshot
from tests.engine_fixtures import write_wav
from tests.factories import campaign
from tests.test_api_v3_templates import wav_bytes
from tts.prompt_keys import OPTIONAL, REQUIRED
from tts.template import check_text, placeholders

UUID = "5f427552-857e-4939-8edf-cbd0f1ef6842"
WAV = {"Content-Type": "audio/wav"}


def good_wav(tmp_path, seconds: float = 0.5, rate: int = 8000) -> bytes:
    return write_wav(tmp_path / f"src-{seconds}-{rate}.wav", seconds=seconds, rate=rate).read_bytes()


def create_set(api, name: str = "Giọng chị Lan", **body) -> str:
    res = api("POST", "/v3/prompt-set", json={"prompt_set_name": name, **body})
    assert res.status_code == 200, res.json
    return res.json["prompt_set_uuid"]


def upload(api, uuid: str, key: str, data: bytes):
    return api("PUT", f"/v3/prompt-set/{uuid}/prompt/{key}", body=data, headers=WAV)


def complete_set(api, tmp_path, *keys: str) -> str:
    """A set with every required prompt recorded, and ``keys`` besides."""
    uuid = create_set(api)
    data = good_wav(tmp_path)
    for key in [*REQUIRED, *keys]:
        assert upload(api, uuid, key, data).status_code == 200
    return uuid


def files(services, uuid: str) -> list[str]:
    folder = services.audio_dir / "prompts" / uuid
    return sorted(os.listdir(folder)) if folder.exists() else []


def create_template(api, **body):
    return api("POST", "/v3/template", json={"template_name": "nhac no", **body})


# -- the set ----------------------------------------------------------------------------------
def test_a_new_set_is_missing_every_required_prompt_and_lists_the_words_to_record(api):
    uuid = create_set(api)
    body = api("GET", f"/v3/prompt-set/{uuid}").json
    assert (body["prompt_set_name"], body["prompts"], body["complete"]) == ("Giọng chị Lan", {}, False)
    assert body["missing"] == list(REQUIRED)
    assert body["words"] == {"required": REQUIRED, "optional": OPTIONAL}
    assert body["words"]["required"]["otp-again"] == "Xin nhắc lại"


def test_create_keeps_a_client_chosen_uuid_and_refuses_a_taken_one(api, redis_client):
    assert create_set(api, prompt_set_uuid=UUID.upper()) == UUID
    before = snapshot(redis_client)
    res = api("POST", "/v3/prompt-set", json={"prompt_set_name": "x", "prompt_set_uuid": UUID})
    assert res.status_code == 409 and res.json == {"error": "prompt_set_uuid is already taken"}
    assert snapshot(redis_client) == before


def test_create_without_a_name_says_it_is_required(api):
    res = api("POST", "/v3/prompt-set", json={})
    assert res.status_code == 400 and res.json == {"error": [{"(root)": "prompt_set_name is required"}]}


def test_list_pages_in_creation_order(api):
    uuids = [create_set(api, f"s{i}") for i in range(3)]
    res = api("GET", "/v3/prompt-set?limit=2&offset=1")
    assert [s["prompt_set_uuid"] for s in res.json["data"]] == uuids[1:] and res.json["total"] == 3


def test_rename_keeps_the_recordings_and_a_get_body_can_be_sent_back(api, tmp_path):
    uuid = create_set(api)
    upload(api, uuid, "0", good_wav(tmp_path))
    body = api("GET", f"/v3/prompt-set/{uuid}").json
    res = api("PUT", f"/v3/prompt-set/{uuid}", json={**body, "prompt_set_name": "Anh Minh"})
    assert res.status_code == 200 and res.json == {"prompt_set_uuid": uuid}
    after = api("GET", f"/v3/prompt-set/{uuid}").json
    assert (after["prompt_set_name"], list(after["prompts"])) == ("Anh Minh", ["0"])


# -- uploads ----------------------------------------------------------------------------------
def test_upload_stores_the_wav_under_prompts_and_answers_what_is_still_missing(api, services, tmp_path):
    uuid = create_set(api)
    data = good_wav(tmp_path, seconds=0.6, rate=16000)
    res = upload(api, uuid, "5", data)
    assert res.status_code == 200
    assert res.json == {
        "prompt_set_uuid": uuid,
        "key": "5",
        "word": "năm",
        "seconds": 0.6,
        "rate": 16000,
        "missing": [k for k in REQUIRED if k != "5"],
        "complete": False,
    }
    path = services.audio_dir / "prompts" / uuid / "5.wav"
    assert path.read_bytes() == data and stat.S_IMODE(path.stat().st_mode) == 0o644
    assert files(services, uuid) == ["5.wav"]  # no temporary file left


def test_get_shows_each_recording_with_its_word_seconds_and_rate(api, tmp_path):
    uuid = create_set(api)
    upload(api, uuid, "otp-intro", good_wav(tmp_path, seconds=1.5))
    upload(api, uuid, "phrase-loi_chao", good_wav(tmp_path, seconds=2.0, rate=16000))
    assert api("GET", f"/v3/prompt-set/{uuid}").json["prompts"] == {
        "otp-intro": {"word": "Mã xác thực của bạn là", "seconds": 1.5, "rate": 8000},
        "phrase-loi_chao": {"word": "[[loi_chao]]", "seconds": 2.0, "rate": 16000},
    }


def test_a_set_with_every_required_prompt_is_complete(api, tmp_path):
    uuid = complete_set(api, tmp_path)
    body = api("GET", f"/v3/prompt-set/{uuid}").json
    assert (body["missing"], body["complete"]) == ([], True)


def test_a_second_upload_replaces_the_first(api, services, tmp_path):
    uuid = create_set(api)
    upload(api, uuid, "0", good_wav(tmp_path, seconds=0.5))
    second = good_wav(tmp_path, seconds=0.8)
    assert upload(api, uuid, "0", second).json["seconds"] == 0.8
    assert (services.audio_dir / "prompts" / uuid / "0.wav").read_bytes() == second


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (wav_bytes(channels=2), "must be mono; this file has 2 channels"),
        (wav_bytes(rate=44100), "must be sampled at 8000 or 16000 Hz; this file is 44100 Hz"),
        (wav_bytes(seconds=0.05), "must be at least 0.1 s long; this file is 0.050 s"),
        (b"ID3\x04\x00 an mp3", "is not a WAV file: it does not start with 'RIFF'"),
        (wav_bytes(seconds=10.5), "must be at most 10 s long for 7 (bảy); this file is 10.5 s"),
        (b"", "the body is empty; send the WAV file itself as the body"),
    ],
)
def test_upload_refuses_what_the_template_audio_rules_refuse_and_writes_nothing(
    api, services, redis_client, data, reason
):
    uuid = create_set(api)
    before = snapshot(redis_client)
    res = upload(api, uuid, "7", data)
    assert res.status_code == 400 and res.json["error"][0]["audio"].startswith(reason), res.json
    assert snapshot(redis_client) == before and files(services, uuid) == []


def test_the_otp_sentences_may_be_30_s_and_phrases_longer(api, tmp_path):
    uuid = create_set(api)
    assert upload(api, uuid, "otp-again", good_wav(tmp_path, seconds=12.0)).status_code == 200
    res = upload(api, uuid, "otp-intro", wav_bytes(seconds=30.5))
    assert res.json == {
        "error": [{"audio": "must be at most 30 s long for otp-intro (Mã xác thực của bạn là); this file is 30.5 s"}]
    }
    assert upload(api, uuid, "phrase-dieu_khoan", good_wav(tmp_path, seconds=45.0)).status_code == 200


@pytest.mark.parametrize("key", ["eleven", "phrase-Loi", "phrase-", "a.wav", "otp_intro"])
def test_upload_of_an_unknown_key_is_refused_naming_the_keys_and_writes_nothing(
    api, services, redis_client, tmp_path, key
):
    uuid = create_set(api)
    before = snapshot(redis_client)
    res = upload(api, uuid, key, good_wav(tmp_path))
    assert res.status_code == 400
    message = res.json["error"][0]["key"]
    assert message.startswith(f"{key!r} is not a prompt of a set; the keys are 0, 1, 2,")
    assert "otp-intro, otp-again, negative, point, day, month and phrase-<name>" in message
    assert snapshot(redis_client) == before and files(services, uuid) == []


def test_upload_with_another_content_type_is_refused(api, tmp_path):
    uuid = create_set(api)
    res = api(
        "PUT",
        f"/v3/prompt-set/{uuid}/prompt/0",
        body=good_wav(tmp_path),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert res.status_code == 415 and res.json["error"].startswith("Content-Type must be audio/wav")


def test_upload_to_an_unknown_set_is_not_found_and_stores_no_file(api, services, tmp_path):
    res = upload(api, UUID, "0", good_wav(tmp_path))
    assert res.status_code == 404 and not (services.audio_dir / "prompts").exists()


def test_upload_into_an_unwritable_audio_dir_is_a_503_and_records_nothing(api, store, tmp_path, monkeypatch):
    from dialer.service import prompt_sets

    uuid = create_set(api)

    def refuse(path, data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(prompt_sets, "_write_atomically", refuse)
    res = upload(api, uuid, "0", good_wav(tmp_path))
    assert res.status_code == 503
    assert res.json == {"error": "cannot store the prompt file: Permission denied (check AUTOCALL_AUDIO_DIR)"}
    assert store.prompt_sets.get(uuid).prompts == {}


def test_delete_of_a_prompt_removes_its_file_and_it_is_missing_again(api, services, tmp_path):
    uuid = complete_set(api, tmp_path)
    res = api("DELETE", f"/v3/prompt-set/{uuid}/prompt/tu")
    assert res.status_code == 200
    assert res.json == {"prompt_set_uuid": uuid, "key": "tu", "missing": ["tu"], "complete": False}
    assert "tu.wav" not in files(services, uuid)


def test_delete_of_a_prompt_not_recorded_is_not_found(api):
    uuid = create_set(api)
    res = api("DELETE", f"/v3/prompt-set/{uuid}/prompt/tu")
    assert res.status_code == 404 and res.json == {"error": "tu is not recorded in this prompt set"}


# -- delete the set ---------------------------------------------------------------------------
def test_delete_removes_the_set_and_its_files(api, store, services, tmp_path):
    uuid = create_set(api)
    upload(api, uuid, "0", good_wav(tmp_path))
    res = api("DELETE", f"/v3/prompt-set/{uuid}")
    assert res.status_code == 200 and res.json == {"prompt_set_uuid": uuid}
    assert store.prompt_sets.get(uuid) is None and uuid not in store.prompt_sets.uuids()
    assert os.listdir(services.audio_dir / "prompts") == []


def test_delete_of_a_set_templates_name_is_refused_naming_them_and_writes_nothing(
    api, services, redis_client, tmp_path
):
    uuid = complete_set(api, tmp_path)
    create_template(api, template_name="Nhắc nợ", prompt_set_uuid=uuid)
    create_template(api, template_name="OTP", prompt_set_uuid=uuid)
    before = snapshot(redis_client)
    res = api("DELETE", f"/v3/prompt-set/{uuid}")
    assert res.status_code == 409 and res.json == {"error": "prompt set is used by templates Nhắc nợ, OTP"}
    assert snapshot(redis_client) == before and len(files(services, uuid)) == len(REQUIRED)


def test_delete_is_allowed_once_no_template_names_the_set(api, tmp_path):
    uuid = complete_set(api, tmp_path)
    template = create_template(api, prompt_set_uuid=uuid).json["template_uuid"]
    api("PUT", f"/v3/template/{template}", json={"prompt_set_uuid": ""})
    assert api("DELETE", f"/v3/prompt-set/{uuid}").status_code == 200


# -- templates naming a set -------------------------------------------------------------------
def test_a_template_may_name_a_complete_set(api, store, tmp_path):
    uuid = complete_set(api, tmp_path)
    res = create_template(api, text="Kính chào {{ ten }}", prompt_set_uuid=uuid)
    assert res.status_code == 200
    assert store.catalog.templates.get(res.json["template_uuid"]).prompt_set_uuid == uuid


def test_a_template_naming_an_unknown_set_is_refused_and_writes_nothing(api, redis_client):
    before = snapshot(redis_client)
    res = create_template(api, prompt_set_uuid=UUID)
    assert res.status_code == 400
    assert res.json == {"error": [{"prompt_set_uuid": f"prompt set {UUID} does not exist"}]}
    assert snapshot(redis_client) == before


def test_a_template_naming_an_incomplete_set_is_refused_naming_the_missing_prompts(api, redis_client, tmp_path):
    uuid = create_set(api)
    data = good_wav(tmp_path)
    for key in REQUIRED:
        if key not in ("lam", "otp-again"):
            upload(api, uuid, key, data)
    before = snapshot(redis_client)
    res = create_template(api, prompt_set_uuid=uuid)
    assert res.json == {
        "error": [{"prompt_set_uuid": "prompt set 'Giọng chị Lan' is incomplete: record lam, otp-again"}]
    }
    assert snapshot(redis_client) == before


def test_a_recorded_phrase_needs_its_recording_in_the_set(api, tmp_path):
    uuid = complete_set(api, tmp_path, "phrase-loi_chao")
    res = create_template(api, text="[[loi_chao]] {{ ten }}. [[cam_on]] [[tam_biet]]", prompt_set_uuid=uuid)
    assert res.json == {
        "error": [
            {"text": "prompt set 'Giọng chị Lan' has no recording of phrase-cam_on, phrase-tam_biet (upload it first)"}
        ]
    }
    assert create_template(api, text="[[loi_chao]] {{ ten }}", prompt_set_uuid=uuid).status_code == 200


def test_a_recorded_phrase_without_a_set_is_refused(api):
    res = create_template(api, text="[[loi_chao]] {{ ten }}")
    assert res.json == {
        "error": [{"text": "[[loi_chao]] is a recorded phrase, and the template names no prompt set (prompt_set_uuid)"}]
    }


def test_a_phrase_slot_that_is_not_a_phrase_name_is_refused(api, tmp_path):
    uuid = complete_set(api, tmp_path)
    res = create_template(api, text="[[Lời chào]] {{ ten }}", prompt_set_uuid=uuid)
    assert res.json == {
        "error": [{"text": "[[Lời chào]] is not a recorded phrase name (a-z, 0-9, _ and -, at most 40)"}]
    }


def test_the_text_rules_take_a_phrase_slot_as_plain_text():
    check_text("[[loi_chao]] {{ ten }}, [[ cam-on ]]")  # no TextRefused
    assert placeholders("[[loi_chao]] {{ ten }}") == {"ten"}


def test_an_update_adding_a_phrase_is_checked_against_the_set_named(api, tmp_path):
    uuid = complete_set(api, tmp_path)
    template = create_template(api, text="Chào {{ ten }}", prompt_set_uuid=uuid).json["template_uuid"]
    res = api("PUT", f"/v3/template/{template}", json={"text": "[[loi_chao]] {{ ten }}"})
    assert res.json == {
        "error": [{"text": "prompt set 'Giọng chị Lan' has no recording of phrase-loi_chao (upload it first)"}]
    }


def test_a_get_body_sent_back_is_accepted_though_the_set_lost_a_prompt(api, tmp_path):
    uuid = complete_set(api, tmp_path)
    template = create_template(api, prompt_set_uuid=uuid).json["template_uuid"]
    api("DELETE", f"/v3/prompt-set/{uuid}/prompt/9")
    body = api("GET", f"/v3/template/{template}").json
    assert api("PUT", f"/v3/template/{template}", json=body).status_code == 200


def test_a_template_write_racing_the_sets_delete_is_refused_and_writes_nothing(
    api, store, redis_client, tmp_path, monkeypatch
):
    uuid = complete_set(api, tmp_path)
    real = template_service.problems

    def racing(svc, prompt_set_uuid, names):
        found = real(svc, prompt_set_uuid, names)  # checked: the set exists and is complete...
        store.prompt_sets.delete(uuid)  # ...then another client deletes it before the template is written
        return found

    monkeypatch.setattr(template_service, "problems", racing)
    before = {k: v for k, v in snapshot(redis_client).items() if "prompt-set" not in k}
    res = create_template(api, prompt_set_uuid=uuid)
    assert res.status_code == 400
    assert res.json == {"error": [{"prompt_set_uuid": "names an object that does not exist"}]}
    assert {k: v for k, v in snapshot(redis_client).items() if "prompt-set" not in k} == before


def test_every_prompt_set_endpoint_needs_the_bearer_token(api, store):
    store.prompt_sets.put(PromptSet(prompt_set_uuid=UUID, prompt_set_name="x"))
    for method, path in [
        ("POST", "/v3/prompt-set"),
        ("GET", "/v3/prompt-set"),
        ("GET", f"/v3/prompt-set/{UUID}"),
        ("PUT", f"/v3/prompt-set/{UUID}"),
        ("DELETE", f"/v3/prompt-set/{UUID}"),
        ("PUT", f"/v3/prompt-set/{UUID}/prompt/0"),
        ("DELETE", f"/v3/prompt-set/{UUID}/prompt/0"),
    ]:
        assert api(method, path, auth=False).status_code == 401, (method, path)
    assert store.prompt_sets.get(UUID) is not None


def test_uploading_a_prompt_tells_the_engines_to_reload_the_campaigns_whose_template_names_the_set(
    api, store, tmp_path
):
    uuid = complete_set(api, tmp_path)
    template = create_template(api, prompt_set_uuid=uuid).json["template_uuid"]
    camp = campaign(store, template_uuid=template)
    campaign(store, campaign_name="other")  # names no template: not reloaded
    pubsub = store.r.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(store.keys.events)
    pubsub.get_message(timeout=1)
    upload(api, uuid, "otp-again", good_wav(tmp_path, seconds=1.0))
    with gevent.Timeout(5):
        while (msg := pubsub.get_message(timeout=1)) is None:
            pass
    assert msg["data"] == f"changed {camp.campaign_uuid}"
    pubsub.close()
