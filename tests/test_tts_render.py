"""The dialer's speech renderer: TTS and OTP messages as WAVs, cached, and calls that play them."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Lead, Network, Template
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until
from tests.factories import campaign
from tts.audio import wav_info
from tts.cache import AudioCache
from tts.engines.espeak import EspeakEngine
from tts.otp import OtpReader
from tts.renderer import TtsRenderer
from tts.synth import Synthesizer

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (scripts/bootstrap)")
SEED_TEMPLATE = "Chào bạn {{customer_name}} vui lòng thanh toán khoản nợ {{due_amount}} trước ngày {{due_date}}"
FIELDS = {"customer_name": "Nguyễn Văn A", "due_amount": "10410000", "due_date": "30/01/2021"}


class Counting:
    """An engine that counts what it is asked to say."""

    def __init__(self) -> None:
        self.inner = EspeakEngine("vi")
        self.name, self.voice = self.inner.name, self.inner.voice
        self.said: list[str] = []

    def synthesize(self, text: str):
        self.said.append(text)
        return self.inner.synthesize(text)


@pytest.fixture
def engine():
    return Counting()


@pytest.fixture
def renderer(engine, tmp_path):
    return TtsRenderer(Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000))


def test_a_tts_message_is_an_8khz_mono_16bit_wav_with_speech(renderer):
    rate, channels, width, seconds, peak = wav_info(renderer.render_text(SEED_TEMPLATE, FIELDS))
    assert (rate, channels, width) == (8000, 1, 2) and seconds > 2 and peak > 0.3


def test_the_same_message_is_synthesised_once(renderer, engine):
    first = renderer.render_text(SEED_TEMPLATE, FIELDS)
    assert renderer.render_text(SEED_TEMPLATE, dict(FIELDS)) == first and len(engine.said) == 1


def test_an_otp_is_read_in_pairs_and_repeated(renderer, engine):
    path = renderer.render_otp("482915", 2)
    assert {"bốn, tám", "hai, chín", "một, năm"} <= set(engine.said)
    assert wav_info(path)[3] > 2 * 4 * 0.6  # two readings: after the intro or "xin nhắc lại" and each pair, 600 ms


def test_a_second_otp_reuses_the_group_clips(renderer, engine):
    renderer.render_otp("482915", 2)
    before = len(engine.said)
    renderer.render_otp("154829", 2)
    assert len(engine.said) == before  # the same three pairs: nothing new to synthesise


def test_an_otp_template_text_is_its_intro(renderer, engine):
    renderer.render_otp("1234", 1, "Mã OTP của quý khách là")
    assert "Mã OTP của quý khách là" in engine.said


def test_otp_pause_is_configurable(engine, tmp_path):
    synth = Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000)
    short = wav_info(OtpReader(synth, pause_ms=200).render("1234", 1))[3]
    long = wav_info(OtpReader(synth, pause_ms=1200).render("1234", 1))[3]
    assert long - short == pytest.approx(3 * 1.0, abs=0.05)  # intro + 2 groups ("12 34"), 1 s more pause each


@pytest.mark.parametrize("intro_gap_ms", [99, 5001])
def test_a_silence_after_the_intro_outside_100_to_5000_ms_is_refused(engine, tmp_path, intro_gap_ms):
    with pytest.raises(ValueError, match="intro_gap_ms"):
        OtpReader(Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000), intro_gap_ms=intro_gap_ms)


def test_the_silence_after_the_intro_is_configurable_apart_from_the_digit_pause(engine, tmp_path):
    synth = Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000)
    short = wav_info(OtpReader(synth, pause_ms=600, intro_gap_ms=600).render("1234", 2))[3]
    long = wav_info(OtpReader(synth, pause_ms=600, intro_gap_ms=1600).render("1234", 2))[3]
    assert long - short == pytest.approx(2 * 1.0, abs=0.05)  # after the intro and after "xin nhắc lại"


@pytest.fixture
def tts_dialer(store, simswitch, tmp_path):
    """An engine with the espeak renderer, against a simulator that answers 098 numbers."""
    audio = tmp_path / "audio"
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}]), time_scale=0.01)
    eng = make_engine(store, server, audio)
    eng.files.renderer = TtsRenderer(Synthesizer(EspeakEngine("vi"), AudioCache(audio / "tts"), 8000))

    def dial(fields: dict) -> dict:
        template = Template(template_name="no", text=SEED_TEMPLATE)
        store.catalog.templates.put(template)
        camp = campaign(store, template_uuid=template.template_uuid, type_autocall=TypeAutocall.VOICE_TTS)
        lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=["0982596021"], networks=[Network.VIETTEL], fields=fields)
        store.leads.add([lead], 1_000)  # straight into the store: the import would refuse a missing field
        eng.wake(camp.campaign_uuid)
        wait_until(lambda: store.calls.get(lead.call_id).get("state") == "done", timeout=20)
        return store.calls.get(lead.call_id)

    yield dial, server, audio
    eng.stop(drain_timeout=5)


def test_a_tts_campaign_dials_with_its_rendered_message(tts_dialer):
    dial, _server, audio = tts_dialer
    assert dial(FIELDS)["recall_status"] == "answered"
    assert list((audio / "tts").rglob("*.wav"))


def test_a_lead_missing_a_template_field_fails_with_the_reason_and_is_not_dialled(tts_dialer):
    dial, server, _audio = tts_dialer
    cdr = dial({"customer_name": "A"})
    assert cdr["hangup_cause"] == "AUTOCALL_NO_MESSAGE"
    assert cdr["reason"].startswith("tts: the template needs due_amount")
    assert server.switch.stats.originated == 0


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dialer.cli", "tts", "render", *args], capture_output=True, text=True, timeout=60
    )


def test_cli_text_only_prints_the_exact_spoken_text(tmp_path):
    (tmp_path / "t.txt").write_text(SEED_TEMPLATE)
    out = run_cli("--template", str(tmp_path / "t.txt"), "--fields", json.dumps(FIELDS), "--text-only")
    assert out.returncode == 0 and out.stdout.strip() == (
        "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn trước ngày "
        "ba mươi tháng một năm hai không hai mươi mốt"
    )


def test_cli_writes_a_wav_and_takes_fields_from_a_file(tmp_path):
    (tmp_path / "t.txt").write_text(SEED_TEMPLATE)
    (tmp_path / "f.json").write_text(json.dumps(FIELDS))
    out = run_cli(
        "--template",
        str(tmp_path / "t.txt"),
        "--fields",
        str(tmp_path / "f.json"),
        "--out",
        str(tmp_path / "out.wav"),
        "--rate",
        "16000",
    )
    assert out.returncode == 0, out.stderr
    assert wav_info(tmp_path / "out.wav")[:3] == (16000, 1, 2)


def test_cli_names_a_missing_field(tmp_path):
    (tmp_path / "t.txt").write_text(SEED_TEMPLATE)
    out = run_cli("--template", str(tmp_path / "t.txt"), "--fields", "{}", "--text-only")
    assert out.returncode == 2 and "customer_name" in out.stderr


def test_a_message_not_ready_within_a_third_of_the_lease_fails_instead_of_outliving_it(store, simswitch, tmp_path):
    import gevent

    class Stuck:
        def render_text(self, text, fields, voice=""):
            gevent.sleep(30)  # an HTTP engine that hangs

        def render_otp(self, code, repeat=2, intro="", voice=""):
            gevent.sleep(30)

    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}]), time_scale=0.01)
    eng = make_engine(store, server, tmp_path / "audio", lease_s=3)
    eng.files.renderer = Stuck()
    try:
        template = Template(template_name="no", text=SEED_TEMPLATE)
        store.catalog.templates.put(template)
        camp = campaign(store, template_uuid=template.template_uuid, type_autocall=TypeAutocall.VOICE_TTS)
        lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=["0982596021"], networks=[Network.VIETTEL], fields=FIELDS)
        store.leads.add([lead], 1_000)
        eng.wake(camp.campaign_uuid)
        wait_until(lambda: store.calls.get(lead.call_id).get("state") == "done", timeout=10)
        cdr = store.calls.get(lead.call_id)
        assert cdr["hangup_cause"] == "AUTOCALL_NO_MESSAGE" and "not ready within 1 s" in cdr["reason"]
        assert server.switch.stats.originated == 0
    finally:
        eng.stop(drain_timeout=5)


def test_assembled_otp_codes_go_to_their_own_cache(engine, tmp_path):
    synth = Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000)
    codes = AudioCache(tmp_path / "otp")
    path = OtpReader(synth, output=codes).render("482915", 1)
    assert path.is_relative_to(tmp_path / "otp") and len(codes) == 1
