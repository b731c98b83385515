"""Reports: a campaign's counters over any time range, and the sizes of its queues."""

from __future__ import annotations

from datetime import datetime, timedelta

import redis

from dialer.domain.agent_figures import queue_counters
from dialer.domain.enums import ReportKey
from dialer.domain.models import Campaign
from dialer.domain.window import zone
from dialer.store.keys import Keys
from dialer.store.replies import texts

REPORT_FIELDS = ("total_calls", "total_duration", "total_billsec", "total_waitsec")
# What an edge hour reads of each CDR: the seed's counters, then an autodialer call's agent fields.
_EDGE_FIELDS = (
    *("report_key", "recall_status", "duration", "billsec", "waitsec", "reported"),
    *("agent", "queuesec", "agentsec", "abandoned"),
)


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


class Reports:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def queue_sizes(self, campaign_uuid: str) -> dict[str, int]:
        k = self.keys
        pipe = self.r.pipeline(transaction=False)
        for key in (
            k.fresh(campaign_uuid),
            k.recalls(campaign_uuid),
            k.hopper(campaign_uuid),
            k.calls(campaign_uuid),
            k.cdrs(campaign_uuid),
        ):
            pipe.zcard(key)
        fresh, recalls, hopper, calls, cdrs = pipe.execute()
        return {"fresh": fresh, "recalls": recalls, "hopper": hopper, "in_flight": calls, "finished": cdrs}

    def report(self, campaign: Campaign, start: datetime, end: datetime) -> dict[str, int]:
        """Counters over [start, end) in the campaign's local time.

        Whole local hours are summed from the hourly counters; the partial
        hours at either edge are summed from the CDRs, so any range is fast.
        """
        tz = zone(campaign.time_zone)
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start
        end = end.replace(tzinfo=tz) if end.tzinfo is None else end
        totals: dict[str, int] = dict.fromkeys([*REPORT_FIELDS, *(k.value for k in ReportKey)], 0)
        first_full = start.replace(minute=0, second=0, microsecond=0)
        if first_full < start:
            first_full += timedelta(hours=1)
        last_full = end.replace(minute=0, second=0, microsecond=0)
        hours: list[str] = []
        if first_full < last_full:
            edges = [(start, first_full), (last_full, end)]
            t = first_full
            while t < last_full:
                hours.append(t.astimezone(tz).strftime("%Y%m%d%H"))
                t += timedelta(hours=1)
        else:
            edges = [(start, end)]
        pipe = self.r.pipeline(transaction=False)
        for hour in hours:
            pipe.hgetall(self.keys.stats(campaign.campaign_uuid, hour))
        for bucket in pipe.execute() if hours else []:
            for k, v in bucket.items():
                totals[k] = totals.get(k, 0) + int(v)
        for lo, hi in edges:
            if lo >= hi:
                continue
            ids = texts(
                self.r.zrange(
                    self.keys.cdrs(campaign.campaign_uuid),
                    int(lo.timestamp() * 1000),
                    f"({int(hi.timestamp() * 1000)}",
                    byscore=True,
                )
            )
            pipe = self.r.pipeline(transaction=False)
            for call in ids:
                pipe.hmget(self.keys.call(call), _EDGE_FIELDS)
            for key, rs, duration, billsec, waitsec, reported, *queue in pipe.execute() if ids else []:
                if reported == "0":
                    continue
                agent, queuesec, agentsec, abandoned = queue  # an autodialer call's (agent_figures.py)
                for name, n in queue_counters(agent or "", _int(queuesec), _int(agentsec), abandoned == "1").items():
                    totals[name] = totals.get(name, 0) + n
                totals["total_calls"] += 1
                totals["total_duration"] += int(duration or 0)
                totals["total_billsec"] += int(billsec or 0)
                totals["total_waitsec"] += int(waitsec or 0)
                totals[key] = totals.get(key, 0) + 1
                totals[f"rs:{rs}"] = totals.get(f"rs:{rs}", 0) + 1
        return totals
