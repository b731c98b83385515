"""How many calls an autodialer campaign starts now: progressive or predictive, under the abandon cap.

``decide(inputs) -> Decision`` is pure and deterministic (no Redis, no gevent, time given as
``inputs.now``), cheap enough for every pacer turn. Its answer is an **upper bound**: the engine
still clamps it by ``concurrent_call``, network caps, ``sps`` and calling windows (dialer/pacing/pacer.py).

What is counted (all for this campaign's mod_callcenter queue):

* ``free_agents``: agents mod_callcenter would offer a member to *now*: status ``Available`` (or
  ``Available (On Demand)``), state ``Waiting``, tier ``Ready``/``No Answer`` in this queue, and
  past their wrap-up and delays (``last_bridge_end + wrap_up_time < now`` and ``ready_time <= now``).
  mod_callcenter puts an agent back to ``Waiting`` the moment a call ends and only skips it while
  the wrap-up lasts (``agents_callback`` in mod_callcenter.c), so ``Waiting`` alone would count
  agents still in wrap-up: those go in ``wrap_up_ends`` instead.
* ``dialling``: originated, not answered yet. Each may turn into a member wanting an agent.
* ``waiting``: answered, in the queue, not bridged (``member-queue-start`` seen, no
  ``bridge-agent-start``); ``offered`` of them have an agent ringing (``agent-offering``): that
  agent is no longer ``Waiting``, so it is not in ``free_agents`` and those members are not
  counted against the free ones again. ``unserved = waiting - offered``.
* ``bridged``: connected to an agent; their agents are busy and may free up (below).

**Progressive** (``ratio`` <= 100): calls in progress never exceed the free agents:
``dialling + unserved + new <= floor(free_agents * ratio / 100)``. A ringing call counts as one
whole agent (it may be answered), a member no agent rings for yet takes one of the free agents
(mod_callcenter offers it to the next ``Waiting`` one). No answered call then lacks an agent,
unless an agent leaves between the decision and the answer.

**Predictive** (``ratio`` > 100), once warmed up, under the abandon guard. With ``c`` the connect
rate (answered, humans and machines, per attempt: a machine joins the queue like a human until its
beep), ``H`` the mean time to answer, ``T``/``W`` the mean talk and wrap-up, ``g`` the guard's
factor (1 far from the cap, 0 at it):

    freeing   = agents whose wrap-up ends within H + on_call * (1 - exp(-max(0, H - W) / T))
    available = free_agents + freeing
    model     = unserved + x, the most calls ringing with  c*x + z*sqrt(c*(1-c)*x) <= available - unserved
    full      = max(free_agents, min(model, ratio/100 * available))   (``ratio``: the most over-dial)
    target    = free_agents + g * (full - free_agents)                (calls in progress wanted)
    new       = max(0, floor(target) - dialling - unserved)

``on_call`` is ``bridged``, bounded by the logged-in agents not free, offered or wrapping up. The
freeing term is the classic predictive estimate of agents that finish within the dialled calls'
time to answer (EIS International's call pacing patents, US 5,640,445 and US 5,926,528: the sum of
each busy agent's probability of coming free within the window); with exponential talk times it is
memoryless, and for any talk-time distribution a stationary group of busy agents frees at the rate
``on_call / T`` (renewal theory), which the formula matches for ``H`` short against ``T``. ``model``
starts from UNICOM Intelligence's Predict over-dial (``waiting * attempts / answered``: x = room / c, the
expected answers fill the agents available at answer time) and keeps a margin for chance: the
answers of x ringing calls are binomial, so x is the most for which their mean plus ``z = 1``
standard deviation (normal approximation) still fits, i.e. more answers than agents about one
decision in six, and those wait up to the queue's max wait for an agent freeing meanwhile. The
margin is absolute, so it costs a large team little and spares a small one the abandon guard
(bench/autodialer_pacing.py, section 3, compares it with no margin). The answer rate and handle
time are measured (dialer/pacing/call_stats.py).

**Warm-up**: progressive until the figures hold ``warm_up_answers`` answered humans and as many
handled calls: without them ``c``, ``T`` and ``W`` are guesses.

**Abandon guard**: with ``a`` the abandon rate over 24 h and ``cap`` the abandon cap, ``g = 1``
while ``a <= guard_from * cap``, falling linearly to 0 at ``a = cap``; the calls in progress above
the free agents (the over-dial, calls for agents not free yet included) shrink in proportion, and
at or over the cap the decision is progressive (never more calls in progress than free agents).
``g = 0`` gives exactly the progressive answer, so nothing jumps at the cap. This is VICIdial's
choice between its adaptive methods (ADAPT_HARD_LIMIT stops over-dialling at the drop percentage,
ADAPT_TAPERED eases off before it) made continuous, with Genesys Interaction Dialer's "Strict Max
Rate" fallback (over the maximum abandon rate, "drops into Power calling mode", i.e. progressive,
until the day's rate is under it again).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from dialer.pacing.call_stats import CallFigures

ABANDON_CAP_PCT = 3.0  # Ofcom's 3 % of live calls per campaign per 24 h; the TSR's 3 % per 30 days
WARM_UP_ANSWERS = 20  # answered humans (and handled calls) measured before predictive dialling
GUARD_FROM = 0.5  # the over-dial starts shrinking at this share of the cap (1.5 % of 3 %)
SPREAD_Z = 1.0  # standard deviations of the answers kept free of the agents available (above)
_EPS = 1e-9  # floor() of 2.9999999997 is 3 here, not 2


class Mode(StrEnum):
    PROGRESSIVE = "progressive"
    PREDICTIVE = "predictive"
    WARM_UP = "warm-up"  # predictive campaign, still progressive: too few calls measured
    ABANDON_GUARD = "abandon-guard"  # predictive campaign, progressive: at or over the abandon cap


@dataclass(frozen=True, slots=True)
class PacingInputs:
    now: float  # epoch seconds: the clock wrap_up_ends are on
    ratio: int  # the campaign's ``ratio``: 100 progressive, > 100 the most over-dial (150 = 1.5 per agent)
    free_agents: int
    logged_in_agents: int  # status Available, any state
    dialling: int
    waiting: int
    bridged: int
    figures: CallFigures
    offered: int = 0
    wrap_up_ends: tuple[float, ...] = ()  # when each agent now in wrap-up (or a ready_time delay) may be offered
    abandon_cap_pct: float = ABANDON_CAP_PCT
    warm_up_answers: int = WARM_UP_ANSWERS
    guard_from: float = GUARD_FROM
    spread_z: float = SPREAD_Z  # not a setting: bench/autodialer_pacing.py compares margins with it


@dataclass(frozen=True, slots=True)
class Decision:
    calls: int  # new calls to start now, at most (the engine's other limits still apply)
    mode: Mode
    reason: str  # for logs and the live page


def decide(inputs: PacingInputs) -> Decision:
    free = max(0, inputs.free_agents)
    unserved = max(0, inputs.waiting - max(0, inputs.offered))
    in_progress = max(0, inputs.dialling) + unserved
    if inputs.ratio <= 100:
        return _progressive(inputs, free, in_progress, Mode.PROGRESSIVE, "")
    fig = inputs.figures
    measured = min(fig.humans, fig.handled)
    if measured < inputs.warm_up_answers:
        why = f"{measured}/{inputs.warm_up_answers} answered calls measured"
        return _progressive(inputs, free, in_progress, Mode.WARM_UP, why)
    cap = inputs.abandon_cap_pct / 100
    rate = fig.abandon_rate
    if rate >= cap:
        why = f"abandon {rate:.1%} >= cap {cap:.1%}"
        return _progressive(inputs, free, in_progress, Mode.ABANDON_GUARD, why)
    start = cap * inputs.guard_from
    g = 1.0 if rate <= start else (cap - rate) / (cap - start)

    horizon = fig.mean_ring_s
    until = inputs.now + horizon
    wrapping = len(inputs.wrap_up_ends)
    freeing_wrap = sum(1 for t in inputs.wrap_up_ends if t <= until)
    on_call = min(max(0, inputs.bridged), max(0, inputs.logged_in_agents - free - max(0, inputs.offered) - wrapping))
    talk_window = horizon - fig.mean_wrap_s
    if talk_window <= 0 or on_call == 0:
        ends = 0.0
    elif fig.mean_talk_s > 0:
        ends = 1.0 - math.exp(-talk_window / fig.mean_talk_s)
    else:
        ends = 1.0
    freeing = freeing_wrap + on_call * ends
    available = free + freeing
    model = unserved + _ringing(available - unserved, max(fig.connect_rate, _EPS), inputs.spread_z)
    full = max(float(free), min(model, inputs.ratio / 100 * available))
    target = free + g * (full - free)
    calls = max(0, math.floor(target + _EPS) - in_progress)
    shrunk = f", guard x{g:.2f}: abandon {rate:.1%} of {cap:.1%}" if g < 1.0 else ""
    reason = (
        f"{free} free + {freeing:.1f} freeing in {horizon:.0f}s, connect {fig.connect_rate:.0%}, "
        f"handle {fig.handle_s:.0f}s; {max(0, inputs.dialling)} dialling, {unserved} waiting -> "
        f"{calls} (target {target:.1f} in progress{shrunk})"
    )
    return Decision(calls, Mode.PREDICTIVE, reason)


def _ringing(room: float, c: float, z: float) -> float:
    """The most calls ringing whose answers, mean + z standard deviations, fit ``room`` agents."""
    if room <= 0:
        return 0.0
    b = z * math.sqrt(c * (1.0 - c))
    root = (-b + math.sqrt(b * b + 4.0 * c * room)) / (2.0 * c)  # c*r^2 + b*r - room = 0, r = sqrt(x)
    return root * root


def _progressive(inputs: PacingInputs, free: int, in_progress: int, mode: Mode, why: str) -> Decision:
    limit = free * max(0, inputs.ratio) // 100 if inputs.ratio < 100 else free
    calls = max(0, limit - in_progress)
    if free == 0:
        said = f"no free agent ({inputs.logged_in_agents} logged in)"
    else:
        dialling = max(0, inputs.dialling)
        said = f"{free} free; {dialling} dialling, {in_progress - dialling} waiting -> {calls}"
    return Decision(calls, mode, f"{why}: {said}" if why else said)
