"""FreeSWITCH's session admission and its per-second budget, as 1.10.12 does them.

From switch_core_session.c (``switch_core_session_request_uuid``) and
switch_time.c (the timer thread), checked on a real switch (esl-captures
batch2, "heartbeat-sps" and "throttle"):

* A counter ``sps`` starts each one-second window at the limit
  ``sps_total`` (``sessions-per-second``, ``fsctl sps N``). Every session
  request decrements it — outbound and inbound legs, and requests that are
  then refused — and one is refused when the counter, after the decrement,
  is <= 0. So at most ``sps_total - 1`` sessions get through per window.
* Then ``max-sessions``: refused when ``Session-Count + 1`` would exceed it.
* Once a second the timer thread sets ``sps_last = sps_total - sps`` (the
  requests of the window just ended, refused ones included; right after an
  ``fsctl sps`` change, new - old), updates the peaks (``sps_peak`` since
  start or ``fsctl sps_peak_reset``; ``sps_peak_fivemin`` restarted every
  300 windows) and refills the counter.
* HEARTBEAT prints the counter as ``Session-Per-Sec`` with ``%u``: what is
  LEFT of the current window, wrapping below zero (4294967294 is -2). It is
  the limit only when the window had no request yet.

The window boundaries are a fixed phase of the clock (``phase``), like the
timer thread's; a test injects the clock to step windows deterministically.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

FIVE_MIN_WINDOWS = 300


@dataclass
class Limits:
    """The configured limits (switch.conf.xml): what a restart comes back with."""

    max_sessions: int = 1000  # switch.conf.xml defaults
    sps: int = 30


def u32(value: int) -> int:
    """A C ``int`` printed with ``%u``."""
    return value & 0xFFFFFFFF


class SessionLimits:
    def __init__(self, limits: Limits, clock: Callable[[], float] = time.monotonic, phase: float = 0.5) -> None:
        self.clock = clock
        self.phase = phase
        self.max_sessions = limits.max_sessions
        self.sps_total = limits.sps
        self.sps = limits.sps  # budget left in the current window (may go negative)
        self.sps_last = 0
        self.sps_peak = 0
        self.sps_peak_fivemin = 0
        self._fivemin_ticks = 0
        self._window = self._window_of(clock())

    def _window_of(self, now: float) -> int:
        return math.floor(now - self.phase)

    def roll(self) -> None:
        """Run the timer thread's once-a-second step for every window boundary passed."""
        window = self._window_of(self.clock())
        passed = window - self._window
        if passed <= 0:
            return
        self._window = window
        for _ in range(min(passed, FIVE_MIN_WINDOWS + 1)):
            self._tick()

    def _tick(self) -> None:
        self.sps_last = self.sps_total - self.sps
        if self._fivemin_ticks >= FIVE_MIN_WINDOWS:
            self.sps_peak_fivemin = 0
            self._fivemin_ticks = 0
        self._fivemin_ticks += 1
        self.sps_peak_fivemin = max(self.sps_peak_fivemin, self.sps_last)
        self.sps_peak = max(self.sps_peak, self.sps_last)
        self.sps = self.sps_total

    def request(self, session_count: int) -> str | None:
        """One session request: None if admitted, else why it was refused
        ("sps": ``Throttle Error!``, "max": ``Over Session Limit!``)."""
        self.roll()
        self.sps -= 1
        if self.sps <= 0:
            return "sps"
        if session_count + 1 > self.max_sessions:
            return "max"
        return None

    # -- fsctl ----------------------------------------------------------------
    def set_sps(self, value: int) -> int:
        """``fsctl sps [N]``: a positive N becomes the limit from the next window on."""
        self.roll()
        if value > 0:
            self.sps_total = value
        return self.sps_total

    def set_max_sessions(self, value: int) -> int:
        """``fsctl max_sessions [N]`` (``switch_core_session_limit``)."""
        if value > 0:
            self.max_sessions = value
        return self.max_sessions

    def peak_reset(self) -> None:
        self.sps_peak = 0

    def last(self) -> int:
        self.roll()
        return self.sps_last

    def heartbeat(self) -> dict[str, int]:
        """The HEARTBEAT's Session-Per-Sec* and Max-Sessions values, as printed."""
        self.roll()
        return {
            "sps": u32(self.sps),
            "sps_last": u32(self.sps_last),
            "sps_max": u32(self.sps_peak),
            "sps_fivemin": u32(self.sps_peak_fivemin),
            "max_sessions": self.max_sessions,
        }
