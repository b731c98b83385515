"""JSON text exactly as ``json.dumps(value, ensure_ascii=False)`` writes it, for the webhook bodies.

``json.dumps`` with an argument builds a ``JSONEncoder`` and then its C encoder on every call;
a webhook body is written once or twice per call, so both are built once here. Same bytes as
``json.dumps`` (default separators ``", "`` and ``": "``, UTF-8 text left as is); a value holding
itself is not looked for (a body never does). Without the C encoder, ``JSONEncoder.encode``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _build() -> Callable[[Any], str]:
    if c_make_encoder is None:  # a Python built without _json
        return _ENCODER.encode
    # What JSONEncoder.iterencode builds for a one-shot encode, without the circular-reference marks.
    iterencode = c_make_encoder(
        None,
        _ENCODER.default,
        encode_basestring,
        None,
        _ENCODER.key_separator,
        _ENCODER.item_separator,
        False,
        False,
        True,
    )

    def dumps(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return dumps


dumps: Callable[[Any], str] = _build()
