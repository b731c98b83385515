"""JSON request bodies whose objects name each key once.

RFC 8259 leaves a repeated key's meaning to the parser: Python and pydantic keep
the last value, other parsers the first. A body such as
``{"concurrent_call": 5, "concurrent_call": 500}`` would mean one thing to the
client's tools and another to autocall, so every dialect refuses it, naming the
key, and writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from dialer.service.errors import Invalid


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def refusal(self) -> Invalid:
        shown = json.dumps(self.key[:64], ensure_ascii=False)
        return Invalid.one("(root)", f"duplicate key {shown}: a JSON object must name each key once")


def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """The object of ``pairs`` (json's object_pairs_hook); :class:`DuplicateKey` if a key repeats."""
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DuplicateKey(key)
            seen.add(key)
    return obj


def loads(raw: bytes | str) -> Any:
    """``json.loads``, raising :class:`DuplicateKey` for an object that repeats a key."""
    return json.loads(raw, object_pairs_hook=unique)


def refuse_duplicate_keys(raw: bytes) -> None:
    """:class:`Invalid` if an object of ``raw`` repeats a key. Any other problem (not JSON,
    nested too deeply) is left to the model's own parser, which tells it in its words."""
    try:
        loads(raw)
    except DuplicateKey as exc:
        raise exc.refusal() from None
    except (ValueError, RecursionError):
        pass
