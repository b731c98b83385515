"""CDRs of a campaign over a local-time range: pages (cursor or offset) and a streamed CSV.

The CDRs are ``campaign:<uuid>:cdrs`` (ZSET call uuid → end ms) and one
``call:<uuid>`` hash each. Only reported attempts (``reported`` = "1") are
CDRs: an originate FreeSWITCH refused for its own limits is retried and
never shown, exactly as the report leaves it out.

Paging is keyset paging on (end ms, call uuid), the ZSET's own order: the
cursor ``<end_ms>:<call_uuid>`` of the last CDR of a page finds the next
one in O(log n) (ZSCORE + ZRANK, dialer/store/cdr_reads.py), so page 10,000
of a 10-million-CDR campaign costs what page 1 does, and CDRs that end
meanwhile never shift a page.
``offset`` is also accepted for small tables (it reads and skips, so it is
capped at ``MAX_OFFSET``).

``total`` is exact and cheap: the hourly report counters for whole local
hours and the CDRs only for partial edge hours (the report's own sum, so it
always equals the report's ``total_calls`` over the same range). A range left
open is cut to the hours the campaign has CDRs in, which has no edges at all.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dialer.domain.cdr import FIELDS, cdr_object
from dialer.domain.models import Campaign
from dialer.domain.window import zone
from dialer.service.context import Services
from dialer.service.errors import NotFound
from dialer.service.reports import CAMPAIGN_NOT_FOUND, parse_range
from dialer.store.errors import StoreError

log = logging.getLogger("autocall.api")

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 10_000
EXPORT_BATCH = 1000  # CDRs read (and written to the CSV) per round trip
BOM = "\ufeff".encode()
FOREVER_MS = 2**53  # an end for "no end_date": beyond any ms timestamp
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


@dataclass(slots=True, frozen=True)
class Range:
    """A campaign's CDRs ending in [lo_ms, hi_ms)."""

    campaign: Campaign
    tz: ZoneInfo
    lo_ms: int
    hi_ms: int


def resolve(svc: Services, campaign_uuid: str, start: str | None, end: str | None) -> Range:
    """The campaign (404 ``campaign is not found``) and its range: ``start`` inclusive, ``end``
    inclusive to the second, both ``YYYY-MM-DD HH:MM:SS`` (or a bare date) in its time zone.
    A date left out leaves that side open."""
    campaign = svc.store.campaigns.get(campaign_uuid) if campaign_uuid else None
    if campaign is None:
        raise NotFound(CAMPAIGN_NOT_FOUND)
    tz = zone(campaign.time_zone)
    lo, hi = parse_range(campaign.time_zone, start, end)
    lo_ms = int(lo.timestamp() * 1000) if lo else 0
    hi_ms = int(hi.timestamp() * 1000) if hi else FOREVER_MS
    return Range(campaign, tz, lo_ms, hi_ms)


