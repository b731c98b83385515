"""tts.template: placeholders filled in a sandbox, values read by the Vietnamese rules."""

from __future__ import annotations

import pytest

from tts.template import MAX_TEXT, MissingFields, TextRefused, placeholders, render

SEED_TEMPLATE = "Chào bạn {{customer_name}} vui lòng thanh toán khoản nợ {{due_amount}} trước ngày {{due_date}}"
SEED_SPOKEN = (
    "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn trước ngày "
    "ba mươi tháng một năm hai không hai mươi mốt"
)


def test_the_seeds_example_comes_out_exactly():
    fields = {"customer_name": "Nguyễn Văn A", "due_amount": "10410000", "due_date": "30/01/2021"}
    assert render(SEED_TEMPLATE, fields) == SEED_SPOKEN


def test_a_missing_field_is_named_before_anything_is_spoken():
    with pytest.raises(MissingFields) as exc:
        render(SEED_TEMPLATE, {"customer_name": "A"})
    assert exc.value.names == ["due_amount", "due_date"]


def test_extra_fields_are_ignored():
    assert render("Chào {{ten}}", {"ten": "An", "sdt": "0982596021"}) == "Chào An"


def test_the_templates_own_words_are_left_as_written():
    assert render("Xin chào quý khách {{ten}}!", {"ten": "An"}) == "Xin chào quý khách An!"


def test_numbers_in_the_templates_own_words_follow_the_same_rules():
    spoken = render("Hạn chót ngày 15, gọi 1 9 0 0 1 2 3 4 cho {{ten}}", {"ten": "An"})
    assert spoken == "Hạn chót ngày mười lăm, gọi một chín không không một hai ba bốn cho An"


def test_line_breaks_and_runs_of_spaces_become_one_space():
    assert render("Chào\n  {{ten}}\n", {"ten": "An"}) == "Chào An"


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ten.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ten|attr('upper') }}",
        "{{ ten['x'] }}",
        "{{ range(10) }}",
        "{{ 7 * 7 }}",
        "{% for x in ten %}{{ x }}{% endfor %}",
        "{% raw %}{{ ten }}{% endraw %}",
        "{{ lipsum() }}",
        "{{ ten ~ ten }}",
        "{{ self }}",
        "{{" + "(" * 300 + "x" + ")" * 300 + "}}",
    ],
)
def test_anything_but_plain_placeholders_is_refused(text):
    with pytest.raises(TextRefused):
        render(text, {"ten": "An", "x": 1})


def test_a_template_text_has_a_size_limit():
    with pytest.raises(TextRefused, match="at most"):
        render("a" * (MAX_TEXT + 1), {})


def test_placeholders_lists_the_fields_a_lead_must_have():
    assert placeholders(SEED_TEMPLATE) == {"customer_name", "due_amount", "due_date"}


def test_a_huge_field_value_is_refused_before_it_is_read():
    with pytest.raises(TextRefused, match="at most 2000"):
        render("Nợ {{so_tien}}", {"so_tien": "1 " * 5000})
