"""The live view: ``GET /v3/live`` (dialer/service/live.py) on a real Redis, and the ``/live`` page
rendered by a real headless Chromium against a real server, its DOM and its screenshot checked
against the API's numbers (docs/live.md).

The data is written through the store's own scripts (``claim.lua``, ``finish.lua``: what every
engine runs), with a frozen clock, so every number below is known exactly and stays still while
the browser reads it.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import uuid
import zlib
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import gevent
import pytest
import redis

from dialer.domain.enums import CampaignStatus, RecallStatus
from dialer.domain.models import Schedule
from dialer.service import live, reports
from dialer.store.holds import HeldCampaigns
from dialer.store.records import Finish
from dialer.store.store import Store
from simswitch import Scenario
from tests import factories
from tests.api_fixtures import TOKEN
from tests.engine_fixtures import audio_campaign, make_engine
from tests.factories import call_record

HCM, PARIS = ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 23, 14, 30, 5, tzinfo=HCM).timestamp()  # a Monday; 08:30:05 in Paris
NOW_MS = int(NOW * 1000)
LEASE = 60_000
H = 3_600_000
HELD_WHY = "no carrier and no default gateway (set carrier_uuid, or AUTOCALL_DEFAULT_GATEWAY on the server)"


def at(tz: ZoneInfo, *fields: int) -> int:
    return int(datetime(*fields, tzinfo=tz).timestamp() * 1000)


def claim(store: Store, camp, n: int):
    calls = [str(uuid.uuid4()) for _ in range(n)]
    return store.calls.claim(camp.campaign_uuid, n, "fs1", NOW_MS - H, LEASE * 1000, calls)[0]


def finish(
    store: Store,
    c,
    tz: ZoneInfo,
    end_ms: int,
    rs: str,
    key: str,
    *,
    billsec: int = 0,
    requeue: str | None = None,
    due_ms: int = 0,
    reported: bool = True,
) -> None:
    hour = datetime.fromtimestamp(end_ms / 1000, tz).strftime("%Y%m%d%H")
    stats = (
        {
            "total_calls": 1,
            "total_duration": billsec + 5,
            "total_billsec": billsec,
            "total_waitsec": 5,
            key: 1,
            f"rs:{rs}": 1,
        }
        if reported
        else {}
    )
    cdr = call_record(recall_status=rs, report_key=key, end_ms=end_ms, reported="1" if reported else "0")
    done = store.calls.finish(
        [
            Finish(
                c.campaign_uuid,
                c.lead_uuid,
                c.call_uuid,
                c.network,
                end_ms,
                hour,
                cdr,
                {"updated_ms": end_ms},
                reported=reported,
                requeue=requeue,
                due_ms=due_ms,
                stats=stats,
            )
        ],
        NOW_MS,
    )
    assert done == [c.call_uuid]


@pytest.fixture
def world(store, services):
    """Three running campaigns (one in Paris, outside its calling hours; one inactive), one stopped."""
    services.clock = lambda: NOW
    a = factories.campaign(store, campaign_name="Nhắc nợ <b>tháng 11</b>", concurrent_call=8, hopper=5)
    factories.leads(store, a, 30, now_ms=NOW_MS - H)
    first = claim(store, a, 8)  # the hopper holds 5: 5 claimed
    second = claim(store, a, 8)  # 5 more pre-loaded, 3 free slots: 3 claimed, 2 left in the hopper
    assert (len(first), len(second)) == (5, 3)
    c1, c2, c3, c4, c5, c6, c7 = (first + second)[:7]  # the 8th stays in flight
    finish(store, c1, HCM, NOW_MS - 3_000, "answered", "answered", billsec=30)
    finish(store, c2, HCM, NOW_MS - 9_999, "busy", "busy", requeue="recalls", due_ms=NOW_MS - 1_000)
    finish(store, c3, HCM, NOW_MS - 10_000, "no-answered", "no_answer", requeue="recalls", due_ms=NOW_MS + 600_000)
    finish(store, c4, HCM, NOW_MS - 45_000, "answered", "answered", billsec=12)
    finish(store, c5, HCM, at(HCM, 2026, 11, 23, 9, 15), "failed", "failed", requeue="recalls", due_ms=NOW_MS - 5_000)
    finish(store, c6, HCM, at(HCM, 2026, 11, 22, 23, 59), "voicemail", "not_available")  # yesterday
    finish(store, c7, HCM, NOW_MS - 2_000, "", "", requeue="fresh", due_ms=NOW_MS, reported=False)  # refused originate

    stopped = factories.campaign(store, campaign_name="stopped", status=CampaignStatus.STOP)
    factories.leads(store, stopped, 3, now_ms=NOW_MS - H)

    monday_9_to_17 = Schedule(monday_start_time=9 * 3600 * 10**9, monday_end_time=17 * 3600 * 10**9)
    b = factories.campaign(
        store, campaign_name="Paris", concurrent_call=3, time_zone="Europe/Paris", schedules=[monday_9_to_17]
    )
    factories.leads(store, b, 4, now_ms=NOW_MS - H)
    b1, b2 = claim(store, b, 2)  # all 4 pre-loaded, 2 claimed
    finish(store, b1, PARIS, NOW_MS - 20_000, "answered", "answered", billsec=7)
    # 2026-11-22 23:30 in Paris: yesterday there (already the 23rd in Ho Chi Minh City)
    finish(store, b2, PARIS, at(PARIS, 2026, 11, 22, 23, 30), "busy", "busy", requeue="recalls", due_ms=NOW_MS + 60_000)

    d = factories.campaign(store, campaign_name="inactive", concurrent_call=2, active=False)
    # An engine holds the Paris campaign: it cannot place a call (dialer/engine/holds.py writes this)
    HeldCampaigns(store).hold(b.campaign_uuid, [HELD_WHY], NOW_MS - 60_000, "engine-1")
    return {"a": a, "b": b, "d": d, "stopped": stopped}


def zero_rs(**counts: int) -> dict[str, int]:
    out = {
        s: 0
        for s in (
            "answered",
            "busy",
            "failed",
            "no-answered",
            "not-available",
            "voicemail",
            "invalid-number",
            "phone-block",
            "congestion",
            "cancel",
            "abandoned",
        )
    }
    return {**out, **counts}


def outcomes(total: int, billsec: int, rs: dict[str, int], **status: int) -> dict[str, Any]:
    six = dict.fromkeys(("answered", "busy", "not_available", "no_answer", "cancel", "failed"), 0)
    return {"total_calls": total, "total_billsec": billsec, "status": {**six, **status}, "recall_status": rs}


def expected(world) -> dict[str, Any]:
    a, b, d = world["a"], world["b"], world["d"]
    return {
        "now_ms": NOW_MS,
        "totals": {
            "campaigns": 3,
            "held": 1,
            "in_flight": 1,
            "concurrent_call": 13,
            "calls_10s": 3,
            "calls_60s": 6,
            "cps_10s": 0.3,
            "cps_60s": 0.1,
            "recalls": 4,
            "recalls_due": 2,
            "fresh": 21,
            "hopper": 4,
            "today": outcomes(
                6,
                49,
                zero_rs(answered=3, busy=1, failed=1, **{"no-answered": 1}),
                answered=3,
                busy=1,
                no_answer=1,
                failed=1,
            ),
        },
        "campaigns": [
            {
                "campaign_uuid": a.campaign_uuid,
                "campaign_id": a.campaign_id,
                "campaign_name": a.campaign_name,
                "status": "start",
                "active": True,
                "in_window": True,
                "time_zone": "Asia/Ho_Chi_Minh",
                "day": "2026-11-23",
                "held": [],
                "held_since_ms": 0,
                "in_flight": 1,
                "concurrent_call": 8,
                "calls_10s": 3,
                "calls_60s": 5,
                "cps_10s": 0.3,
                "cps_60s": 0.08,
                "recalls": 3,
                "recalls_due": 2,
                "fresh": 21,
                "hopper": 2,
                "today": outcomes(
                    5,
                    42,
                    zero_rs(answered=2, busy=1, failed=1, **{"no-answered": 1}),
                    answered=2,
                    busy=1,
                    no_answer=1,
                    failed=1,
                ),
            },
            {
                "campaign_uuid": b.campaign_uuid,
                "campaign_id": b.campaign_id,
                "campaign_name": "Paris",
                "status": "start",
                "active": True,
                "in_window": False,
                "time_zone": "Europe/Paris",
                "day": "2026-11-23",
                "held": [HELD_WHY],
                "held_since_ms": NOW_MS - 60_000,
                "in_flight": 0,
                "concurrent_call": 3,
                "calls_10s": 0,
                "calls_60s": 1,
                "cps_10s": 0.0,
                "cps_60s": 0.02,
                "recalls": 1,
                "recalls_due": 0,
                "fresh": 0,
                "hopper": 2,
                "today": outcomes(1, 7, zero_rs(answered=1), answered=1),
            },
            {
                "campaign_uuid": d.campaign_uuid,
                "campaign_id": d.campaign_id,
                "campaign_name": "inactive",
                "status": "start",
                "active": False,
                "in_window": True,
                "time_zone": "Asia/Ho_Chi_Minh",
                "day": "2026-11-23",
                "held": [],
                "held_since_ms": 0,
                "in_flight": 0,
                "concurrent_call": 2,
                "calls_10s": 0,
                "calls_60s": 0,
                "cps_10s": 0.0,
                "cps_60s": 0.0,
                "recalls": 0,
                "recalls_due": 0,
                "fresh": 0,
                "hopper": 0,
                "today": outcomes(0, 0, zero_rs()),
            },
        ],
        "agent_totals": dict.fromkeys(
            ("agents", "logged_in", "available", "waiting", "wrap_up", "in_a_call", "on_break"), 0
        ),
        "agents": [],  # no agent: the page shows no agents section
    }


# -- the snapshot -------------------------------------------------------------------------------
def test_every_number_of_the_snapshot(world, services):
    assert live.snapshot(services).model_dump(mode="json") == expected(world)


def test_the_endpoint_answers_the_snapshot_with_the_token_only(world, api):
    res = api("GET", "/v3/live")
    assert res.status_code == 200 and res.headers["content-type"].startswith("application/json")
    assert res.json == expected(world)
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Api-Key": TOKEN}):
        refused = api("GET", "/v3/live", auth=False, headers=headers)
        assert refused.status_code == 401 and refused.json == {"error": "Unauthorized"}
    assert api("GET", "/v3/live", auth=False, query_string=f"token={TOKEN}").status_code == 401


def test_nothing_running_is_all_zeros(services, store):
    services.clock = lambda: NOW
    factories.campaign(store, status=CampaignStatus.STOP)
    snap = live.snapshot(services)
    assert snap.campaigns == [] and snap.totals.campaigns == 0 and snap.totals.today.total_calls == 0


def test_today_starts_at_each_campaigns_midnight(world, services):
    """At 00:30 the next day in Ho Chi Minh City (18:30 the day before in Paris), the first campaign's
    day is new and empty while the Paris one still counts its day; the calls/s windows have moved on."""
    services.clock = lambda: datetime(2026, 11, 24, 0, 30, tzinfo=HCM).timestamp()
    a, b, _ = live.snapshot(services).campaigns
    assert (a.day, a.today.total_calls, a.calls_60s, a.recalls_due) == ("2026-11-24", 0, 0, 3)
    assert (b.day, b.today.total_calls, b.in_window, b.recalls_due) == ("2026-11-23", 1, False, 1)
    services.clock = lambda: NOW + 3600  # 09:30:05 in Paris: inside its window (Monday 09:00-17:00)
    assert live.snapshot(services).campaigns[1].in_window is True


def test_today_hours_across_daylight_saving_changes():
    end_of = {
        "fall back": datetime(2026, 10, 25, 23, 59, tzinfo=PARIS).timestamp(),  # 25 hours, 02 twice
        "spring forward": datetime(2026, 3, 29, 23, 59, tzinfo=PARIS).timestamp(),  # 23 hours, no 02
    }
    day, hours = live.today_hours("Europe/Paris", end_of["fall back"])
    assert day == "2026-10-25" and hours == [f"20261025{h:02d}" for h in range(24)]
    day, hours = live.today_hours("Europe/Paris", end_of["spring forward"])
    assert hours == [f"20260329{h:02d}" for h in range(24) if h != 2]
    assert live.today_hours("Asia/Ho_Chi_Minh", NOW) == ("2026-11-23", [f"20261123{h:02d}" for h in range(15)])


def test_while_an_engine_dials_the_snapshot_agrees_with_the_report_and_the_queues(store, services, simswitch, tmp_path):
    """A real engine against the simulator (real clock): in flight never over the cap, and at the end today's
    outcomes equal the report's since local midnight, every call ended within the last minute, the busy leads
    wait as recalls (not due yet) and nothing is left in the queues."""
    server = simswitch(
        Scenario(
            rules=[{"match": "^098000000[0-4]$", "sip": 486}, {"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}]
        ),
        time_scale=1.0,
    )
    engine = make_engine(store, server, tmp_path / "audio")
    try:
        camp = audio_campaign(
            store, concurrent_call=4, recall_times=1, schedule_recall_duration=5, recall_status=[RecallStatus.BUSY]
        )
        factories.leads(store, camp, 12)  # numbers 0980000000, 0980000010, …: the first one is busy
        engine.wake(camp.campaign_uuid)
        peak = 0
        with gevent.Timeout(30, AssertionError("the campaign did not finish")):
            while True:
                (row,) = live.snapshot(services).campaigns
                assert row.in_flight <= 4
                peak = max(peak, row.in_flight)
                if row.today.total_calls == 12 and row.in_flight == 0:
                    break
                gevent.sleep(0.02)
    finally:
        engine.stop(drain_timeout=5)
    snap = live.snapshot(services)
    (row,) = snap.campaigns
    start = datetime.fromtimestamp(services.clock(), ZoneInfo(camp.time_zone)).strftime("%Y-%m-%d 00:00:00")
    report = reports.report(services, camp.campaign_uuid, start, None)
    assert peak >= 2 and row.today.total_calls == report["total_calls"] == 12
    assert row.today.status.model_dump() == report["status"] and row.today.recall_status == report["recall_status"]
    assert row.today.total_billsec == report["total_billsec"] and row.today.status.busy == 1
    assert row.calls_60s == 12 and row.cps_60s == 0.2
    assert (row.recalls, row.recalls_due, row.fresh, row.hopper) == (1, 0, 0, 0)
    assert snap.totals.today == row.today and snap.totals.recalls == 1


def test_it_is_in_the_openapi_document(api):
    doc = api("GET", "/openapi.json").json
    op = doc["paths"]["/v3/live"]["get"]
    assert op["security"] == [{"bearer": []}] and set(op["responses"]) == {"200", "401"}
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/LiveSnapshot"}
    assert "/live" not in doc["paths"]  # the page is not an API operation


def test_the_page_is_public_self_contained_and_holds_no_data(world, api):
    res = api("GET", "/live", auth=False)
    assert res.status_code == 200 and res.headers["content-type"] == "text/html; charset=utf-8"
    page = res.text.replace('"http://www.w3.org/2000/svg"', "")  # a namespace name, never fetched
    assert world["a"].campaign_uuid not in page and "Paris" not in page  # no data: the script asks /v3/live
    for outside in ("http://", "https://", "//fonts", "@import", "<link", "src="):
        assert outside not in page, outside  # nothing loaded from anywhere: it works offline
    csp = res.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert res.headers["Cache-Control"] == "no-store" and res.headers["Referrer-Policy"] == "no-referrer"
    assert 'fetch("/v3/live"' in page and 'Authorization: "Bearer " + token' in page


# -- the page in a real browser -----------------------------------------------------------------
WIDTH, HEIGHT = 1280, 900
# The chart's colours, in its order (dialer/api/live.html OUTCOMES); the bars' full scale and height.
BARS = {
    "answered": "2f9e44",
    "no-answered": "f0a202",
    "busy": "e8590c",
    "not-available": "7048e8",
    "voicemail": "1c7ed6",
    "abandoned": "ae3ec9",
    "cancel": "0c8599",
    "failed": "e03131",
    "invalid-number": "868e96",
    "phone-block": "495057",
    "congestion": "c2255c",
}
BAR_H, BAR_PITCH = 18, 28
BANNER, LIVE_DOT = "b42318", "12b76a"


def run_chromium(binary: str, tmp: Path, *args: str, timeout: float = 20) -> tuple[int | None, str, str]:
    """Headless Chromium, offline, in its own session (killed with all its processes whatever happens):
    (exit code or None on timeout, stdout, stderr)."""
    home = tmp / "home"
    home.mkdir(parents=True, exist_ok=True)
    argv = [
        binary,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--mute-audio",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--force-color-profile=srgb",
        f"--user-data-dir={tmp / 'profile'}",
        *args,
    ]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "LANG": "C.UTF-8", "TZ": "UTC"}
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    code: int | None = None
    try:
        out, err = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        out, err = b"", f"chromium did not finish in {timeout:.0f} s".encode()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # its zygote, renderer and GPU processes too
        except ProcessLookupError:
            pass
        proc.communicate()
    return code, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.fixture(scope="session")
def chromium(tmp_path_factory) -> str:
    """Debian's chromium, once checked to render a page here; otherwise the browser tests skip, saying why."""
    binary = shutil.which("chromium")
    if binary is None:
        pytest.skip("Debian's chromium is not installed (scripts/bootstrap installs it with apt-get as root)")
    code, out, err = run_chromium(
        binary, tmp_path_factory.mktemp("chromium-probe"), "--dump-dom", "data:text/html,<p id=probe>rendered</p>"
    )
    if code != 0 or "rendered" not in out:
        pytest.skip(f"chromium is installed but cannot render a page here (exit {code}): {err.strip()[-500:]}")
    return binary


