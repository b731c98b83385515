"""An autodialer campaign's per-minute call stats (dialer/store/call_stats.py): written by finish.lua
with each result, read back for the pacer on an injected clock, bounded to a day."""

from __future__ import annotations

import pytest

from dialer.domain.agents import Agent
from dialer.domain.enums import CampaignType
from dialer.pacing.call_stats import CallStats
from dialer.store.call_stats import DAY_MINUTES, MinuteStats
from tests.autodialer_calls import T0, attempt, autodialer, finish, hangup

MINUTE = T0 // 60


@pytest.fixture
def campaign(store):
    store.agents.create(Agent(extension="1001", wrap_up_time=15), T0 * 1000)
    return autodialer(store)


def finish_all(store, camp, kinds, start=T0):
    for i, kind in enumerate(kinds):
        finish(store, attempt(store, camp, hangup(kind, start + i), start + i))


def test_each_outcome_adds_to_the_minute_it_ended_in(store, campaign):
    finish_all(store, campaign, ["bridged", "timeout", "beep", "busy"])  # T0 is 20 s into MINUTE
    rows = store.call_stats.read(campaign.campaign_uuid, (T0 + 120) * 1000).rows
    # timeout ends at T0 + 13, beep at T0 + 6, busy at T0 + 4; the bridged call at T0 + 66
    assert rows == [MinuteStats(MINUTE, 3, 0, 1, 1, 2, 4.0), MinuteStats(MINUTE + 1, 1, 1, 0, 0, 1, 2.0, 1, 60.0, 15.0)]


def test_the_pacing_model_reads_the_figures_back(store, campaign):
    finish_all(store, campaign, ["bridged", "timeout", "beep", "busy"])
    now = T0 + 120
    saved = store.call_stats.read(campaign.campaign_uuid, now * 1000).saved()
    got = CallStats.from_dict(saved, lambda: now).figures()
    assert (got.attempts, got.humans, got.answer_rate, got.abandoned_24h, got.abandon_rate) == (4, 2, 0.5, 1, 0.5)
    assert (got.handle_s, got.mean_ring_s) == (75.0, 2.0)  # 60 s talk + the agent's 15 s wrap-up


def test_an_agent_that_is_gone_adds_no_wrap_up(store, campaign):
    finish(store, attempt(store, campaign, hangup("bridged", agent="2002")))
    (row,) = store.call_stats.read(campaign.campaign_uuid, (T0 + 120) * 1000).rows
    assert (row.handled, row.wrap_s) == (1, 0.0)


def test_minutes_older_than_a_day_are_not_read(store, campaign):
    finish_all(store, campaign, ["timeout"])
    ended = (T0 + 2 + 10) * 1000
    (row,) = store.call_stats.read(campaign.campaign_uuid, ended + (DAY_MINUTES - 1) * 60_000).rows
    assert row.abandoned == 1
    assert store.call_stats.read(campaign.campaign_uuid, ended + DAY_MINUTES * 60_000).rows == []


def test_a_minute_expires_a_day_after_it(store, campaign, redis_client):
    finish_all(store, campaign, ["bridged"])
    (row,) = store.call_stats.read(campaign.campaign_uuid, (T0 + 120) * 1000).rows
    ttl = redis_client.pttl(store.keys.call_stats(campaign.campaign_uuid, row.minute))
    written = (T0 + 66) * 1000 + 100  # finish.lua's now: the attempt's end + 100 ms (tests/autodialer_calls.py)
    assert ttl == pytest.approx((row.minute + DAY_MINUTES + 1) * 60_000 - written, abs=1000)


def test_the_rows_are_the_pacing_models_saved_buckets(store, campaign):
    finish_all(store, campaign, ["bridged", "timeout"])
    now = T0 + 120
    saved = store.call_stats.read(campaign.campaign_uuid, now * 1000).saved()
    abandoned, bridged = [MINUTE, 1, 0, 1, 0, 1, 2.0, 0, 0.0, 0.0], [MINUTE + 1, 1, 1, 0, 0, 1, 2.0, 1, 60.0, 15.0]
    assert saved == {"version": 1, "bucket_s": 60, "buckets": [abandoned, bridged]}
    assert CallStats.from_dict(saved, lambda: now).to_dict() == saved


def test_a_call_the_engine_cancelled_while_ringing_is_not_counted(store, campaign):
    att = attempt(store, campaign, {"Hangup-Cause": "ORIGINATOR_CANCEL", "variable_duration": "3"})
    att.cancelled = True
    finish(store, att)
    assert store.call_stats.read(campaign.campaign_uuid, (T0 + 120) * 1000).rows == []


def test_other_campaign_types_keep_no_call_stats(store):
    camp = autodialer(store, type=CampaignType.AUTOCALL)
    finish(store, attempt(store, camp, hangup("bridged")))
    assert store.call_stats.read(camp.campaign_uuid, (T0 + 120) * 1000).rows == []