# -- one CDR ---------------------------------------------------------------------
def view(call_uuid: str, cdr: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    """A stored CDR hash as the API shows it: the same object the native ``callback_url`` POSTs."""
    return cdr_object(call_uuid, cdr, tz)


# -- walking the ZSET --------------------------------------------------------------
def parse_cursor(text: str | None) -> tuple[int, str] | None:
    """``<end_ms>:<call_uuid>`` → (end ms, call uuid); the request model has checked the shape."""
    if not text:
        return None
    ms, _, member = text.partition(":")
    return int(ms), member


def cursor(end_ms: int, call_uuid: str) -> str:
    return f"{end_ms}:{call_uuid}"


def _scan(svc: Services, rng: Range, after: tuple[int, str] | None, batch: int) -> Iterator[tuple[int, str, dict]]:
    """Every entry of the range after ``after`` in order, as (end ms, call uuid, CDR hash or {}
    when the attempt is not reported). Reads ``batch`` entries per round trip."""
    warned = False
    for ms, call, stored in svc.store.cdr_reads.walk(rng.campaign.campaign_uuid, rng.lo_ms, rng.hi_ms, after, batch):
        if stored.get("reported") != "1":
            yield ms, call, {}
            continue
        cdr = svc.store.sealed.open_cdr(call, stored)  # enable_encrypt: numbers, answered_number, reason
        if "unreadable" in cdr and not warned:
            warned = True  # shown as stored (sealed); said once per listing, not per CDR
            extra = {"campaign": rng.campaign.campaign_uuid, "call": call, "error": cdr["unreadable"]}
            log.error("CDR fields cannot be opened", extra=extra)
        yield ms, call, cdr


def _hour_floor(ms: int, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz).replace(minute=0, second=0, microsecond=0)


def total(svc: Services, rng: Range) -> int:
    """Reported CDRs in the range, from the report counters (see the module doc)."""
    span = svc.store.cdr_reads.span(rng.campaign.campaign_uuid, rng.lo_ms, rng.hi_ms)
    if span is None:
        return 0
    first_ms, last_ms = span
    # Widening to whole local hours adds no CDR (none lies outside [first, last]) and removes the edges.
    span_lo = _hour_floor(first_ms, rng.tz)
    span_hi = datetime.fromtimestamp(_hour_floor(last_ms, rng.tz).timestamp() + 3600, rng.tz)
    lo = max(datetime.fromtimestamp(rng.lo_ms / 1000, rng.tz), span_lo)
    hi = min(datetime.fromtimestamp(rng.hi_ms / 1000, rng.tz), span_hi) if rng.hi_ms < FOREVER_MS else span_hi
    if hi <= lo:
        return 0
    return int(svc.store.reports.report(rng.campaign, lo, hi).get("total_calls", 0))


# -- the two operations ------------------------------------------------------------
def page(
    svc: Services,
    campaign_uuid: str,
    *,
    start: str | None = None,
    end: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    after: str | None = None,
) -> dict[str, Any]:
    """One page: ``{"data", "limit", "offset", "total", "next"}``; ``next`` is the cursor of the
    following page, null when the range has no CDR after this page."""
    rng = resolve(svc, campaign_uuid, start, end)
    limit = max(1, min(limit, MAX_LIMIT))
    offset = max(0, min(offset, MAX_OFFSET))
    data: list[dict[str, Any]] = []
    skipped, last, more = 0, None, False
    for ms, call, cdr in _scan(svc, rng, parse_cursor(after), min(offset + limit + 1, MAX_LIMIT + 1)):
        if len(data) == limit:
            more = True  # something follows (possibly only unreported attempts: the next page is then empty)
            break
        last = (ms, call)
        if not cdr:
            continue
        if skipped < offset:
            skipped += 1
            continue
        data.append(view(call, cdr, rng.tz))
    return {
        "data": data,
        "limit": limit,
        "offset": offset,
        "total": total(svc, rng),
        "next": cursor(*last) if more and last else None,
    }


def _cell(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"  # as the JSON object spells it (csv would write True)
    if isinstance(value, list):
        value = " ".join(value)
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def export_csv(
    svc: Services, campaign_uuid: str, *, start: str | None = None, end: str | None = None, bom: bool = True
) -> Iterator[bytes]:
    """The range's CDRs as CSV, a chunk per ``EXPORT_BATCH`` CDRs: never the whole export in memory.

    The campaign and dates are checked now (a refusal is an ordinary error answer); Redis is
    read as the client reads the body. UTF-8, with a byte-order mark unless ``bom`` is False
    (Excel reads a CSV without one in the legacy code page and garbles Vietnamese)."""
    rng = resolve(svc, campaign_uuid, start, end)

    def chunks() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(FIELDS)
        yield (BOM if bom else b"") + _drain(buffer)
        rows = 0
        try:
            for _ms, call, cdr in _scan(svc, rng, None, EXPORT_BATCH):
                if not cdr:
                    continue
                cdr_view = view(call, cdr, rng.tz)
                writer.writerow([_cell(cdr_view[f]) for f in FIELDS])
                rows += 1
                if rows % EXPORT_BATCH == 0:
                    yield _drain(buffer)
        except StoreError as exc:
            # Headers are gone: the client sees a cut transfer, the log says why.
            log.error("CDR export failed", extra={"campaign": campaign_uuid, "rows": rows, "error": str(exc)})
            raise
        if buffer.tell():
            yield _drain(buffer)

    return chunks()


def _drain(buffer: io.StringIO) -> bytes:
    data = buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    return data
