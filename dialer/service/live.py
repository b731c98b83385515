"""The live view (``GET /v3/live``, the ``/live`` page): what the running campaigns are doing now.

Everything is read from Redis, never from an engine's memory, so the
snapshot is the same whichever process dials (one daemon, several, or
none of them this one). It costs five round trips whatever the load:
the ``running`` set, the campaigns' hashes, then one pipeline of counts
per campaign (ZCARD/ZCOUNT and today's hourly counters, at most 25
HGETALLs of a few fields); then the agents' registry and one pipeline of
every agent's two hashes (dialer/service/live_agents.py).

* **in flight**: ``:calls`` (the slots held, one per attempt dialling).
* **calls/s**: attempts that ended in the last 10 s and 60 s (``:cdrs`` by
  end ms, ``(now - window, now]``), divided by the window. It counts every
  finished attempt, including an originate FreeSWITCH refused for its own
  limits (retried, and left out of the report): the load the switch sees.
* **today**: the report counters (``:stats:<YYYYMMDDHH>``, written by
  ``finish.lua`` when an attempt is recorded) of the local hours from the
  campaign's midnight to now, in the campaign's ``time_zone``; totals add
  each campaign's own today.
* **recalls** (``:recalls``) and how many of them are due now; **fresh**
  (leads never dialled) and **hopper** (pre-loaded, next to dial).
* **held**: why an engine holds the campaign (it cannot place a call, so it
  claims nothing: dialer/engine/holds.py), from the ``held`` hash; empty
  while it dials.
* **agents**: every agent, its status and mod_callcenter state and since
  when, its calls, the running campaigns it serves, and the totals
  (dialer/domain/agent_counts.py counts them).
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from dialer.domain.agent_counts import AgentTotals
from dialer.domain.enums import RecallStatus, ReportKey
from dialer.domain.models import Campaign
from dialer.domain.window import in_window, zone
from dialer.service.context import Services
from dialer.service.live_agents import LiveAgent, agents_now
from dialer.store.holds import parse
from dialer.store.queue_counts import CountsWanted

WINDOWS_S = (10, 60)  # the calls/s windows, seconds


class OutcomeCounts(BaseModel):
    """The report's six ``status`` keys (``/v1/autocall/report``)."""

    answered: int = 0
    busy: int = 0
    not_available: int = 0
    no_answer: int = 0
    cancel: int = 0
    failed: int = 0


class Outcomes(BaseModel):
    total_calls: int = Field(0, description="attempts recorded today (as the report counts them)")
    total_billsec: int = Field(0, description="seconds talking today")
    status: OutcomeCounts = Field(default_factory=OutcomeCounts)
    recall_status: dict[str, int] = Field(
        default_factory=lambda: dict.fromkeys((s.value for s in RecallStatus), 0),
        description="the finer statuses, every one of them (0 when none)",
    )

    def add(self, other: Outcomes) -> None:
        self.total_calls += other.total_calls
        self.total_billsec += other.total_billsec
        for key in ReportKey:
            setattr(self.status, key.value, getattr(self.status, key.value) + getattr(other.status, key.value))
        for status, count in other.recall_status.items():
            self.recall_status[status] = self.recall_status.get(status, 0) + count


class Counts(BaseModel):
    in_flight: int = Field(0, description="attempts dialling now (slots held)")
    concurrent_call: int = Field(0, description="the cap on in_flight (sum of the caps in totals)")
    calls_10s: int = Field(0, description="attempts that ended in the last 10 s")
    calls_60s: int = Field(0, description="attempts that ended in the last 60 s")
    cps_10s: float = Field(0, description="calls_10s / 10")
    cps_60s: float = Field(0, description="calls_60s / 60, to 2 decimals")
    today: Outcomes = Field(default_factory=Outcomes, description="recorded since local midnight")
    recalls: int = Field(0, description="recall backlog: leads waiting for another attempt")
    recalls_due: int = Field(0, description="recalls already due (dialled as soon as slots allow)")
    fresh: int = Field(0, description="leads never dialled yet")
    hopper: int = Field(0, description="leads pre-loaded, dialled next")


class CampaignInfo(BaseModel):
    campaign_uuid: str
    campaign_id: int
    campaign_name: str
    status: str = Field(description="start: every campaign listed is in the running set")
    active: bool = Field(description="false: no new calls (PATCH .../active)")
    in_window: bool = Field(description="now is inside the campaign's calling schedules")
    time_zone: str
    day: str = Field(description="the campaign's local date that 'today' counts (YYYY-MM-DD)")
    held: list[str] = Field(
        default_factory=list,
        description="why the engine holds the campaign: what it needs "
        "to place a call (it claims no lead until then); empty while it may dial",
    )
    held_since_ms: int = Field(0, description="since when it is held (epoch ms); 0 when it is not")


