"""The agents on the live view (issue 19): ``GET /v3/live``'s ``agents`` and ``agent_totals``
(dialer/service/live_agents.py, counted by dialer/domain/agent_counts.py) on a real Redis, and the
``/live`` page's agents section in a real headless Chromium (docs/live.md, "Agents").

Agents are written through the store as the API does (``store.agents.create``) and their live state
as the engine will (``store.agents.write_live`` with mod_callcenter's ``<extension>@autocall``), with
a frozen clock, so every number is known exactly.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from redis.connection import AbstractConnection

from dialer.domain.agents import Agent, AgentState, AgentStatus, LiveUpdate
from dialer.domain.enums import CampaignStatus, CampaignType
from dialer.service import live
from tests import factories
from tests.api_fixtures import TOKEN
from tests.test_live import Dom, browse, chromium, shown  # noqa: F401 (chromium: a fixture)

NOW = datetime(2026, 11, 23, 7, 30, 5, tzinfo=UTC).timestamp()  # 14:30:05 in Ho Chi Minh City
NOW_MS = int(NOW * 1000)


def ago(seconds: float) -> datetime:
    return datetime.fromtimestamp(NOW, UTC) - timedelta(seconds=seconds)


def agent(store, extension: str, **fields: Any) -> Agent:
    new = Agent(extension=extension, **fields)
    store.agents.create(new, now_ms=NOW_MS - 3_600_000)
    return new


def heard(store, extension: str, **update: Any) -> None:
    """What the engine writes from a mod_callcenter event about the agent."""
    assert store.agents.write_live(f"{extension}@autocall", LiveUpdate(**update))


def autodialer(store, name: str, **fields: Any):
    return factories.campaign(store, campaign_name=name, type=CampaignType.AUTODIALER, **fields)


@pytest.fixture
def team(store, services):
    """Five agents: free, talking, put on break by mod_callcenter, logged out and never heard of,
    in wrap-up; two running autodialer campaigns, a stopped one and a running audio campaign."""
    services.clock = lambda: NOW
    lan = agent(store, "1001", name="Lan", groups=["sales"], status=AgentStatus.AVAILABLE)
    minh = agent(store, "1002", name="Minh", groups=["support"], status=AgentStatus.AVAILABLE)
    hoa = agent(store, "1003", name="Hoa", status=AgentStatus.AVAILABLE)
    quoc = agent(store, "1004", groups=["support"])
    tu = agent(store, "1005", name="Tú <i>", groups=["sales"], status=AgentStatus.AVAILABLE, wrap_up_time=10)
    heard(store, "1001", callcenter_status="Available", status_changed_at=ago(3600))
    heard(store, "1001", state=AgentState.WAITING, state_changed_at=ago(125), last_bridge_end=ago(125))
    heard(store, "1001", add_calls_answered=7, add_talk_time=754)
    heard(store, "1002", callcenter_status="Available", state=AgentState.IN_A_QUEUE_CALL, state_changed_at=ago(30))
    heard(store, "1002", add_calls_answered=3, add_talk_time=200, last_bridge_start=ago(30))
    # max_no_answer calls rang out: mod_callcenter put Hoa On Break itself
    heard(store, "1003", callcenter_status="On Break", status_changed_at=ago(600), no_answer_count=3)
    heard(store, "1003", state=AgentState.WAITING, state_changed_at=ago(4000))
    heard(store, "1005", callcenter_status="Available", state=AgentState.WAITING, state_changed_at=ago(4))
    heard(store, "1005", last_bridge_end=ago(4), add_calls_answered=1, add_talk_time=61)
    sales = autodialer(store, "Sales", users=["1001", hoa.agent_uuid.upper()], groups=["sales"])
    support = autodialer(store, "Support", groups=["support"])
    autodialer(store, "Stopped", users=["1002", "1001"], status=CampaignStatus.STOP)
    factories.campaign(store, campaign_name="Audio", users=["1001"], groups=["sales"])  # not autodialer
    return {"lan": lan, "minh": minh, "hoa": hoa, "quoc": quoc, "tu": tu, "sales": sales, "support": support}


def row(snap, a: Agent) -> dict[str, Any]:
    (found,) = [r for r in snap.model_dump(mode="json")["agents"] if r["agent_uuid"] == a.agent_uuid]
    return found


# -- the snapshot -------------------------------------------------------------------------------
def test_an_agent_is_shown_with_its_live_state_and_the_campaigns_it_serves(team, services):
    assert row(live.snapshot(services), team["lan"]) == {
        "agent_uuid": team["lan"].agent_uuid,
        "extension": "1001",
        "name": "Lan",
        "groups": ["sales"],
        "status": "Available",
        "requested_status": "Available",
        "status_since_ms": NOW_MS - 3_600_000,
        "state": "Waiting",
        "state_since_ms": NOW_MS - 125_000,
        "wrap_up_ends_ms": 0,  # its call ended 125 s ago, its wrap-up (10 s) is over
        "calls_answered": 7,
        "talk_time": 754,
        "no_answer_count": 0,
        "campaigns": [team["sales"].campaign_uuid],  # named twice (user, group), listed once
    }


def test_agents_are_listed_in_creation_order(team, services):
    agents = live.snapshot(services).agents
    assert [a.extension for a in agents] == ["1001", "1002", "1003", "1004", "1005"]


def test_an_agent_the_engine_never_heard_of_has_no_state_and_the_operators_status(team, services):
    quoc = row(live.snapshot(services), team["quoc"])
    assert (quoc["status"], quoc["requested_status"], quoc["state"]) == ("Logged Out", "Logged Out", None)
    assert (quoc["state_since_ms"], quoc["status_since_ms"], quoc["calls_answered"], quoc["talk_time"]) == (0, 0, 0, 0)


def test_the_status_is_mod_callcenters_when_it_put_the_agent_on_break_itself(team, services):
    hoa = row(live.snapshot(services), team["hoa"])
    assert (hoa["status"], hoa["requested_status"], hoa["no_answer_count"]) == ("On Break", "Available", 3)
    assert hoa["status_since_ms"] == NOW_MS - 600_000


def test_an_agent_serves_the_running_autodialer_campaigns_naming_it_by_extension_uuid_or_group(team, services):
    snap = live.snapshot(services)
    sales, support = team["sales"].campaign_uuid, team["support"].campaign_uuid
    served = {a.extension: a.campaigns for a in snap.agents}
    # 1003 by its uuid (in any case), 1004 by its group although logged out; the stopped campaign and
    # the audio one (which names no agents) are served by nobody
    assert served == {"1001": [sales], "1002": [support], "1003": [sales], "1004": [support], "1005": [sales]}


def test_a_waiting_agent_in_its_wrap_up_is_not_free_until_it_ends(team, services):
    tu = row(live.snapshot(services), team["tu"])
    assert (tu["state"], tu["wrap_up_ends_ms"]) == ("Waiting", NOW_MS + 6_000)
    services.clock = lambda: NOW + 6  # the wrap-up ends: mod_callcenter offers it calls again
    snap = live.snapshot(services)
    assert row(snap, team["tu"])["wrap_up_ends_ms"] == 0
    assert (snap.agent_totals.waiting, snap.agent_totals.wrap_up) == (2, 0)


def test_the_totals_count_agents_by_status_and_state(team, services):
    totals = live.snapshot(services).agent_totals.model_dump()
    assert totals == {
        "agents": 5,
        "logged_in": 4,  # all but 1004
        "available": 3,  # 1001, 1002, 1005: 1003 is On Break whatever the operator set
        "waiting": 1,  # 1001; 1003 is Waiting but on break, 1005 Waiting but in its wrap-up
        "wrap_up": 1,
        "in_a_call": 1,
        "on_break": 1,
    }


def test_a_deleted_agent_is_gone_from_the_view(team, store, services):
    store.agents.delete(team["tu"].agent_uuid)
    # a late mod_callcenter event about it writes nothing: it does not come back
    assert store.agents.write_live("1005@autocall", LiveUpdate(state=AgentState.WAITING)) is None
    snap = live.snapshot(services)
    assert [a.extension for a in snap.agents] == ["1001", "1002", "1003", "1004"] and snap.agent_totals.agents == 4


@pytest.fixture
def round_trips(monkeypatch):
    """Counts what the client sends: one write per command, or per pipeline."""
    sent: list[int] = []
    real = AbstractConnection.send_packed_command

    def counted(self, command, check_health=True):
        sent.append(1)
        return real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    return sent


def test_the_agents_cost_two_round_trips_whatever_their_number(team, store, services, round_trips):
    round_trips.clear()
    live.snapshot(services)
    five = len(round_trips)
    for i in range(40):
        agent(store, f"2{i:03d}", groups=["sales"], status=AgentStatus.AVAILABLE)
        heard(store, f"2{i:03d}", state=AgentState.WAITING, callcenter_status="Available")
    round_trips.clear()
    assert len(live.snapshot(services).agents) == 45
    # running set, campaigns, counts pipeline; agents' registry, their hashes: five whatever their numbers
    assert len(round_trips) == five == 5


def test_without_agents_the_snapshot_has_none_and_zero_totals(store, services):
    services.clock = lambda: NOW
    autodialer(store, "Sales", groups=["sales"])
    snap = live.snapshot(services)
    assert snap.agents == [] and set(snap.agent_totals.model_dump().values()) == {0}


# -- the page in a real browser -----------------------------------------------------------------
def test_the_page_shows_every_agent_and_the_totals(team, api, chromium, tmp_path):  # noqa: F811 (the fixture)
    snap = api("GET", "/v3/live").json
    html, _ = browse(chromium, f"http://127.0.0.1:{api.port}/live#token={TOKEN}", tmp_path)
    assert api("GET", "/v3/live").json == snap, "the data moved while the browser read it"
    dom = Dom(html)
    assert dom.text("state") == "live" and "hidden" not in dom.found["agents-card"]["attrs"]
    for name, value in snap["agent_totals"].items():
        shown(dom, f"agent-total-{name}", value)
    rows = re.findall(r'<tr[^>]*data-testid="agent-row"[^>]*data-uuid="([^"]+)"', html)
    assert rows == [a["agent_uuid"] for a in snap["agents"]]
    lan, minh, hoa, quoc, tu = (f"a-{team[k].agent_uuid}-" for k in ("lan", "minh", "hoa", "quoc", "tu"))
    seen = {
        lan: ("1001", "Lan", "sales", "Available", "Waiting", "for 2 min", "Sales"),
        minh: ("1002", "Minh", "support", "Available", "In a queue call", "for 30 s", "Support"),
        hoa: ("1003", "Hoa", "–", "On Break", "Waiting", "for 1 h 06 min", "Sales"),
        tu: ("1005", "Tú <i>", "sales", "Available", "Waiting", "for 4 s", "Sales"),
    }
    fields = ("extension", "name", "groups", "status", "state", "since", "campaigns")
    for p, texts in seen.items():
        assert tuple(dom.text(p + f) for f in fields) == texts, p
    assert dom.value(lan + "campaigns") == team["sales"].campaign_uuid
    shown(dom, lan + "calls_answered", 7)
    assert (dom.text(lan + "talk_time"), dom.value(lan + "talk_time")) == ("0:12:34", "754")
    assert dom.text(hoa + "requested") == "set to Available"  # mod_callcenter's break, not the operator's
    assert dom.text(tu + "wrap_up") == "wrap-up, 6 s left"
    assert (dom.text(quoc + "status"), dom.text(quoc + "state"), dom.text(quoc + "name")) == (
        "Logged Out",
        "no event yet",
        "–",
    )
    assert lan + "requested" not in dom.found and lan + "wrap_up" not in dom.found


def test_the_page_shows_no_agents_section_without_agents(store, services, api, chromium, tmp_path):  # noqa: F811 (the fixture)
    services.clock = lambda: NOW
    autodialer(store, "Sales", groups=["sales"])
    html, _ = browse(chromium, f"http://127.0.0.1:{api.port}/live#token={TOKEN}", tmp_path)
    dom = Dom(html)
    assert dom.text("state") == "live" and "hidden" in dom.found["agents-card"]["attrs"]
    assert "agent-row" not in dom.found and not [t for t in dom.found if t.startswith("a-")]
