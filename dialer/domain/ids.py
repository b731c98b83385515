"""Time-ordered ids (UUID version 7, RFC 9562) for leads and calls.

Fresh leads imported in the same millisecond share a score in the
``:fresh`` sorted set, and Redis orders equal scores by member. With
time-ordered, strictly increasing ids the member order is the import order,
so a batch is dialled in the order it was sent. Python gains ``uuid.uuid7``
only in 3.14; this is the RFC's "monotonic random" method 3: within one
millisecond the 74 random bits are incremented instead of redrawn.
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_RAND_BITS = 74
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def uuid7(now_ms: int | None = None) -> uuid.UUID:
    """A UUIDv7 greater than every one this process made before."""
    global _last_ms, _last_rand
    ms = time.time_ns() // 1_000_000 if now_ms is None else now_ms
    with _lock:
        if ms <= _last_ms:  # same millisecond, or the clock stepped back
            ms, rand = _last_ms, _last_rand + 1
            if rand >> _RAND_BITS:  # 2**74 ids in one ms: borrow the next ms
                ms, rand = ms + 1, 0
        else:
            rand = int.from_bytes(os.urandom(10), "big") >> (80 - _RAND_BITS + 1)  # top bit clear: room to count
        _last_ms, _last_rand = ms, rand
    rand_a, rand_b = rand >> 62, rand & ((1 << 62) - 1)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def new_uuid() -> str:
    return str(uuid7())
