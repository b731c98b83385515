"""The Vbee engine against a local stub of Vbee's documented APIs, realtime and legacy (tests/tts_stubs/vbee.py)."""

from __future__ import annotations

import pydantic
import pytest

from tests.tts_stubs.stub_server import GARBAGE, TONE_RATE
from tests.tts_stubs.vbee import LEGACY, NGOC_HUYEN, REALTIME, VbeeStub
from tts.engines import SynthesisError
from tts.engines.vbee import CONFIG, VbeeEngine, build

TONE_BYTES = int(0.25 * TONE_RATE) * 2
OTHER_VOICE = "sg_female_tuongvy_call_44k-fhg"


@pytest.fixture
def stub():
    with VbeeStub() as server:
        yield server


def engine(stub: VbeeStub, **settings) -> VbeeEngine:
    values = {
        "token": stub.key,
        "app_id": stub.app_id,
        "url": stub.legacy_url,
        "realtime_url": stub.realtime_url,
        "poll_interval": 0.01,
        **settings,
    }
    return build(CONFIG(**values))


# -- realtime ------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["audio", "link", "base64"])
def test_realtime_answer_of_any_shape_is_mono_pcm_at_its_own_rate(stub, answer):
    stub.realtime_answer = answer
    assert engine(stub).synthesize("Xin chào") == (stub.audio[44:], TONE_RATE)


def test_realtime_request_is_the_documented_one(stub):
    engine(stub).synthesize("Xin chào bạn")
    (post,) = stub.requests
    assert (post.method, post.path) == ("POST", REALTIME)
    assert post.headers["authorization"] == f"Bearer {stub.key}"
    assert post.headers["app-id"] == stub.app_id
    assert post.headers["content-type"] == "application/json"
    assert post.json() == {"text": "Xin chào bạn", "mode": "sync", "voiceCode": NGOC_HUYEN, "outputFormat": "wav"}


def test_realtime_mp3_is_decoded(stub):
    pcm, rate = engine(stub, audio_type="mp3").synthesize("Xin chào")
    assert rate == 24000 and len(pcm) > 0


def test_realtime_text_over_300_characters_goes_in_pieces_cut_at_sentence_ends(stub):
    sentence = "Quý khách vui lòng thanh toán trước ngày mười lăm. "  # 51 characters
    pcm, _ = engine(stub).synthesize(sentence * 10)
    texts = [r.json()["text"] for r in stub.requests]
    assert len(texts) == 2 and all(len(t) <= 300 and t.endswith(".") for t in texts)
    assert len(pcm) == 2 * TONE_BYTES


def test_realtime_error_names_vendor_status_code_and_message(stub):
    with pytest.raises(SynthesisError) as caught:
        engine(stub, app_id="other").synthesize("Xin chào")
    assert str(caught.value) == "Vbee: HTTP 401, error 401: App-Id is missing or unknown"


def test_realtime_garbage_is_an_error(stub):
    stub.garbage = GARBAGE
    with pytest.raises(SynthesisError, match=r"^Vbee: HTTP 200: not a JSON object: <html>"):
        engine(stub).synthesize("Xin chào")


# -- which API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings", [{"voice": OTHER_VOICE}, {"speed": 1.2}, {"realtime": False}], ids=["voice", "speed", "off"]
)
def test_legacy_api_for_another_voice_or_speed_or_when_realtime_is_off(stub, settings):
    engine(stub, **settings).synthesize("Xin chào")
    assert stub.requests[0].path == LEGACY


# -- legacy --------------------------------------------------------------------------------------


def test_legacy_job_is_polled_until_it_succeeds_then_its_audio_fetched(stub):
    stub.ready_after = 3
    assert engine(stub, voice=OTHER_VOICE).synthesize("Xin chào") == (stub.audio[44:], TONE_RATE)
    paths = [(r.method, r.path.split("/")[1]) for r in stub.requests]
    assert paths == [("POST", "api")] + [("GET", "api")] * 4 + [("GET", "files")]


def test_legacy_requests_are_the_documented_ones(stub):
    engine(stub, voice=OTHER_VOICE, speed=0.8, callback_url="https://hooks.example/vbee").synthesize("Xin chào")
    post, poll, download = stub.requests
    assert post.headers["authorization"] == f"Bearer {stub.key}"
    assert post.headers["content-type"] == "application/json"
    assert post.json() == {
        "app_id": stub.app_id,
        "callback_url": "https://hooks.example/vbee",
        "input_text": "Xin chào",
        "voice_code": OTHER_VOICE,
        "audio_type": "wav",
        "speed_rate": "0.8",
    }
    job = next(iter(stub.jobs))
    assert (poll.method, poll.path, poll.headers["authorization"]) == ("GET", f"{LEGACY}/{job}", f"Bearer {stub.key}")
    assert "authorization" not in download.headers  # the token never goes to the audio host


