"""FreeSWITCH's switch_hash (switch_hashtable.c), for the order it lists what it holds.

mod_callcenter keeps its loaded queues in one (``globals.queue_hash``, case-sensitive keys), and
``callcenter_config queue list`` prints them in the table's order: bucket by bucket, each
bucket's entries newest first, the buckets' number a prime that grows (reversing the chains it
moves) past 65 % load. The same arithmetic gives the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Generic, TypeVar

V = TypeVar("V")
PRIMES = (53, 97, 193, 389, 769, 1543, 3079, 6151, 12289, 24593, 49157, 98317, 196613, 393241, 786433, 1572869)
MAX_LOAD = 0.65
MASK = 0xFFFFFFFF


def switch_hash_default(key: str) -> int:
    """sdbm over the key's bytes, 32-bit."""
    h = 0
    for c in key.encode():
        h = (c + (h << 6) + (h << 16) - h) & MASK
    return h


def mixed(key: str) -> int:
    """hashtable_private.h's hash(): the key's hash, spread (java 1.4's)."""
    i = switch_hash_default(key)
    i = (i + (~(i << 9) & MASK)) & MASK
    i ^= ((i >> 14) | (i << 18)) & MASK
    i = (i + (i << 4)) & MASK
    i ^= ((i >> 10) | (i << 22)) & MASK
    return i


class SwitchHash(Generic[V]):
    """A string-keyed switch_hash: lookups as a dict, iteration in the C table's order."""

    def __init__(self, minsize: int = 16) -> None:
        self._prime = next(i for i, p in enumerate(PRIMES) if p > minsize)
        self._table: list[list[tuple[str, V]]] = [[] for _ in range(PRIMES[self._prime])]
        self._values: dict[str, V] = {}

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: str) -> V | None:
        return self._values.get(key)

    def __getitem__(self, key: str) -> V:
        return self._values[key]

    def __setitem__(self, key: str, value: V) -> None:
        """switch_core_hash_insert (HASHTABLE_DUP_CHECK: an older entry of the key goes first)."""
        self.pop(key, None)
        size = len(self._table)
        if len(self._values) + 1 > math.ceil(size * MAX_LOAD) and self._prime + 1 < len(PRIMES):
            self._expand()
        self._table[mixed(key) % len(self._table)].insert(0, (key, value))
        self._values[key] = value

    def pop(self, key: str, default: V | None = None) -> V | None:
        if key not in self._values:
            return default
        bucket = self._table[mixed(key) % len(self._table)]
        bucket[:] = [(k, v) for k, v in bucket if k != key]
        return self._values.pop(key)

    def clear(self) -> None:
        for bucket in self._table:
            bucket.clear()
        self._values.clear()

    def _expand(self) -> None:
        """hashtable_expand: each chain moved entry by entry to the head of its new bucket."""
        self._prime += 1
        table: list[list[tuple[str, V]]] = [[] for _ in range(PRIMES[self._prime])]
        for bucket in self._table:
            for key, value in bucket:
                table[mixed(key) % len(table)].insert(0, (key, value))
        self._table = table

    def values(self) -> Iterator[V]:
        """switch_core_hash_first/next: bucket 0 up, each chain from its head."""
        return (value for bucket in self._table for _, value in bucket)
