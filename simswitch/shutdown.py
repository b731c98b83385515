"""FreeSWITCH shutting down, as 1.10.12 does it on a real socket (esl-captures batch2).

``fsctl shutdown`` and SIGTERM (they are the same, switch.c maps SIGTERM to a
plain shutdown) run this sequence, timed from the trigger
(:class:`Timings`, measured in the captures):

1. ``stop``: the main loop notices (it polls once a second): a ``SHUTDOWN``
   event, every channel hung up ``SYSTEM_SHUTDOWN`` (answered legs send a
   BYE, ringing ones a CANCEL, so their originates fail ``-ERR
   SYSTEM_SHUTDOWN``), and no outbound session can be created any more: an
   originate gets ``-ERR DESTINATION_OUT_OF_ORDER`` with no channel.
2. ``wait``: modules unload (``MODULE_UNLOAD`` events); mod_sofia's endpoint
   is busy unloading, so an originate waits for it...
3. ``sofia``: ...and when it is gone, every waiting and later originate gets
   ``-ERR CHAN_NOT_IMPLEMENTED`` at once.
4. ``close``: ``text/disconnect-notice`` "The system is being shut down.",
   the socket closes, the port refuses connections. HEARTBEATs keep coming
   until then. ``restart_after`` brings a new FreeSWITCH up that much later
   (systemd's restart): a new Core-UUID, the configured limits, no channels.

``fsctl shutdown asap`` first fires ``SHUTDOWN_REQUESTED`` (``ASAP``) and
refuses every new session (``DESTINATION_OUT_OF_ORDER``) while the calls up
finish; ``elegant`` (also SIGTERM with ``-elegant-term``) fires it too but
keeps accepting calls. Either runs the sequence above once no session is
left, unless ``fsctl shutdown cancel`` came first (no event says so:
``fsctl shutdown_check`` turns ``false``). The api that asked for a drain
answers only when it ends.

A ``scale`` shrinks every delay for tests; the order is the captured one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent
import gevent.event

if TYPE_CHECKING:
    from simswitch.server import SimServer

log = logging.getLogger("autocall.simswitch")

SHUTDOWN_NOTICE = b"The system is being shut down.\n"
DRAIN_POLL_S = 0.5  # switch_core_session_ctl waits for the sessions in 500 ms steps


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds from the trigger to each step (batch2 README, "Milestones")."""

    stop: float  # SHUTDOWN, channels hung up, outbound sessions refused
    wait: float  # originates start waiting for mod_sofia's endpoint
    sofia: float  # mod_sofia unloaded: CHAN_NOT_IMPLEMENTED from now on
    close: float  # disconnect notice and EOF; connections refused

    def scaled(self, factor: float) -> Timings:
        return Timings(self.stop * factor, self.wait * factor, self.sofia * factor, self.close * factor)


# fsctl: SHUTDOWN +0.470, an originate sent +0.511 waited, sofia +1.936, close +3.118.
FSCTL = Timings(stop=0.470, wait=0.505, sofia=1.936, close=3.118)
# SIGTERM: SHUTDOWN +0.038, +0.31 still refused at once, +0.56 waited, sofia +1.522, close +2.787.
SIGTERM = Timings(stop=0.038, wait=0.5, sofia=1.522, close=2.787)
# After a drain (asap/elegant): SHUTDOWN ~0.5-0.7 s after the last hangup, close ~0.8-1.0 s later.
AFTER_DRAIN = Timings(stop=0.47, wait=0.5, sofia=0.5, close=1.2)


