"""The simulated switch's counters: what tests and benchmarks read (``--stats-file``)."""

from __future__ import annotations

from collections import Counter
from typing import Any


class Stats:
    """Originates, legs, answers and causes counted since the simulator started (a restart keeps them)."""

    def __init__(self) -> None:
        self.originated = 0  # originate commands received
        self.legs = 0  # channels created
        self.answered = 0
        self.by_cause: Counter[str] = Counter()
        self.attempts_by_number: Counter[str] = Counter()
        self.peak_concurrent = 0
        self.concurrent = 0
        self.sps_rejected = 0
        self.sessions_rejected = 0
        self.shutdown_rejected = 0  # refused while shutting down or paused (no new outbound sessions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "originated": self.originated,
            "legs": self.legs,
            "answered": self.answered,
            "by_cause": dict(self.by_cause),
            "peak_concurrent": self.peak_concurrent,
            "concurrent": self.concurrent,
            "attempts_by_number": dict(self.attempts_by_number),
            "sps_rejected": self.sps_rejected,
            "sessions_rejected": self.sessions_rejected,
            "shutdown_rejected": self.shutdown_rejected,
        }
