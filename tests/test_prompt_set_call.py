"""A recorded prompt set end to end (issue 20): uploaded through /v3/prompt-set, named by a template,
and a campaign's calls play the recordings: a voice OTP with no synthesis at all, an amount's number
words from the recordings with only the free text synthesised; each CDR says who spoke."""

from __future__ import annotations

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Lead, Network
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until, write_wav
from tests.factories import campaign
from tts.audio import read_wav
from tts.cache import AudioCache
from tts.prompt_keys import REQUIRED
from tts.renderer import TtsRenderer
from tts.synth import Synthesizer

WAV = {"Content-Type": "audio/wav"}


class Tone:
    """A TTS engine that says every text as 0.3 s of tone, and counts what it is asked."""

    name, voice = "tone", ""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str) -> tuple[bytes, int]:
        self.said.append(text)
        return (3000).to_bytes(2, "little", signed=True) * 2400, 8000


class Recording(TtsRenderer):
    """The renderer the daemon builds, keeping the files it handed the dialer."""

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self.played: list = []

    def render_text(self, *args, **kw):
        self.played.append(super().render_text(*args, **kw))
        return self.played[-1]

    def render_otp(self, *args, **kw):
        self.played.append(super().render_otp(*args, **kw))
        return self.played[-1]


def recorded_set(api, tmp_path) -> str:
    res = api("POST", "/v3/prompt-set", json={"prompt_set_name": "Giọng chị Lan"})
    uuid = res.json["prompt_set_uuid"]
    data = write_wav(tmp_path / "word.wav", seconds=0.4).read_bytes()
    for key in REQUIRED:
        assert api("PUT", f"/v3/prompt-set/{uuid}/prompt/{key}", body=data, headers=WAV).status_code == 200
    return uuid


@pytest.mark.parametrize(
    ("kind", "text", "fields", "spoken_by", "synthesised"),
    [
        (TypeAutocall.VOICE_OTP, "", {"otp": "482915"}, "prompts", []),
        (
            TypeAutocall.VOICE_TTS,
            "Khoản nợ {{ so_tien }} đồng",
            {"so_tien": "10410000"},
            "tone,prompts",
            ["Khoản nợ", "đồng"],
        ),
    ],
)
def test_a_campaign_with_a_prompt_set_plays_the_recordings_and_its_cdr_says_so(
    api, services, store, simswitch, tmp_path, kind, text, fields, spoken_by, synthesised
):
    uuid = recorded_set(api, tmp_path)
    res = api("POST", "/v3/template", json={"template_name": "nhắc", "text": text, "prompt_set_uuid": uuid})
    assert res.status_code == 200, res.json
    template_uuid = res.json["template_uuid"]

    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}]), time_scale=0.01)
    eng = make_engine(store, server, services.audio_dir)
    tone = Tone()
    renderer = eng.files.renderer = Recording(Synthesizer(tone, AudioCache(tmp_path / "tts"), 8000))
    try:
        camp = campaign(store, template_uuid=template_uuid, type_autocall=kind)
        lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=["0982596021"], networks=[Network.VIETTEL], fields=fields)
        store.leads.add([lead], 1_000)
        eng.wake(camp.campaign_uuid)
        wait_until(lambda: store.calls.get(lead.call_id).get("state") == "done", timeout=30)

        cdr = store.calls.get(lead.call_id)
        assert (cdr["recall_status"], cdr["tts_voice"], cdr["tts_engine"]) == ("answered", spoken_by, spoken_by)
        assert tone.said == synthesised  # the digits and the number words were never synthesised
        (played,) = renderer.played
        _pcm, rate, channels = read_wav(played.read_bytes())
        assert (rate, channels) == (8000, 1) and played.voices == tuple(spoken_by.split(","))
    finally:
        eng.stop(drain_timeout=5)
