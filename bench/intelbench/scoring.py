"""Scores for what the recogniser heard: word error rate, and OTP digits recognised in position.

Pure functions (no recogniser, no audio), so tests/test_bench_tts_intelligibility.py checks them.

Normalisation: Unicode NFC, lower case, every character that is not a letter or a digit
becomes a space, words split on whitespace. WER = word edits (substitutions, deletions,
insertions: Levenshtein over words) / words said, summed over a set of sentences.

Digits: each heard word maps to a digit by :data:`DIGIT_OF_WORD` (the digit words and the
variants the reading rules and speakers use: "lăm"/"nhăm" 5, "tư" 4, "linh"/"lẻ" 0,
"mốt" 1, "bẩy" 7), a run of numerals to its digits; other words are dropped. The digits
said are aligned with the digits heard (minimum edits); a digit counts as recognised when
the alignment matches it with the same digit heard: digits recognised / digits said.
An extra digit heard costs nothing here but shows in the codes wholly right (no edit at all).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

DIGIT_OF_WORD: dict[str, str] = {
    "không": "0",
    "linh": "0",
    "lẻ": "0",
    "một": "1",
    "mốt": "1",
    "hai": "2",
    "ba": "3",
    "bốn": "4",
    "tư": "4",
    "năm": "5",
    "lăm": "5",
    "nhăm": "5",
    "sáu": "6",
    "bảy": "7",
    "bẩy": "7",
    "tám": "8",
    "chín": "9",
}


def words(text: str) -> list[str]:
    """``text`` normalised (NFC, lower case, no punctuation) and split into words."""
    text = unicodedata.normalize("NFC", text).lower()
    return "".join(ch if ch.isalnum() else " " for ch in text).split()


def edits(said: list[str], heard: list[str]) -> int:
    """Levenshtein distance over the two sequences (each edit costs 1)."""
    prev = list(range(len(heard) + 1))
    for i, s in enumerate(said, 1):
        cur = [i]
        for j, h in enumerate(heard, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (s != h)))
        prev = cur
    return prev[-1]


def matches(said: list[str], heard: list[str]) -> list[bool]:
    """For each item said, whether a minimum-edit alignment pairs it with the same item heard."""
    n, m = len(said), len(heard)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        cost[i][0] = i
    for j in range(m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i][j] = min(cost[i - 1][j] + 1, cost[i][j - 1] + 1, cost[i - 1][j - 1] + (said[i - 1] != heard[j - 1]))
    hit = [False] * n
    i, j = n, m
    while i and j:  # backtrace, preferring the diagonal (a match or a substitution)
        if cost[i][j] == cost[i - 1][j - 1] + (said[i - 1] != heard[j - 1]):
            hit[i - 1] = said[i - 1] == heard[j - 1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return hit


def heard_digits(text: str) -> list[str]:
    """The digits in a transcript: digit words (and variants) and numerals, in order; other words dropped."""
    out: list[str] = []
    for word in words(text):
        if word in DIGIT_OF_WORD:
            out.append(DIGIT_OF_WORD[word])
        elif word.isdigit():
            out.extend(word)
    return out


@dataclass
class Tally:
    """Running totals for one engine/setting: sentence words and edits, OTP digits said and recognised."""

    words_said: int = 0
    word_edits: int = 0
    digits_said: int = 0
    digits_hit: int = 0
    codes: int = 0
    codes_right: int = 0
    first_said: int = 0  # the first digit of each reading: the one after the intro
    first_hit: int = 0
    zero_said: int = 0  # "không"
    zero_hit: int = 0
    per_digit: dict[str, list[int]] = field(default_factory=dict)  # digit -> [recognised, said]

    def sentence(self, said: str, heard: str) -> None:
        ref = words(said)
        self.words_said += len(ref)
        self.word_edits += edits(ref, words(heard))

    def otp(self, code: str, repeat: int, heard: str) -> None:
        said = list(code * repeat)
        got = heard_digits(heard)
        hit = matches(said, got)
        self.digits_said += len(said)
        self.digits_hit += sum(hit)
        self.codes += 1
        self.codes_right += said == got
        for n in range(repeat):
            self.first_said += 1
            self.first_hit += hit[n * len(code)]
        for d, h in zip(said, hit, strict=True):
            counts = self.per_digit.setdefault(d, [0, 0])
            counts[0] += h
            counts[1] += 1
            if d == "0":
                self.zero_said += 1
                self.zero_hit += h

    def digits_line(self) -> str:
        """Recognised/said per digit, "0 1/12  1 3/9 ...": which digit words the recogniser misses."""
        return "  ".join(f"{d} {h}/{n}" for d, (h, n) in sorted(self.per_digit.items()))

    @property
    def wer(self) -> float | None:
        return self.word_edits / self.words_said if self.words_said else None

    @property
    def digit_accuracy(self) -> float | None:
        return self.digits_hit / self.digits_said if self.digits_said else None
