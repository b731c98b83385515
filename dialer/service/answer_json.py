"""An import's answer as JSON text, its long lists encoded a slice at a time.

``with_leads=true`` on a 100,000-row import answers a row per lead: one ``json.dumps`` of it held
the event loop ~80 ms, once for the answer and once more for the copy kept under an
Idempotency-Key. The text is the one ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``
gives, byte for byte (tests/test_import_slices.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

ITEMS_PER_SLICE = 2000  # list items encoded between two pauses (~2 ms)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any, pause: Callable[[], None]) -> str:
    """``value`` as compact JSON; a list longer than :data:`ITEMS_PER_SLICE` (the value, or one
    reached through objects) is encoded a slice at a time, ``pause`` running between two slices."""
    if isinstance(value, list) and len(value) > ITEMS_PER_SLICE:
        slices = []
        for base in range(0, len(value), ITEMS_PER_SLICE):
            slices.append(_dumps(value[base : base + ITEMS_PER_SLICE])[1:-1])
            pause()
        return "[" + ",".join(slices) + "]"
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        members = [f"{_dumps(k)}:{dumps(v, pause)}" for k, v in value.items()]
        return "{" + ",".join(members) + "}"
    return _dumps(value)
