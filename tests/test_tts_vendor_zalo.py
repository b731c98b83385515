"""The Zalo AI engine against a local stub of Zalo's (third-party documented) wire format (tests/tts_stubs/zalo.py)."""

from __future__ import annotations

import pydantic
import pytest

from tests.tts_stubs.stub_server import GARBAGE, TONE_RATE
from tests.tts_stubs.zalo import PATH, ZaloStub
from tts.engines import SynthesisError
from tts.engines.zalo import CONFIG, ZaloEngine, build

TONE_BYTES = int(0.25 * TONE_RATE) * 2


@pytest.fixture
def stub():
    with ZaloStub() as server:
        yield server


def engine(stub: ZaloStub, **settings) -> ZaloEngine:
    values = {"key": stub.key, "url": stub.endpoint, "poll_interval": 0.01, **settings}
    return build(CONFIG(**values))


def test_wav_answer_is_mono_pcm_at_its_own_rate(stub):
    assert engine(stub).synthesize("Xin chào") == (stub.audio[44:], TONE_RATE)


def test_encode_type_1_mp3_is_decoded(stub):
    pcm, rate = engine(stub, encode_type=1).synthesize("Xin chào")
    assert rate == 24000 and len(pcm) > 0


def test_the_request_is_the_one_clients_send(stub):
    engine(stub, voice="4", speed=1.1).synthesize("Xin  chào\nbạn")
    post, download = stub.requests
    assert (post.method, post.path) == ("POST", PATH)
    assert post.headers["apikey"] == stub.key
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    assert post.form() == {"input": "Xin chào bạn", "speaker_id": "4", "speed": "1.1", "encode_type": "0"}
    assert download.method == "GET" and "apikey" not in download.headers


def test_polls_the_audio_url_until_the_file_is_there(stub):
    stub.ready_after = 2
    assert engine(stub).synthesize("Xin chào")[1] == TONE_RATE
    assert list(stub.gets.values()) == [3]


@pytest.mark.parametrize("status", [200, 401])
def test_a_refusal_names_vendor_status_code_and_message(stub, status):
    stub.error_status = status
    with pytest.raises(SynthesisError) as caught:
        engine(stub, key="wrong").synthesize("Xin chào")
    assert str(caught.value) == f"Zalo AI: HTTP {status}, error 401: Invalid apikey"


def test_a_speaker_zalo_does_not_know_is_its_error(stub):
    with pytest.raises(SynthesisError) as caught:
        engine(stub, voice="9").synthesize("Xin chào")
    assert str(caught.value) == "Zalo AI: HTTP 200, error 155: Invalid speaker_id"


@pytest.mark.parametrize(
    ("switch", "said"),
    [
        ("429", "Zalo AI: HTTP 429, error 429: Too many requests (rate limit or quota reached; not retried)"),
        ("retry-after", "(rate limit or quota reached, Retry-After: 30; not retried)"),
        ("json", "Zalo AI: HTTP 200, error 429: Request limit exceeded (rate limit or quota reached; not retried)"),
    ],
)
def test_rate_limit_is_said_and_not_retried(stub, switch, said):
    stub.rate_limited = switch
    with pytest.raises(SynthesisError) as caught:
        engine(stub).synthesize("Xin chào")
    assert said in str(caught.value)
    assert len(stub.requests) == 1


def test_server_error_names_the_status(stub):
    stub.server_error = 500
    with pytest.raises(SynthesisError, match=r"^Zalo AI: HTTP 500: not a JSON object: <html>"):
        engine(stub).synthesize("Xin chào")


def test_an_answer_without_an_audio_url_is_an_error(stub, monkeypatch):
    monkeypatch.setattr(stub, "publish", lambda ext="wav": None)
    with pytest.raises(SynthesisError, match=r"^Zalo AI: the answer holds no audio URL \(None\)"):
        engine(stub).synthesize("Xin chào")


def test_a_slow_answer_is_cut_off_at_the_timeout(stub):
    stub.slow = 5
    with pytest.raises(SynthesisError, match=r"^Zalo AI: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        engine(stub, timeout=0.2).synthesize("Xin chào")


def test_polling_stops_at_the_overall_deadline(stub):
    stub.ready_after = 10**9
    with pytest.raises(SynthesisError, match=r"^Zalo AI: no audio within 0\.3 s"):
        engine(stub, poll_timeout=0.3).synthesize("Xin chào")


@pytest.mark.parametrize("garbage", [GARBAGE, b"ID3\x04\x00\x00\x00\x00\x00\x00junk"])
def test_garbage_audio_is_an_error(stub, garbage):
    stub.garbage = garbage
    with pytest.raises(SynthesisError, match=r"^Zalo AI audio URL \(127\.0\.0\.1:\d+\) returned"):
        engine(stub).synthesize("Xin chào")


@pytest.mark.parametrize(
    ("status", "tail"),
    [(500, "HTTP 500: storage says no"), (429, "HTTP 429: storage says no (rate limit or quota reached; not retried)")],
)
def test_an_error_on_the_audio_url_names_it(stub, status, tail):
    stub.audio_status = status
    with pytest.raises(SynthesisError, match=r"^Zalo AI audio URL \(127\.0\.0\.1:\d+\): ") as caught:
        engine(stub).synthesize("Xin chào")
    assert str(caught.value).endswith(tail) and sum(stub.gets.values()) == 1


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        engine(stub).synthesize("\n")
    assert stub.requests == []


@pytest.mark.parametrize("speed", [0.79, 1.21])
def test_speed_outside_zalos_scale_is_refused(speed):
    with pytest.raises(pydantic.ValidationError, match=r"Zalo AI speed is from 0\.8 \(slowest\) to 1\.2 \(fastest\)"):
        CONFIG(key="k", speed=speed)


def test_defaults_and_cache_identity():
    zalo = build(CONFIG(key="k"))
    assert (zalo.name, zalo.voice) == ("zalo", "2")
    assert zalo.settings == "url=https://api.zalo.ai/v1/tts/synthesize speed=1 encode_type=0"


def test_blank_url_and_voice_are_the_defaults():
    config = CONFIG(key="k", url="", voice="")
    assert (config.url, config.voice) == ("https://api.zalo.ai/v1/tts/synthesize", "2")
