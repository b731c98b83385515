"""tts.engines.azure against a local stub of Azure AI Speech's documented text-to-speech REST API (issue 20)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tests.tts_stubs.azure import AzureStub
from tts.engines import azure
from tts.engines.azure import AzureConfig, AzureEngine, prosody_rate, ssml
from tts.engines.base import SpeechEngine, SynthesisError

SENTENCE = "Mã xác thực của bạn là một hai ba bốn năm sáu."


@pytest.fixture
def stub():
    with AzureStub() as s:
        yield s


def engine_for(stub: AzureStub, **settings) -> AzureEngine:
    return azure.build(AzureConfig(**{"key": "azure-test-key", "url": stub.url, **settings}))


# -- success --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
def test_speaks_mono_pcm_at_the_asked_rate(stub, rate):
    pcm, got = engine_for(stub, rate=rate).synthesize(SENTENCE)
    assert got == rate and len(pcm) == 2 * int(rate * 0.25) and max(pcm) > 0


def test_the_engine_meets_the_contract(stub):
    engine = engine_for(stub, speed=0.9, voice="vi-VN-NamMinhNeural")
    assert isinstance(engine, SpeechEngine) and engine.name == "azure" and engine.voice == "vi-VN-NamMinhNeural"
    assert engine.settings == f"{stub.url} vi-VN speed=0.9 riff-8khz-16bit-mono-pcm"
    assert azure.CONFIG is AzureConfig


def test_the_request_has_the_documented_headers_and_ssml_body(stub):
    engine_for(stub, speed=0.9).synthesize(SENTENCE)
    (request,) = stub.requests
    assert {
        k: request.headers[k] for k in ("ocp-apim-subscription-key", "content-type", "x-microsoft-outputformat")
    } == {
        "ocp-apim-subscription-key": "azure-test-key",
        "content-type": "application/ssml+xml",
        "x-microsoft-outputformat": "riff-8khz-16bit-mono-pcm",
    }
    assert request.headers["user-agent"] == "autocall-tts/1" and "authorization" not in request.headers
    assert request.body.decode() == (
        '<speak version="1.0" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="vi-VN">'
        '<voice name="vi-VN-HoaiMyNeural"><prosody rate="-10%">'
        "Mã xác thực của bạn là một hai ba bốn năm sáu.</prosody></voice></speak>"
    )


def test_at_the_voices_own_pace_no_prosody_is_sent(stub):
    engine_for(stub, rate=16000).synthesize("Xin chào")
    assert b"prosody" not in stub.requests[0].body
    assert stub.requests[0].headers["x-microsoft-outputformat"] == "riff-16khz-16bit-mono-pcm"


def test_the_text_is_xml_escaped_and_control_characters_dropped(stub):
    text = "Nợ <5 triệu> & \"lãi\" 'phạt'\x00\x07 hết"
    engine_for(stub).synthesize(text)
    assert stub.spoken_text(stub.requests[0]) == "Nợ <5 triệu> & \"lãi\" 'phạt'   hết"


def test_a_region_names_the_documented_endpoint():
    config = AzureConfig(key="k", region="southeastasia")
    assert config.endpoint == "https://southeastasia.tts.speech.microsoft.com/cognitiveservices/v1"
    assert AzureEngine(config).url == config.endpoint


@pytest.mark.parametrize(("speed", "rate"), [(0.5, "-50%"), (0.9, "-10%"), (1.25, "+25%"), (2.0, "+100%")])
def test_speed_is_sent_as_a_relative_prosody_rate(speed, rate):
    assert prosody_rate(speed) == rate
    assert f'rate="{rate}"' in ssml("x", "v", "vi-VN", speed)


# -- errors -------------------------------------------------------------------------------------------------------


def test_a_wrong_key_is_401_unauthorized(stub):
    with pytest.raises(SynthesisError, match=r"Azure Speech answered HTTP 401 \(unauthorized: key invalid or not for"):
        engine_for(stub, key="wrong").synthesize(SENTENCE)


def test_an_unknown_voice_is_400_with_azures_body(stub):
    with pytest.raises(SynthesisError, match=r"HTTP 400 \(bad request: a parameter or the SSML\): Unsupported voice"):
        engine_for(stub, voice="vi-VN-NobodyNeural").synthesize(SENTENCE)


@pytest.mark.parametrize(
    ("status", "meaning"), [(500, "server error"), (502, "bad gateway"), (503, "service unavailable")]
)
def test_a_server_error_names_its_status(stub, status, meaning):
    stub.switches.server_error = status
    with pytest.raises(SynthesisError, match=rf"Azure Speech answered HTTP {status} \({meaning}\)"):
        engine_for(stub).synthesize(SENTENCE)


def test_429_is_a_rate_limit_and_is_not_retried(stub):
    stub.switches.rate_limited = True
    with pytest.raises(SynthesisError) as caught:
        engine_for(stub).synthesize(SENTENCE)
    assert str(caught.value) == (
        "Azure Speech answered HTTP 429 (quota or rate of requests exceeded): Too Many Requests"
        " (rate limit or quota reached; not retried)"
    )
    assert len(stub.requests) == 1


def test_a_rate_limit_says_retry_after_when_azure_sends_it(stub):
    stub.switches.rate_limited, stub.switches.retry_after = True, "5"
    with pytest.raises(
        SynthesisError, match=r"HTTP 429 .*\(rate limit or quota reached, Retry-After: 5; not retried\)$"
    ):
        engine_for(stub).synthesize(SENTENCE)
    assert len(stub.requests) == 1


def test_no_answer_within_the_timeout_is_a_synthesis_error(stub):
    stub.switches.slow = 30
    with pytest.raises(SynthesisError, match=r"^Azure Speech: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        engine_for(stub, timeout=0.2).synthesize(SENTENCE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>oops</html>", r"no WAV or MP3 audio \(17 bytes: <html>oops</html>\)"),
        (b"", "no WAV or MP3 audio .*empty body"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "unusable WAV audio"),
    ],
)
def test_garbage_is_a_synthesis_error(stub, body, message):
    stub.switches.garbage = body
    with pytest.raises(SynthesisError, match=message):
        engine_for(stub).synthesize(SENTENCE)


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        engine_for(stub).synthesize("")
    assert stub.requests == []


# -- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [0.4, 2.5])
def test_speed_outside_azures_scale_is_refused_clearly(speed):
    with pytest.raises(ValidationError, match=r"Azure's prosody rate is 0.5 to 2.0 times the voice's pace"):
        AzureConfig(key="k", region="southeastasia", speed=speed)


@pytest.mark.parametrize("where", [{}, {"region": "southeastasia", "url": "https://tts.example/v1"}])
def test_region_or_url_one_of_them(where):
    with pytest.raises(ValidationError, match="azure needs region"):
        AzureConfig(key="k", **where)


@pytest.mark.parametrize(
    "settings", [{"region": "South East Asia"}, {"url": "ftp://x"}, {"rate": 24000}, {"style": "cheerful"}, {}]
)
def test_other_bad_settings_are_refused(settings):
    config = {"key": "k", "region": "southeastasia", **settings}
    if not settings:
        del config["key"]  # the key is required
    with pytest.raises(ValidationError):
        AzureConfig(**config)


def test_the_key_is_secret_in_reprs():
    assert "azure-test-key" not in repr(AzureConfig(key="azure-test-key", region="westus"))
