"""``autocall serve --workers N``: N engine processes on one host, started, restarted and stopped by this one.

The supervisor runs no engine and no API: it starts ``autocall serve --worker
I/N`` N times (the same settings: environment and ``--config``), restarts a
worker that dies (1 s later; longer, up to 30 s, while it keeps dying within
10 s of its start), and on SIGTERM / SIGINT sends each worker SIGTERM and
waits for all of them: each drains as ``serve`` does. A worker that exits with
2 refused its settings (every worker would): the supervisor stops the others
and exits with 2. A worker whose supervisor is gone (kill -9) drains and exits.

Each worker is a full engine with its own engine id on the same Redis (claims
are atomic, caps hold, a dead worker's calls are adopted by the others:
docs/engine.md, "Crashes"); worker 1 also serves the API. docs/deploy.md,
"Several engine processes on one host".
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.event

log = logging.getLogger("autocall.workers")

FIRST_DELAY_S = 1.0  # before a dead worker is started again
MAX_DELAY_S = 30.0  # the delay doubles up to this while a worker dies soon after its start
STEADY_S = 10.0  # a worker that ran this long died of something else: back to FIRST_DELAY_S
REFUSED = 2  # ``autocall serve``'s exit code for settings it refuses


@dataclass(frozen=True, slots=True)
class WorkerSlot:
    """Which of ``count`` workers a process is (``index`` from 1)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> WorkerSlot:
        index, _, count = text.partition("/")
        if not (index.isdigit() and count.isdigit()) or not 1 <= int(index) <= int(count):
            raise ValueError(f"expected I/N with 1 <= I <= N, got {text!r}")
        return cls(int(index), int(count))

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def serves_api(self) -> bool:
        return self.index == 1


def worker_command(slot: WorkerSlot, config_path: str | None) -> list[str]:
    command = [sys.executable, "-m", "dialer.cli", "serve", "--worker", str(slot)]
    return [*command, "--config", config_path] if config_path else command


class Supervisor:
    def __init__(
        self,
        count: int,
        command: Callable[[WorkerSlot], list[str]],
        *,
        first_delay_s: float = FIRST_DELAY_S,
        max_delay_s: float = MAX_DELAY_S,
    ) -> None:
        self.slots = [WorkerSlot(i, count) for i in range(1, count + 1)]
        self.command = command
        self.first_delay_s, self.max_delay_s = first_delay_s, max_delay_s
        self.procs: dict[int, subprocess.Popen] = {}  # worker index -> its process now
        self.stopping = gevent.event.Event()
        self.refused = False

    def run(self, stop: gevent.event.Event) -> int:
        """Start every worker; return once ``stop`` is set (or a worker refused its settings) and every
        worker has exited."""
        watchers = [gevent.spawn(self._keep, slot) for slot in self.slots]
        gevent.wait([stop, self.stopping], count=1)
        self.stopping.set()
        for proc in list(self.procs.values()):
            _terminate(proc)
        gevent.joinall(watchers)  # each returns once its worker has exited
        log.info("every worker stopped")
        return REFUSED if self.refused else 0

    def _keep(self, slot: WorkerSlot) -> None:
        delay = self.first_delay_s
        while not self.stopping.is_set():
            started = time.monotonic()
            proc = subprocess.Popen(self.command(slot))
            self.procs[slot.index] = proc
            if self.stopping.is_set():  # the stop came while it was being started
                _terminate(proc)
            log.info("worker started", extra={"worker": slot.index, "pid": proc.pid})
            code = proc.wait()
            if self.stopping.is_set():
                return
            ran = time.monotonic() - started
            if code == REFUSED:
                log.error("worker refused its settings: stopping", extra={"worker": slot.index, "pid": proc.pid})
                self.refused = True
                self.stopping.set()
                return
            delay = self.first_delay_s if ran >= STEADY_S else delay
            log.error(
                "worker died: restarting it",
                extra={
                    "worker": slot.index,
                    "pid": proc.pid,
                    "returncode": code,
                    "ran_s": round(ran, 1),
                    "restart_in_s": delay,
                },
            )
            if self.stopping.wait(delay):
                return
            delay = min(self.max_delay_s, delay * 2)


def _terminate(proc: subprocess.Popen) -> None:
    if proc.poll() is None:  # never signal a pid already reaped (it may be reused)
        proc.send_signal(signal.SIGTERM)  # it drains (AUTOCALL_DRAIN_SECONDS)


def watch_parent(stop: gevent.event.Event, every_s: float = 1.0) -> gevent.Greenlet:
    """In a worker: set ``stop`` (a drain) once the supervisor is gone (kill -9: nobody forwards SIGTERM)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            gevent.sleep(every_s)
        log.error("the supervisor is gone: draining", extra={"supervisor_pid": parent})
        stop.set()

    return gevent.spawn(watch)
