"""The Redis writer: one greenlet drains the engine's bounded write queue in batches.

Event handlers never block on Redis: they put what a call produced on the
queue (a finished attempt, an answer webhook, what mod_callcenter said of an
agent) and go on. The writer takes up to ``WRITE_BATCH`` items at a
time and writes each kind in one script call (finish.lua for many finished
attempts at once), which is what lets one core keep up with thousands of
calls per second. When Redis is slow the queue fills and ``put`` blocks the
ESL readers, so TCP pushes back on FreeSWITCH instead of memory growing. A
batch is never dropped: it is written again, with back-off, until Redis
takes it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import gevent
import gevent.event
import gevent.queue

from dialer.domain.agents import LiveUpdate
from dialer.retry import redis_forever
from dialer.store.records import Finish
from dialer.store.store import Store

log = logging.getLogger("autocall.engine")
WRITE_BATCH = 500
RETRY_FIRST_S, RETRY_CAP_S = 0.05, 5.0  # a failed batch is written again after 0.05 s, doubling to 5 s


@dataclass(frozen=True, slots=True)
class AnswerHook:
    """An answer webhook to queue for delivery (the campaign's ``answer_callback_url``)."""

    url: str
    body: str  # JSON, in the campaign's webhook_format
    campaign_uuid: str


@dataclass(frozen=True, slots=True)
class AgentLiveWrite:
    """What a mod_callcenter event said of an agent (dialer/engine/callcenter_state.py)."""

    name: str  # mod_callcenter's name, <extension>@autocall
    update: LiveUpdate


# What the queue carries: a finished attempt (finish.lua), an answer webhook, an agent's live state.
Write = Finish | AnswerHook | AgentLiveWrite


class Writer:
    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], float] = time.time,
        size: int = 20_000,
        on_written: Callable[[set[str]], None] = lambda campaigns: None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.on_written = on_written  # campaigns that had attempts finished (their pacers may claim again)
        self._queue: gevent.queue.Queue[Write] = gevent.queue.Queue(maxsize=size)
        self.idle = gevent.event.Event()  # set while nothing taken from the queue is being written
        self.idle.set()
        self.finished = 0  # attempts recorded (reported ones: not the originates FreeSWITCH refused)
        self._retry = redis_forever(RETRY_FIRST_S, RETRY_CAP_S)

    def put(self, item: Write) -> None:
        """Queue a write; blocks while the queue is full (Redis is behind)."""
        self._queue.put(item)

    def size(self) -> int:
        return self._queue.qsize()

    def pending(self) -> list[Write]:
        """What is queued and not yet taken (autocall test-call, whose writer never runs, reads it)."""
        return list(self._queue.queue)

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued write reached Redis."""
        deadline = time.monotonic() + timeout
        while (not self._queue.empty() or not self.idle.is_set()) and time.monotonic() < deadline:
            gevent.sleep(0.005)

    def run(self) -> None:
        while True:
            item = self._queue.get()
            self.idle.clear()
            batch = [item]
            while len(batch) < WRITE_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except gevent.queue.Empty:
                    break
            finishes = [b for b in batch if isinstance(b, Finish)]
            self._write(batch, finishes)
            self.finished += sum(1 for f in finishes if f.reported)
            self.on_written({f.campaign_uuid for f in finishes})
            if self._queue.empty():
                self.idle.set()

    def _write(self, batch: list[Write], finishes: list[Finish]) -> None:
        answers = [(b.url, b.body, b.campaign_uuid) for b in batch if isinstance(b, AnswerHook)]
        lives = [b for b in batch if isinstance(b, AgentLiveWrite)]

        def write() -> None:
            while lives:  # in the order heard (a later state wins); each once, though the batch is retried
                self.store.agents.write_live(lives[0].name, lives[0].update)
                lives.pop(0)
            self.store.calls.finish(finishes, int(self.clock() * 1000))
            if answers:
                self.store.webhook_queue.queue(answers, int(self.clock() * 1000))
            self.store.replication.confirm("results")

        def failed(exc: Exception) -> None:
            log.error("redis write failed; retrying", extra={"error": str(exc), "batch": len(batch)})

        self._retry.call_with_retry(write, failed)  # never drop a result: retried until Redis is back