class Shutdown:
    """One shutdown of a simulated FreeSWITCH; ``server`` is needed to close its sockets."""

    def __init__(
        self,
        server: SimServer,
        timings: Timings = FSCTL,
        *,
        scale: float = 1.0,
        restart_after: float | None = None,
        manual: bool = False,
    ) -> None:
        self.server = server
        self.manual = manual  # no timer: the caller runs each step with advance()
        self._pending: list[tuple[float, Callable[[], None]]] = []
        self.switch = server.switch
        self.timings = timings.scaled(scale)
        self.scale = scale
        self.restart_after = restart_after
        self.done = gevent.event.Event()  # the socket is closed
        self.drained = gevent.event.Event()  # a drain ended (cancelled, or the plain sequence began)
        self._greenlet: gevent.Greenlet | None = None

    # -- entry points -------------------------------------------------------------
    @staticmethod
    def request(server: SimServer, mode: str, on_drained: Callable[[], None] | None = None) -> Shutdown | None:
        """``fsctl shutdown [asap|elegant|cancel]`` (or a signal) on ``server``: its
        ``shutdown_scale`` and ``restart_after`` say how fast, and whether it comes back."""
        if mode == "cancel":
            server.switch.shutdown_requested = False
            return None
        timings = SIGTERM if mode == "sigterm" else FSCTL
        shutdown = Shutdown(server, timings, scale=server.shutdown_scale, restart_after=server.restart_after)
        if mode in ("asap", "elegant"):
            return shutdown.drain(asap=mode == "asap", on_drained=on_drained)
        return shutdown.start()

    def start(self) -> Shutdown:
        """The plain sequence, from the trigger on."""
        if self.manual:
            self._run()
        else:
            self._greenlet = gevent.spawn(self._run)
        return self

    def drain(self, *, asap: bool, on_drained: Callable[[], None] | None = None) -> Shutdown:
        """asap / elegant: wait for the sessions to end, then the plain sequence."""
        sw = self.switch
        sw.shutdown_requested = True
        if asap:
            sw.no_new_sessions = True
        sw.emit_core("SHUTDOWN_REQUESTED", info="ASAP" if asap else "elegant")

        def wait() -> None:
            while sw.shutdown_requested and sw.channels:
                gevent.sleep(DRAIN_POLL_S * self.scale)
            if on_drained is not None:
                on_drained()
            if not sw.shutdown_requested:
                log.info("simswitch: Shutdown Cancelled")
                sw.no_new_sessions = False
                self.drained.set()
                return
            sw.no_new_sessions = True  # the core takes no session from here on (ready_check false)
            self.timings = AFTER_DRAIN.scaled(self.scale)
            self.drained.set()
            self._run()

        self._greenlet = gevent.spawn(wait)
        return self

    # -- the sequence -----------------------------------------------------------------
    def steps(self) -> list[tuple[float, Callable[[], None]]]:
        """The plain sequence: (seconds after the trigger, step)."""
        t = self.timings
        return [(t.stop, self.stop), (t.wait, self.wait), (t.sofia, self.sofia_gone), (t.close, self.close)]

    def advance(self) -> None:
        """Run the next step now (tests step through the sequence; ``manual`` shutdowns only)."""
        self._pending.pop(0)[1]()

    def _run(self) -> None:
        start = time.monotonic()
        self._pending = self.steps()
        if self.manual:
            return
        while self._pending:
            when = self._pending[0][0]
            gevent.sleep(max(0.0, start + when - time.monotonic()))
            self.advance()

    def stop(self) -> None:
        sw = self.switch
        sw.stopping = True  # SCF_SHUTTING_DOWN; SCF_SHUTDOWN_REQUESTED stays as it was (shutdown_check)
        sw.emit_core("SHUTDOWN")
        for ch in list(sw.channels.values()):
            sw.hangup(ch, "SYSTEM_SHUTDOWN", "kill")

    def wait(self) -> None:
        self.switch.endpoints_waiting = []
        self.switch.emit_module_unloads(first=True)

    def sofia_gone(self) -> None:
        sw = self.switch
        waiting, sw.endpoints_waiting = sw.endpoints_waiting or [], None
        sw.unload_sofia()
        sw.emit_module_unloads(first=False)
        for start_job in waiting:
            start_job()

    def close(self) -> None:
        sw, server = self.switch, self.server
        server.refusing = True
        server.heartbeats_paused = True
        if sw.json_cdr is not None:
            sw.json_cdr.unload()  # queued CDRs are dropped; one being posted runs to its end
        for listener in list(server.listeners):
            listener.disconnect(SHUTDOWN_NOTICE)
        log.info("simswitch: shut down (core %s)", sw.core_uuid)
        self.done.set()
        if self.restart_after is not None:
            gevent.spawn_later(self.restart_after, self._come_back)

    def _come_back(self) -> None:
        self.switch.reincarnate()
        self.server.heartbeats_paused = False
        self.server.refusing = False
        log.info("simswitch: started again (core %s)", self.switch.core_uuid)
