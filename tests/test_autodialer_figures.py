"""The call figures an autodialer campaign is paced by (dialer/engine/agent_pacing.py, CampaignFigures): the
day finish.lua wrote to Redis, read once when this engine starts pacing the campaign, then kept up to date from
the results this engine records. Real Redis; an injected clock."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from dialer.engine.agent_pacing import CampaignFigures

CAMPAIGN = "7f6b0a52-1d8e-4c1e-9d53-5f0e8f1a2b3c"
NOW = 1_796_310_000.0


@pytest.fixture
def day(store, redis_client):
    """An hour ago: 10 attempts, 4 connected (400 s talk, 40 s wrap-up), 1 abandoned, 5 answered in 5 s."""
    minute = int(NOW // 60) - 60
    counters = {"attempts": 10, "connected": 4, "abandoned": 1, "ring_n": 5, "ring_ms": 5000}
    counters |= {"handled": 4, "talk_s": 400, "wrap_s": 40}
    redis_client.hset(store.keys.call_stats(CAMPAIGN, minute), mapping=counters)


def finish(**sample) -> SimpleNamespace:
    """What the figures read of a Finish: its campaign, its sample, the agent whose wrap-up counts."""
    agent = "1001" if sample.get("handled") else ""
    return SimpleNamespace(campaign_uuid=CAMPAIGN, call_stats=sample, wrap_agent=agent)


def test_the_days_figures_are_read_from_redis_when_the_campaign_is_first_paced(store, day):
    figures = CampaignFigures(store, wrap_up_of=lambda ext: 10, clock=lambda: NOW).of(CAMPAIGN).figures()
    assert (figures.attempts, figures.humans, figures.handled) == (10, 5, 4)
    assert (figures.abandon_rate, figures.mean_ring_s, figures.mean_talk_s, figures.mean_wrap_s) == (0.2, 1, 100, 10)


def test_this_engines_results_keep_them_up_to_date_without_reading_redis_again(store, redis_client, day):
    figures = CampaignFigures(store, wrap_up_of=lambda ext: 20, clock=lambda: NOW)
    figures.of(CAMPAIGN)
    redis_client.flushall()  # read once: from now on only what this engine records counts
    figures.record(finish(attempts=1, connected=1, ring_n=1, ring_ms=3000, handled=1, talk_s=100))
    figures.record(finish(attempts=1, abandoned=1, ring_n=1, ring_ms=2000))
    figures.record(finish(attempts=1))  # not answered
    seen = figures.of(CAMPAIGN).figures()
    assert (seen.attempts, seen.humans, seen.abandoned_24h, seen.handled) == (13, 7, 2, 5)
    assert seen.mean_wrap_s == (40 + 20) / 5  # the agent's wrap_up_time, as finish.lua adds it in Redis


def test_a_result_before_the_day_is_read_is_left_to_the_read(store, day):
    figures = CampaignFigures(store, wrap_up_of=lambda ext: 10, clock=lambda: NOW)
    figures.record(finish(attempts=1, abandoned=1, ring_n=1, ring_ms=2000))  # Redis will have it
    assert figures.of(CAMPAIGN).figures().attempts == 10


def test_a_campaign_paced_again_reads_the_day_again(store, redis_client, day):
    figures = CampaignFigures(store, wrap_up_of=lambda ext: 10, clock=lambda: NOW)
    figures.of(CAMPAIGN)
    figures.forget(CAMPAIGN)  # its pacer stopped, or another engine took it over
    redis_client.flushall()
    assert figures.of(CAMPAIGN).figures().attempts == 0
