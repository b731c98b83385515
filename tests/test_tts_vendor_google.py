"""tts.engines.google against a local stub of Google Cloud Text-to-Speech's documented wire format (issue 20)."""

from __future__ import annotations

import base64
import json

import gevent
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import ValidationError

from tests.tts_stubs.google import GoogleStub
from tts.engines import google
from tts.engines.base import SpeechEngine, SynthesisError
from tts.engines.google import GoogleConfig, GoogleEngine, split_utf8

SENTENCE = "Mã xác thực của bạn là một hai ba bốn năm sáu."


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def stub(private_key):
    with GoogleStub(public_key=private_key.public_key()) as s:
        yield s


@pytest.fixture
def key_file(tmp_path, stub, private_key):
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    info = {
        "type": "service_account",
        "project_id": "autocall-test",
        "private_key_id": "key-1",
        "private_key": pem,
        "client_email": "tts@autocall-test.iam.gserviceaccount.com",
        "token_uri": stub.token_uri,
    }
    path = tmp_path / "sa.json"
    path.write_text(json.dumps(info))
    return path


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def keyed(stub: GoogleStub, **settings) -> GoogleEngine:
    return google.build(GoogleConfig(api_key="AIza-test-key", url=stub.url, **settings))


def synth_requests(stub: GoogleStub):
    return stub.requests_to("/v1/text:synthesize")


# -- success --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8000, 16000])
def test_speaks_mono_pcm_at_the_asked_rate(stub, rate):
    engine = keyed(stub, rate=rate)
    pcm, got = engine.synthesize(SENTENCE)
    assert got == rate and len(pcm) == 2 * int(rate * 0.25) and max(pcm) > 0
    assert synth_requests(stub)[0].json()["audioConfig"]["sampleRateHertz"] == rate


def test_the_engine_meets_the_contract(stub):
    engine = keyed(stub, speed=0.9)
    assert isinstance(engine, SpeechEngine) and engine.name == "google" and engine.voice == "vi-VN-Wavenet-A"
    assert engine.settings == f"{stub.url} vi-VN speed=0.9 LINEAR16@8000"
    assert google.CONFIG is GoogleConfig


def test_the_request_is_googles_documented_shape_with_the_api_key_header(stub):
    keyed(stub, voice="vi-VN-Neural2-D", speed=1.25, effects_profile="telephony-class-application").synthesize(SENTENCE)
    (request,) = synth_requests(stub)
    assert request.headers["x-goog-api-key"] == "AIza-test-key" and "authorization" not in request.headers
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    assert request.query == ""  # the key is not in the URL (nor, then, in a proxy's log)
    assert request.json() == {
        "input": {"text": SENTENCE},
        "voice": {"languageCode": "vi-VN", "name": "vi-VN-Neural2-D"},
        "audioConfig": {
            "audioEncoding": "LINEAR16",
            "sampleRateHertz": 8000,
            "speakingRate": 1.25,
            "effectsProfileId": ["telephony-class-application"],
        },
    }


# -- service account ---------------------------------------------------------------------------------------------


def test_a_service_account_token_is_minted_once_and_reused(stub, key_file):
    engine = google.build(GoogleConfig(credentials_file=key_file, url=stub.url))
    engine.synthesize(SENTENCE)
    engine.synthesize("Xin chào.")
    assert len(stub.requests_to("/token")) == 1
    assert [r.headers["authorization"] for r in synth_requests(stub)] == ["Bearer ya29.stub-1"] * 2
    assert all("x-goog-api-key" not in r.headers for r in synth_requests(stub))


def test_requests_at_once_on_a_fresh_engine_share_one_minted_token(stub, key_file):
    engine = google.build(GoogleConfig(credentials_file=key_file, url=stub.url))
    gevent.joinall([gevent.spawn(engine.synthesize, SENTENCE) for _ in range(3)], raise_error=True)
    assert len(stub.requests_to("/token")) == 1 and len(synth_requests(stub)) == 3