class LiveCampaign(Counts, CampaignInfo):  # (bases in this order: the JSON names the campaign first)
    """One running campaign."""


class TotalsInfo(BaseModel):
    campaigns: int = Field(0, description="running campaigns")
    held: int = Field(0, description="running campaigns held: they cannot place a call")


class LiveTotals(Counts, TotalsInfo):
    """Every running campaign added up."""


class LiveSnapshot(BaseModel):
    now_ms: int = Field(description="the server's clock when the snapshot was read (epoch ms)")
    totals: LiveTotals
    campaigns: list[LiveCampaign] = Field(description="running campaigns, in listing order (campaign_id)")
    agent_totals: AgentTotals = Field(description="every agent counted by status and state")
    agents: list[LiveAgent] = Field(description="every agent, in creation order (none: no autodialer agents)")


def today_hours(time_zone: str, now_s: float) -> tuple[str, list[str]]:
    """The local date and the ``YYYYMMDDHH`` buckets from its midnight to now (a DST day has 23 or 25 hours;
    the repeated hour of a fall-back day is one bucket, as ``finish.lua`` writes it)."""
    tz = zone(time_zone)
    local = datetime.fromtimestamp(now_s, tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    hours: list[str] = []
    t = midnight
    while t <= now_s:
        hour = datetime.fromtimestamp(t, tz).strftime("%Y%m%d%H")
        if hour not in hours:
            hours.append(hour)
        t += 3600
    current = local.strftime("%Y%m%d%H")
    if current not in hours:  # an offset change that is not a whole hour
        hours.append(current)
    return local.strftime("%Y-%m-%d"), hours


def _outcomes(buckets: list[dict[str, str]]) -> Outcomes:
    totals: dict[str, int] = {}
    for bucket in buckets:
        for key, value in bucket.items():
            totals[key] = totals.get(key, 0) + int(value)
    out = Outcomes(total_calls=totals.get("total_calls", 0), total_billsec=totals.get("total_billsec", 0))
    for key in ReportKey:
        setattr(out.status, key.value, totals.get(key.value, 0))
    for name, count in totals.items():
        if name.startswith("rs:"):
            out.recall_status[name[3:]] = count
    return out


def snapshot(svc: Services) -> LiveSnapshot:
    now_s = svc.clock()
    now_ms = int(now_s * 1000)
    store = svc.store
    running = sorted(store.campaigns.running())
    found = store.campaigns.get_many(running) if running else []
    campaigns: list[Campaign] = sorted(found, key=lambda c: c.campaign_id)
    days: list[str] = []
    wanted: list[CountsWanted] = []
    for c in campaigns:
        day, hours = today_hours(c.time_zone, now_s)
        days.append(day)
        wanted.append(CountsWanted(c.campaign_uuid, hours))
    counted = store.queue_counts.of(wanted, now_ms, WINDOWS_S)
    holds = [parse(n.held) or {} for n in counted]
    totals = LiveTotals(campaigns=len(counted), held=sum(1 for h in holds if h))
    rows: list[LiveCampaign] = []
    for c, day, n, hold in zip(campaigns, days, counted, holds, strict=True):
        calls_10s, calls_60s = n.ended
        row = LiveCampaign(
            campaign_uuid=c.campaign_uuid,
            campaign_id=c.campaign_id,
            campaign_name=c.campaign_name,
            status=c.status.value,
            active=c.active,
            in_window=in_window(c.schedules, c.time_zone, now_s),
            time_zone=c.time_zone,
            day=day,
            held=hold.get("why", []),
            held_since_ms=hold.get("since_ms", 0),
            in_flight=n.in_flight,
            concurrent_call=c.concurrent_call,
            calls_10s=calls_10s,
            calls_60s=calls_60s,
            cps_10s=_rate(calls_10s, 10),
            cps_60s=_rate(calls_60s, 60),
            today=_outcomes(n.hours),
            recalls=n.recalls,
            recalls_due=n.recalls_due,
            fresh=n.fresh,
            hopper=n.hopper,
        )
        rows.append(row)
        for name in (
            "in_flight",
            "concurrent_call",
            "calls_10s",
            "calls_60s",
            "recalls",
            "recalls_due",
            "fresh",
            "hopper",
        ):
            setattr(totals, name, getattr(totals, name) + getattr(row, name))
        totals.today.add(row.today)
    totals.cps_10s, totals.cps_60s = _rate(totals.calls_10s, 10), _rate(totals.calls_60s, 60)
    agents, agent_totals = agents_now(svc, campaigns, now_ms)
    return LiveSnapshot(now_ms=now_ms, totals=totals, campaigns=rows, agent_totals=agent_totals, agents=agents)


def _rate(count: int, seconds: int) -> float:
    return round(count / seconds, 2)
