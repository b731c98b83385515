"""Vietnamese number words: integers read as amounts, digit strings read one by one.

Our own reader (see docs/tts-reading.md for why no library): ``number_words``
handles the irregular forms (mười/mươi, mốt, tư, lăm, linh/lẻ, "không trăm"
inside large numbers) and any size (nghìn, triệu, tỷ; then "nghìn tỷ",
"triệu tỷ", "tỷ tỷ"). Northern usage by default: "linh" and "nghìn".
"""

from __future__ import annotations

DIGITS: tuple[str, ...] = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")

_ASCII_DIGITS = frozenset("0123456789")
_BILLION = 10**9
_SCALES = ("", "nghìn", "triệu")  # then "tỷ", handled by recursion so 10**12 is "một nghìn tỷ"


def _tens_units(t: int, u: int, *, after_hundreds: bool, le: bool) -> list[str]:
    """Words for the last two digits ``t``, ``u`` of a group."""
    if t == 0:
        if u == 0:
            return []
        # 105 "một trăm linh năm"; a bare 5 is "năm"
        return ["lẻ" if le else "linh", DIGITS[u]] if after_hundreds else [DIGITS[u]]
    words = ["mười"] if t == 1 else [DIGITS[t], "mươi"]
    if u == 0:
        return words
    if u == 5:
        last = "lăm"  # 15 mười lăm, 25 hai mươi lăm
    elif u == 1 and t >= 2:
        last = "mốt"  # 21 hai mươi mốt, but 11 mười một
    elif u == 4 and t >= 2:
        last = "tư"  # 24 hai mươi tư, but 14 mười bốn
    else:
        last = DIGITS[u]
    return [*words, last]


def _group(n: int, *, full: bool, le: bool) -> list[str]:
    """Words for a group 1-999. ``full`` reads the hundreds even when 0 ("không trăm"),
    as a group does when a larger group precedes it."""
    h, t, u = n // 100, n // 10 % 10, n % 10
    if h == 0 and not full:
        return _tens_units(t, u, after_hundreds=False, le=le)
    return [DIGITS[h], "trăm", *_tens_units(t, u, after_hundreds=True, le=le)]


def _below_billion(n: int, *, full: bool, le: bool) -> list[str]:
    """Words for 1 <= n < 10**9. ``full``: a larger part was already said, so the first
    group reads "không trăm ..." when its hundreds are zero."""
    groups = [n // 10**6, n // 1000 % 1000, n % 1000]
    words: list[str] = []
    for i, g in enumerate(groups):
        if g == 0:
            continue  # a zero group is silent: 1000001 một triệu không trăm linh một
        words += _group(g, full=full or bool(words), le=le)
        scale = _SCALES[len(groups) - 1 - i]
        if scale:
            words.append(scale)
    return words


def _positive(n: int, *, full: bool, le: bool) -> list[str]:
    if n < _BILLION:
        return _below_billion(n, full=full, le=le)
    high, rest = divmod(n, _BILLION)
    words = [*_positive(high, full=full, le=le), "tỷ"]
    if rest:
        words += _below_billion(rest, full=True, le=le)
    return words


def number_words(n: int, *, le: bool = False) -> str:
    """``n`` read as a Vietnamese number: 10410000 → "mười triệu bốn trăm mười nghìn".

    ``le=True`` says "lẻ" (southern) instead of "linh" (northern, the default) for a
    zero tens digit: 105 → "một trăm lẻ năm". Negative numbers start with "âm".
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words takes an int, not {type(n).__name__}")
    if n == 0:
        return DIGITS[0]
    if n < 0:
        return "âm " + number_words(-n, le=le)
    return " ".join(_positive(n, full=False, le=le))


def digit_words(digits: str) -> str:
    """Each digit of ``digits`` as its word, whitespace ignored: "0 9 8 7" → "không chín tám bảy".

    ``ValueError`` for any other character (only ASCII digits count) or no digit at all.
    """
    chars = [c for c in digits if not c.isspace()]
    if not chars or any(c not in _ASCII_DIGITS for c in chars):
        raise ValueError(f"not a string of digits: {digits!r}")
    return " ".join(DIGITS[int(c)] for c in chars)
