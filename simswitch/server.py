"""The simulator's TCP side: accept ESL clients, heartbeat, stats file."""

from __future__ import annotations

import gc
import json
import logging
import os
import tempfile
from collections import deque
from pathlib import Path

import gevent
from gevent.server import StreamServer

from simswitch.commands import Api
from simswitch.listener import Listener
from simswitch.switch import Switch

log = logging.getLogger("autocall.simswitch")


def dedicate_process() -> None:
    """Tune the garbage collector for a process that runs only the simulator (``autocall simswitch``).

    What is loaded by now (the templates compiled per format, the dialplan, the code) lives as
    long as the process: frozen, no collection walks it again. Calls in flight are tens of
    thousands of small containers that live a few seconds; collecting the youngest generation
    every 10,000 allocations instead of every 700 keeps the collector from walking them over
    and over (a fifth of the simulator's CPU per call at 500 calls in flight). Cycles are still
    collected, a little later. Not for a process shared with other work (the tests)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


class SimServer:
    def __init__(
        self,
        switch: Switch,
        host: str = "127.0.0.1",
        port: int = 8021,
        password: str = "ClueCon",
        heartbeat: float = 20.0,
        stats_file: str | None = None,
    ) -> None:
        self.switch = switch
        self.password = password
        self.api = Api(switch, self)
        self.heartbeat_interval = heartbeat
        self.stats_file = Path(stats_file) if stats_file else None
        self.listeners: list[Listener] = []
        self._server = StreamServer((host, port), self._handle)
        self._loops: list[gevent.Greenlet] = []
        self.refusing = False  # down during a simulated restart (faults.py)
        self.received: deque[str] = deque(maxlen=10_000)  # the last commands clients sent, as sent
        self.cut_before_reply = 0  # fault: the next N bgapi run, but their connection breaks before the reply
        # fsctl shutdown (shutdown.py): its delays times this, and whether (after how long) it comes back
        self.shutdown_scale = 1.0
        self.restart_after: float | None = None
        self.heartbeats_paused = False  # a shut-down FreeSWITCH sends none

    @property
    def address(self) -> tuple[str, int]:
        return self._server.address[:2]

    def start(self) -> None:
        self._server.start()
        self.switch.sched.start()
        if self.heartbeat_interval > 0:
            self._loops.append(gevent.spawn(self._heartbeat_loop))
        if self.stats_file:
            self._loops.append(gevent.spawn(self._stats_loop))
        log.info("simswitch listening on %s:%d", *self.address)

    def stop(self) -> None:
        self._server.stop(timeout=1)
        for listener in list(self.listeners):
            listener.close()
        gevent.killall(self._loops)
        self.switch.sched.stop()
        if self.switch.json_cdr is not None:
            self.switch.json_cdr.die()
        if self.switch.originate_log is not None:
            self.switch.originate_log.close()
        self.write_stats()

    def serve_forever(self) -> None:
        self.start()
        try:
            gevent.wait()
        finally:
            self.stop()

    def _handle(self, sock, address) -> None:
        if self.refusing:
            sock.close()
            return
        listener = Listener(self, sock, address)
        self.listeners.append(listener)
        self.switch.bus.listeners.append(listener)
        listener.serve()

    def detach(self, listener: Listener) -> None:
        if listener in self.switch.bus.listeners:
            self.switch.bus.listeners.remove(listener)
        if listener in self.listeners:
            self.listeners.remove(listener)

    # -- events the server itself fires --------------------------------------
    def emit_api_event(self, cmd: str, arg: str) -> None:
        t = self.switch.templates
        ctx = {**self.switch.bus.base, "api_cmd": cmd, "api_arg": arg}
        self.switch.bus.emit(t["refuse:API"] if arg else t["core:API"], ctx)

    def emit_job(self, job_uuid: str, cmd: str, arg: str, body: str) -> None:
        ctx = {**self.switch.bus.base, "job_uuid": job_uuid, "job_cmd": cmd, "job_arg": arg, "body": body}
        self.switch.bus.emit(self.switch.templates["core:BACKGROUND_JOB"], ctx)

    def heartbeat(self) -> None:
        ctx = self.switch.heartbeat_ctx()
        self.switch.bus.emit(self.switch.templates["core:HEARTBEAT"], ctx)
        self.switch.bus.emit(self.switch.templates["core:RE_SCHEDULE"], ctx)

    def _heartbeat_loop(self) -> None:
        while True:
            gevent.sleep(self.heartbeat_interval)
            if not self.heartbeats_paused:
                self.heartbeat()

    def _stats_loop(self) -> None:
        while True:
            gevent.sleep(1.0)
            self.write_stats()

    def write_stats(self) -> None:
        if not self.stats_file:
            return
        data = json.dumps(self.switch.stats.as_dict(), sort_keys=True)
        fd, tmp = tempfile.mkstemp(dir=self.stats_file.parent or ".", prefix=".simswitch-stats")
        with os.fdopen(fd, "w") as f:
            f.write(data)
        os.replace(tmp, self.stats_file)  # readers never see a half-written file
