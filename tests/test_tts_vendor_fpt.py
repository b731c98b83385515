"""The FPT.AI engine against a local stub of FPT's documented v5 wire format (tests/tts_stubs/fpt.py)."""

from __future__ import annotations

import pydantic
import pytest

from tests.tts_stubs.fpt import PATH, FptStub
from tests.tts_stubs.stub_server import GARBAGE, TONE_RATE
from tts.engines import SynthesisError
from tts.engines.fpt import CONFIG, FptEngine, build

TONE_BYTES = int(0.25 * TONE_RATE) * 2  # the stub's tone: 0.25 s of mono 16-bit


@pytest.fixture
def stub():
    with FptStub() as server:
        yield server


def engine(stub: FptStub, **settings) -> FptEngine:
    values = {"key": stub.key, "url": stub.endpoint, "poll_interval": 0.01, **settings}
    return build(CONFIG(**values))


def test_wav_answer_is_mono_pcm_at_its_own_rate(stub):
    pcm, rate = engine(stub).synthesize("Mã xác thực của bạn là 1 2 3")
    assert (rate, len(pcm)) == (TONE_RATE, TONE_BYTES)


def test_mp3_answer_is_decoded(stub):
    pcm, rate = engine(stub, format="mp3").synthesize("Xin chào")
    assert rate == 24000 and len(pcm) > 0


def test_the_request_is_the_documented_one(stub):
    engine(stub, voice="leminh", speed=-2).synthesize("Xin chào bạn")
    post, download = stub.requests
    assert (post.method, post.path) == ("POST", PATH)
    assert post.headers["api_key"] == stub.key
    assert (post.headers["voice"], post.headers["speed"], post.headers["format"]) == ("leminh", "-2", "wav")
    assert post.headers["content-type"] == "text/plain; charset=utf-8"
    assert post.body == "Xin chào bạn".encode()
    assert download.method == "GET" and download.path.startswith("/files/")
    assert "api_key" not in download.headers  # the key never goes to the audio host


def test_text_under_three_characters_is_padded_to_the_minimum(stub):
    engine(stub).synthesize("ba")
    assert stub.api_requests()[0].body == b"ba."


def test_polls_the_async_url_until_the_file_is_there(stub):
    stub.ready_after = 3
    _, rate = engine(stub).synthesize("Xin chào")
    assert rate == TONE_RATE and list(stub.gets.values()) == [4]


def test_text_over_5000_characters_goes_in_pieces_cut_at_sentence_ends(stub):
    sentence = "Quý khách vui lòng thanh toán khoản nợ trước ngày mười lăm. "  # 61 characters
    pcm, _ = engine(stub).synthesize(sentence * 100)
    bodies = [r.body.decode() for r in stub.api_requests()]
    assert len(bodies) == 2 and all(len(b) <= 5000 and b.endswith(".") for b in bodies)
    assert len(pcm) == 2 * TONE_BYTES


@pytest.mark.parametrize("status", [200, 401])
def test_a_refusal_names_vendor_status_code_and_message(stub, status):
    stub.error_status = status
    with pytest.raises(SynthesisError) as caught:
        engine(stub, key="wrong").synthesize("Xin chào")
    assert str(caught.value) == f"FPT.AI: HTTP {status}, error 1: Invalid API key"


def test_a_voice_fpt_does_not_know_is_its_error(stub):
    with pytest.raises(SynthesisError, match=r"FPT\.AI: HTTP 200, error 1: Invalid voice"):
        engine(stub, voice="nobody").synthesize("Xin chào")


@pytest.mark.parametrize(
    ("switch", "said"),
    [
        ("429", "HTTP 429, error 1: Too many requests (rate limit or quota reached; not retried)"),
        ("retry-after", "(rate limit or quota reached, Retry-After: 30; not retried)"),
        ("json", "HTTP 200, error 1: Rate limit exceeded (rate limit or quota reached; not retried)"),
    ],
)
def test_rate_limit_is_said_and_not_retried(stub, switch, said):
    stub.rate_limited = switch
    with pytest.raises(SynthesisError) as caught:
        engine(stub).synthesize("Xin chào")
    assert said in str(caught.value) and str(caught.value).startswith("FPT.AI")
    assert len(stub.requests) == 1


def test_server_error_names_the_status(stub):
    stub.server_error = 503
    with pytest.raises(SynthesisError, match=r"FPT.AI: HTTP 503: not a JSON object: <html>"):
        engine(stub).synthesize("Xin chào")


def test_a_slow_answer_is_cut_off_at_the_timeout(stub):
    stub.slow = 5
    with pytest.raises(SynthesisError, match=r"FPT\.AI: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        engine(stub, timeout=0.2).synthesize("Xin chào")


def test_polling_stops_at_the_overall_deadline(stub):
    stub.ready_after = 10**9
    with pytest.raises(SynthesisError, match=r"FPT\.AI: no audio within 0\.3 s"):
        engine(stub, poll_timeout=0.3).synthesize("Xin chào")
    assert sum(stub.gets.values()) >= 1


def test_garbage_audio_is_an_error(stub):
    stub.garbage = GARBAGE
    with pytest.raises(SynthesisError, match=r"FPT.AI audio URL \(127.0.0.1:\d+\) returned no WAV or MP3 audio"):
        engine(stub).synthesize("Xin chào")


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        engine(stub).synthesize("  ")
    assert stub.requests == []


@pytest.mark.parametrize("speed", [-4, 4])
def test_speed_outside_fpts_scale_is_refused(speed):
    with pytest.raises(pydantic.ValidationError, match=r"FPT.AI speed is an integer from -3 \(slowest\) to \+3"):
        CONFIG(key="k", speed=speed)


def test_defaults_and_cache_identity():
    fpt = build(CONFIG(key="k"))
    assert (fpt.name, fpt.voice) == ("fpt", "banmai")
    assert fpt.settings == "url=https://api.fpt.ai/hmi/tts/v5 speed=0 format=wav"
    with pytest.raises(pydantic.ValidationError):
        CONFIG(key="k", colour="blue")


def test_blank_url_and_voice_are_the_defaults():
    config = CONFIG(key="k", url="", voice="")  # AUTOCALL_TTS_URL / _VOICE left empty
    assert (config.url, config.voice) == ("https://api.fpt.ai/hmi/tts/v5", "banmai")


def test_the_overall_deadline_covers_the_post_too(stub):
    stub.slow = 5  # within the 8 s exchange timeout, beyond the overall deadline
    with pytest.raises(SynthesisError, match=r"^FPT\.AI: no audio within 0\.3 s"):
        engine(stub, poll_timeout=0.3).synthesize("Xin chào")
