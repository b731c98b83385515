"""The prompts of a recorded prompt set: which words it holds, under which file names.

A prompt set is a directory of WAVs, one per key, ``<key>.wav``. The keys are
ASCII (file names and URL paths stay plain); each stands for the Vietnamese
word or phrase the recording says. :data:`REQUIRED` is what voice OTPs and
every number the reading rules produce (``tts/numbers.py``: amounts, dates,
digit strings) need, so a set missing any of them is refused, naming them.
:data:`OPTIONAL` words are played from the set when recorded, else spoken by
the TTS engine. A template's own recorded phrases are ``phrase-<name>`` keys,
referenced as ``[[name]]`` in its text.
"""

from __future__ import annotations

import re

from tts.numbers import DIGITS

# digit keys "0".."9": the digit words, read alone (OTP, phone numbers) and inside numbers
_DIGIT_PROMPTS = {str(n): word for n, word in enumerate(DIGITS)}
_NUMBER_PROMPTS = {
    "muoi": "mười",  # 10, and 1x: mười một
    "tens": "mươi",  # x0: hai mươi
    "hundred": "trăm",
    "thousand": "nghìn",
    "million": "triệu",
    "billion": "tỷ",
    "linh": "linh",  # 105 một trăm linh năm (northern, the reading's default)
    "le": "lẻ",  # 105 một trăm lẻ năm (southern)
    "mot": "mốt",  # 21 hai mươi mốt
    "lam": "lăm",  # 15 mười lăm
    "tu": "tư",  # 24 hai mươi tư; tháng tư
}
_OTP_PROMPTS = {
    "otp-intro": "Mã xác thực của bạn là",  # tts.otp.DEFAULT_INTRO
    "otp-again": "Xin nhắc lại",  # tts.otp.AGAIN
}
REQUIRED: dict[str, str] = {**_DIGIT_PROMPTS, **_NUMBER_PROMPTS, **_OTP_PROMPTS}
OPTIONAL: dict[str, str] = {
    "negative": "âm",  # -5 âm năm
    "point": "phẩy",  # 1,5 một phẩy năm
    "day": "ngày",
    "month": "tháng",
}
PROMPTS: dict[str, str] = {**REQUIRED, **OPTIONAL}

PHRASE_PREFIX = "phrase-"
PHRASE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")  # [[name]] in a template; file phrase-<name>.wav
PHRASE_SLOT = re.compile(r"\[\[\s*([^\[\]]*?)\s*\]\]")  # [[name]] in a template's text
# One word of spoken text -> its key, for the words a set may hold ("năm" is the digit 5: one recording).
KEY_OF_WORD: dict[str, str] = {word: key for key, word in PROMPTS.items() if " " not in word}


def is_prompt_key(key: str) -> bool:
    """A key a prompt set may hold: a required or optional prompt, or ``phrase-<name>``."""
    if key in PROMPTS:
        return True
    return key.startswith(PHRASE_PREFIX) and PHRASE_NAME.fullmatch(key[len(PHRASE_PREFIX) :]) is not None


def missing(keys: set[str] | frozenset[str]) -> list[str]:
    """The required keys not among ``keys``, in :data:`REQUIRED`'s order."""
    return [key for key in REQUIRED if key not in keys]


def phrases(text: str) -> list[str]:
    """The ``[[name]]`` recorded phrases a template's text names, in order of first use.

    ``ValueError`` naming a slot whose name is not a phrase name (lower-case ASCII letters, digits, ``_``, ``-``).
    """
    names: list[str] = []
    for name in PHRASE_SLOT.findall(text):
        if not PHRASE_NAME.fullmatch(name):
            raise ValueError(f"[[{name}]] is not a recorded phrase name (a-z, 0-9, _ and -, at most 40)")
        if name not in names:
            names.append(name)
    return names