def browse(binary: str, url: str, tmp: Path, budget_ms: int = 4000) -> tuple[str, Path]:
    """``url`` rendered for ``budget_ms`` of virtual time (fetches complete within it): its DOM and a screenshot."""
    shot = tmp / "live.png"
    code, out, err = run_chromium(
        binary,
        tmp,
        f"--window-size={WIDTH},{HEIGHT}",
        f"--virtual-time-budget={budget_ms}",
        f"--screenshot={shot}",
        "--dump-dom",
        url,
    )
    assert code == 0 and "</html>" in out, f"chromium failed (exit {code}): {err[-2000:]}"
    assert shot.exists(), f"no screenshot: {err[-2000:]}"
    return out, shot


class Dom(HTMLParser):
    """Every element with a data-testid: its attributes and its text (descendants' included)."""

    VOID: ClassVar[set[str]] = {"br", "img", "input", "meta", "link", "hr", "rect"}

    def __init__(self, html: str) -> None:
        super().__init__()
        self.found: dict[str, dict[str, Any]] = {}
        self.open: list[tuple[str, dict[str, Any] | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        item = {"attrs": a, "text": ""} if "data-testid" in a else None
        if item:
            self.found[a["data-testid"]] = item
        if tag not in self.VOID:
            self.open.append((tag, item))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.open.pop()

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, _ = self.open.pop()
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, item in self.open:
            if item is not None:
                item["text"] += data

    def text(self, testid: str) -> str:
        assert testid in self.found, f"no data-testid={testid} in the page"
        return self.found[testid]["text"].strip()

    def value(self, testid: str) -> str:
        return self.found[testid]["attrs"]["data-value"]


def shown(dom: Dom, testid: str, expected: float) -> None:
    """The number as the page shows it, and its data-value, equal the API's (a rate to its displayed decimals)."""
    text = dom.text(testid)
    assert float(dom.value(testid)) == expected, (testid, dom.value(testid), expected)
    if isinstance(expected, int):
        assert text == f"{expected:,}", (testid, text, expected)
    else:
        decimals = len(text.partition(".")[2])
        assert decimals in (1, 2) and text == f"{expected:.{decimals}f}", (testid, text, expected)


def png_pixels(path: Path) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA PNG with the standard library: (width, height, rows of RGB bytes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, bytearray()
    width = height = bpp = 0
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        elif kind == b"IEND":
            break
    raw, stride = zlib.decompress(bytes(idat)), width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for x in range(bpp, stride):
                line[x] = (line[x] + line[x - bpp]) & 255
        elif kind == 2:
            line = bytearray((v + p) & 255 for v, p in zip(line, prev, strict=True))
        elif kind == 3:
            for x in range(stride):
                line[x] = (line[x] + ((line[x - bpp] if x >= bpp else 0) + prev[x]) // 2) & 255
        elif kind == 4:
            for x in range(stride):
                a, b, c = (line[x - bpp] if x >= bpp else 0), prev[x], (prev[x - bpp] if x >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        rows.append(bytes(line) if bpp == 3 else bytes(v for i, v in enumerate(line) if i % 4 != 3))
    return width, height, rows


def boxes(rows: list[bytes], colours: list[str]) -> dict[str, tuple[int, int, int, int, int]]:
    """For each colour: (left, top, right, bottom, pixel count) of the pixels exactly that colour."""
    want = {bytes.fromhex(c): c for c in colours}
    found: dict[str, list[int]] = {}
    for y, row in enumerate(rows):
        for colour, name in want.items():
            x = row.find(colour)
            while x != -1:
                if x % 3 == 0:
                    box = found.setdefault(name, [x // 3, y, x // 3, y, 0])
                    box[0], box[2] = min(box[0], x // 3), max(box[2], x // 3)
                    box[3] = y
                    box[4] += 1
                x = row.find(colour, x + 1)
    return {k: tuple(v) for k, v in found.items()}  # type: ignore[misc]


def test_the_page_shows_the_apis_numbers_in_a_real_browser(world, api, chromium, tmp_path):
    before = api("GET", "/v3/live").json
    html, shot = browse(chromium, f"http://127.0.0.1:{api.port}/live#token={TOKEN}", tmp_path)
    after = api("GET", "/v3/live").json
    assert before == after == expected(world), "the data moved while the browser read it"
    snap = after

    dom = Dom(html)
    assert dom.text("state") == "live" and dom.found["error"]["attrs"].get("class", "") == ""
    assert dom.found["login"]["attrs"].get("class", "") == ""  # the token came from the fragment: no form
    assert dom.value("updated-at") == str(NOW_MS)
    assert dom.text("updated-at") == "updated 07:30:05"  # NOW in the browser's time zone (TZ=UTC)
    t = snap["totals"]
    for name in (
        "campaigns",
        "in_flight",
        "concurrent_call",
        "cps_10s",
        "cps_60s",
        "recalls",
        "recalls_due",
        "fresh",
        "hopper",
    ):
        shown(dom, f"total-{name}", t[name])
    shown(dom, "total-today-total_calls", t["today"]["total_calls"])
    shown(dom, "total-today-answered", t["today"]["status"]["answered"])
    assert dom.text("total-today-answer_rate") == "50.0%"
    rows = re.findall(r'<tr[^>]*data-testid="campaign-row"[^>]*data-uuid="([^"]+)"', html)
    assert rows == [c["campaign_uuid"] for c in snap["campaigns"]]  # in listing order, the stopped one left out
    for c in snap["campaigns"]:
        p = f"c-{c['campaign_uuid']}-"
        assert dom.text(p + "name") == c["campaign_name"]  # "<b>" shown as text, never as markup
        for name in ("in_flight", "concurrent_call", "cps_10s", "cps_60s", "recalls", "recalls_due", "fresh", "hopper"):
            shown(dom, p + name, c[name])
        shown(dom, p + "today-total_calls", c["today"]["total_calls"])
        shown(dom, p + "today-answered", c["today"]["status"]["answered"])
    states = [dom.text(f"c-{c['campaign_uuid']}-state") for c in snap["campaigns"]]
    assert states == ["dialing", "held", "inactive"] and dom.text("total-dialing") == "1"
    assert dom.text(f"c-{world['b'].campaign_uuid}-held") == HELD_WHY and dom.text("total-held") == "1"
    assert f"c-{world['a'].campaign_uuid}-held" not in dom.found
    assert f"c-{world['stopped'].campaign_uuid}-name" not in dom.found
    counts = t["today"]["recall_status"]
    top = max(counts.values())
    full = int(dom.found[f"chart-{max(counts, key=counts.get)}"]["attrs"]["width"])  # the chart's full scale
    assert full >= 150
    for rs, count in counts.items():
        shown(dom, f"chart-count-{rs}", count)
        assert dom.found[f"chart-{rs}"]["attrs"]["width"] == str(round(full * count / top))

    # The screenshot: the window's size, not blank, the page live (green dot, no red banner), and the
    # chart's bars as the API's counts say: each outcome's bar, found by its exact colour, is as wide
    # as its share of the largest count, 18 px high, one row apart, starting at the same x; an
    # outcome without calls has no bar.
    width, height, pixels = png_pixels(shot)
    assert (width, height) == (WIDTH, HEIGHT)
    assert len({row[x : x + 3] for row in pixels[::10] for x in range(0, len(row), 30)}) > 20, "a blank page"
    found = boxes(pixels, [*BARS.values(), BANNER, LIVE_DOT])
    assert BANNER not in found, "the error banner is shown"
    assert LIVE_DOT in found, "the state dot is not green"
    drawn = [(rs, found[colour]) for rs, colour in BARS.items() if counts[rs]]
    top_box = found[BARS[max(counts, key=counts.get)]]
    full_px = top_box[2] - top_box[0] + 1  # the largest bar, as drawn: the scale of the others
    assert full_px == full, (full_px, full)
    for rs, colour in BARS.items():
        if not counts[rs]:
            assert colour not in found, f"{rs} has no calls but a bar"
            continue
        left, upper, right, lower, n = found[colour]
        bar_w, bar_h = right - left + 1, lower - upper + 1
        assert abs(bar_w - round(full_px * counts[rs] / top)) <= 1, (rs, bar_w, counts[rs], top)
        assert bar_h == BAR_H and n == bar_w * bar_h, (rs, bar_w, bar_h, n)  # a solid rectangle
    assert len({box[0] for _, box in drawn}) == 1, "bars do not start at one x"
    order = list(BARS)
    for (rs1, box1), (rs2, box2) in itertools.pairwise(drawn):
        assert box2[1] - box1[1] == BAR_PITCH * (order.index(rs2) - order.index(rs1)), (rs1, rs2)


def test_the_page_asks_for_a_token_and_says_so_when_it_is_wrong_or_the_api_fails(
    world, api, chromium, tmp_path, monkeypatch
):
    real, answers = live.snapshot, []

    def counted(svc):
        answers.append(svc)
        return real(svc)

    monkeypatch.setattr(live, "snapshot", counted)
    html, _ = browse(chromium, f"http://127.0.0.1:{api.port}/live", tmp_path / "none", budget_ms=1000)
    dom = Dom(html)
    assert dom.found["login"]["attrs"]["class"] == "show" and dom.text("state") == "connecting"
    assert dom.text("error") == "" and answers == []  # no token: it asks, and asks the API nothing

    html, shot = browse(chromium, f"http://127.0.0.1:{api.port}/live#token=not-the-token", tmp_path / "wrong")
    dom = Dom(html)
    assert dom.text("state") == "token refused" and "401" in dom.text("error")
    assert dom.found["error"]["attrs"]["class"] == "show" and dom.found["login"]["attrs"]["class"] == "show"
    assert dom.text("total-in_flight") == "–"  # nothing shown that the token did not unlock
    width, height, pixels = png_pixels(shot)
    found = boxes(pixels, [*BARS.values(), BANNER])
    assert (width, height) == (WIDTH, HEIGHT) and not set(BARS.values()) & set(found)
    left, _, right, _, _ = found[BANNER]
    assert right - left > WIDTH // 2, "no red banner across the page"

    # Redis goes away after the first answer: the page keeps the last numbers, dimmed, and says since when.
    answers.clear()

    def first_then_down(svc):
        answers.append(svc)
        if len(answers) > 1:
            raise redis.ConnectionError("Connection refused")
        return real(svc)

    monkeypatch.setattr(live, "snapshot", first_then_down)
    html, shot = browse(chromium, f"http://127.0.0.1:{api.port}/live#token={TOKEN}", tmp_path / "down")
    assert len(answers) >= 2
    dom = Dom(html)
    assert dom.text("state") == "offline" and re.search(r'<body class="stale"', html)
    error = (
        "No live data: the API answered HTTP 503: storage unavailable; retry later. "
        "The numbers below are from 07:30:05. Retrying every 2 s."
    )
    assert dom.text("error") == error
    assert dom.found["login"]["attrs"].get("class", "") == ""  # the token was fine: no form
    assert dom.text("total-in_flight") == "1" and dom.text("total-fresh") == "21"  # the last numbers stay
    found = boxes(png_pixels(shot)[2], [BANNER, BARS["answered"]])
    assert BANNER in found and BARS["answered"] not in found  # the banner; the chart dimmed


def test_the_snapshot_json_round_trips_through_its_model(world, services):
    snap = live.snapshot(services)
    assert live.LiveSnapshot.model_validate_json(json.dumps(snap.model_dump(mode="json"))) == snap
