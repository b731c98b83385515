"""An autodialer call's agent fields wherever a CDR is shown (GET /v3/autocall/cdr, the CSV, the
callback_url body), and the report's agent figures (docs/autodialer.md, "Results and reports")."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime

import pytest

from dialer.domain.enums import CampaignType
from dialer.domain.window import zone
from tests.autodialer_calls import T0, attempt, autodialer, finish, hangup

TZ = zone("Asia/Ho_Chi_Minh")  # T0 is 2023-11-15 05:13:20 there
AGENT_FIELDS = ("agent", "queuesec", "agentsec", "abandoned")


def agent_fields(cdr: dict) -> tuple:
    return tuple(cdr[name] for name in AGENT_FIELDS)


@pytest.fixture
def calls(store):
    """One autodialer campaign's calls: bridged, abandoned, busy (in that end order)."""
    camp = autodialer(store, callback_url="http://127.0.0.1:9/cdr", created_at=datetime(2023, 1, 1, tzinfo=TZ))
    atts = []
    for i, kind in enumerate(("bridged", "timeout", "busy")):
        atts.append(attempt(store, camp, hangup(kind, T0 + 100 * i), start=T0 + 100 * i))
        finish(store, atts[-1])
    return camp, atts


def cdrs(api, camp) -> list[dict]:
    res = api("GET", f"/v3/autocall/cdr?campaign_uuid={camp.campaign_uuid}")
    assert res.status_code == 200, res.json
    return res.json["data"]


def test_the_cdr_api_shows_the_agent_the_queue_wait_and_the_talk(api, calls):
    bridged, abandoned, busy = cdrs(api, calls[0])
    assert agent_fields(bridged) == ("1001", 4, 60, False)
    assert agent_fields(abandoned) == ("", 5, 0, True) and abandoned["recall_status"] == "abandoned"
    assert agent_fields(busy) == ("", 0, 0, False)


def test_a_call_of_another_campaign_type_shows_the_agent_fields_empty(api, store):
    camp = autodialer(store, type=CampaignType.AUTOCALL)
    finish(store, attempt(store, camp, hangup("bridged")))
    (cdr,) = cdrs(api, camp)
    assert agent_fields(cdr) == ("", 0, 0, False)


def test_the_csv_has_the_agent_columns_after_the_others(api, calls):
    res = api("GET", f"/v3/autocall/cdr.csv?campaign_uuid={calls[0].campaign_uuid}&bom=false")
    rows = list(csv.reader(io.StringIO(res.text)))
    assert tuple(rows[0][-4:]) == AGENT_FIELDS
    assert [tuple(r[-4:]) for r in rows[1:]] == [
        ("1001", "4", "60", "false"),
        ("", "5", "0", "true"),
        ("", "0", "0", "false"),
    ]


def test_the_callback_url_body_carries_the_agent_fields_as_the_cdr_api_shows_them(api, store, calls):
    camp, atts = calls
    bodies = {}
    for delivery in store.r.zrange(store.keys.webhooks, 0, -1):
        hook = store.r.hgetall(store.keys.webhook(delivery))
        bodies[hook["call"]] = json.loads(hook["body"])
    shown = {cdr["call_id"]: cdr for cdr in cdrs(api, camp)}
    assert [bodies[att.call_uuid] for att in atts] == [shown[att.call_uuid] for att in atts]
    assert agent_fields(bodies[atts[0].call_uuid]) == ("1001", 4, 60, False)


def test_a_vbot_body_keeps_its_fields_and_names_the_agent_in_its_action_log(store):
    camp = autodialer(store, callback_url="http://127.0.0.1:9/vbot", webhook_format="vbot", campaign_id=7)
    done = finish(store, attempt(store, camp, hangup("bridged")))
    ((_, body),) = done.webhooks
    sent = json.loads(body)
    assert not set(AGENT_FIELDS) & set(sent) and sent["status"] == 200
    assert "bridged to agent 1001 after 4 s in the queue, 60 s talk" in sent["action_log"]


# -- the report -----------------------------------------------------------------------------------------
@pytest.fixture
def day(store):
    """Three hours of an autodialer campaign: agent 1001 twice, 1002 once, two abandoned, a machine, a busy."""
    camp = autodialer(store, created_at=datetime(2023, 1, 1, tzinfo=TZ))
    plan = [
        (0, "bridged", "1001", 60, 4),
        (3600, "bridged", "1002", 30, 1),
        (3700, "timeout", "", 0, 0),
        (3800, "beep", "", 0, 0),
        (7200, "bridged", "1001", 90, 2),
        (7300, "break_out", "", 0, 0),
        (7400, "busy", "", 0, 0),
    ]
    for offset, kind, agent, talk, wait in plan:
        finish(store, attempt(store, camp, hangup(kind, T0 + offset, agent=agent, talk=talk, wait=wait), T0 + offset))
    return camp


def report(api, camp, start: str, end: str) -> dict:
    q = f"campaign_uuid={camp.campaign_uuid}&start_date={start}&end_date={end}".replace(" ", "%20")
    res = api("GET", f"/v1/autocall/report?{q}")
    assert res.status_code == 200, res.json
    return res.json["data"]


EXPECTED = {
    "humans": 5,
    "connected": 3,
    "abandoned": 2,
    "abandon_rate": 0.4,
    "total_queuesec": 4 + 1 + 2 + 5 + 3,
    "total_agentsec": 60 + 30 + 90,
    "agents": [
        {"agent": "1001", "calls": 2, "total_agentsec": 150, "total_queuesec": 6},
        {"agent": "1002", "calls": 1, "total_agentsec": 30, "total_queuesec": 1},
    ],
}


def test_the_report_gives_each_agents_calls_talk_and_wait_and_the_abandon_rate(api, day):
    data = report(api, day, "2023-11-15 05:00:00", "2023-11-15 07:59:59")
    assert data["autodialer"] == EXPECTED


def test_the_seeds_fields_count_an_abandoned_call_as_answered(api, day):
    data = report(api, day, "2023-11-15 05:00:00", "2023-11-15 07:59:59")
    assert data["status"]["answered"] == 6 and data["status"]["busy"] == 1 and data["total_calls"] == 7
    assert data["recall_status"]["abandoned"] == 2 and data["recall_status"]["voicemail"] == 1


def test_partial_hours_read_from_the_cdrs_count_the_agent_figures_as_the_hourly_counters_do(api, day):
    data = report(api, day, "2023-11-15 05:10:00", "2023-11-15 07:30:00")
    assert data["autodialer"] == EXPECTED


def test_a_report_of_an_autocall_campaign_has_no_autodialer_figures(api, store):
    camp = autodialer(store, type=CampaignType.AUTOCALL, created_at=datetime(2023, 1, 1, tzinfo=TZ))
    finish(store, attempt(store, camp, hangup("busy")))
    assert "autodialer" not in report(api, camp, "2023-11-15 00:00:00", "2023-11-15 23:59:59")
