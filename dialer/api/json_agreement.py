"""Whether pydantic's JSON parser (jiter) reads a body as the standard library's parser did.

A body validated a slice at a time (dialer/api/body_validation.py) is parsed by the standard library
(dialer/api/json_slices.py); the whole-body path it must answer like is pydantic's
``model_validate_json``. The two read every UTF-8 document alike but for what is listed here, which
jiter refuses and the standard library reads: another encoding (UTF-16/32, a BOM), a surrogate code
point written as UTF-8 bytes or as an unpaired ``\\uD800``-``\\uDFFF`` escape, and containers nested
more than :data:`MAX_DEPTH` deep. Such a body takes the whole-body path, which says what it always said.
tests/test_body_validation.py checks the list against both parsers on many broken documents.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

MAX_DEPTH = 201  # jiter's recursion limit: "[" * 201 is read, "[" * 202 is "recursion limit exceeded"
PIECE_BYTES = 1 << 20  # bytes searched between two pauses
_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")  # a \uD800-\uDFFF escape (or text that looks like one)
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_ENCODED = re.compile(rb"\xed[\xa0-\xbf]")  # a surrogate as UTF-8 bytes (decoded with "surrogatepass")


def same_text(raw: bytes, pause: Callable[[], None], piece_bytes: int = PIECE_BYTES) -> bool:
    """False when jiter would refuse text the standard library decodes (see the module's docstring);
    ``pause`` runs between two pieces of ``raw``. A false alarm only costs the whole-body path."""
    if json.detect_encoding(raw) != "utf-8":
        return False
    taken = -1  # where the low escape of the last high one starts: it is paired
    for at in range(0, len(raw), piece_bytes):
        if _ENCODED.search(raw, at, at + piece_bytes + 1):  # (a match may straddle the cut)
            return False
        for match in _ESCAPE.finditer(raw, at, at + piece_bytes + 5):
            pause()  # (an emoji per customer, escaped: 100,000 matches)
            start = match.start()
            if start <= taken or not _escaped(raw, start):
                continue  # the low half of a pair, or literal backslashes and text
            if raw[start + 3] in b"89abAB":  # a high surrogate: the low one must follow at once
                if not _LOW.match(raw, start + 6):
                    return False
                taken = start + 6
            else:
                return False  # a low surrogate no high one precedes
        pause()
    return True


def _escaped(raw: bytes, start: int) -> bool:
    """Whether the backslash at ``start`` begins an escape: an odd run of backslashes ends there."""
    if start == 0 or raw[start - 1] != 0x5C:  # the usual case: one backslash
        return True
    end, at = start + 1, start
    while at > 0:
        piece = raw[max(0, at - 4096) : at]
        kept = len(piece.rstrip(b"\\"))
        if kept:
            return (end - (at - len(piece) + kept)) % 2 == 1
        at -= len(piece)
    return end % 2 == 1


def nests_deeper(value: Any, levels: int) -> bool:
    """Whether ``value`` holds containers more than ``levels`` deep (a scalar is 0 deep, ``[]`` 1, ``[[]]`` 2)."""
    if type(value) is dict:
        inner: Any = value.values()
    elif type(value) is list:
        inner = value
    else:
        return False
    if levels < 1:
        return True
    for item in inner:
        if (type(item) is dict or type(item) is list) and nests_deeper(item, levels - 1):
            return True
    return False
