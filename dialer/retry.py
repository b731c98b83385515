"""Back-off, from libraries: redis-py's ``Retry`` where Redis is retried, tenacity where FreeSWITCH is.

* Redis (the engine's writer, its subscription to campaign changes): a
  result is never dropped, so these retry forever, on any Redis error,
  waiting ``first`` seconds and doubling up to ``cap``. redis-py's own
  ``Retry(ExponentialBackoff())`` does exactly that; it sleeps with
  ``time.sleep``, which is the hub's ``gevent.sleep`` because ``autocall``
  patches before redis is imported (dialer/cli.py; tests/test_retry.py
  checks it), as every socket redis-py opens already relies on.
* FreeSWITCH (a node's reconnects, dialer/esl/reconnects.py): reconnects retry
  until connected or the node stops, waiting ``first`` doubling to ``cap``,
  each wait scaled by a random factor so that many engines do not reconnect
  in step after a FreeSWITCH restart. tenacity takes its sleep as an
  argument (``gevent.sleep``), so it needs no patching, and tests can
  record the waits.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import gevent
import redis
import tenacity
from redis.backoff import ExponentialBackoff
from redis.retry import Retry


def redis_forever(first: float, cap: float) -> Retry:
    """Retry a Redis call until it succeeds: waits ``first``, ``2 * first``, … up to ``cap``.
    Use ``.call_with_retry(do, on_error)``; ``on_error(exc)`` runs before each wait."""
    # ExponentialBackoff waits base * 2 ** failures, failures counting from 1.
    return Retry(ExponentialBackoff(cap=cap, base=first / 2), -1, (redis.RedisError,))


class wait_scaled(tenacity.wait.wait_base):
    """Another wait strategy's wait, multiplied by a random factor in ``[1 - spread, 1 + spread]``
    (tenacity's own jitter is added, and clipped to the cap: at the cap every client would wait the same)."""

    def __init__(self, inner: tenacity.wait.wait_base, spread: float) -> None:
        self.inner = inner
        self.spread = spread

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        return self.inner(retry_state) * random.uniform(1 - self.spread, 1 + self.spread)


def reconnecting(
    *,
    on: tuple[type[BaseException], ...],
    first: float,
    cap: float,
    spread: float,
    stop: Callable[[], bool],
    before_sleep: Callable[[BaseException, float], None],
    sleep: Callable[[float], Any] = gevent.sleep,
) -> tenacity.Retrying:
    """Call a connect function until it returns, retrying on the exceptions ``on``: waits ``first``
    doubling to ``cap``, each scaled by ``1 ± spread``. ``before_sleep(exc, wait)`` runs before each
    wait; once ``stop()`` is true after a failure, ``tenacity.RetryError`` is raised instead."""

    def log(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        wait = state.next_action.sleep if state.next_action is not None else 0.0
        if exc is not None:
            before_sleep(exc, wait)

    return tenacity.Retrying(
        sleep=sleep,
        retry=tenacity.retry_if_exception_type(on),
        wait=wait_scaled(tenacity.wait_exponential(multiplier=first, max=cap), spread),
        stop=lambda _state: stop(),
        before_sleep=log,
    )
