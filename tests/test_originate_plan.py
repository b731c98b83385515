"""OriginatePlan: build_originate for the calls of one campaign, checked once where a value repeats, and as strict.

A plan remembers the last value it checked under each name (the campaign's own variables, the audio
file repeat from call to call); every other value is checked as it comes, and a refused one is never
remembered, so a campaign-level value that cannot be carried fails every call, as it always did.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from dialer.domain.context import CampaignContext
from dialer.domain.enums import ModeCall, TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.engine.dialing import Dialer
from dialer.media import MessageFiles
from dialer.outcomes.own_causes import NO_MESSAGE
from dialer.routing.dialstring import Leg, OriginatePlan, UnsafeValue, build_originate
from dialer.store.records import Claim
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


def test_the_timeout_and_destination_are_checked_when_the_plan_is_made():
    with pytest.raises(ValueError, match="timeout"):
        OriginatePlan(ModeCall.DIRECT, timeout=0, destination=DEST)
    with pytest.raises(ValueError, match="destination"):
        OriginatePlan(ModeCall.DIRECT, timeout=30, destination="x\nJob-UUID: evil")
    with pytest.raises(ValueError, match="exactly one leg"):
        OriginatePlan(ModeCall.DIRECT, timeout=30, destination=DEST).build(legs(), {})


# -- in the engine: a campaign-level value that cannot be carried still fails each of its calls ----------------------
class Tracker:
    def __init__(self) -> None:
        self.failed: list[tuple[str, str, str]] = []

    def add(self, att) -> None:
        pass

    def fail(self, att, cause: str) -> None:
        self.failed.append((att.call_uuid, cause, att.detail))


def claim(n: int) -> Claim:
    return Claim(
        "c}{", f"lead-{n}", f"0000000{n}-0000-4000-8000-000000000000", "viettel", 0, ["0981234567"], {}, 0, 0, ""
    )


def test_a_campaign_whose_own_value_cannot_be_carried_fails_every_call_and_sends_nothing(tmp_path: Path):
    (tmp_path / "hello.wav").write_bytes(b"RIFF")
    sent: list[list[str]] = []
    conn = SimpleNamespace(send_nowait=lambda commands: sent.append(commands) or [])
    node = SimpleNamespace(name="fs1", ready=True, conn=conn)
    tracker = Tracker()
    dialer = Dialer(
        [node],  # type: ignore[list-item]
        tracker,  # type: ignore[arg-type]
        SimpleNamespace(attempt=lambda *a: None),  # type: ignore[arg-type]
        MessageFiles(tmp_path),
        held_now=lambda ctx: False,
        default_gateway="gw1",
    )
    campaign = Campaign(campaign_uuid="c}{", campaign_name="c", type_autocall=TypeAutocall.AUDIO)
    ctx = CampaignContext(campaign, None, Template(template_name="t", audio_file="hello.wav"))
    for batch in ([claim(1), claim(2)], [claim(3)]):
        dialer.dial(node, ctx, batch)  # type: ignore[arg-type]
    assert sent == []
    assert [(call[:9], cause) for call, cause, _ in tracker.failed] == [(f"0000000{n}-", NO_MESSAGE) for n in (1, 2, 3)]
    assert all("variable 'autocall_campaign'" in detail for _, _, detail in tracker.failed)
