"""tts.prompt_keys: the words a recorded prompt set holds and their file keys."""

from __future__ import annotations

import pytest

from tts.numbers import number_words
from tts.prompt_keys import KEY_OF_WORD, REQUIRED, is_prompt_key, missing, phrases
from tts.reading import speak_value


def test_every_word_the_number_reader_says_has_a_required_prompt():
    words = set()
    for n in [*range(0, 1000), 1005000, 10410000, 2_000_000_105, 10**12 + 21, 105]:
        words |= set(number_words(n).split()) | set(number_words(n, le=True).split())
    required_words = {REQUIRED[k] for k in REQUIRED}
    assert words <= required_words


def test_a_date_needs_only_required_prompts_and_the_optional_month_word():
    words = set(speak_value("30/04/2021").split())
    assert {KEY_OF_WORD[w] for w in words} <= set(REQUIRED) | {"month"}


def test_phrases_are_lower_case_ascii_names_and_other_keys_are_refused():
    assert is_prompt_key("phrase-chao_ban") and is_prompt_key("7") and is_prompt_key("otp-intro")
    assert not is_prompt_key("phrase-Chào") and not is_prompt_key("../7") and not is_prompt_key("phrase-")


def test_missing_names_the_required_prompts_absent_in_order():
    assert missing(set(REQUIRED) - {"9", "otp-again"}) == ["9", "otp-again"]


def test_a_templates_recorded_phrases_are_listed_once_in_order():
    assert phrases("[[chao]] {{ten}} [[nhac_no]] [[ chao ]] {{so_tien}}") == ["chao", "nhac_no"]


def test_a_phrase_slot_with_a_bad_name_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"\[\[Chào bạn\]\] is not a recorded phrase name"):
        phrases("[[Chào bạn]] {{ten}}")
