"""JSON text exactly as ``json.dumps`` writes it, for the values written per call (webhook bodies,
the lists of a call hash).

``json.dumps`` builds a ``JSONEncoder`` (when given an argument) and then its C encoder on every
call; for values written once or twice per call both are built once here. Same text as
``json.dumps`` with its default separators (``", "`` and ``": "``): :func:`dumps` is
``json.dumps(value, ensure_ascii=False)`` (UTF-8 text left as is), :func:`dumps_ascii` is
``json.dumps(value)``. A value holding itself is not looked for (none of these does). Without the
C encoder, ``JSONEncoder.encode``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import (  # type: ignore[attr-defined]
    c_make_encoder,
    encode_basestring,
    encode_basestring_ascii,
)
from typing import Any


def _build(ensure_ascii: bool) -> Callable[[Any], str]:
    encoder = json.JSONEncoder(ensure_ascii=ensure_ascii)
    if c_make_encoder is None:  # a Python built without _json
        return encoder.encode
    # What JSONEncoder.iterencode builds for a one-shot encode, without the circular-reference marks.
    iterencode = c_make_encoder(
        None,
        encoder.default,
        encode_basestring_ascii if ensure_ascii else encode_basestring,
        None,
        encoder.key_separator,
        encoder.item_separator,
        False,
        False,
        True,
    )

    def dumps(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return dumps


dumps: Callable[[Any], str] = _build(ensure_ascii=False)
dumps_ascii: Callable[[Any], str] = _build(ensure_ascii=True)
