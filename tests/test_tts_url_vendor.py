"""tts/engines/url_vendor.py: the audio-URL host policy and joined pieces; vendor_call: split_text, vendor_error."""

from __future__ import annotations

import pytest

from tts.engines import SynthesisError
from tts.engines.url_vendor import audio_url, join_pcm
from tts.engines.vendor_call import split_text, vendor_error

HTTPS_API = "https://api.vendor.example/tts"
HTTP_API = "http://127.0.0.1:8080/tts"


@pytest.mark.parametrize(
    ("link", "api"),
    [
        ("https://file01.fpt.ai/text2speech-v5/short/x.mp3", HTTPS_API),
        ("https://s3-ap-southeast-1.amazonaws.com/bucket/x.wav", HTTPS_API),
        ("http://127.0.0.1:8080/files/x.wav", HTTP_API),  # a local stub: the API itself is http
        ("https://chunk.lab.zalo.ai/a/b", HTTP_API),
    ],
)
def test_audio_url_allowed(link, api):
    assert audio_url(link, api, "V") == link


@pytest.mark.parametrize(
    "link",
    [
        "http://file01.fpt.ai/x.mp3",  # a downgrade from the https API
        "ftp://file01.fpt.ai/x.mp3",
        "file:///etc/passwd",
        "https://user:pw@file01.fpt.ai/x.mp3",
        "https:///x.mp3",
        "",
        None,
        42,
    ],
)
def test_audio_url_refused(link):
    with pytest.raises(SynthesisError, match=r"^V: "):
        audio_url(link, HTTPS_API, "V")


def test_vendor_error_names_vendor_status_code_message():
    assert (
        str(vendor_error("Zalo AI", 200, 401, "Invalid  API\nkey")) == "Zalo AI: HTTP 200, error 401: Invalid API key"
    )


@pytest.mark.parametrize(
    ("status", "message", "headers", "tail"),
    [
        (429, "", {}, "HTTP 429 (rate limit or quota reached; not retried)"),
        (
            429,
            "slow down",
            {"Retry-After": "12"},
            "slow down (rate limit or quota reached, Retry-After: 12; not retried)",
        ),
        (402, "Payment required", {}, "(rate limit or quota reached; not retried)"),
        (200, "Quota exhausted", {}, "(rate limit or quota reached; not retried)"),
        (200, "Bạn đã vượt quá hạn mức ký tự", {}, "(rate limit or quota reached; not retried)"),
    ],
)
def test_vendor_error_says_rate_limit_or_quota(status, message, headers, tail):
    assert str(vendor_error("V", status, None, message, headers)).endswith(tail)


def test_vendor_error_without_a_limit_says_none():
    assert "rate limit" not in str(vendor_error("V", 400, 3, "Invalid voice"))


def test_split_text_keeps_short_text_whole_and_collapses_whitespace():
    assert split_text("  Xin   chào\nbạn. ", 300) == ["Xin chào bạn."]


def test_split_text_cuts_at_sentence_ends_then_commas_then_words_then_anywhere():
    assert split_text("Một hai. Ba bốn! Năm sáu?", 10) == ["Một hai.", "Ba bốn!", "Năm sáu?"]
    assert split_text("một hai ba, bốn năm sáu, bảy", 12) == ["một hai ba,", "bốn năm sáu,", "bảy"]
    assert split_text("một hai ba bốn", 8) == ["một hai", "ba bốn"]
    assert split_text("abcdefghij", 4) == ["abcd", "efgh", "ij"]


def test_split_text_packs_sentences_up_to_the_limit():
    pieces = split_text("A b. " * 50, 30)
    assert all(len(p) <= 30 for p in pieces) and " ".join(pieces) == ("A b. " * 50).strip()
    assert len(pieces) == 9  # six sentences (29 characters) per piece


def test_join_pcm_refuses_mixed_rates_and_silence():
    assert join_pcm([(b"\x01\x00", 8000), (b"\x02\x00", 8000)], "V") == (b"\x01\x00\x02\x00", 8000)
    with pytest.raises(SynthesisError, match="different rates"):
        join_pcm([(b"\x01\x00", 8000), (b"\x02\x00", 16000)], "V")
    with pytest.raises(SynthesisError, match="silent"):
        join_pcm([(b"\x00\x00", 8000)], "V")
