"""The voice OTP read in groups as a bank reads "48 29 15": each group one clip, the pause after each group."""

from __future__ import annotations

import pytest

from tts.audio import wav_info
from tts.cache import AudioCache
from tts.otp import OtpReader, digit_groups
from tts.synth import Synthesizer

TONE = bytes(range(256)) * 40  # 5,120 bytes of non-silent PCM: 0.32 s at 8 kHz


class Recording:
    """An engine that says a tone for any text and records what it was asked to say."""

    def __init__(self) -> None:
        self.name, self.voice, self.settings = "fake", "fake", ""
        self.said: list[str] = []

    def synthesize(self, text: str) -> tuple[bytes, int]:
        self.said.append(text)
        return TONE, 8000


@pytest.fixture
def engine():
    return Recording()


@pytest.fixture
def synth(engine, tmp_path):
    return Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000)


@pytest.mark.parametrize(
    ("code", "groups"),
    [
        ("123", ["123"]),
        ("1234", ["12", "34"]),
        ("12345", ["123", "45"]),
        ("482915", ["482", "915"]),
        ("1234567", ["123", "45", "67"]),
        ("12345678", ["123", "456", "78"]),
        ("123456789012", ["123", "456", "789", "012"]),
    ],
)
def test_a_code_is_cut_in_threes_leaving_no_digit_alone(code, groups):
    assert digit_groups(code, 3) == groups


@pytest.mark.parametrize(("code", "groups"), [("1234", ["12", "34"]), ("12345", ["12", "345"])])
def test_a_code_cut_in_pairs_gives_its_odd_digit_to_the_last_pair(code, groups):
    assert digit_groups(code, 2) == groups


def test_groups_of_one_are_the_digits():
    assert digit_groups("4829", 1) == ["4", "8", "2", "9"]


@pytest.mark.parametrize("code", ["12", "12a4", "1234567890123"])
def test_a_code_that_is_not_3_to_12_digits_is_refused_when_cut(code):
    with pytest.raises(ValueError, match="3 to 12 digits"):
        digit_groups(code, 3)


@pytest.mark.parametrize("group_size", [0, 5])
def test_a_group_size_outside_1_to_4_is_refused(synth, group_size):
    with pytest.raises(ValueError, match="group_size"):
        OtpReader(synth, group_size=group_size)


def test_each_group_is_synthesised_as_one_text(synth, engine):
    OtpReader(synth, group_size=3).render("482915", 2)
    assert engine.said == ["Mã xác thực của bạn là", "Xin nhắc lại", "bốn, tám, hai", "chín, một, năm"]


def test_by_default_a_code_is_read_in_pairs_each_a_comma_separated_list(synth, engine):
    OtpReader(synth).render("482915", 1)
    assert engine.said[1:] == ["bốn, tám", "hai, chín", "một, năm"]


def test_a_group_s_digits_can_be_joined_by_a_space(synth, engine):
    OtpReader(synth, group_size=3, joiner=" ").render("482915", 1)
    assert engine.said[1:] == ["bốn tám hai", "chín một năm"]


def test_groups_of_one_read_the_code_digit_by_digit(synth, engine):
    OtpReader(synth, group_size=1).render("4829", 1)
    assert engine.said[1:] == ["bốn", "chín", "hai", "tám"]  # each digit once, whatever its place


def test_a_group_heard_before_is_not_synthesised_again(synth, engine):
    reader = OtpReader(synth, group_size=3)
    reader.render("482915", 1)
    before = len(engine.said)
    reader.render("915482", 1)
    assert len(engine.said) == before


def test_the_pause_falls_after_each_group(synth):
    short = wav_info(OtpReader(synth, pause_ms=200, group_size=3).render("482915", 1))[3]
    long = wav_info(OtpReader(synth, pause_ms=1200, group_size=3).render("482915", 1))[3]
    assert long - short == pytest.approx(3 * 1.0, abs=0.05)  # after the intro and after each of the two groups


def test_the_same_code_grouped_otherwise_is_another_file(synth):
    assert OtpReader(synth, group_size=3).render("482915", 1) != OtpReader(synth).render("482915", 1)
