"""Lead and call ids are UUIDv7: valid, and strictly increasing in creation order."""

from __future__ import annotations

import uuid

from dialer.domain.ids import uuid7


def test_ids_are_version_7_rfc_variant():
    u = uuid7()
    assert u.version == 7 and u.variant == uuid.RFC_4122


def test_ids_carry_their_millisecond():
    assert uuid7(now_ms=4_000_000_000_123).int >> 80 == 4_000_000_000_123


def test_ids_made_in_one_millisecond_sort_in_creation_order():
    ids = [str(uuid7(now_ms=4_000_000_001_000)) for _ in range(1_000)]
    assert ids == sorted(ids) and len(set(ids)) == 1_000


def test_a_clock_stepping_back_does_not_break_the_order():
    later = str(uuid7(now_ms=4_000_000_009_000))
    assert str(uuid7(now_ms=4_000_000_002_000)) > later
