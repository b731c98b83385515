"""Which node a pacer dials on (free sessions and reply-window room), and how a batch's originate
replies are awaited (one deadline, one timer per batch) (dialer/engine/dialing.py)."""

from __future__ import annotations

from types import SimpleNamespace

import gevent
import gevent.event
import pytest
from gevent.timeout import Timeout

from dialer.engine.dialing import Dialer
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node, NodeConfig
from dialer.outcomes.own_causes import NOT_SENT


def node(name: str, *, max_sessions: int, window: int, awaiting: int = 0) -> Node:
    n = Node(NodeConfig(name, "127.0.0.1", 8021, "ClueCon", bgapi_window=window), on_event=lambda n, e: None)
    n.up.set()
    n.capacity.limits(1000, max_sessions)
    n.capacity.window.reserve(awaiting)  # as originates written and not answered yet
    return n


def dialer(nodes: list[Node], tracker=None) -> Dialer:
    return Dialer(nodes, tracker, None, None, held_now=lambda ctx: False)  # type: ignore[arg-type]


def test_a_node_with_more_free_sessions_but_a_full_window_is_passed_over():
    big = node("big", max_sessions=1000, window=100, awaiting=100)
    small = node("small", max_sessions=200, window=100)
    assert big.free_sessions() > small.free_sessions()
    assert dialer([big, small]).pick_node() is small


def test_the_node_with_the_most_room_wins_counting_both_limits():
    a = node("a", max_sessions=1000, window=500, awaiting=450)  # 50 of window room
    b = node("b", max_sessions=100, window=500)  # 98 free sessions
    c = node("c", max_sessions=1000, window=500, awaiting=420)  # 80 of window room
    assert dialer([a, b, c]).pick_node() is b


def test_equal_room_goes_to_the_most_free_sessions():
    a = node("a", max_sessions=500, window=100, awaiting=50)
    b = node("b", max_sessions=1000, window=100, awaiting=50)
    assert dialer([a, b]).pick_node() is b


def test_with_every_window_full_the_pacer_waits_on_the_node_with_the_most_free_sessions():
    a = node("a", max_sessions=500, window=10, awaiting=10)
    b = node("b", max_sessions=1000, window=10, awaiting=10)
    assert dialer([a, b]).pick_node() is b  # its pacer then waits for room there (wake_on_room)


def test_a_node_without_free_sessions_or_not_dialable_is_never_picked():
    full = node("full", max_sessions=1000, window=0)
    full.capacity.legs = 1000
    down = node("down", max_sessions=1000, window=0)
    down.up.clear()
    assert dialer([full, down]).pick_node() is None
    unbounded = node("unbounded", max_sessions=100, window=0)  # window 0: sessions alone rank it
    assert dialer([full, down, unbounded]).pick_node() is unbounded


# -- the replies of a batch ------------------------------------------------------------------
class Attempt:
    def __init__(self, i: int) -> None:
        self.i, self.done, self.unknown_job = i, False, False

    def log_extra(self) -> dict:
        return {"call": f"call-{self.i}"}


class Tracker:
    def __init__(self) -> None:
        self.failed: list[tuple[int, str]] = []

    def fail(self, att: Attempt, cause: str) -> None:
        self.failed.append((att.i, cause))


class Connection:
    """Fails every reply still owed when closed, as ESLConnection does."""

    def __init__(self, results: list[gevent.event.AsyncResult]) -> None:
        self.results, self.closed = results, 0

    def close(self, why: str = "") -> None:
        self.closed += 1
        for r in self.results:
            if not r.ready():
                r.set_exception(NotConnectedError(why))


def batch(n: int, timeout: float):
    results = [gevent.event.AsyncResult() for _ in range(n)]
    conn = Connection(results)
    fs = SimpleNamespace(command_timeout=timeout, conn=conn)
    return fs, conn, results, [Attempt(i) for i in range(n)]


@pytest.fixture
def timers(monkeypatch) -> list[float | None]:
    """Every gevent timer a wait starts (a wait on a reply already in starts none)."""
    started: list[float | None] = []
    real = Timeout._start_new_or_dummy

    def spy(timeout=None, exception=None):
        if timeout is not None:
            started.append(timeout)
        return real(timeout, exception)

    monkeypatch.setattr(Timeout, "_start_new_or_dummy", staticmethod(spy))
    return started


def test_a_batch_whose_replies_come_in_chunks_is_awaited_with_one_timer(timers):
    fs, conn, results, atts = batch(50, timeout=5.0)
    tracker = Tracker()

    def answer() -> None:
        for lo in range(0, 50, 10):  # FreeSWITCH's replies, read ten at a time
            gevent.sleep(0.01)
            for i in range(lo, lo + 10):
                results[i].set(SimpleNamespace(ok=i != 7))  # the 8th command refused by FreeSWITCH itself

    gevent.spawn(answer)
    dialer([], tracker)._check_replies(fs, atts, results)  # type: ignore[arg-type]
    assert tracker.failed == [(7, NOT_SENT)]
    assert conn.closed == 0 and not any(a.unknown_job for a in atts)
    assert len(timers) == 1


def test_replies_missing_at_the_batchs_deadline_are_left_to_the_reconnect():
    fs, conn, results, atts = batch(5, timeout=0.2)
    tracker = Tracker()
    results[0].set(SimpleNamespace(ok=True))
    results[1].set(SimpleNamespace(ok=False))  # the rest never come
    dialer([], tracker)._check_replies(fs, atts, results)  # type: ignore[arg-type]
    assert tracker.failed == [(1, NOT_SENT)]
    assert [a.unknown_job for a in atts] == [False, False, True, True, True]
    assert conn.closed >= 1  # replies are matched in order: the connection cannot be trusted


def test_a_reply_out_of_order_is_still_awaited_until_the_deadline():
    fs, conn, results, atts = batch(3, timeout=5.0)
    tracker = Tracker()
    results[2].set(SimpleNamespace(ok=True))  # the last first: the others are awaited all the same
    gevent.spawn_later(0.05, results[0].set, SimpleNamespace(ok=True))
    gevent.spawn_later(0.1, results[1].set, SimpleNamespace(ok=False))
    dialer([], tracker)._check_replies(fs, atts, results)  # type: ignore[arg-type]
    assert tracker.failed == [(1, NOT_SENT)] and conn.closed == 0