def test_legacy_mp3_asks_its_bitrate_and_is_decoded(stub):
    pcm, rate = engine(stub, voice=OTHER_VOICE, audio_type="mp3", bitrate=64).synthesize("Xin chào")
    assert rate == 24000 and len(pcm) > 0
    assert stub.requests[0].json()["bitrate"] == 64


def test_legacy_refusal_names_vendor_status_code_and_message(stub):
    with pytest.raises(SynthesisError) as caught:
        engine(stub, voice="vi_nobody_48k").synthesize("Xin chào")
    assert str(caught.value) == "Vbee: HTTP 200, error 400: input_text and a known voice_code are required"


def test_legacy_failed_job_is_an_error(stub):
    stub.job_outcome = "FAILURE"
    with pytest.raises(SynthesisError, match=r"^Vbee: HTTP 200: request .* failed$"):
        engine(stub, voice=OTHER_VOICE).synthesize("Xin chào")


def test_legacy_expired_audio_is_an_error(stub):
    stub.audio_expired = True
    with pytest.raises(SynthesisError, match=r"^Vbee: request .* succeeded but its audio has expired"):
        engine(stub, voice=OTHER_VOICE).synthesize("Xin chào")


def test_legacy_polling_stops_at_the_overall_deadline(stub):
    stub.ready_after = 10**9
    with pytest.raises(SynthesisError, match=r"^Vbee: no audio within 0\.3 s"):
        engine(stub, voice=OTHER_VOICE, poll_timeout=0.3).synthesize("Xin chào")
    assert next(iter(stub.jobs.values()))["polls"] >= 1


def test_legacy_garbage_audio_is_an_error(stub):
    stub.garbage = b"RIFF\x00\x00\x00\x00WAVEjunk"
    with pytest.raises(SynthesisError, match=r"^Vbee audio URL \(127\.0\.0\.1:\d+\) returned unusable WAV"):
        engine(stub, voice=OTHER_VOICE).synthesize("Xin chào")


# -- both ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("voice", [NGOC_HUYEN, OTHER_VOICE], ids=["realtime", "legacy"])
def test_wrong_token_is_unauthorised(stub, voice):
    with pytest.raises(SynthesisError) as caught:
        engine(stub, token="wrong", voice=voice).synthesize("Xin chào")
    assert str(caught.value) == "Vbee: HTTP 401, error 401: Unauthorized"


@pytest.mark.parametrize("voice", [NGOC_HUYEN, OTHER_VOICE], ids=["realtime", "legacy"])
@pytest.mark.parametrize(
    ("switch", "said"),
    [
        ("429", "Vbee: HTTP 429, error 429: Too many requests (rate limit or quota reached; not retried)"),
        ("retry-after", "(rate limit or quota reached, Retry-After: 30; not retried)"),
        ("json", "Vbee: HTTP 200, error 429: Quota exceeded (rate limit or quota reached; not retried)"),
    ],
)
def test_rate_limit_is_said_and_not_retried(stub, voice, switch, said):
    stub.rate_limited = switch
    with pytest.raises(SynthesisError) as caught:
        engine(stub, voice=voice).synthesize("Xin chào")
    assert said in str(caught.value)
    assert len(stub.requests) == 1


def test_server_error_names_the_status(stub):
    stub.server_error = 502
    with pytest.raises(SynthesisError, match=r"^Vbee: HTTP 502: not a JSON object"):
        engine(stub).synthesize("Xin chào")


def test_a_slow_answer_is_cut_off_at_the_timeout(stub):
    stub.slow = 5
    with pytest.raises(SynthesisError, match=r"^Vbee: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        engine(stub, timeout=0.2).synthesize("Xin chào")


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        engine(stub).synthesize("")
    assert stub.requests == []


@pytest.mark.parametrize("speed", [0.0, 2.0, 1.25])
def test_speed_outside_vbees_scale_is_refused(speed):
    with pytest.raises(pydantic.ValidationError, match=r"Vbee speed is from 0\.1 to 1\.9 with one decimal"):
        CONFIG(token="t", app_id="a", speed=speed)


def test_defaults_and_cache_identity():
    realtime = build(CONFIG(token="t", app_id="a"))
    assert (realtime.name, realtime.voice) == ("vbee", NGOC_HUYEN)
    assert realtime.settings == "url=https://api.vbee.vn/v1/tts speed=1.0 audio_type=wav"
    legacy = build(CONFIG(token="t", app_id="a", speed=0.9, audio_type="mp3"))
    assert legacy.settings == "url=https://vbee.vn/api/v1/tts speed=0.9 audio_type=mp3 bitrate=128"


def test_blank_url_and_voice_are_the_defaults():
    config = CONFIG(token="t", app_id="a", url="", voice="")
    assert (config.url, config.voice) == ("https://vbee.vn/api/v1/tts", NGOC_HUYEN)
