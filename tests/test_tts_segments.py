"""tts.segments: a template's message as free text, the number reader's words, and recorded phrases."""

from __future__ import annotations

import pytest

from tts.prompt_keys import KEY_OF_WORD
from tts.segments import Segment, render_segments, spoken
from tts.template import NUMBER_START, PHRASE_START, MissingFields, TextRefused, render

SEED = "Chào bạn {{customer_name}} vui lòng thanh toán khoản nợ {{due_amount}} trước ngày {{due_date}}"
CASES = [
    (SEED, {"customer_name": "Nguyễn Văn A", "due_amount": "10410000", "due_date": "30/01/2021"}),
    (SEED, {"customer_name": "Trần B", "due_amount": "10.410.000", "due_date": "2021-04-30"}),
    ("Nợ {{a}}, hạn {{d}}.", {"a": 1005000, "d": "31/02/2021"}),  # not a date: left as written
    ("Số dư {{a}} đồng ({{b}})", {"a": -1.5, "b": "#15"}),
    ("Gọi {{phone}} hoặc 0 9 8 7 trước 15 giờ", {"phone": "0331111111"}),
    ('Mã {{code}}: "{{n}}" lần {{flag}}', {"code": "0 9 8 7", "n": 21, "flag": True}),
    ("Một lần nữa {{x}} và {{y}}!", {"x": "Một hai", "y": 2.25}),
    ("Ngày 15, tháng 4; năm 2024", {}),
    ("{{v}}", {"v": float("inf")}),
    ("(10) [20] '30' “40” {{t}}…", {"t": "ngày 5, 6 và 7."}),
]


@pytest.mark.parametrize(("text", "fields"), CASES)
def test_the_segments_say_exactly_what_render_says(text, fields):
    assert spoken(render_segments(text, fields)) == render(text, fields)


@pytest.mark.parametrize(("text", "fields"), CASES)
def test_every_word_the_number_reader_said_is_a_prompt_word(text, fields):
    words = [s.text for s in render_segments(text, fields) if s.kind == "number"]
    assert all(w in KEY_OF_WORD for w in words)


def test_an_amount_is_its_number_words_between_texts():
    assert render_segments("Nợ {{a}} đồng", {"a": "10410000"}) == [
        Segment("text", "Nợ"),
        *[Segment("number", w) for w in "mười triệu bốn trăm mười nghìn".split()],
        Segment("text", "đồng"),
    ]


def test_a_number_word_in_free_text_or_a_value_stays_text():
    assert render_segments("Một lần nữa {{x}}", {"x": "Hai ba"}) == [Segment("text", "Một lần nữa Hai ba")]


def test_a_number_in_the_templates_own_words_is_read_as_numbers():
    assert render_segments("còn 2 ngày", {}) == [
        Segment("text", "còn"),
        Segment("number", "hai"),
        Segment("text", "ngày"),
    ]


def test_phrase_slots_are_phrases_and_never_read_as_numbers():
    assert render_segments("[[chao]] {{ten}}, [[2]]", {"ten": "An"}) == [
        Segment("phrase", "chao"),
        Segment("text", "An,"),
        Segment("phrase", "2"),
    ]


def test_a_phrase_slot_in_a_lead_value_is_text_not_a_recording():
    assert render_segments("Chào {{ten}}", {"ten": "[[chao]]"}) == [Segment("text", "Chào [[chao]]")]


def test_a_bad_phrase_name_is_refused_naming_it():
    with pytest.raises(TextRefused, match=r"\[\[Chào bạn\]\] is not a recorded phrase name"):
        render_segments("[[Chào bạn]] {{ten}}", {"ten": "An"})


def test_marks_in_a_value_or_the_text_cannot_forge_segments():
    forged = f"{NUMBER_START}một{PHRASE_START}"
    assert render_segments(f"A {forged} {{{{x}}}}", {"x": forged}) == [Segment("text", "A một một")]


def test_a_missing_field_is_named_as_by_render():
    with pytest.raises(MissingFields, match="due_date"):
        render_segments(SEED, {"customer_name": "A", "due_amount": "5"})
