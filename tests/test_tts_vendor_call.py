"""tts/engines/vendor_call.py: what every vendor engine shares (rate-limit wording, text pieces, settings base)."""

from __future__ import annotations

import pydantic
import pytest

from tts.engines import SynthesisError, azure, fpt, google, vbee, viettel, zalo
from tts.engines.vendor_call import limit_said, limit_status, refused, split_text, utf8_size

NOTE = " (rate limit or quota reached; not retried)"
CREDENTIALS = {
    "google": {"api_key": "k"},
    "azure": {"key": "k", "region": "westus"},
    "viettel": {"token": "t"},
    "fpt": {"key": "k"},
    "vbee": {"token": "t", "app_id": "a"},
    "zalo": {"key": "k"},
}
MODULES = {"google": google, "azure": azure, "viettel": viettel, "fpt": fpt, "vbee": vbee, "zalo": zalo}


def test_a_message_naming_a_quota_is_a_rate_limit_whatever_the_status():
    assert limit_said(400, "Bạn đã vượt quá hạn mức ký tự") and limit_said(200, "Request limit exceeded")


def test_402_and_429_are_a_rate_limit_or_quota_by_status_alone():
    assert limit_status(402) and limit_status(429) and limit_said(429, "")


def test_other_statuses_and_messages_are_not():
    assert not limit_status(400) and not limit_said(400, "Invalid voice")


def test_a_limited_refusal_ends_with_the_one_note():
    assert str(refused("Viettel AI answered HTTP 429: Too Many Requests", True, {})) == (
        "Viettel AI answered HTTP 429: Too Many Requests" + NOTE
    )


def test_retry_after_is_quoted_in_the_note():
    said = str(refused("V answered HTTP 429", True, {"Retry-After": " 7 "}))
    assert said == "V answered HTTP 429 (rate limit or quota reached, Retry-After: 7; not retried)"


def test_other_refusals_get_no_note():
    said = "Google Cloud TTS answered HTTP 400 INVALID_ARGUMENT: quota project not set"
    assert str(refused(said, False, {"Retry-After": "7"})) == said


def test_a_sentence_that_fits_is_kept_whole_rather_than_cut_at_a_clause():
    assert split_text("Aa bb. Cc: dd ee.", 10) == ["Aa bb.", "Cc: dd ee."]


def test_a_sentence_too_long_is_cut_after_a_clause():
    assert split_text("Một hai ba: bốn năm sáu.", 12) == ["Một hai ba:", "bốn năm sáu."]


def test_pieces_can_be_measured_in_utf8_bytes():
    text = "Đã đến hạn. Đã đến hạn."  # 23 characters, 37 bytes
    assert split_text(text, 24) == [text]
    assert split_text(text, 24, utf8_size) == ["Đã đến hạn.", "Đã đến hạn."]


@pytest.mark.parametrize("engine", sorted(MODULES))
def test_a_blank_url_or_voice_is_the_default(engine):
    config_class = MODULES[engine].CONFIG
    blank = config_class(**CREDENTIALS[engine], url="", voice="")
    assert (blank.url, blank.voice) == (
        config_class(**CREDENTIALS[engine]).url,
        config_class.model_fields["voice"].default,
    )


@pytest.mark.parametrize("engine", sorted(MODULES))
def test_settings_are_frozen_once_made(engine):
    config = MODULES[engine].CONFIG(**CREDENTIALS[engine])
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        config.voice = "other"


@pytest.mark.parametrize("engine", sorted(MODULES))
def test_a_url_that_is_not_http_is_refused(engine):
    with pytest.raises(pydantic.ValidationError, match="must be an http:// or https:// URL with a host"):
        MODULES[engine].CONFIG(**CREDENTIALS[engine], url="ftp://vendor.example/tts")


@pytest.mark.parametrize("engine", sorted(MODULES))
def test_a_credential_the_header_check_refuses_is_not_quoted_in_the_error(engine):
    # A key pasted with its line end (a secrets file read whole): the client refuses the header before any
    # connection, and that error reaches the log, `autocall tts render` and the CDR's reason.
    secret = "s3cret-key-42\n"
    credentials = {name: secret if value in ("k", "t") else value for name, value in CREDENTIALS[engine].items()}
    credentials.pop("region", None)  # azure: the url instead
    module = MODULES[engine]
    config = module.CONFIG(engine=engine, url="http://127.0.0.1:9/tts", **credentials)
    with pytest.raises(SynthesisError) as caught:
        module.build(config).synthesize("Xin chào")
    assert "s3cret-key-42" not in str(caught.value) and "s3cret-key-42" not in repr(caught.value.__cause__)


@pytest.mark.parametrize("engine", sorted(MODULES))
def test_a_url_with_user_info_is_refused_without_quoting_it(engine):
    # The host part of the URL is in every error message ("<vendor>: <host> did not answer ..."),
    # so a password there would reach the log and the CDR.
    credentials = dict(CREDENTIALS[engine])
    credentials.pop("region", None)
    with pytest.raises(pydantic.ValidationError) as caught:
        MODULES[engine].CONFIG(engine=engine, url="https://ops:pa55word-9@tts.example.com/v1", **credentials)
    said = " ".join(e["msg"] for e in caught.value.errors())  # what the voices file's loader shows
    assert "user-info" in said and "pa55word-9" not in said
