"""Reconnecting to one FreeSWITCH node: tries with back-off until connected, and what the failed
tries say about the node.

Back-off from 0.2 s doubling to 30 s, each wait ±20 % so that engines do not reconnect in step
after a FreeSWITCH restart (tenacity, dialer/retry.py ``reconnecting``). A connect *refused* is the
host saying nothing listens on the port: FreeSWITCH's process is gone, and after refusals in a row
for long enough the engine settles the node's calls at once (engine/recovery.py ``refused_for``).
A timeout, no route or a silent peer says nothing of the kind: a hung or cut-off FreeSWITCH may
still have calls up.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import tenacity

from dialer.esl.connection import ESLConnection, NotConnectedError
from dialer.retry import reconnecting

log = logging.getLogger("autocall.esl")

RECONNECT_FIRST_S, RECONNECT_CAP_S, RECONNECT_SPREAD = 0.2, 30.0, 0.2


class Reconnects:
    """The tries to (re)connect to the node ``name``, and the refusals among them."""

    def __init__(self, name: str, stopping: Callable[[], bool]) -> None:
        self.name = name
        self.stopping = stopping  # true once the node stops: no more tries
        # The first and the last of the connects refused in a row since the last connection (monotonic; 0: none).
        self.refused_since = self.refused_last = 0.0

    def connect(self, attempt: Callable[[], ESLConnection]) -> ESLConnection | None:
        """``attempt()``'s connection, after as many tries as it takes; None once the node is stopping."""
        retrying = reconnecting(
            on=(NotConnectedError, OSError),
            first=RECONNECT_FIRST_S,
            cap=RECONNECT_CAP_S,
            spread=RECONNECT_SPREAD,
            stop=self.stopping,
            before_sleep=self._unreachable,
        )
        try:
            conn = retrying(attempt)
        except tenacity.RetryError:
            return None
        self.refused_since = self.refused_last = 0.0
        return conn

    def _unreachable(self, exc: BaseException, wait: float) -> None:
        if isinstance(exc.__cause__, ConnectionRefusedError):
            self.refused_last = time.monotonic()
            self.refused_since = self.refused_since or self.refused_last
        else:  # a timeout, no route, a silent peer: a hung or cut-off FreeSWITCH may still have calls up
            self.refused_since = self.refused_last = 0.0
        log.warning(
            "freeswitch unreachable; retrying",
            extra={"node": self.name, "error": str(exc), "retry_in": round(wait, 2)},
        )

    def refused_for(self) -> float:
        """Seconds between the first and the last of the connects refused in a row (0: none)."""
        return self.refused_last - self.refused_since
