"""The Vietnamese reading rules: a lead's field value turned into the words to speak.

The rules come from the seed's note (docs/tts-reading.md has every case and
decision):

- ``"10410000"`` (or ``"10.410.000"``, ``.`` being the Vietnamese thousands
  separator) is an amount: "mười triệu bốn trăm mười nghìn";
- ``"0 9 8 7"`` (digits and spaces only) is read digit by digit;
- ``"#15"`` is read as a number: "mười lăm";
- ``"30/01/2021"`` or ``"2021-01-30"`` is a date:
  "ba mươi tháng một năm hai không hai mươi mốt";
- text is left as written; inside text, a standalone number, ``#n`` or date
  is read by the rules above.

Only ASCII digits count as digits. ``tts`` never imports ``dialer``.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from decimal import Decimal

from tts.numbers import DIGITS, digit_words, number_words

__all__ = ["date_words", "otp_words", "speak_value"]

_INT = r"[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+"  # 10.410.000 or 10410000
_TOKEN = re.compile(
    r"(?<![^\s(\[\"'“‘])"  # starts the value, or follows a space, an opening bracket or quote
    r"(?:"
    rf"\#(?P<hash_sign>-)?(?P<hash>{_INT})"
    r"|(?P<d>[0-9]{1,2})/(?P<m>[0-9]{1,2})/(?P<y>[0-9]{4})"
    r"|(?P<iy>[0-9]{4})-(?P<im>[0-9]{1,2})-(?P<id>[0-9]{1,2})"
    rf"|(?P<sign>-)?(?P<int>{_INT})(?:,(?P<frac>[0-9]+))?"
    r")"
    r"(?=[.,;:!?)\]\"'”’…]*(?:\s|$))"  # ends the value, or is followed by closing punctuation and a space
)
_SPACED_DIGITS = re.compile(r"[0-9]+(?:\s+[0-9]+)+")
_OTP = re.compile(r"[0-9]{3,12}")
_MONTHS = {4: "tư"}  # "tháng tư", never "tháng bốn"; every other month is its number
Mark = Callable[[str], str]  # wraps a run of words the number reader said (tts.segments: recorded prompts)


def _plain(words: str) -> str:
    return words


def _year_words(year: int) -> str:
    """A four-digit year as the seed reads 2021, "hai không hai mươi mốt": the first two
    digits one by one, the last two as a number ("hai không mười lăm" for 2015), or one
    by one when they start with 0 ("hai không không năm" for 2005). Other years: a number."""
    if not 1000 <= year <= 9999:
        return number_words(year)
    text = f"{year:04d}"
    tail = text[2:]
    last = digit_words(tail) if tail[0] == "0" else number_words(int(tail))
    return f"{digit_words(text[:2])} {last}"


def date_words(day: int, month: int, year: int) -> str:
    """The date as spoken after "ngày": date_words(30, 1, 2021) →
    "ba mươi tháng một năm hai không hai mươi mốt". ``ValueError`` for a date that
    does not exist (31/02/2021)."""
    dt.date(year, month, day)  # ValueError for 31/02, month 13, year 0...
    return f"{number_words(day)} tháng {_MONTHS.get(month) or number_words(month)} năm {_year_words(year)}"


def otp_words(code: str) -> list[str]:
    """One word per digit of an OTP code: "2024" → ["hai", "không", "hai", "bốn"].
    ``ValueError`` unless ``code`` is 3 to 12 ASCII digits (no spaces or separators)."""
    if not isinstance(code, str) or not _OTP.fullmatch(code):
        raise ValueError("an OTP code must be 3 to 12 digits")
    return [DIGITS[int(c)] for c in code]


def _decimal_words(sign: str, whole: int, frac: str, *, le: bool) -> str:
    """``whole``,``frac`` with "phẩy", the decimals one by one: 1,05 → "một phẩy không năm"."""
    words = number_words(whole, le=le)
    if frac:
        words += " phẩy " + digit_words(frac)
    return f"âm {words}" if sign and (whole or frac.strip("0")) else words


def _token_words(m: re.Match[str], *, le: bool, mark: Mark) -> str:
    if m["hash"] is not None:
        n = int(m["hash"].replace(".", ""))
        return mark(number_words(-n if m["hash_sign"] else n, le=le))
    if m["y"] is not None or m["iy"] is not None:
        day, month, year = (m["d"], m["m"], m["y"]) if m["y"] is not None else (m["id"], m["im"], m["iy"])
        try:
            return mark(date_words(int(day), int(month), int(year)))
        except ValueError:
            return m[0]  # not a real date (31/02/2021): left as written
    digits = m["int"]
    if m["sign"] is None and m["frac"] is None and len(digits) > 1 and digits[0] == "0":
        return mark(digit_words(digits))  # 0331111111: a phone number or code, never an amount
    return mark(_decimal_words(m["sign"] or "", int(digits.replace(".", "")), m["frac"] or "", le=le))


def _float_words(value: float, *, le: bool, mark: Mark) -> str:
    if not math.isfinite(value):
        return str(value)
    text = format(Decimal(repr(value)), "f")  # the shortest decimal that round-trips: 0.1 → "0.1"
    sign = "-" if text.startswith("-") else ""
    whole, _, frac = text.removeprefix("-").partition(".")
    return mark(_decimal_words(sign, int(whole), frac.rstrip("0"), le=le))


def speak_value(value: object, *, le: bool = False, mark: Mark = _plain) -> str:
    """One field value as the words to speak (see the module docstring).

    ``None`` → ""; ``True``/``False`` → "true"/"false" (as JSON writes them); an int is
    an amount; a float is an amount with "phẩy" and its decimals one by one; a string
    follows the rules. ``le=True`` says "lẻ" instead of "linh". ``mark`` is applied to
    each run of words the number reader produced (numbers, dates, digit strings), and to
    nothing else: recorded prompt sets play exactly those words from recordings.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return mark(number_words(value, le=le))
    if isinstance(value, float):
        return _float_words(value, le=le, mark=mark)
    text = str(value).strip()
    if _SPACED_DIGITS.fullmatch(text):
        return mark(digit_words(text))
    return _TOKEN.sub(lambda m: _token_words(m, le=le, mark=mark), text)
