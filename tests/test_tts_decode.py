"""tts.engines.decode: a vendor's audio answer (WAV or MP3, sniffed from its bytes) as mono PCM and its rate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tts.audio import wav_bytes
from tts.engines.base import SynthesisError
from tts.engines.decode import decode_audio, sniff

FIXTURES = Path(__file__).parent / "fixtures" / "tts"  # 0.6 s 440 Hz tones written by libsndfile's MP3 encoder


def test_a_wav_answer_is_read_as_it_is_and_mixed_down_to_mono():
    stereo = (1000).to_bytes(2, "little", signed=True) * 2 * 800
    assert decode_audio(wav_bytes(stereo, 16000, channels=2), "Azure") == (stereo[: len(stereo) // 2], 16000)


def test_an_mp3_answer_is_decoded_at_its_own_rate():
    pcm, rate = decode_audio((FIXTURES / "tone-24k-mono.mp3").read_bytes(), "FPT.AI")
    assert rate == 24000 and abs(len(pcm) / 2 / rate - 0.6) < 0.01 and max(pcm) > 0


def test_a_stereo_mp3_is_mixed_down_to_mono():
    pcm, rate = decode_audio((FIXTURES / "tone-22k-stereo.mp3").read_bytes(), "Vbee")
    assert rate == 22050 and abs(len(pcm) / 2 / rate - 0.6) < 0.01


@pytest.mark.parametrize(
    ("body", "kind"),
    [(b"RIFF\0\0\0\0WAVEfmt ", "wav"), (b"ID3\x04", "mp3"), (b"\xff\xfb\x90\x00", "mp3"), (b'{"error":1}', "")],
)
def test_the_container_is_sniffed_from_the_bytes_not_a_header(body, kind):
    assert sniff(body) == kind


def test_a_json_error_body_is_a_synthesis_error_naming_the_vendor_and_what_came_back():
    with pytest.raises(SynthesisError, match=r'FPT.AI returned no WAV or MP3 audio \(13 bytes: \{"error": 9\}\)'):
        decode_audio(b'{"error": 9}\n', "FPT.AI")


def test_a_truncated_mp3_is_a_synthesis_error_never_a_decoder_exception():
    with pytest.raises(SynthesisError, match="Zalo AI returned unusable MP3 audio"):
        decode_audio((FIXTURES / "tone-24k-mono.mp3").read_bytes()[:40], "Zalo AI")


def test_an_empty_body_is_a_synthesis_error():
    with pytest.raises(SynthesisError, match="empty body"):
        decode_audio(b"", "Viettel AI")
