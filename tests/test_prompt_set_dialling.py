"""Dialling with a recorded prompt set (issue 20): the renderer is handed the set's directory, a set
that lost a prompt fails the attempt naming it, and holds a running campaign until it is uploaded again."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.domain.prompt_sets import PromptSet
from dialer.media import MessageFiles, MessageUnavailable
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until, write_wav
from tts.prompt_keys import REQUIRED

SET = "01a23bb7-bea8-7261-ae03-563c17b1be6b"
TTS = Campaign(campaign_name="c", type_autocall=TypeAutocall.VOICE_TTS)
OTP = Campaign(campaign_name="c", type_autocall=TypeAutocall.VOICE_OTP)


class Renderer:
    """Records how it was asked; takes ``prompts`` only as a keyword, as the tts package's renderer does."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.asked: list[tuple[str, dict]] = []

    def render_text(self, template_text, fields, **kw):
        self.asked.append(("text", kw))
        return self.out

    def render_otp(self, code, repeat=2, intro="", **kw):
        self.asked.append(("otp", kw))
        return self.out


class OldRenderer:
    """A renderer that knows nothing of prompt sets (it takes the template's voice, nothing else)."""

    def render_text(self, template_text, fields, voice=""):
        return Path("/tmp/old.wav")

    def render_otp(self, code, repeat=2, intro="", voice=""):
        return Path("/tmp/old.wav")


def record_set(audio_dir: Path, *keys: str) -> Path:
    folder = audio_dir / "prompts" / SET
    for key in keys:
        write_wav(folder / f"{key}.wav", seconds=0.2)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- the renderer is handed the directory -----------------------------------------------------
@pytest.mark.parametrize(("campaign", "kind"), [(TTS, "text"), (OTP, "otp")])
def test_a_template_naming_a_set_hands_the_renderer_its_directory(tmp_path, campaign, kind):
    renderer = Renderer(tmp_path / "out.wav")
    files = MessageFiles(tmp_path, renderer=renderer)
    template = Template(template_name="t", text="Chào {{ ten }}", prompt_set_uuid=SET)
    files.for_call(campaign, template, {"ten": "An", "otp": "4829"})
    assert renderer.asked == [(kind, {"voice": "", "prompts": tmp_path.resolve() / "prompts" / SET})]


@pytest.mark.parametrize(("campaign", "kind"), [(TTS, "text"), (OTP, "otp")])
def test_a_template_without_a_set_asks_the_renderer_as_before(tmp_path, campaign, kind):
    renderer = Renderer(tmp_path / "out.wav")
    files = MessageFiles(tmp_path, renderer=renderer)
    files.for_call(campaign, Template(template_name="t", text="Chào {{ ten }}"), {"ten": "An", "otp": "4829"})
    assert renderer.asked == [(kind, {"voice": ""})]
    old = MessageFiles(tmp_path, renderer=OldRenderer())
    assert old.for_call(campaign, Template(template_name="t", text="x"), {"otp": "1"}) == Path("/tmp/old.wav")


def test_a_renderer_refusing_an_incomplete_set_fails_the_attempt_naming_the_prompts(tmp_path):
    class IncompletePromptSet(ValueError):  # what tts raises: a ValueError naming the prompts
        pass

    class Refusing(Renderer):
        def render_text(self, template_text, fields, **kw):
            raise IncompletePromptSet(f"prompt set {SET} lacks the recordings 7, otp-again")

    files = MessageFiles(tmp_path, renderer=Refusing(tmp_path / "out.wav"))
    template = Template(template_name="t", text="x", prompt_set_uuid=SET)
    with pytest.raises(MessageUnavailable, match=f"^tts: prompt set {SET} lacks the recordings 7, otp-again$"):
        files.for_call(TTS, template, {})


