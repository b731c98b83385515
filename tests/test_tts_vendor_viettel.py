"""tts.engines.viettel against a local stub of Viettel AI's documented TTS REST API (issue 20)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.tts_stubs.viettel import RATE, ViettelStub
from tts.engines import viettel
from tts.engines.base import SpeechEngine, SynthesisError
from tts.engines.viettel import ViettelConfig, ViettelEngine

SENTENCE = "Xin chào, đây là cuộc gọi nhắc lịch hẹn."


@pytest.fixture
def stub():
    with ViettelStub() as s:
        yield s


def engine_for(stub: ViettelStub, **settings) -> ViettelEngine:
    return viettel.build(ViettelConfig(**{"token": "viettel-test-token", "url": stub.url, **settings}))


# -- success --------------------------------------------------------------------------------------------------


def test_speaks_the_wavs_mono_pcm_at_its_own_rate(stub):
    pcm, rate = engine_for(stub).synthesize(SENTENCE)
    assert rate == RATE and len(pcm) == 2 * int(RATE * 0.25) and max(pcm) > 0


def test_an_mp3_answer_is_decoded_too(stub):
    stub.ignore_option = True  # a host that answers MP3 whatever was asked
    pcm, rate = engine_for(stub).synthesize(SENTENCE)
    assert rate == 24000 and abs(len(pcm) / 2 / rate - 0.6) < 0.01


def test_the_engine_meets_the_contract(stub):
    engine = engine_for(stub, speed=0.8, without_filter=True)
    assert isinstance(engine, SpeechEngine) and engine.name == "viettel" and engine.voice == "hn-quynhanh"
    assert engine.settings == f"{stub.url} speed=0.8 without_filter"
    assert viettel.CONFIG is ViettelConfig


def test_the_request_is_the_documented_json_with_the_token_header(stub):
    engine_for(stub, voice="hcm-minhquan", speed=1.2).synthesize(SENTENCE)
    (request,) = stub.requests
    assert request.headers["token"] == "viettel-test-token"
    assert request.headers["content-type"] == "application/json"
    body = request.json()
    assert len(body.pop("id")) == 32  # a fresh request id for Viettel's logs
    assert body == {
        "text": SENTENCE,
        "voice": "hcm-minhquan",
        "without_filter": False,
        "speed": 1.2,
        "tts_return_option": 2,
    }


def test_token_in_body_for_the_newer_host(stub):
    stub.token_in_body = True
    engine_for(stub, token_in_body=True).synthesize(SENTENCE)
    (request,) = stub.requests
    assert request.json()["token"] == "viettel-test-token" and "token" not in request.headers


def test_each_request_has_its_own_id(stub):
    engine = engine_for(stub)
    engine.synthesize(SENTENCE)
    engine.synthesize(SENTENCE)
    assert stub.requests[0].json()["id"] != stub.requests[1].json()["id"]


# -- errors -------------------------------------------------------------------------------------------------------


def test_a_wrong_token_is_a_synthesis_error_showing_what_came_back(stub):
    with pytest.raises(
        SynthesisError, match=r'Viettel AI answered HTTP 401 \(token rejected\): \{"code": 401, "message": "Token is'
    ):
        engine_for(stub, token="wrong").synthesize(SENTENCE)


@pytest.mark.parametrize(
    ("settings", "max_chars", "message"),
    [({"voice": "nobody"}, 2000, "voice nobody is not supported"), ({}, 10, "text must be 1 to 10 characters")],
)
def test_a_refusal_quotes_viettels_answer(stub, settings, max_chars, message):
    stub.max_chars = max_chars
    with pytest.raises(SynthesisError, match=rf"Viettel AI answered HTTP 400: .*{message}"):
        engine_for(stub, **settings).synthesize(SENTENCE)


def test_a_200_with_a_json_error_is_a_synthesis_error_showing_it(stub):
    stub.error_status = 200  # an API that answers its errors with status 200
    with pytest.raises(SynthesisError) as caught:
        engine_for(stub, voice="nobody").synthesize(SENTENCE)
    assert str(caught.value) == (
        "Viettel AI answered HTTP 200 with no audio (application/json; charset=UTF-8): "
        '{"code": 400, "message": "voice nobody is not supported"}'
    )


@pytest.mark.parametrize("status", [500, 503])
def test_a_server_error_names_its_status(stub, status):
    stub.switches.server_error = status
    with pytest.raises(SynthesisError, match=f"Viettel AI answered HTTP {status}: "):
        engine_for(stub).synthesize(SENTENCE)


def test_429_is_a_rate_limit_and_is_not_retried(stub):
    stub.switches.rate_limited = True
    with pytest.raises(SynthesisError) as caught:
        engine_for(stub).synthesize(SENTENCE)
    assert str(caught.value) == (
        "Viettel AI answered HTTP 429: Too Many Requests (rate limit or quota reached; not retried)"
    )
    assert len(stub.requests) == 1


def test_a_rate_limit_says_retry_after_when_viettel_sends_it(stub):
    stub.switches.rate_limited, stub.switches.retry_after = True, "60"
    with pytest.raises(
        SynthesisError, match=r"HTTP 429: .*\(rate limit or quota reached, Retry-After: 60; not retried\)$"
    ):
        engine_for(stub).synthesize(SENTENCE)
    assert len(stub.requests) == 1


def test_no_answer_within_the_timeout_is_a_synthesis_error(stub):
    stub.switches.slow = 30
    with pytest.raises(SynthesisError, match=r"^Viettel AI: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        engine_for(stub, timeout=0.2).synthesize(SENTENCE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>Bad Gateway</html>", r"HTTP 200 with no audio \(text/html\): <html>Bad Gateway"),
        (b"", r"HTTP 200 with no audio \(text/html\): \(empty body\)"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00garbage", "unusable MP3 audio"),
    ],
)
def test_garbage_is_a_synthesis_error(stub, body, message):
    stub.switches.garbage = body
    with pytest.raises(SynthesisError, match=message):
        engine_for(stub).synthesize(SENTENCE)


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        engine_for(stub).synthesize(" \n")
    assert stub.requests == []


# -- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [0.6, 1.5])
def test_speed_outside_viettels_scale_is_refused_clearly(speed):
    with pytest.raises(ValidationError, match=r"Viettel's speed is 0.7 to 1.3"):
        ViettelConfig(token="t", speed=speed)


@pytest.mark.parametrize("settings", [{}, {"token": "t", "url": "viettelai.vn/tts"}, {"token": "t", "format": "mp3"}])
def test_other_bad_settings_are_refused(settings):
    with pytest.raises(ValidationError):
        ViettelConfig(**settings)


def test_the_default_endpoint_is_the_documented_one_and_the_token_is_secret():
    config = ViettelConfig(token="viettel-test-token")
    assert config.url == "https://viettelgroup.ai/voice/api/tts/v1/rest/syn"
    assert "viettel-test-token" not in repr(config)
