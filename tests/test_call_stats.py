"""dialer/pacing/call_stats.py: an autodialer campaign's rolling call figures, on an injected clock."""

from __future__ import annotations

import json

import pytest

from dialer.pacing.call_stats import DAY_BUCKETS, CallStats, Outcome

T0 = 1_700_000_000.0 - 1_700_000_000.0 % 60  # the start of a minute


class Clock:
    def __init__(self, t: float = T0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def attempts(stats: CallStats, n: int, outcome: Outcome, ring_s: float | None = None) -> None:
    for _ in range(n):
        stats.attempt(outcome, ring_s)


def test_the_abandon_rate_is_abandoned_over_answered_humans_machines_left_out():
    stats = CallStats(Clock())
    attempts(stats, 97, Outcome.CONNECTED, 8.0)
    attempts(stats, 3, Outcome.ABANDONED, 8.0)
    attempts(stats, 50, Outcome.VOICEMAIL, 8.0)
    attempts(stats, 250, Outcome.UNANSWERED)
    fig = stats.figures()
    assert (fig.humans_24h, fig.abandoned_24h) == (100, 3)
    assert fig.abandon_rate == pytest.approx(0.03)


def test_an_abandoned_call_counts_for_24_hours_then_no_more():
    clock = Clock()
    stats = CallStats(clock)
    stats.attempt(Outcome.ABANDONED, 5.0)
    clock.t = T0 + 60  # a minute later: the rest of the day's calls
    attempts(stats, 9, Outcome.CONNECTED, 5.0)
    clock.t = T0 + 24 * 3600 - 1  # the abandon's minute is still inside the last 24 h
    assert stats.figures().abandoned_24h == 1
    clock.t = T0 + 24 * 3600
    fig = stats.figures()
    assert (fig.abandoned_24h, fig.humans_24h, fig.abandon_rate) == (0, 9, 0.0)


def test_the_answer_rate_reads_the_last_15_minutes_when_they_hold_200_attempts():
    clock = Clock()
    stats = CallStats(clock)
    attempts(stats, 300, Outcome.CONNECTED, 5.0)  # an hour ago every call was answered
    clock.t = T0 + 3600
    for minute in range(15):
        clock.t = T0 + 3600 + minute * 60
        attempts(stats, 3, Outcome.CONNECTED, 10.0)
        attempts(stats, 12, Outcome.UNANSWERED)
    fig = stats.figures()
    assert fig.attempts == 225
    assert fig.answer_rate == pytest.approx(0.2)
    assert fig.mean_ring_s == pytest.approx(10.0)
    assert fig.window_s == 15 * 60


def test_a_quiet_campaigns_answer_rate_reaches_back_until_200_attempts():
    clock = Clock()
    stats = CallStats(clock)
    attempts(stats, 190, Outcome.UNANSWERED)  # 40 minutes ago
    attempts(stats, 10, Outcome.CONNECTED, 4.0)
    clock.t = T0 + 20 * 60
    attempts(stats, 100, Outcome.UNANSWERED)  # 20 minutes ago: reached, but too few with the recent ones
    clock.t = T0 + 40 * 60
    attempts(stats, 50, Outcome.CONNECTED, 4.0)  # the last 15 minutes hold 50 attempts only
    fig = stats.figures()
    assert fig.attempts == 150 + 200  # back to the minute that made it 200 or more
    assert fig.answer_rate == pytest.approx(60 / 350)
    assert fig.window_s == 41 * 60


def test_handle_times_read_talk_and_wrap_up_of_the_last_handled_calls():
    clock = Clock()
    stats = CallStats(clock)
    for _ in range(50):
        stats.handled(300.0, 30.0)  # an hour ago
    clock.t = T0 + 3600
    for talk in (80.0, 100.0) * 25:
        stats.handled(talk, 10.0)
    fig = stats.figures()
    assert fig.handled == 50
    assert (fig.mean_talk_s, fig.mean_wrap_s, fig.handle_s) == pytest.approx((90.0, 10.0, 100.0))


def test_memory_is_bounded_by_a_day_of_minutes_whatever_the_length_of_the_run():
    clock = Clock()
    stats = CallStats(clock)
    for minute in range(3 * DAY_BUCKETS):
        clock.t = T0 + minute * 60
        stats.attempt(Outcome.CONNECTED, 5.0)
    assert len(stats.to_dict()["buckets"]) == DAY_BUCKETS
    assert stats.figures().humans_24h == DAY_BUCKETS


def test_a_clock_stepped_back_records_into_the_newest_minute():
    clock = Clock(T0 + 600)
    stats = CallStats(clock)
    stats.attempt(Outcome.ABANDONED, 5.0)
    clock.t = T0  # NTP stepped the wall clock back ten minutes
    stats.attempt(Outcome.CONNECTED, 5.0)
    assert [b[0] for b in stats.to_dict()["buckets"]] == [int((T0 + 600) // 60)]
    assert stats.figures().humans_24h == 2


def test_figures_survive_a_round_trip_through_json():
    clock = Clock()
    stats = CallStats(clock)
    for minute in range(30):
        clock.t = T0 + minute * 60
        attempts(stats, 7, Outcome.UNANSWERED)
        attempts(stats, 2, Outcome.CONNECTED, 9.5)
        stats.attempt(Outcome.VOICEMAIL, 12.0)
        stats.attempt(Outcome.ABANDONED, 3.0)
        stats.handled(95.5, 10.0)
    saved = json.loads(json.dumps(stats.to_dict()))
    again = CallStats.from_dict(saved, clock)
    assert again.figures() == stats.figures()
    assert again.to_dict() == stats.to_dict()


def test_loading_drops_what_is_older_than_24_hours_by_the_clock_of_the_loader():
    clock = Clock()
    stats = CallStats(clock)
    stats.attempt(Outcome.ABANDONED, 5.0)
    later = Clock(T0 + 25 * 3600)  # the engine restarted a day later
    assert CallStats.from_dict(stats.to_dict(), later).figures().abandoned_24h == 0


@pytest.mark.parametrize(
    "saved",
    [
        {"version": 2, "bucket_s": 60, "buckets": []},
        {"version": 1, "bucket_s": 30, "buckets": []},
        {"version": 1, "bucket_s": 60, "buckets": [[1, -1, 0, 0, 0, 0, 0.0, 0, 0.0, 0.0]]},
        {"version": 1, "bucket_s": 60, "buckets": [[1, 1, 0, 0, 0, 0, 0.0, 0, 0.0]]},
        {"version": 1, "bucket_s": 60, "buckets": [[1, 1, 0, 0, 0, 0, 0, 0, 0, 0]] * 2},
        "not a dict",
    ],
)
def test_malformed_saved_figures_are_refused(saved):
    with pytest.raises(ValueError):
        CallStats.from_dict(saved, Clock())
