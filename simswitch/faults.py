"""Faults the simulator can inject, for the crash-safety tests.

What a dialer meets in production, on purpose and at a chosen moment:

* ``drop``: every Event Socket connection is cut (the TCP peer vanishes);
  calls go on, as they do when only the socket breaks.
* ``stall``: FreeSWITCH stops answering: nothing is read or written on the
  existing connections for a while (events and replies are held, then
  delivered). A dialer must notice with its command timeout.
* ``garbage``: bytes that are not ESL arrive (a corrupt or foreign peer).
* ``cut_before_reply`` (server attribute): the next bgapi is run but the
  connection breaks before its reply: the client cannot know whether it ran.
* ``restart``: FreeSWITCH dies and comes back: connections are cut, every
  channel vanishes without a single event (a crash sends none), new
  connections are refused for ``down_s``, then it listens again with a new
  Core-UUID.
* ``shutdown``: FreeSWITCH shuts down the way a real one does
  (``fsctl shutdown``, SIGTERM, ``asap``, ``elegant``: shutdown.py), and
  comes back with a new Core-UUID after a while, or stays down.

A :class:`FaultPlan` fires faults at seeded moments counted in originates
(``after the 137th originate``), so a failing run is replayed exactly.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import gevent

from simswitch.shutdown import Shutdown

if TYPE_CHECKING:
    from simswitch.server import SimServer

log = logging.getLogger("autocall.simswitch")

KINDS = ("drop", "stall", "garbage", "restart", "shutdown")
GARBAGE = b"Content-Type: text/event-json\nContent-Length: x7\n\n\x00\xff{not esl at all\n\n"


def drop(server: SimServer) -> None:
    """Cut every connection now (no disconnect notice)."""
    for listener in list(server.listeners):
        listener.abort()


def stall(server: SimServer, seconds: float) -> None:
    """Hold every connection's reads and writes for ``seconds``."""
    for listener in list(server.listeners):
        listener.stall(seconds)


def garbage(server: SimServer, data: bytes = GARBAGE) -> None:
    """Write bytes that are not ESL on every connection."""
    for listener in list(server.listeners):
        listener.inject(data)


def restart(server: SimServer, down_s: float = 0.5) -> None:
    """FreeSWITCH crashes and starts again ``down_s`` later: no channel survives."""
    switch = server.switch
    server.refusing = True
    drop(server)
    switch.reincarnate()  # the channels vanish without an event, a new Core-UUID

    def back() -> None:
        server.refusing = False
        log.info("simswitch restarted (core %s)", switch.core_uuid)

    gevent.spawn_later(down_s, back)


def shutdown(
    server: SimServer,
    mode: str = "sigterm",
    *,
    scale: float = 1.0,
    restart_after: float | None = None,
    on_drained: Callable[[], None] | None = None,
) -> Shutdown | None:
    """FreeSWITCH shuts down as a real one does (shutdown.py): ``mode`` is ``fsctl``,
    ``sigterm``, ``asap`` or ``elegant``; it comes back ``restart_after`` seconds after
    its socket closed (None: it stays down)."""
    server.shutdown_scale = scale
    server.restart_after = restart_after
    return Shutdown.request(server, {"fsctl": "plain"}.get(mode, mode), on_drained)


@dataclass(slots=True)
class Fault:
    at_originate: int  # fires when the simulator receives this originate (1-based)
    kind: str
    seconds: float = 0.5  # stall length, or restart downtime


@dataclass
class FaultPlan:
    """Faults at seeded originate counts; :meth:`attach` arms them on a server."""

    faults: list[Fault]
    fired: list[Fault] = field(default_factory=list)

    @classmethod
    def seeded(
        cls, seed: int, kinds: tuple[str, ...], count: int, span: tuple[int, int], seconds: float = 0.5
    ) -> FaultPlan:
        rng = random.Random(seed)
        moments = sorted(rng.sample(range(*span), count))
        return cls([Fault(m, rng.choice(kinds), seconds) for m in moments])

    def attach(self, server: SimServer) -> None:
        pending = sorted(self.faults, key=lambda f: f.at_originate)

        def on_originate(n: int) -> None:
            while pending and pending[0].at_originate <= n:
                fault = pending.pop(0)
                self.fired.append(fault)
                log.warning("simswitch fault: %s at originate %d", fault.kind, n)
                # After the current command is handled: the originate itself is accepted.
                gevent.spawn(FIRE[fault.kind], server, fault.seconds)

        server.switch.on_originate.append(on_originate)


FIRE: dict[str, Callable[[SimServer, float], object]] = {  # what a fault returns is not used
    "drop": lambda server, s: drop(server),
    "stall": stall,
    "garbage": lambda server, s: garbage(server),
    "restart": restart,
    # a systemctl restart: SIGTERM's sequence, back ``s`` seconds after the socket closed
    "shutdown": lambda server, s: shutdown(server, "sigterm", restart_after=s),
}
