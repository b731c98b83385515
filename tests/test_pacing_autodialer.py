"""dialer/pacing/agents.py: how many calls an autodialer campaign starts, progressive or predictive.

The last tests run bench/pacingsim's discrete-event shift (seeded, in-process, no sockets): 2,000
leads, 10 agents, 30 % answered by humans, ~90 s talk, 10 s wrap-up, 15 s to answer, 5 s max wait.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from bench.pacingsim.shift import Shift, run
from dialer.pacing.agents import Mode, PacingInputs, decide
from dialer.pacing.call_stats import NO_FIGURES, CallFigures

NOW = 1_700_000_000.0

# A campaign past its warm-up: 40 % of attempts reach the queue (30 % humans), 15 s to answer,
# 90 s talk + 10 s wrap-up, no abandon yet.
MEASURED = dataclasses.replace(
    NO_FIGURES,
    attempts=500,
    answered=200,
    humans=150,
    handled=140,
    answer_rate=0.3,
    connect_rate=0.4,
    mean_ring_s=15.0,
    mean_talk_s=90.0,
    mean_wrap_s=10.0,
    humans_24h=1000,
)


def inputs(figures: CallFigures = MEASURED, **kw) -> PacingInputs:
    base = dict(now=NOW, ratio=100, free_agents=5, logged_in_agents=10, dialling=0, waiting=0, bridged=5)
    base.update(kw)
    return PacingInputs(figures=figures, **base)


def abandoning(rate: float) -> CallFigures:
    return dataclasses.replace(MEASURED, abandoned_24h=round(rate * 1000), abandon_rate=rate)


def test_progressive_with_5_free_agents_never_has_more_calls_in_progress_than_free_agents():
    for dialling, waiting in itertools.product(range(8), range(8)):
        d = decide(inputs(dialling=dialling, waiting=waiting))
        assert d.mode is Mode.PROGRESSIVE
        assert dialling + waiting + d.calls <= 5 or d.calls == 0
        assert d.calls == max(0, 5 - dialling - waiting)


def test_progressive_below_100_dials_that_share_of_the_free_agents():
    assert decide(inputs(ratio=50, free_agents=5)).calls == 2


def test_a_member_an_agent_is_already_ringing_for_is_not_counted_against_the_free_agents_again():
    # 3 waiting, 2 of them offered: their agents are Receiving, not among the 5 free
    assert decide(inputs(free_agents=5, waiting=3, offered=2)).calls == 4


def test_no_free_agent_means_no_call_when_progressive():
    d = decide(inputs(free_agents=0, logged_in_agents=10, bridged=10))
    assert (d.calls, d.mode) == (0, Mode.PROGRESSIVE)
    assert "no free agent" in d.reason


def test_predictive_dials_progressively_until_20_answered_calls_are_measured():
    early = dataclasses.replace(MEASURED, humans=19, handled=19)
    d = decide(inputs(early, ratio=300))
    assert (d.calls, d.mode) == (5, Mode.WARM_UP)
    assert "19/20 answered calls measured" in d.reason


def test_predictive_over_dials_once_warmed_up():
    d = decide(inputs(ratio=300))
    assert d.mode is Mode.PREDICTIVE
    assert d.calls > 5


def test_the_ratio_is_the_most_over_dial_per_agent_available():
    # ample answers wanted (5 % connect) but ratio 150: 1.5 calls per agent free now (none freeing)
    sparse = dataclasses.replace(MEASURED, connect_rate=0.05, answer_rate=0.04)
    d = decide(inputs(sparse, ratio=150, free_agents=4, bridged=0, logged_in_agents=4))
    assert d.calls == 6


def test_predictive_with_no_free_agent_dials_for_agents_whose_wrap_up_ends_before_calls_answer():
    # 0 free; 2 agents end their wrap-up within the 15 s a call takes to answer, 1 after it
    wrapping = (NOW + 3.0, NOW + 12.0, NOW + 40.0)
    d = decide(inputs(ratio=300, free_agents=0, bridged=7, wrap_up_ends=wrapping))
    assert d.mode is Mode.PREDICTIVE
    assert d.calls > 0
    assert d.reason.startswith("0 free + 2.")  # 2 wrap-ups + the few of 7 talking agents ending within 5 s


def test_predictive_with_no_free_agent_and_none_freeing_soon_dials_nothing():
    # every agent is talking, and the wrap-up after a call (20 s) outlasts the 15 s a call takes to
    # answer: none can be free in time
    slow = dataclasses.replace(MEASURED, mean_wrap_s=20.0)
    d = decide(inputs(slow, ratio=300, free_agents=0, bridged=10, logged_in_agents=10))
    assert (d.calls, d.mode) == (0, Mode.PREDICTIVE)
    assert d.reason.startswith("0 free + 0.0 freeing in 15s")


def test_members_already_waiting_use_up_the_over_dial_first():
    assert decide(inputs(ratio=300, free_agents=2, waiting=4, bridged=8, logged_in_agents=10)).calls == 0


def test_the_over_dial_shrinks_as_the_abandon_rate_nears_the_cap():
    calls = [decide(inputs(abandoning(rate), ratio=300)).calls for rate in (0.0, 0.015, 0.02, 0.025, 0.029)]
    assert calls == sorted(calls, reverse=True)
    assert calls[0] == calls[1] > calls[2] > calls[4] >= 5


@pytest.mark.parametrize("rate", [0.03, 0.05])
def test_at_or_over_the_abandon_cap_predictive_falls_back_to_progressive(rate):
    d = decide(inputs(abandoning(rate), ratio=300, free_agents=5, dialling=2))
    assert (d.calls, d.mode) == (3, Mode.ABANDON_GUARD)
    assert d.reason.startswith(f"abandon {rate:.1%} >= cap 3.0%: 5 free")


def test_just_under_the_cap_predictive_dials_no_more_than_progressive():
    d = decide(inputs(abandoning(0.02999), ratio=300, free_agents=5, dialling=2))
    assert (d.calls, d.mode) == (3, Mode.PREDICTIVE)


def test_a_lower_abandon_cap_setting_guards_sooner():
    assert decide(inputs(abandoning(0.02), ratio=300, abandon_cap_pct=2.0)).mode is Mode.ABANDON_GUARD


SHIFT = Shift(leads=2000, agents=10, human_rate=0.30, talk_mean_s=90.0, wrap_s=10.0, ring_mean_s=15.0, seed=7)


@pytest.fixture(scope="module")
def predictive():
    return run(dataclasses.replace(SHIFT, ratio=300))


@pytest.fixture(scope="module")
def progressive():
    return run(dataclasses.replace(SHIFT, ratio=100))


def test_a_simulated_predictive_shift_stays_under_the_3_percent_abandon_cap(predictive):
    assert predictive.attempts == 2000
    assert predictive.seen_abandoned > 0  # it did over-dial
    assert predictive.abandon_rate < 0.03
    assert predictive.true_abandon_rate < 0.03


def test_a_simulated_predictive_shift_keeps_agents_busier_than_progressive(predictive, progressive):
    assert predictive.idle_share < progressive.idle_share - 0.10
    assert predictive.calls_per_agent_hour > progressive.calls_per_agent_hour * 1.15


def test_a_simulated_progressive_shift_abandons_no_one(progressive):
    assert progressive.attempts == 2000
    assert progressive.seen_abandoned == 0