# -- what the holds look at -------------------------------------------------------------------
def test_the_disk_look_names_the_required_prompts_and_phrases_a_set_lacks(tmp_path):
    record_set(tmp_path, *[k for k in REQUIRED if k not in ("7", "otp-again")], "phrase-loi_chao")
    (tmp_path / "prompts" / SET / "tu.wav").unlink()
    (tmp_path / "prompts" / SET / "tu.wav").symlink_to(tmp_path / "prompts" / SET / "0.wav")  # not an upload
    template = Template(template_name="t", text="[[loi_chao]] [[cam_on]]", prompt_set_uuid=SET)
    lacking = MessageFiles(tmp_path).prompts_lacking(template)
    assert lacking == ["7", "tu", "otp-again", "phrase-cam_on"]


def test_the_disk_look_of_a_set_without_a_directory_says_so(tmp_path):
    template = Template(template_name="t", text="x", prompt_set_uuid=SET)
    with pytest.raises(MessageUnavailable, match=f"^prompt set {SET} has no directory "):
        MessageFiles(tmp_path).prompts_lacking(template)


def test_starting_a_campaign_whose_set_lost_a_prompt_is_refused_naming_it(api, store, services):
    record_set(services.audio_dir, *[k for k in REQUIRED if k != "9"])
    store.prompt_sets.put(PromptSet(prompt_set_uuid=SET, prompt_set_name="Lan"))
    template = Template(template_name="otp", prompt_set_uuid=SET)
    store.catalog.templates.put(template)
    res = api(
        "POST",
        "/v3/campaign",
        json={"campaign_name": "c", "type": "autocall", "type_autocall": "autocall_voice_otp"}
        | {"template_uuid": template.template_uuid},
    )
    res = api("POST", f"/v1/campaign/{res.json['campaign_uuid']}/run/start", json={})
    assert res.status_code == 409
    assert res.json == {
        "error": "campaign cannot place a call: template 'otp': prompt set "
        f"{SET} lacks the recordings 9 (upload them: PUT /v3/prompt-set/{SET}/prompt/<key>)"
    }


def test_a_running_campaign_whose_set_loses_a_prompt_is_held_until_it_is_uploaded_again(
    api, store, services, simswitch, tmp_path
):
    from tests.test_api_v3_prompt_sets import complete_set

    uuid = complete_set(api, tmp_path)
    template = api("POST", "/v3/template", json={"template_name": "otp", "prompt_set_uuid": uuid}).json
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.05, "answer": {"talk": 0.1}}]), time_scale=0.1)
    engine = make_engine(store, server, services.audio_dir, hold_check_s=0.05)
    try:
        write_wav(tmp_path / "spoken.wav")
        engine.files = MessageFiles(services.audio_dir, renderer=Renderer(tmp_path / "spoken.wav"))
        body = {"campaign_name": "OTP", "type": "autocall", "type_autocall": "autocall_voice_otp"}
        campaign = api("POST", "/v3/campaign", json=body | {"template_uuid": template["template_uuid"]}).json
        assert api("POST", f"/v1/campaign/{campaign['campaign_uuid']}/run/start", json={}).status_code == 200

        api("DELETE", f"/v3/prompt-set/{uuid}/prompt/otp-intro")
        why = [
            f"template 'otp': prompt set {uuid} lacks the recordings otp-intro "
            f"(upload them: PUT /v3/prompt-set/{uuid}/prompt/<key>)"
        ]
        wait_until(lambda: [c["held"] for c in api("GET", "/v3/live").json["campaigns"]] == [why])

        record = write_wav(tmp_path / "intro.wav", seconds=1.0).read_bytes()
        put = api("PUT", f"/v3/prompt-set/{uuid}/prompt/otp-intro", body=record, headers={"Content-Type": "audio/wav"})
        assert put.status_code == 200
        wait_until(lambda: [c["held"] for c in api("GET", "/v3/live").json["campaigns"]] == [[]])
    finally:
        engine.stop(drain_timeout=5)
