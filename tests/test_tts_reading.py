"""The Vietnamese reading rules (tts.numbers, tts.reading): a table of cases.

The first rows are VIETNAMESE-NOTES' table (where num2words and vietnam-number
go wrong); the seed's example sentence is checked word for word.
"""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

from tts.numbers import DIGITS, digit_words, number_words
from tts.reading import date_words, otp_words, speak_value

NUMBERS = [
    # VIETNAMESE-NOTES' table
    (10410000, "mười triệu bốn trăm mười nghìn"),
    (24, "hai mươi tư"),
    (105, "một trăm linh năm"),
    (1005000, "một triệu không trăm linh năm nghìn"),
    (2021, "hai nghìn không trăm hai mươi mốt"),
    (1010, "một nghìn không trăm mười"),
    (1000001, "một triệu không trăm linh một"),
    # units, mười / mươi
    (0, "không"),
    (1, "một"),
    (4, "bốn"),
    (5, "năm"),
    (9, "chín"),
    (10, "mười"),
    (11, "mười một"),
    (14, "mười bốn"),
    (15, "mười lăm"),
    (19, "mười chín"),
    (20, "hai mươi"),
    (21, "hai mươi mốt"),
    (25, "hai mươi lăm"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (55, "năm mươi lăm"),
    (99, "chín mươi chín"),
    # hundreds, linh
    (100, "một trăm"),
    (101, "một trăm linh một"),
    (104, "một trăm linh bốn"),
    (110, "một trăm mười"),
    (111, "một trăm mười một"),
    (115, "một trăm mười lăm"),
    (121, "một trăm hai mươi mốt"),
    (124, "một trăm hai mươi tư"),
    (500, "năm trăm"),
    (999, "chín trăm chín mươi chín"),
    # thousands and "không trăm" in later groups
    (1000, "một nghìn"),
    (1001, "một nghìn không trăm linh một"),
    (1005, "một nghìn không trăm linh năm"),
    (1015, "một nghìn không trăm mười lăm"),
    (1100, "một nghìn một trăm"),
    (2000, "hai nghìn"),
    (10000, "mười nghìn"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (100000, "một trăm nghìn"),
    (105000, "một trăm linh năm nghìn"),
    (250000, "hai trăm năm mươi nghìn"),
    # millions, zero groups are silent
    (1000000, "một triệu"),
    (1000100, "một triệu một trăm"),
    (1001000, "một triệu không trăm linh một nghìn"),
    (1010000, "một triệu không trăm mười nghìn"),
    (1500000, "một triệu năm trăm nghìn"),
    (2000005, "hai triệu không trăm linh năm"),
    (21000000, "hai mươi mốt triệu"),
    (999999999, "chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
    # tỷ and beyond
    (1_000_000_000, "một tỷ"),
    (1_000_000_005, "một tỷ không trăm linh năm"),
    (1_005_000_000, "một tỷ không trăm linh năm triệu"),
    (1_000_005_000, "một tỷ không trăm linh năm nghìn"),
    (2_500_000_000, "hai tỷ năm trăm triệu"),
    (25_000_000_000, "hai mươi lăm tỷ"),
    (
        999_999_999_999,
        "chín trăm chín mươi chín tỷ chín trăm chín mươi chín triệu chín trăm chín mươi chín nghìn"
        " chín trăm chín mươi chín",
    ),
    (1_000_000_000_000, "một nghìn tỷ"),
    (1_000_000_000_000_000, "một triệu tỷ"),
    (10**18, "một tỷ tỷ"),
    # negative
    (-1, "âm một"),
    (-15, "âm mười lăm"),
    (-1005000, "âm một triệu không trăm linh năm nghìn"),
]


@pytest.mark.parametrize(("n", "words"), NUMBERS)
def test_number_words(n, words):
    assert number_words(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (105, "một trăm lẻ năm"),
        (1000001, "một triệu không trăm lẻ một"),
        (2005, "hai nghìn không trăm lẻ năm"),
        (2021, "hai nghìn không trăm hai mươi mốt"),  # no zero tens digit: nothing changes
    ],
)
def test_number_words_le(n, words):
    assert number_words(n, le=True) == words


@pytest.mark.parametrize("bad", [1.0, "15", True, None])
def test_number_words_takes_only_int(bad):
    with pytest.raises(TypeError):
        number_words(bad)


VALUES = [
    # the seed's values
    ("Nguyễn Văn A", "Nguyễn Văn A"),
    ("10410000", "mười triệu bốn trăm mười nghìn"),
    ("30/01/2021", "ba mươi tháng một năm hai không hai mươi mốt"),
    # amounts: bare digits, "." thousands separators, JSON numbers
    ("10.410.000", "mười triệu bốn trăm mười nghìn"),
    ("1.000", "một nghìn"),
    ("2021", "hai nghìn không trăm hai mươi mốt"),
    ("0", "không"),
    ("-500000", "âm năm trăm nghìn"),
    (10410000, "mười triệu bốn trăm mười nghìn"),
    (0, "không"),
    (-24, "âm hai mươi tư"),
    (1_000_000_000_000, "một nghìn tỷ"),
    # leading zero: digit by digit
    ("0331111111", "không ba ba một một một một một một một"),
    ("05", "không năm"),
    ("00", "không không"),
    # spaced digits: one by one
    ("0 9 8 7", "không chín tám bảy"),
    ("1 2 3 4 5 6", "một hai ba bốn năm sáu"),
    ("0 9 8 7 6 5 4 3 2 1", "không chín tám bảy sáu năm bốn ba hai một"),
    ("098 765 4321", "không chín tám bảy sáu năm bốn ba hai một"),
    ("1  5", "một năm"),
    # #n: a number
    ("#15", "mười lăm"),
    ("#4", "bốn"),
    ("#105", "một trăm linh năm"),
    ("#0015", "mười lăm"),
    ("#10.410.000", "mười triệu bốn trăm mười nghìn"),
    ("#-3", "âm ba"),
    # decimals: "phẩy", decimals one by one
    ("1,5", "một phẩy năm"),
    ("0,25", "không phẩy hai năm"),
    ("1.250,75", "một nghìn hai trăm năm mươi phẩy bảy năm"),
    ("-1,05", "âm một phẩy không năm"),
    (1.5, "một phẩy năm"),
    (3.14, "ba phẩy một bốn"),
    (-0.25, "âm không phẩy hai năm"),
    (2.0, "hai"),
    (1e20, "một trăm tỷ tỷ"),
    # dates in both formats
    ("2021-01-30", "ba mươi tháng một năm hai không hai mươi mốt"),
    ("1/1/2021", "một tháng một năm hai không hai mươi mốt"),
    ("01/04/2024", "một tháng tư năm hai không hai mươi tư"),
    ("2024-04-14", "mười bốn tháng tư năm hai không hai mươi tư"),
    ("15/10/2015", "mười lăm tháng mười năm hai không mười lăm"),
    ("21/11/2005", "hai mươi mốt tháng mười một năm hai không không năm"),
    ("31/12/1999", "ba mươi mốt tháng mười hai năm một chín chín mươi chín"),
    ("29/02/2024", "hai mươi chín tháng hai năm hai không hai mươi tư"),
    ("2000-05-25", "hai mươi lăm tháng năm năm hai không không không"),
    # not real dates: left as written
    ("31/02/2021", "31/02/2021"),
    ("29/02/2023", "29/02/2023"),
    ("2021-13-01", "2021-13-01"),
    ("00/01/2021", "00/01/2021"),
    # other shapes left as written
    ("1.5", "1.5"),
    ("10,410,000", "10,410,000"),
    ("30.01.2021", "30.01.2021"),
    ("10-20", "10-20"),
    ("15%", "15%"),
    ("10:30", "10:30"),
    ("10410000đ", "10410000đ"),
    ("A-5", "A-5"),
    ("١٢٣", "١٢٣"),  # only ASCII digits are digits
    # text with numbers in it: standalone tokens are read, the text is untouched
    ("Căn hộ 12A", "Căn hộ 12A"),
    ("nợ 10410000 đồng", "nợ mười triệu bốn trăm mười nghìn đồng"),
    ("hạn 30/01/2021.", "hạn ba mươi tháng một năm hai không hai mươi mốt."),
    ("phòng #15, tầng 4", "phòng mười lăm, tầng bốn"),
    ("gọi 0987 nhé", "gọi không chín tám bảy nhé"),
    ("(5)", "(năm)"),
    ("2021-01-30 10:00:00", "ba mươi tháng một năm hai không hai mươi mốt 10:00:00"),
    # None, booleans, whitespace
    (None, ""),
    (True, "true"),
    (False, "false"),
    ("", ""),
    ("  7  ", "bảy"),
]


@pytest.mark.parametrize(("value", "words"), VALUES)
def test_speak_value(value, words):
    assert speak_value(value) == words


def test_speak_value_le():
    assert speak_value("105", le=True) == "một trăm lẻ năm"
    assert speak_value(105) == "một trăm linh năm"


def test_seed_example_sentence():
    template = "Chào bạn {customer_name} vui lòng thanh toán khoản nợ {due_amount} trước ngày {due_date}"
    fields = {"customer_name": "Nguyễn Văn A", "due_amount": "10410000", "due_date": "30/01/2021"}
    spoken = template.format(**{k: speak_value(v) for k, v in fields.items()})
    assert spoken == (
        "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn"
        " trước ngày ba mươi tháng một năm hai không hai mươi mốt"
    )


def test_the_table_is_large():
    assert len(NUMBERS) + len(VALUES) >= 80


def test_date_words():
    assert date_words(30, 1, 2021) == "ba mươi tháng một năm hai không hai mươi mốt"


def test_date_words_refuses_a_date_that_does_not_exist():
    with pytest.raises(ValueError):
        date_words(31, 2, 2021)


def test_date_words_year_outside_four_digits_is_a_number():
    assert date_words(1, 1, 999) == "một tháng một năm chín trăm chín mươi chín"


def test_every_date_of_a_year_reads_without_digits_left():
    day = dt.date(2024, 1, 1)
    while day.year == 2024:
        words = speak_value(day.strftime("%d/%m/%Y"))
        assert words == speak_value(day.isoformat())
        assert not any(c.isdigit() for c in words)
        day += dt.timedelta(days=1)


def test_digit_words():
    assert digit_words("0 9 8 7") == "không chín tám bảy"
    assert digit_words("2024") == "hai không hai bốn"


@pytest.mark.parametrize("bad", ["", " ", "12a", "1-2", "١٢"])
def test_digit_words_refuses_anything_but_digits(bad):
    with pytest.raises(ValueError):
        digit_words(bad)


def test_digits_table():
    assert DIGITS == ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def test_otp_words():
    assert otp_words("0123456789") == list(DIGITS)
    assert otp_words("445") == ["bốn", "bốn", "năm"]


@pytest.mark.parametrize("bad", ["12", "1234567890123", "12 34", "12a4", "", "١٢٣٤"])
def test_otp_words_refuses_anything_but_3_to_12_digits(bad):
    with pytest.raises(ValueError):
        otp_words(bad)


def test_number_words_round_trip_has_no_digits_and_sane_length():
    for n in [*range(0, 2000), *range(10**6 - 50, 10**6 + 50), 123_456_789_012]:
        words = number_words(n)
        assert not any(c.isdigit() for c in words)
        assert "  " not in words and words == words.strip()


def test_tts_reading_never_imports_dialer():
    root = Path(__file__).resolve().parent.parent / "tts"
    for name in ("numbers.py", "reading.py"):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(not a.name.startswith("dialer") for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("dialer")