def test_the_assertion_is_a_jwt_for_the_cloud_platform_scope_at_the_token_uri(stub, key_file):
    clock = Clock()
    GoogleEngine(GoogleConfig(credentials_file=key_file, url=stub.url), clock=clock).synthesize(SENTENCE)
    (token_request,) = stub.requests_to("/token")
    assert token_request.headers["content-type"] == "application/x-www-form-urlencoded"
    ((header, claims),) = stub.assertions()  # the stub checked its RS256 signature with the public key
    assert header == {"alg": "RS256", "typ": "JWT", "kid": "key-1"}
    assert claims == {
        "iss": "tts@autocall-test.iam.gserviceaccount.com",
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "aud": stub.token_uri,
        "iat": 1_800_000_000,
        "exp": 1_800_003_600,
    }


def test_the_token_is_refreshed_a_minute_before_it_expires(stub, key_file):
    clock = Clock()
    engine = GoogleEngine(GoogleConfig(credentials_file=key_file, url=stub.url), clock=clock)
    engine.synthesize(SENTENCE)
    clock.now += 3600 - 61
    engine.synthesize(SENTENCE)
    assert len(stub.issued) == 1
    clock.now += 2  # 59 s left
    engine.synthesize(SENTENCE)
    assert len(stub.issued) == 2 and synth_requests(stub)[-1].headers["authorization"] == "Bearer ya29.stub-2"


def test_a_refused_token_exchange_is_a_synthesis_error_with_googles_oauth_error(stub, key_file):
    stub.refuse_grant = True
    engine = google.build(GoogleConfig(credentials_file=key_file, url=stub.url))
    with pytest.raises(
        SynthesisError, match=r"Google Cloud TTS token exchange .* HTTP 400: invalid_grant: Invalid JWT"
    ):
        engine.synthesize(SENTENCE)
    assert synth_requests(stub) == []


def test_a_token_the_api_refuses_is_dropped_and_a_new_one_minted_next_time(stub, key_file):
    engine = google.build(GoogleConfig(credentials_file=key_file, url=stub.url))
    engine.synthesize(SENTENCE)
    stub.issued.clear()  # Google revoked it
    with pytest.raises(SynthesisError, match="HTTP 401 UNAUTHENTICATED"):
        engine.synthesize(SENTENCE)
    engine.synthesize(SENTENCE)
    assert len(stub.requests_to("/token")) == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not readable JSON"),
        ('{"type": "authorized_user"}', "not a service account key"),
        ('{"type": "service_account", "client_email": "a@b"}', "lacks private_key, token_uri"),
    ],
)
def test_an_unusable_key_file_is_refused_when_the_engine_is_built(tmp_path, content, message):
    path = tmp_path / "sa.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message):
        google.build(GoogleConfig(credentials_file=path))


# -- errors -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"voice": "vi-VN-Nobody-Z"}, r"HTTP 400 INVALID_ARGUMENT: Voice 'vi-VN-Nobody-Z' does not exist"),
        ({"api_key": "wrong"}, r"HTTP 400 INVALID_ARGUMENT: API key not valid"),
    ],
)
def test_a_bad_request_names_googles_status_and_message(stub, settings, message):
    engine = google.build(GoogleConfig(**{"api_key": "AIza-test-key", "url": stub.url, **settings}))
    with pytest.raises(SynthesisError, match=f"Google Cloud TTS answered {message}"):
        engine.synthesize(SENTENCE)


@pytest.mark.parametrize(("status", "name"), [(500, "INTERNAL"), (503, "UNAVAILABLE")])
def test_a_server_error_names_its_status(stub, status, name):
    stub.switches.server_error = status
    with pytest.raises(SynthesisError, match=f"Google Cloud TTS answered HTTP {status} {name}: "):
        keyed(stub).synthesize(SENTENCE)


def test_resource_exhausted_is_a_rate_limit_and_is_not_retried(stub):
    stub.switches.rate_limited = True
    with pytest.raises(SynthesisError) as caught:
        keyed(stub).synthesize(SENTENCE)
    assert str(caught.value) == (
        "Google Cloud TTS answered HTTP 429 RESOURCE_EXHAUSTED: "
        "Quota exceeded for quota metric 'Requests per minute'. (rate limit or quota reached; not retried)"
    )
    assert len(synth_requests(stub)) == 1


