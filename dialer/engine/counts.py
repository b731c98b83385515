"""Plain counters for /metrics: a dict increment in the hot path (dialer/metrics.py reads them at scrape time)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.domain.cdr import CallRecord
from dialer.store.records import Finish


@dataclass(slots=True)
class Counts:
    attempts: dict[tuple[str, str], int] = field(default_factory=dict)  # (campaign, node) -> originates sent
    outcomes: dict[tuple[str, str, str], int] = field(default_factory=dict)  # (campaign, recall_status, cause)

    def attempt(self, campaign_uuid: str, node: str, n: int) -> None:
        self.attempts[(campaign_uuid, node)] = self.attempts.get((campaign_uuid, node), 0) + n

    def outcome(self, finish: Finish) -> None:
        cdr = finish.cdr
        if finish.reported and isinstance(cdr, CallRecord):  # the recorder's reported finishes are all CallRecords
            key = (finish.campaign_uuid, cdr.recall_status, cdr.hangup_cause)
            self.outcomes[key] = self.outcomes.get(key, 0) + 1
