"""bench/intelbench: the intelligibility bench's pure parts (no recogniser needed): word error rate,
Vietnamese digit words to digits, OTP digits recognised in position, G.711 mu-law."""

import warnings

import numpy as np
import pytest

from bench.intelbench.phone import through, ulaw_decode, ulaw_encode
from bench.intelbench.scoring import DIGIT_OF_WORD, Tally, edits, heard_digits, matches, words


def test_words_are_lower_case_without_punctuation():
    assert words("Chào bạn, NGUYỄN Văn A!  Số: 09.") == ["chào", "bạn", "nguyễn", "văn", "a", "số", "09"]


def test_words_compose_decomposed_vietnamese():
    assert words("khoe\u0302\u0301") == ["khoế"]  # e + circumflex + acute, as some recognisers emit


def test_edits_count_substitutions_deletions_and_insertions():
    said = "một hai ba bốn".split()
    assert edits(said, "một hai ba bốn".split()) == 0
    assert edits(said, "một hai bà bốn".split()) == 1
    assert edits(said, "một ba bốn".split()) == 1
    assert edits(said, "một hai ba ba bốn".split()) == 1
    assert edits(said, []) == 4


def test_sentence_wer_is_edits_over_words_said():
    tally = Tally()
    tally.sentence("Vui lòng thanh toán", "vui lòng thanh")
    tally.sentence("trước ngày ba", "trước ngày ba mươi")
    assert (tally.word_edits, tally.words_said, tally.wer) == (2, 7, 2 / 7)


VARIANTS = [("không", "0"), ("linh", "0"), ("lẻ", "0"), ("mốt", "1"), ("tư", "4"), ("bốn", "4"), ("lăm", "5")]
VARIANTS += [("nhăm", "5"), ("năm", "5"), ("bẩy", "7"), ("bảy", "7"), ("chín", "9")]


@pytest.mark.parametrize(("word", "digit"), VARIANTS)
def test_digit_words_and_their_variants_map_to_digits(word, digit):
    assert DIGIT_OF_WORD[word] == digit


def test_heard_digits_keep_digit_words_and_numerals_and_drop_other_words():
    assert heard_digits("Mã của bạn là không, lăm tư 78\nchín") == list("054789")


def test_matches_credit_only_digits_aligned_with_themselves():
    said = list("0385")
    assert matches(said, list("385")) == [False, True, True, True]  # the first lost
    assert matches(said, list("0395")) == [True, True, False, True]  # one misheard
    assert matches(said, list("03185")) == [True, True, True, True]  # an extra digit costs nothing here


def test_otp_tally_counts_digits_first_digits_zeros_and_whole_codes():
    tally = Tally()
    tally.otp("0385", 1, "mở của bạn là ba tám năm")
    tally.otp("1234", 1, "một hai ba bốn")
    assert (tally.digits_hit, tally.digits_said, tally.digit_accuracy) == (7, 8, 7 / 8)
    assert (tally.first_hit, tally.first_said) == (1, 2)
    assert (tally.zero_hit, tally.zero_said) == (0, 1)
    assert (tally.codes_right, tally.codes) == (1, 2)


def test_otp_tally_counts_the_first_digit_of_each_reading():
    tally = Tally()
    tally.otp("12", 2, "hai một hai")
    assert (tally.first_hit, tally.first_said) == (1, 2)


def test_mulaw_round_trip_keeps_the_signal_within_its_step_size():
    x = (np.sin(np.arange(8000) * 2 * np.pi * 440 / 8000) * 20000).astype(np.int16)
    y = through(x, "pcmu")
    step = np.maximum(np.abs(x.astype(np.int32)) / 16, 8)  # 4 bits of mantissa per segment
    assert np.all(np.abs(y.astype(np.int32) - x) <= step)


def test_mulaw_decoding_is_the_inverse_of_encoding_on_every_code():
    code = np.arange(256, dtype=np.uint8)
    again = ulaw_encode(ulaw_decode(code))
    assert np.array_equal(again[code != 0x7F], code[code != 0x7F])  # 0x7F and 0xFF both decode to 0


def test_mulaw_matches_the_standard_library_on_every_16_bit_value():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        audioop = pytest.importorskip("audioop", reason="audioop left the standard library in Python 3.13")
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert ulaw_encode(x).tobytes() == audioop.lin2ulaw(x.tobytes(), 2)
    code = np.arange(256, dtype=np.uint8)
    assert ulaw_decode(code).tobytes() == audioop.ulaw2lin(code.tobytes(), 2)


def test_plain_pcm_path_is_unchanged():
    x = np.array([0, 1, -1, 32767, -32768], dtype=np.int16)
    assert np.array_equal(through(x, "l16"), x)


def test_otp_tally_counts_each_digit_recognised_and_said():
    tally = Tally()
    tally.otp("0385", 1, "ba tám năm")
    tally.otp("505", 1, "năm không năm")
    assert tally.digits_line() == "0 1/2  3 1/1  5 3/3  8 1/1"


def test_a_stand_in_prompt_is_trimmed_to_its_sound_with_a_20_ms_margin():
    from bench.intelbench.standins import trim

    sound = np.full(800, 10000, dtype=np.int16)
    pcm = np.concatenate([np.zeros(4000, np.int16), sound, np.full(100, 50, np.int16), np.zeros(4000, np.int16)])
    assert len(np.frombuffer(trim(pcm.tobytes(), 8000), dtype=np.int16)) == 160 + 800 + 160


def test_squeezing_cuts_long_silences_to_the_kept_length_and_leaves_sound_and_short_gaps():
    from bench.intelbench.phone import squeeze_silences

    tone = np.full(400, 5000, dtype=np.int16)
    pcm = np.concatenate([tone, np.zeros(8000, np.int16), tone, np.zeros(800, np.int16), tone])
    out = squeeze_silences(pcm, 8000, keep_ms=150)
    assert len(out) == 400 + 1200 + 400 + 800 + 400
    assert np.count_nonzero(out) == 1200


def test_every_bench_sentence_has_its_numbers_read_as_words():
    from bench.intelbench.corpus import SENTENCE_SETS, sentences

    for name in SENTENCE_SETS:
        texts = sentences(name)
        assert len(texts) == 6 and not any(ch.isdigit() for text in texts for ch in text)


def test_bench_codes_are_4_to_6_digits_fixed_by_their_seed_and_every_third_starts_with_0():
    from bench.intelbench.corpus import codes

    got = codes(10, 101)
    assert got == codes(10, 101) and got != codes(10, 202)
    assert [len(c) for c in got] == [4, 5, 6] * 3 + [4] and all(c.isdigit() for c in got)
    assert all(c.startswith("0") for c in got[::3])


def test_a_voices_file_voice_becomes_an_8khz_synthesizer_of_its_own_engine(tmp_path):
    from bench.intelbench.voicefile import synths

    path = tmp_path / "voices.toml"
    path.write_text('default = "slow"\n\n[voice.slow]\nengine = "espeak"\nspeed = 110\n')
    [(label, synth)] = synths(str(path), [], tmp_path / "cache")
    assert label == "slow (espeak vi speed=110)" and synth.rate == 8000 and synth.engine.speed_wpm == 110


def test_an_unknown_voice_of_a_voices_file_is_refused_naming_the_voices(tmp_path):
    from bench.intelbench.voicefile import synths
    from tts.voices import VoicesError

    path = tmp_path / "voices.toml"
    path.write_text('default = "slow"\n\n[voice.slow]\nengine = "espeak"\n')
    with pytest.raises(VoicesError, match=r"no voice 'fast'.*slow"):
        synths(str(path), ["fast"], tmp_path / "cache")
