"""OriginatePlan: build_originate for the calls of one campaign, checked once where a value repeats, and as strict.

A plan remembers the last value it checked under each name (the campaign's own variables, the audio
file repeat from call to call); every other value is checked as it comes, and a refused one is never
remembered, so a campaign-level value that cannot be carried fails every call, as it always did.
"""

from __future__ import annotations

import random
import re

import pytest

from dialer.domain.enums import ModeCall
from dialer.routing.dialstring import Leg, OriginatePlan, UnsafeValue, build_originate
from tests.test_routing_dialstring import HOSTILE_ALPHABET, REFUSED, U1, U2, assert_reads_as_intended

DEST = "autocall XML autocall"


def legs(number: str = "0981234567") -> list[Leg]:
    return [
        Leg(uuid=U1, gateway="gw1", number=number, caller_id="02471001234"),
        Leg(uuid=U2, gateway="gw2", number="0912345678", caller_id=""),
    ]


def outcome(make):
    try:
        return make()
    except (UnsafeValue, ValueError, TypeError) as exc:
        return type(exc), str(exc)


@pytest.mark.parametrize("mode", [ModeCall.SERIAL, ModeCall.PARALLEL])
def test_a_plan_builds_exactly_what_build_originate_builds_call_after_call(mode):
    rng = random.Random(17)
    plan = OriginatePlan(mode, timeout=30, destination=DEST)
    pool = ["Hà Nội", "a, b", "", "c1", *["".join(rng.choice(HOSTILE_ALPHABET) for _ in range(4)) for _ in range(40)]]
    carried = 0
    for i in range(2000):
        # The campaign's values repeat; the lead's change; now and then a name repeats in another case.
        variables = {"autocall_campaign": rng.choice(pool[:4]), "autocall_lead": rng.choice(pool), "n": str(i)}
        if i % 97 == 0:
            variables["AUTOCALL_LEAD"] = "x"
        got = outcome(lambda v=variables: plan.build(legs(), v))
        assert got == outcome(
            lambda v=variables: build_originate(legs(), mode, timeout=30, global_vars=v, destination=DEST)
        )
        if isinstance(got, str):
            carried += 1
            assert_reads_as_intended(got, legs(), mode, 30, variables, DEST)
    assert carried > 200


@pytest.mark.parametrize(("value", "why"), REFUSED)
def test_a_campaign_level_value_that_cannot_be_carried_is_refused_at_every_call(value, why):
    plan = OriginatePlan(ModeCall.DIRECT, timeout=30, destination=DEST)
    for lead in ("l1", "l2", "l3"):
        with pytest.raises(UnsafeValue, match=f"variable 'autocall_campaign': .*{re.escape(why)}"):
            plan.build(legs()[:1], {"autocall_campaign": value, "autocall_lead": lead})


@pytest.mark.parametrize(("value", "why"), REFUSED)
def test_a_value_checked_before_under_a_name_does_not_let_another_one_through(value, why):
    plan = OriginatePlan(ModeCall.DIRECT, timeout=30, destination=DEST)
    plan.build(legs()[:1], {"autocall_campaign": "c1"})
    with pytest.raises(UnsafeValue, match=re.escape(why)):
        plan.build(legs()[:1], {"autocall_campaign": value})
    assert "autocall_campaign=c1}" in plan.build(legs()[:1], {"autocall_campaign": "c1"})


def test_only_an_exact_str_equal_to_the_one_checked_counts_as_checked():
    class AlwaysEqual(str):
        __hash__ = str.__hash__

        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

    plan = OriginatePlan(ModeCall.DIRECT, timeout=30, destination=DEST)
    plan.build(legs()[:1], {"autocall_campaign": "c1"})
    with pytest.raises(UnsafeValue, match="'}'"):
        plan.build(legs()[:1], {"autocall_campaign": AlwaysEqual("c1}evil{")})
    with pytest.raises(TypeError):
        plan.build(legs()[:1], {"autocall_campaign": 42})  # type: ignore[dict-item]
    # Nor is a subclass kept as checked: it would take any later value for itself.
    plan.build(legs()[:1], {"autocall_lead": AlwaysEqual("l1")})
    with pytest.raises(UnsafeValue, match="'}'"):
        plan.build(legs()[:1], {"autocall_lead": "l2}evil{"})


def test_the_timeout_and_destination_are_checked_when_the_plan_is_made():
    with pytest.raises(ValueError, match="timeout"):
        OriginatePlan(ModeCall.DIRECT, timeout=0, destination=DEST)
    with pytest.raises(ValueError, match="destination"):
        OriginatePlan(ModeCall.DIRECT, timeout=30, destination="x\nJob-UUID: evil")
    with pytest.raises(ValueError, match="exactly one leg"):
        OriginatePlan(ModeCall.DIRECT, timeout=30, destination=DEST).build(legs(), {})
