"""Plain counters for /metrics: a dict increment in the hot path (dialer/metrics.py reads them at scrape time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.store.records import Finish


@dataclass(slots=True)
class Counts:
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)  # (campaign, node) -> originates sent
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (campaign, recall_status, cause)

    def attempt(self, campaign_uuid: str, node: str, n: int) -> None:
        self.attempts[(campaign_uuid, node)] = self.attempts.get((campaign_uuid, node), 0) + n

    def outcome(self, finish: Finish) -> None:
        if finish.reported:
            cdr = finish.cdr
            key = (finish.campaign_uuid, str(cdr.get("recall_status", "")), str(cdr.get("hangup_cause", "")))
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