def test_a_rate_limit_says_retry_after_when_google_sends_it(stub):
    stub.switches.rate_limited, stub.switches.retry_after = True, "30"
    with pytest.raises(
        SynthesisError, match=r"HTTP 429 .*\(rate limit or quota reached, Retry-After: 30; not retried\)$"
    ):
        keyed(stub).synthesize(SENTENCE)
    assert len(synth_requests(stub)) == 1


def test_no_answer_within_the_timeout_is_a_synthesis_error(stub):
    stub.switches.slow = 30
    with pytest.raises(SynthesisError, match=r"^Google Cloud TTS: 127\.0\.0\.1:\d+ did not answer within 0\.2 s"):
        keyed(stub, timeout=0.2).synthesize(SENTENCE)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"<html>502 Bad Gateway</html>", "without base64 audioContent: <html>502"),
        (b'{"audioContent": "%%%"}', "without base64 audioContent"),
        (json.dumps({"audioContent": base64.b64encode(b"not audio").decode()}).encode(), "no WAV or MP3 audio"),
    ],
)
def test_garbage_is_a_synthesis_error(stub, body, message):
    stub.switches.garbage = body
    with pytest.raises(SynthesisError, match=message):
        keyed(stub).synthesize(SENTENCE)


def test_empty_text_is_refused_without_a_request(stub):
    with pytest.raises(SynthesisError, match="nothing to say"):
        keyed(stub).synthesize("  ")
    assert stub.requests == []


# -- the 5,000-byte input limit --------------------------------------------------------------------------------


def test_long_text_goes_in_pieces_under_5000_bytes_and_the_audio_is_joined(stub):
    text = " ".join(f"Câu số {i}: khoản nợ của quý khách đã đến hạn thanh toán." for i in range(250))
    assert len(text.encode()) > 3 * 5000
    pcm, rate = keyed(stub).synthesize(text)
    sent = [r.json()["input"]["text"] for r in synth_requests(stub)]
    assert len(sent) == 4 and all(len(s.encode()) <= 5000 for s in sent)
    assert " ".join(sent) == text and all(s.endswith(".") for s in sent)  # cut after sentence ends
    assert rate == 8000 and len(pcm) == 4 * 2 * 2000


def test_a_piece_is_cut_between_words_when_no_sentence_ends_in_it():
    pieces = split_utf8("xin chào " * 10, limit=25)
    assert all(len(p.encode()) <= 25 for p in pieces) and " ".join(pieces) == ("xin chào " * 10).strip()
    assert all(not p.endswith(" ") and p.split()[-1] in ("xin", "chào") for p in pieces)


def test_a_run_without_spaces_is_cut_between_characters_never_inside_one():
    pieces = split_utf8("ệ" * 10, limit=7)  # 3 bytes each
    assert pieces == ["ệệ"] * 5


def test_short_text_is_one_piece():
    assert split_utf8(" Xin chào. ") == ["Xin chào."]


# -- settings -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("speed", [0.2, 4.5])
def test_speed_outside_googles_scale_is_refused_clearly(speed):
    with pytest.raises(ValidationError, match=r"Google's speakingRate is 0.25 to 4.0"):
        GoogleConfig(api_key="k", speed=speed)


@pytest.mark.parametrize("credentials", [{}, {"api_key": "k", "credentials_file": "sa.json"}])
def test_exactly_one_credential(credentials):
    with pytest.raises(ValidationError, match="exactly one of api_key or credentials_file"):
        GoogleConfig(**credentials)


@pytest.mark.parametrize(("field", "value"), [("rate", 22050), ("url", "ftp://x"), ("pitch", 2)])
def test_other_bad_settings_are_refused(field, value):
    with pytest.raises(ValidationError, match=field):
        GoogleConfig(api_key="k", **{field: value})


def test_the_api_key_is_secret_in_reprs():
    assert "AIza" not in repr(GoogleConfig(api_key="AIza-test-key"))
