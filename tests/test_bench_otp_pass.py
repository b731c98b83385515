"""The intelligibility bench's OTP shapes: what a row sets is what the OtpReader it builds reads."""

from __future__ import annotations

from bench.intelbench.runs import OtpShape
from bench.intelbench.sweep import SECOND_PASS


def test_a_shape_passes_only_what_it_sets_to_the_reader():
    assert OtpShape().kwargs() == {"pause_ms": 600}  # the rest: OtpReader's defaults


def test_a_shape_passes_its_grouping_and_joiner():
    shape = OtpShape(pause_ms=800, intro_gap_ms=1000, group_size=3, joiner=", ")
    assert shape.kwargs() == {"pause_ms": 800, "intro_gap_ms": 1000, "group_size": 3, "joiner": ", "}


def test_the_second_pass_starts_with_the_before_and_first_pass_rows_digit_by_digit():
    assert SECOND_PASS[:2] == ((150, OtpShape(group_size=1)), (130, OtpShape(group_size=1)))
