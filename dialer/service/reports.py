"""The campaign report: counters of finished attempts over a local-time range.

Dates are ``YYYY-MM-DD HH:MM:SS`` in the campaign's time zone (the seed's
format), or ISO 8601 with an offset (an instant, converted to that zone); the
answer names the zone and the range it counted.

Attempts count by the time they ended. ``end`` is inclusive to the second
("until 12:00:00" includes a call that ended at 12:00:00.4). Without dates the
range is the campaign's whole life. Whole hours come from hourly counters
and only the two partial edge hours read CDRs, so a year costs ~9,000
pipelined HGETALLs, never a scan of the CDRs.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dialer.domain.agent_figures import autodialer_report, has_queue_figures
from dialer.domain.enums import CampaignType, RecallStatus, ReportKey
from dialer.domain.window import zone
from dialer.service.context import Services
from dialer.service.errors import Invalid, NotFound
from dialer.store.reports import REPORT_FIELDS

CAMPAIGN_NOT_FOUND = "campaign is not found"  # the seed's wording
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
MIN_YEAR, MAX_YEAR = 2000, 2999  # any real call; and no overflow adding a day to 9999-12-31
# ISO 8601 with an offset: 2026-12-01T00:00:00+07:00, ...Z, fractions of a second, +0700 or +07.
# A "+" sent unencoded in a query string arrives as a space: " 07:00" is read as "+07:00".
_WITH_OFFSET = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)"
    r"(Z|z|[+\- ]\d{2}(?::?\d{2})?)$"
)
BAD_FORMAT = "Does not match format 'YYYY-MM-DD HH:MM:SS'"  # unchanged: clients may match on it


def _with_offset(text: str) -> datetime | None:
    """An ISO 8601 date-time with an offset (an instant, whatever the campaign's zone), else None."""
    match = _WITH_OFFSET.match(text)
    if match is None:
        return None
    when, offset = match.groups()
    offset = "+" + offset[1:] if offset.startswith(" ") else offset
    when = re.sub(r"(\.\d{6})\d+$", r"\1", when)  # nanoseconds (Go's RFC 3339): microseconds are enough
    try:
        return datetime.fromisoformat(when + ("+00:00" if offset in ("Z", "z") else offset))
    except ValueError:
        return None


def parse_date(field: str, text: str, tz: ZoneInfo, *, end: bool) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` in ``tz`` (or a bare date: the whole day), or ISO 8601 with an
    offset (``2026-12-01T00:00:00+07:00``, ``...Z``) → an aware datetime in ``tz``. An ``end``
    is the last second counted (a bare date's 23:59:59; fractions of a second dropped)."""
    text = text.strip()
    value = _with_offset(text)
    bare_date = False
    if value is None:
        for fmt in DATE_FORMATS:
            try:
                value = datetime.strptime(text, fmt).replace(tzinfo=tz)
            except ValueError:
                continue
            bare_date = fmt == "%Y-%m-%d"
            break
    if value is None:
        raise Invalid.one(field, BAD_FORMAT)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise Invalid.one(field, f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    # In the campaign's zone: its hourly counters are local hours (an offset of +05:30 must not shift them).
    value = value.astimezone(tz)
    if end:
        value = value.replace(microsecond=0)
    return value + timedelta(days=1) - timedelta(seconds=1) if bare_date and end else value


def parse_range(time_zone: str, start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """``start_date`` / ``end_date`` → [lo, hi) as aware datetimes in ``time_zone``; None for a
    date left out. ``end`` is inclusive to the second. Every bad date is named in one error."""
    tz = zone(time_zone)
    errors: list[tuple[str, str]] = []
    lo = hi = None
    for name, text, is_end in (("start_date", start, False), ("end_date", end, True)):
        if not text:
            continue
        try:
            value = parse_date(name, text, tz, end=is_end)
        except Invalid as exc:
            errors += exc.errors
            continue
        if is_end:
            hi = value + timedelta(seconds=1)
        else:
            lo = value
    if errors:
        raise Invalid(errors)
    if lo is not None and hi is not None and hi <= lo:
        raise Invalid.one("end_date", "end_date is before start_date")
    return lo, hi


def local_range(
    svc: Services, time_zone: str, created: datetime | None, start: str | None, end: str | None
) -> tuple[datetime, datetime]:
    """[start, end) with the report's defaults: the campaign's creation, and now."""
    lo, hi = parse_range(time_zone, start, end)
    tz = zone(time_zone)
    now = datetime.fromtimestamp(svc.clock(), tz)
    lo = lo or (created.astimezone(tz) if created else now - timedelta(days=366))
    hi = hi or now + timedelta(seconds=1)
    if hi <= lo:
        raise Invalid.one("end_date", "end_date is before start_date")
    return lo, hi


def report(svc: Services, campaign_uuid: str, start: str | None, end: str | None) -> dict[str, Any]:
    campaign = svc.store.campaigns.get(campaign_uuid) if campaign_uuid else None
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    lo, hi = local_range(svc, campaign.time_zone, campaign.created_at, start, end)
    # autocall: the zone dates without an offset were read in, and the range counted (end inclusive)
    used = {
        "time_zone": campaign.time_zone,
        "start_date": lo.isoformat(timespec="seconds"),
        "end_date": (hi - timedelta(seconds=1)).replace(microsecond=0).isoformat(timespec="seconds"),
    }
    # Nothing ended before the campaign existed or after now: only those hours are read,
    # so "end_date=2999-12-31" costs what "until now" costs.
    if campaign.created_at and lo < campaign.created_at:
        lo = max(lo, campaign.created_at.replace(minute=0, second=0, microsecond=0))
    hi = min(hi, datetime.fromtimestamp(svc.clock(), lo.tzinfo) + timedelta(hours=1))
    totals = svc.store.reports.report(campaign, lo, hi) if lo < hi else {}
    out = {
        "status": {k.value: int(totals.get(k.value, 0)) for k in ReportKey},
        **{f: int(totals.get(f, 0)) for f in REPORT_FIELDS},
        # autocall: the finer statuses the seed's six fold, beside them
        "recall_status": {s.value: int(totals.get(f"rs:{s.value}", 0)) for s in RecallStatus},
        **used,
    }
    if campaign.type is CampaignType.AUTODIALER or has_queue_figures(totals):
        out["autodialer"] = autodialer_report(totals)  # autocall: agents and abandoned calls
    return out
