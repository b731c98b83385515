"""Lead and call ids are UUIDv7: valid, and strictly increasing in creation order; attempt ids are
UUIDv4, and the ids derived from a call uuid the documented UUIDv5s, spelled as the uuid module spells them."""

from __future__ import annotations

import uuid

from dialer.domain.ids import job_uuid, leg_uuid, new_uuid, random_uuids, uuid7


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


def test_new_uuid_is_uuid7_spelled_as_the_uuid_module_spells_it():
    made = [new_uuid() for _ in range(1_000)]
    assert all(str(uuid.UUID(u)) == u and uuid.UUID(u).version == 7 for u in made)
    assert made == sorted(made) and len(set(made)) == 1_000


def test_random_uuids_are_version_4_spelled_as_uuid4_spells_them():
    made = random_uuids(2_000)
    parsed = [uuid.UUID(u) for u in made]
    assert all(str(p) == u and p.version == 4 and p.variant == uuid.RFC_4122 for p, u in zip(parsed, made, strict=True))
    assert len(set(made)) == 2_000 and random_uuids(0) == []
    # every value of the variant digit occurs: its two free bits are random
    assert {u[19] for u in made} == set("89ab")


def test_the_ids_derived_from_a_call_are_the_documented_uuid5s():
    legs = uuid.UUID("6d1b8f3e-2c4a-4f7e-9a51-0c3e5b7d9f21")
    for call in [*random_uuids(500), "Đ-not-a-uuid"]:
        assert job_uuid(call) == str(uuid.uuid5(legs, f"{call}/job"))
        assert leg_uuid(call, 0) == call
        assert leg_uuid(call, 3) == str(uuid.uuid5(legs, f"{call}/leg/3"))
