"""A voice's circuit breaker: after a failure its engine rests for a cool-down, then one render probes it.

So a vendor outage costs one timeout (per render running at that moment), not
one per message: while the breaker is open, renders skip the voice at once and
go down its fallback chain. After ``cooldown_s`` the next render is let through
alone (the probe; the others still skip): its success closes the breaker, its
failure (or its render being killed) opens it for another cool-down. Renders
already in flight when it opened neither close it by succeeding late nor, by
failing late, extend the rest and void the probe out at the time (whose success
was then ignored: the voice stayed resting for another cool-down though back).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tts.engines.base import SynthesisError

COOLDOWN_S = 30.0
CLOSED, PROBE = "closed", "probe"  # what admit() let a render in as


class VoiceResting(SynthesisError):
    """The voice's breaker is open: its engine is not asked (the chain moves on at once)."""


class Breaker:
    def __init__(self, cooldown_s: float = COOLDOWN_S, clock: Callable[[], float] = time.monotonic) -> None:
        if cooldown_s <= 0:
            raise ValueError("cooldown_s must be positive")
        self.cooldown_s = cooldown_s
        self.clock = clock
        self.open_until = 0.0  # 0: closed
        self.probing = False
        self.opened = 0  # times it opened (a closed-to-open change, for the metrics)

    @property
    def state(self) -> str:
        if not self.open_until:
            return "closed"
        return "probing" if self.probing else "open"

    def admit(self) -> str:
        """May the engine be asked now? Closed: yes (``"closed"``). Open: only one render (the probe,
        ``"probe"``) once the cool-down is over; else ``""`` (no). Hand the answer back to
        :meth:`succeeded` / :meth:`failed`: only the probe's outcome moves an open breaker."""
        if not self.open_until:
            return CLOSED
        if self.probing or self.clock() < self.open_until:
            return ""
        self.probing = True
        return PROBE

    def succeeded(self, admitted: str = CLOSED) -> None:
        """A render's engine answered. While open, only the probe's answer closes the breaker: a render
        that started before it opened (still in flight then) says nothing about the engine now."""
        if self.open_until and admitted != PROBE:
            return
        self.open_until, self.probing = 0.0, False

    def failed(self, admitted: str = CLOSED) -> None:
        """A render's engine failed: a closed breaker opens, a failed probe rests the voice again. A render
        let in before it opened failing late changes nothing (it is open already; the probe is the probe)."""
        if self.open_until and admitted != PROBE:
            return
        if not self.open_until:
            self.opened += 1
        self.open_until, self.probing = self.clock() + self.cooldown_s, False
