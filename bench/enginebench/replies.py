"""What the engine's ESL side saw while a phase ran: bgapi reply latencies, connections closed for
a timeout, keepalive probes and their failures, originates left unacknowledged.

``watch()`` wraps the engine's methods for one phase (its own small cost per originate, so it is not
on while CPU per call is measured) and returns the ``Tally``; ``unwatch()`` puts them back.
"""

from __future__ import annotations

import time
from array import array

from dialer.engine.dialing import Dialer
from dialer.esl.connection import ESLConnection
from dialer.esl.node import Node

TIMEOUT_WHYS = ("no reply to an originate", "command timed out", "silent for too long")


class Tally:
    """Reply latencies (s), connections closed for a timeout, originates left unacknowledged, probes."""

    def __init__(self) -> None:
        self.latencies = array("d")  # 8 bytes a reply: the RSS phase watches too
        self.timeouts = 0
        self.unacknowledged = 0
        self.probes = 0
        self.probe_failures = 0
        self.closes: dict[str, int] = {}  # why -> connections closed for it


TALLY = Tally()
_send_originates = Node.send_originates
_close = ESLConnection.close
_unacknowledged = Dialer._unacknowledged
_probe = Node._probe


def _timed_send(self: Node, commands: list[str]):
    results = _send_originates(self, commands)
    if results:
        sent = time.monotonic()

        def replied(result, sent=sent) -> None:
            if result.successful():
                TALLY.latencies.append(time.monotonic() - sent)

        for result in results:
            result.rawlink(replied)
    return results


def _counted_close(self: ESLConnection, why: str = "closed") -> None:
    if self.connected:
        TALLY.closes[why] = TALLY.closes.get(why, 0) + 1
        if why in TIMEOUT_WHYS or why.startswith("write failed"):
            TALLY.timeouts += 1
    _close(self, why)


def _counted_probe(self: Node, conn: ESLConnection) -> None:
    TALLY.probes += 1
    try:
        conn.send("api version")  # what Node._probe sends
    except Exception as exc:  # the node's own _probe logs NotConnectedError; a bench counts every failure
        TALLY.probe_failures += 1
        print(f"  keepalive probe failed: {exc!r}", flush=True)


def _counted_unacknowledged(self: Dialer, atts, why: str) -> None:
    TALLY.unacknowledged += len(atts)
    _unacknowledged(self, atts, why)


def watch() -> Tally:
    global TALLY
    TALLY = Tally()
    Node.send_originates = _timed_send  # type: ignore[method-assign]
    ESLConnection.close = _counted_close  # type: ignore[method-assign]
    Dialer._unacknowledged = _counted_unacknowledged  # type: ignore[method-assign]
    Node._probe = _counted_probe  # type: ignore[method-assign]
    return TALLY


def unwatch() -> None:
    Node.send_originates = _send_originates  # type: ignore[method-assign]
    ESLConnection.close = _close  # type: ignore[method-assign]
    Dialer._unacknowledged = _unacknowledged  # type: ignore[method-assign]
    Node._probe = _probe  # type: ignore[method-assign]
