"""Back-off (dialer/retry.py): Redis writes and subscriptions retry forever, FreeSWITCH reconnects until stopped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import redis
import redis.retry
import tenacity

from dialer.retry import reconnecting, redis_forever

ROOT = Path(__file__).resolve().parents[1]


def failing(times: int, exc: BaseException):
    calls = []

    def do():
        calls.append(1)
        if len(calls) <= times:
            raise exc
        return "done"

    return do, calls


def test_a_redis_call_is_retried_until_it_succeeds_waiting_first_then_doubling_to_the_cap(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(redis.retry, "sleep", waits.append)
    errors: list[Exception] = []
    do, calls = failing(9, redis.ConnectionError("down"))
    assert redis_forever(0.05, 5.0).call_with_retry(do, errors.append) == "done"
    assert waits == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 5.0, 5.0])
    assert len(errors) == 9 and len(calls) == 10


def test_each_redis_call_starts_its_back_off_afresh(monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(redis.retry, "sleep", waits.append)
    retry = redis_forever(0.1, 5.0)
    for _ in range(2):
        do, _calls = failing(2, redis.ResponseError("LOADING"))  # any Redis error, not only a dropped connection
        retry.call_with_retry(do, lambda exc: None)
    assert waits == pytest.approx([0.1, 0.2, 0.1, 0.2])


def test_an_error_that_is_not_redis_is_not_retried(monkeypatch):
    monkeypatch.setattr(redis.retry, "sleep", lambda s: pytest.fail("slept"))
    do, calls = failing(1, ValueError("a bug"))
    with pytest.raises(ValueError):
        redis_forever(0.05, 5.0).call_with_retry(do, lambda exc: None)
    assert len(calls) == 1


def test_under_the_autocall_command_the_redis_back_off_sleeps_in_the_gevent_hub():
    """redis-py's Retry sleeps with the time.sleep it imported: the hub's only if gevent patched first."""
    code = "import dialer.cli, gevent, redis.retry, time; assert redis.retry.sleep is time.sleep is gevent.sleep"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_a_reconnect_waits_first_doubling_to_the_cap_each_wait_spread_by_a_random_factor():
    waits: list[float] = []
    said: list[tuple[str, float]] = []
    do, calls = failing(10, ConnectionRefusedError("refused"))
    retrying = reconnecting(
        on=(OSError,),
        first=0.2,
        cap=30.0,
        spread=0.2,
        stop=lambda: False,
        before_sleep=lambda exc, wait: said.append((str(exc), wait)),
        sleep=waits.append,
    )
    assert retrying(do) == "done"
    nominal = [0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 30.0, 30.0]
    assert len(waits) == len(nominal) and len(calls) == 11
    for wait, expected in zip(waits, nominal, strict=True):
        assert 0.8 * expected <= wait <= 1.2 * expected
    assert len(set(waits[-2:])) == 2  # at the cap too: engines do not reconnect in step
    assert said == [("refused", w) for w in waits]  # told before each wait, with the wait


def test_a_reconnect_gives_up_once_told_to_stop_and_other_errors_are_not_retried():
    stopping = []
    do, calls = failing(10, OSError("unreachable"))
    retrying = reconnecting(
        on=(OSError,),
        first=0.2,
        cap=30.0,
        spread=0.2,
        stop=lambda: len(stopping) > 0,
        before_sleep=lambda exc, wait: stopping.append(1) if len(calls) == 3 else None,
        sleep=lambda s: None,
    )
    with pytest.raises(tenacity.RetryError):
        retrying(do)
    assert len(calls) == 4  # the failure after the stop was asked for is the last
    bug, _ = failing(1, KeyError("a bug"))
    with pytest.raises(KeyError):
        reconnecting(
            on=(OSError,),
            first=0.2,
            cap=30.0,
            spread=0.2,
            stop=lambda: False,
            before_sleep=lambda exc, wait: None,
            sleep=lambda s: None,
        )(bug)
