"""Recorded prompt sets: OTPs and numbers assembled from an operator's recordings, TTS only for the rest.

The stand-in sets are tones of one frequency per prompt (tests/prompt_fixtures.py) and the
fake engine speaks a tone of its own: each test decodes the assembled WAV and reads which
clip played where.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.prompt_fixtures import FREQ, TTS, ToneEngine, names, prompt_set, required_set, runs, write_prompt
from tts.assemble import BOUNDARY_GAP_MS, PUNCTUATION_GAP_MS, WORD_GAP_MS
from tts.audio import peak, trim_silence, wav_info
from tts.cache import AudioCache
from tts.engines.base import SynthesisError
from tts.otp import OtpReader
from tts.prompt_keys import PROMPTS, REQUIRED
from tts.prompts import IncompletePromptSet, PromptSet, PromptSetError
from tts.renderer import TtsRenderer
from tts.synth import PEAK_DBFS, Synthesizer

AMOUNT = "Khoản nợ {{amount}} đồng"
AMOUNT_WORDS = ["muoi", "million", "4", "hundred", "muoi", "thousand"]  # mười triệu bốn trăm mười nghìn
DATE_WORDS = [
    "3",
    "tens",
    "month",
    "tu",
    "5",
    "2",
    "0",
    "2",
    "tens",
    "mot",
]  # ba mươi tháng tư năm hai không hai mươi mốt


@pytest.fixture
def engine():
    return ToneEngine()


def make_renderer(engine, tmp_path, rate=8000):
    synth = Synthesizer(engine, AudioCache(tmp_path / "tts"), rate)
    return TtsRenderer(synth, OtpReader(synth, output=AudioCache(tmp_path / "tts-otp")))


@pytest.fixture
def renderer(engine, tmp_path):
    return make_renderer(engine, tmp_path)


@pytest.fixture
def full_set(tmp_path):
    return prompt_set(tmp_path / "prompts" / "full")


@pytest.fixture
def required_only(tmp_path):
    return required_set(tmp_path / "prompts" / "required")


# --------------------------------------------------------------------------- voice OTP


def test_an_otp_is_assembled_from_the_recordings_without_synthesis(renderer, engine, full_set):
    path = renderer.render_otp("482915", 2, prompts=full_set)
    digits = ["4", "8", "2", "9", "1", "5"]
    assert names(path) == ["otp-intro", *digits, "otp-again", *digits]
    assert engine.said == []


def test_an_otp_template_intro_is_spoken_by_tts_and_the_digits_by_the_recordings(renderer, engine, full_set):
    path = renderer.render_otp("123", 1, "Mã OTP của quý khách là", prompts=full_set)
    assert names(path) == [TTS, "1", "2", "3"] and engine.said == ["Mã OTP của quý khách là"]


def test_an_otp_keeps_the_readers_pause_between_recorded_digits(engine, tmp_path, full_set):
    synth = Synthesizer(engine, AudioCache(tmp_path / "tts"), 8000)
    renderer = TtsRenderer(synth, OtpReader(synth, pause_ms=900))
    found = runs(renderer.render_otp("777", 1, prompts=full_set))
    ends = [start + length for start, length, _ in found]
    gaps = [found[i + 1][0] - ends[i] for i in range(len(found) - 1)]
    # 900 ms of pause, plus the 40 ms and 20 ms of recording kept either side of each trimmed clip
    assert gaps == pytest.approx([0.96, 0.96, 0.96], abs=0.006)


def test_an_otp_says_which_sources_spoke(renderer, full_set):
    assert renderer.render_otp("1234", 1, "", prompts=full_set).voices == ("prompts",)
    assert renderer.render_otp("1234", 1, "Mã OTP là", prompts=full_set).voices == ("fake", "prompts")


def test_without_a_prompt_set_an_otp_is_synthesised_as_before(renderer, engine):
    renderer.render_otp("482915", 2)
    assert {"bốn, tám", "hai, chín", "một, năm", "Xin nhắc lại"} <= set(engine.said)


# --------------------------------------------------------------------------- numbers in templates


def test_an_amount_plays_its_number_words_from_the_recordings(renderer, engine, full_set):
    path = renderer.render_text(AMOUNT, {"amount": "10410000"}, prompts=full_set)
    assert names(path) == [TTS, *AMOUNT_WORDS, TTS] and engine.said == ["Khoản nợ", "đồng"]


def test_a_date_plays_the_month_word_from_tts_when_the_set_has_not_recorded_it(renderer, engine, required_only):
    path = renderer.render_text("Trước ngày {{due}}", {"due": "30/04/2021"}, prompts=required_only)
    assert names(path) == [TTS, *[TTS if w == "month" else w for w in DATE_WORDS]]
    assert engine.said == ["Trước ngày", "tháng"]


def test_a_date_plays_the_month_word_from_the_set_when_recorded(renderer, engine, full_set):
    path = renderer.render_text("Trước ngày {{due}}", {"due": "30/04/2021"}, prompts=full_set)
    assert names(path) == [TTS, *DATE_WORDS] and engine.said == ["Trước ngày"]


def test_a_one_in_free_text_stays_tts_and_a_one_the_reader_said_is_recorded(renderer, engine, full_set):
    path = renderer.render_text("Một lần nữa, còn {{n}} ngày", {"n": 1}, prompts=full_set)
    assert names(path) == [TTS, "1", TTS] and engine.said == ["Một lần nữa, còn", "ngày"]


def test_recorded_number_words_are_joined_by_the_word_gap_and_tts_by_the_boundary_gap(renderer, full_set):
    found = runs(renderer.render_text("Nợ {{a}}.", {"a": 21}, prompts=full_set))  # hai mươi mốt
    gaps = [round(found[i + 1][0] - found[i][0] - found[i][1], 3) for i in range(len(found) - 1)]
    margins = 0.04 + 0.02  # what trim_silence keeps after and before each clip's loud part
    assert gaps == pytest.approx([BOUNDARY_GAP_MS / 1000 + margins] + [WORD_GAP_MS / 1000 + margins] * 2, abs=0.006)


def test_punctuation_after_a_number_is_a_pause_not_a_text(renderer, engine, full_set):
    found = runs(renderer.render_text("Nợ {{a}}, hết", {"a": 5}, prompts=full_set))
    assert engine.said == ["Nợ", "hết"]
    gap = found[2][0] - found[1][0] - found[1][1]
    assert gap == pytest.approx(PUNCTUATION_GAP_MS / 1000 + 0.04 + 0.02, abs=0.006)


def test_a_text_message_says_which_sources_spoke(renderer, full_set):
    assert renderer.render_text(AMOUNT, {"amount": 5}, prompts=full_set).voices == ("fake", "prompts")
    assert renderer.render_text("{{amount}}", {"amount": 5}, prompts=full_set).voices == ("prompts",)


def test_without_a_prompt_set_a_text_message_is_one_synthesis_as_before(renderer, engine):
    path = renderer.render_text(AMOUNT, {"amount": "10410000"})
    assert engine.said == ["Khoản nợ mười triệu bốn trăm mười nghìn đồng"]
    assert path == renderer.voices.speak("Khoản nợ mười triệu bốn trăm mười nghìn đồng")


# --------------------------------------------------------------------------- recorded phrases


def test_recorded_phrases_with_field_slots_between_them(renderer, engine, full_set):
    text = "[[chao]] {{name}} [[nhac_no]] {{amount}}"
    path = renderer.render_text(text, {"name": "Nguyễn Văn A", "amount": 15}, prompts=full_set)
    assert names(path) == ["phrase-chao", TTS, "phrase-nhac_no", "muoi", "lam"]
    assert engine.said == ["Nguyễn Văn A"]


def test_a_template_naming_a_phrase_the_set_lacks_is_refused_naming_it(renderer, required_only):
    with pytest.raises(IncompletePromptSet, match="phrase-chao"):
        renderer.render_text("[[chao]] {{name}}", {"name": "An"}, prompts=required_only)


# --------------------------------------------------------------------------- the set itself


def test_an_incomplete_set_is_refused_naming_the_missing_prompts(renderer, tmp_path, full_set):
    (full_set / "9.wav").unlink()
    (full_set / "otp-again.wav").unlink()
    with pytest.raises(IncompletePromptSet, match="lacks the recordings 9, otp-again") as refused:
        renderer.render_otp("1234", 2, prompts=full_set)
    assert refused.value.names == ["9", "otp-again"] and isinstance(refused.value, ValueError)
    with pytest.raises(IncompletePromptSet, match="9, otp-again"):
        renderer.render_text(AMOUNT, {"amount": 5}, prompts=full_set)


def test_a_set_lists_its_keys_and_what_it_misses(tmp_path, full_set):
    (full_set / "tens.wav").unlink()
    (full_set / "notes.txt").write_text("not a prompt")
    (full_set / ".3.wav.upload.tmp").write_bytes(b"half")
    prompts = PromptSet(full_set, 8000)
    assert prompts.missing() == ["tens"] and "3" in prompts.keys and "notes" not in prompts.keys


def test_a_missing_directory_is_a_clear_error(renderer, tmp_path):
    with pytest.raises(PromptSetError, match="no prompt set at"):
        renderer.render_otp("1234", 1, prompts=tmp_path / "nowhere")


def test_a_prompt_that_is_not_a_16bit_wav_is_named(renderer, full_set):
    (full_set / "4.wav").write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(PromptSetError, match=r"4\.wav"):
        renderer.render_otp("4444", 1, prompts=full_set)


def test_a_re_recorded_prompt_is_used_at_once(renderer, full_set):
    first = renderer.render_otp("444", 1, prompts=full_set)
    write_prompt(full_set, "4", 8000, freq=FREQ["phrase-chao"], seconds=0.3)  # "4" now sounds like another clip
    second = renderer.render_otp("444", 1, prompts=full_set)
    assert second != first and names(second) == ["otp-intro", "phrase-chao", "phrase-chao", "phrase-chao"]


def test_a_recording_the_message_does_not_play_leaves_its_cached_file_in_use(renderer, full_set):
    first = renderer.render_otp("444", 1, prompts=full_set)
    write_prompt(full_set, "phrase-late-fee", 8000, freq=FREQ["phrase-chao"])  # another template's phrase
    assert renderer.render_otp("444", 1, prompts=full_set) == first


def test_a_re_recorded_prompt_of_the_same_size_and_second_is_seen(tmp_path, full_set):
    before = PromptSet(full_set, 8000).clip("7")
    stat = os.stat(full_set / "7.wav")
    write_prompt(full_set, "7", 8000, freq=FREQ["8"])  # same length: same size
    os.utime(full_set / "7.wav", ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
    assert PromptSet(full_set, 8000).clip("7") != before


def test_8khz_prompts_are_resampled_for_a_16khz_synthesizer(engine, tmp_path, full_set):
    renderer = make_renderer(engine, tmp_path, rate=16000)
    path = renderer.render_otp("369", 1, prompts=full_set)
    assert wav_info(path)[:3] == (16000, 1, 2)
    assert names(path) == ["otp-intro", "3", "6", "9"]
    assert [round(length, 3) for _, length, _ in runs(path)][1:] == [0.25] * 3  # each recording's 0.25 s of tone


def test_16khz_prompts_are_resampled_for_an_8khz_synthesizer(renderer, tmp_path):
    prompts = prompt_set(tmp_path / "wide", rate=16000)
    path = renderer.render_otp("258", 1, prompts=prompts)
    assert wav_info(path)[0] == 8000 and names(path) == ["otp-intro", "2", "5", "8"]


def test_a_quiet_recording_is_played_at_the_tts_level(tmp_path, full_set):
    write_prompt(full_set, "6", 8000, amp=3000)  # -21 dBFS, 16,000 for the others
    prompts = PromptSet(full_set, 8000)
    assert peak(prompts.clip("6")) == pytest.approx(peak(prompts.clip("5")), abs=2)
    assert peak(prompts.clip("6")) == pytest.approx(32767 * 10 ** (PEAK_DBFS / 20), abs=2)  # the TTS clips' peak


def test_a_clip_is_trimmed_to_its_sound_and_a_margin(tmp_path, full_set):
    # the file: 0.1 s of silence, 0.25 s of tone, 0.1 s of silence; 10 ms frames decide the cut
    seconds = len(PromptSet(full_set, 8000).clip("2")) / 2 / 8000
    assert seconds == pytest.approx(0.25 + 0.02 + 0.04, abs=0.011)


def test_trimming_keeps_digital_silence_as_it_is():
    assert trim_silence(b"\x00\x00" * 800, 8000) == b"\x00\x00" * 800


def test_the_assembled_message_is_made_once_per_set_and_code(renderer, full_set):
    first = renderer.render_otp("5678", 2, prompts=full_set)
    misses = renderer.otp.output.misses
    assert renderer.render_otp("5678", 2, prompts=full_set) == first and renderer.otp.output.misses == misses


def test_the_docs_list_every_prompt_with_its_word():
    doc = (Path(__file__).parent.parent / "docs" / "tts.md").read_text()
    for key, word in PROMPTS.items():
        assert f"| `{key}` | {word} | {'required' if key in REQUIRED else 'optional'} |" in doc


def test_a_symlink_in_a_set_is_not_a_recording(tmp_path, full_set):
    (full_set / "3.wav").unlink()
    (full_set / "3.wav").symlink_to(full_set / "4.wav")
    assert PromptSet(full_set, 8000).missing() == ["3"]


def test_a_message_of_only_punctuation_has_nothing_to_say(renderer, engine, full_set):
    with pytest.raises(SynthesisError, match="nothing to say"):
        renderer.render_text("… {{x}} !", {"x": "."}, prompts=full_set)
    assert engine.said == []


def test_a_long_recording_is_converted_without_holding_the_hub(tmp_path):
    # A phrase may be 10 minutes: its first load (resampled and normalised on the hub) must let other
    # greenlets (calls, ESL, timers) run part way, as a TTS clip's conversion does.
    import gevent

    write_prompt(tmp_path, "phrase-terms", 16000, freq=440.0, seconds=600.0)
    ran = []
    gevent.spawn(ran.append, "other greenlet")  # runs only if the load yields to the hub
    pcm = PromptSet(tmp_path, 8000).clip("phrase-terms")
    assert ran == ["other greenlet"] and len(pcm) > 8000 * 2 * 590
