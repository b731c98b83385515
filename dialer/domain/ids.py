"""Ids: time-ordered ones (UUID version 7, RFC 9562) for leads and calls, random ones (version 4)
for attempts, and the ids derived from an attempt's (version 5).

Fresh leads imported in the same millisecond share a score in the
``:fresh`` sorted set, and Redis orders equal scores by member. With
time-ordered, strictly increasing ids the member order is the import order,
so a batch is dialled in the order it was sent. Python gains ``uuid.uuid7``
only in 3.14; this is the RFC's "monotonic random" method 3: within one
millisecond the 74 random bits are incremented instead of redrawn.

Made for every call, so spelled as text directly (no ``uuid.UUID`` object):
the same canonical lowercase 8-4-4-4-12 text ``str(uuid.UUID(...))`` gives.
"""

from __future__ import annotations

import hashlib
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
    return uuid.UUID(int=_uuid7_int(now_ms))


def _uuid7_int(now_ms: int | None = None) -> int:
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
    return (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b


def new_uuid() -> str:
    """:func:`uuid7` as text."""
    x = f"{_uuid7_int():032x}"
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


# The RFC 9562 variant (0b10) in the top bits of the 17th hex digit, for each value of that digit.
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def random_uuids(count: int) -> list[str]:
    """``count`` random UUIDs (version 4), as ``str(uuid.uuid4())`` spells them, from one read of urandom."""
    hexes = os.urandom(16 * count).hex()
    return [_spelled(hexes[i : i + 32], "4") for i in range(0, 32 * count, 32)]


def _spelled(x: str, version: str) -> str:
    """32 hex digits as a UUID of this version and the RFC 9562 variant, canonical text."""
    return f"{x[:8]}-{x[8:12]}-{version}{x[13:16]}-{_VARIANT[x[16]]}{x[17:20]}-{x[20:32]}"


# Every id of an attempt derives from its call uuid, so a process that takes
# over a dead one's calls (engine adoption) can name their legs and their
# originate job without anything else having been written down.
_LEGS = uuid.UUID("6d1b8f3e-2c4a-4f7e-9a51-0c3e5b7d9f21")  # a fixed namespace of autocall's


_LEGS_SHA1 = hashlib.sha1(_LEGS.bytes)  # uuid5's hash, the namespace already fed in


def _uuid5(name: str) -> str:
    """``str(uuid.uuid5(_LEGS, name))``, without the UUID object."""
    digest = _LEGS_SHA1.copy()
    digest.update(name.encode())
    return _spelled(digest.hexdigest(), "5")


def leg_uuid(call_uuid: str, index: int) -> str:
    """The origination uuid of leg ``index`` of an attempt (leg 0 is the call uuid itself)."""
    return call_uuid if index == 0 else _uuid5(f"{call_uuid}/leg/{index}")


def job_uuid(call_uuid: str) -> str:
    """The Job-UUID of the attempt's ``bgapi originate``."""
    return _uuid5(f"{call_uuid}/job")
