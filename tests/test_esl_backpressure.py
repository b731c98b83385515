"""Backpressure: the bgapi originates awaiting FreeSWITCH's reply are bounded per node (capacity.py).

A FreeSWITCH slow to read its socket (the simulator's stall, held here until the test lets it go)
must slow the pacers, never push a reply past the command timeout: the originates awaiting their
``+OK Job-UUID`` never exceed the node's ``bgapi_window``, a reply (or the connection's drop) frees
its slot and wakes a pacer waiting for room, and every call is placed once the switch reads again.
"""

from __future__ import annotations

import gevent
import gevent.event
import pytest

from dialer.engine.engine import Engine
from dialer.esl.capacity import BGAPI_WINDOW, Capacity, ReplyWindow
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles
from simswitch import Limits, Scenario, faults
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, await_turn, wait_until, write_wav
from tests.factories import leads

WINDOW = 20


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def known_capacity(window: int) -> tuple[Capacity, Clock]:
    clock = Clock()
    capacity = Capacity(bgapi_window=window, clock=clock)
    capacity.limits(10_000, 100_000)
    clock.now += 60  # the token bucket full: only the window bounds a take
    return capacity, clock


def replies(n: int) -> list[gevent.event.AsyncResult]:
    return [gevent.event.AsyncResult() for _ in range(n)]


# -- the window itself ---------------------------------------------------------------
def test_a_take_is_bounded_by_the_originates_reserved_and_awaiting_a_reply():
    capacity, _ = known_capacity(window=10)
    assert capacity.take(6) == 6
    assert capacity.take(6) == 4  # 6 reserved: 4 left
    assert capacity.take(1) == 0
    capacity.give_back(3)  # claimed fewer leads than taken
    assert capacity.window.reserved == 7 and capacity.take(5) == 3


def test_a_written_originate_holds_its_slot_until_its_reply_is_set():
    window = ReplyWindow(4)
    window.reserve(4)
    pending = replies(4)
    window.written(pending)
    window.unreserve(4)  # the pacer's reservation ends: the replies hold the slots now
    assert window.awaiting == 4 and window.room() == 0 and window.peak == 4
    pending[0].set("+OK Job-UUID")
    pending[1].set_exception(RuntimeError("the connection dropped"))
    wait_until(lambda: window.awaiting == 2)
    assert window.room() == 2 and window.peak == 4


def test_a_reply_read_before_the_write_returned_frees_its_slot_too():
    window = ReplyWindow(4)
    answered = gevent.event.AsyncResult()
    answered.set("+OK Job-UUID")  # the reader got it while sendall yielded
    window.written([answered])
    wait_until(lambda: window.awaiting == 0)
    assert window.peak == 1 and window.room() == 4


def test_a_pacer_waiting_for_room_is_woken_once_a_share_of_the_window_is_free():
    window = ReplyWindow(8)  # woken at 2 free (WAKE_SHARE)
    woken: list[str] = []
    assert window.wake_on_room(lambda: woken.append("a")) is False  # room: no wait
    window.reserve(8)
    pending = replies(8)
    window.written(pending)
    window.unreserve(8)
    assert window.wake_on_room(lambda: woken.append("a"))
    pending[0].set("+OK")
    wait_until(lambda: window.awaiting == 7)
    assert woken == []  # one slot: not worth a turn yet
    pending[1].set("+OK")
    wait_until(lambda: woken == ["a"])
    pending[2].set("+OK")
    wait_until(lambda: window.awaiting == 5)
    assert woken == ["a"]  # once per wait


def test_a_window_of_zero_bounds_nothing():
    capacity, _ = known_capacity(window=0)
    assert capacity.take(500) == 500 and capacity.take(500) == 500
    capacity.window.written(replies(1000))
    assert capacity.window.wake_on_room(lambda: None) is False and capacity.window.peak == 1000


def test_the_window_is_a_node_setting_of_the_esl_url():
    assert NodeConfig.from_url("esl://:pw@fs1").bgapi_window == BGAPI_WINDOW
    assert NodeConfig.from_url("esl://:pw@fs1?bgapi_window=250").bgapi_window == 250
    assert NodeConfig.from_url("esl://:pw@fs1?bgapi_window=0").bgapi_window == 0
    for bad in ("-1", "lots", "2.5"):
        with pytest.raises(ValueError, match="bgapi_window"):
            NodeConfig.from_url(f"esl://:pw@fs1?bgapi_window={bad}")


# -- over a real socket: a reply, or the drop, frees the slot -------------------------
def stall_until_released(server) -> list:
    """The simulator reads and writes nothing on its connections until release() (faults.stall)."""
    listeners = list(server.listeners)
    faults.stall(server, 3600)
    return listeners


def release(listeners: list) -> None:
    for listener in listeners:
        listener._flowing.set()


def connected_node(simswitch, window: int) -> tuple[Node, object]:
    server = simswitch()
    node = Node(
        NodeConfig("fs1", *server.address, "ClueCon", bgapi_window=window),
        on_event=lambda n, e: None,
        command_timeout=60.0,
        keepalive=60.0,
    )
    node.start()
    assert node.up.wait(5)
    return node, server


@pytest.mark.parametrize("how", ["reply", "drop"])
def test_the_slots_come_back_when_the_replies_arrive_or_the_connection_drops(simswitch, how):
    node, server = connected_node(simswitch, window=4)
    try:
        stalled = stall_until_released(server)
        node.capacity.window.reserve(4)  # what a pacer's take does (the token bucket aside)
        results = node.send_originates([f"bgapi status\nJob-UUID: job-{i}" for i in range(4)])
        node.dialled(4)
        assert results is not None and node.capacity.window.awaiting == 4 and node.take(1) == 0
        woken = gevent.event.Event()
        assert node.wake_on_room(woken.set)
        if how == "drop":
            faults.drop(server)  # the replies never come: each fails, and frees its slot
        release(stalled)
        assert woken.wait(10)
        wait_until(lambda: node.capacity.window.awaiting == 0)
        assert node.capacity.window.reserved == 0 and node.capacity.window.peak == 4
        assert all(r.successful() for r in results) == (how == "reply")
    finally:
        node.stop()


# -- a campaign against a stalled FreeSWITCH ---------------------------------------------
def windowed_engine(store, server, audio_dir, **kw) -> Engine:
    write_wav(audio_dir / "hello.wav", seconds=5.0)
    node = NodeConfig("fs1", *server.address, "ClueCon", sps=1000, max_sessions=1000, bgapi_window=WINDOW)
    engine = Engine(
        store, [node], MessageFiles(audio_dir), default_gateway="gw1", default_caller_id="02812345678", **kw
    )
    engine.start()
    assert engine.wait_connected(5)
    return engine


def test_a_stalled_freeswitch_slows_the_pacer_and_every_call_is_placed_once_it_reads_again(
    store, simswitch, tmp_path, monkeypatch
):
    # Only a reply may wake the pacer here: its idle re-check would hide a missing wake-up.
    monkeypatch.setattr("dialer.pacing.pacer.IDLE_POLL", 3600.0)
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 3600}}]))
    # timeouts far beyond the test: a stall the window absorbs never trips one
    engine = windowed_engine(store, server, tmp_path / "audio", command_timeout=60.0, keepalive_s=60.0)
    node = engine.nodes[0]
    try:
        camp = audio_campaign(store, concurrent_call=100)
        batch = leads(store, camp, 100)
        stalled = stall_until_released(server)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: node.capacity.window.awaiting == WINDOW)
        await_turn(engine, camp.campaign_uuid)  # a turn that found the window full, and waits
        assert node.capacity.window.awaiting == WINDOW and engine.tracker.count() == WINDOW
        assert server.switch.stats.originated == 0
        release(stalled)
        wait_until(lambda: len(server.switch.first_legs_by_call) == len(batch), timeout=30)
        wait_until(lambda: node.capacity.window.awaiting == 0)
        # A turn holds its reservation until it has claimed; with no lead left they all give it back.
        wait_until(lambda: node.capacity.window.reserved == 0)
        assert node.capacity.window.peak == WINDOW and node.reconnects == 0
        assert set(server.switch.first_legs_by_call.values()) == {1}  # each attempt rang once
        assert server.switch.stats.originated == len(batch)
    finally:
        engine.stop(drain_timeout=2)


def test_a_connection_dropped_with_the_window_full_leaks_no_slot(store, simswitch, tmp_path):
    server = simswitch(
        Scenario(rules=[], default={"mix": {"answer": 0.6, "sip486": 0.4}, "talk": [1, 5], "ring": [0, 1]}),
        time_scale=0.05,
        limits=Limits(max_sessions=1000, sps=1000),
    )
    engine = windowed_engine(store, server, tmp_path / "audio", command_timeout=60.0, keepalive_s=60.0, max_call_s=60)
    node = engine.nodes[0]
    try:
        camp = audio_campaign(store, concurrent_call=60, call_timeout=20)
        batch = leads(store, camp, 60)
        stall_until_released(server)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: node.capacity.window.awaiting == WINDOW)
        # With WINDOW originates unanswered (and never read: the stalled listener is not let go,
        # or it would run them after the cut): each is settled after the reconnect.
        faults.drop(server)
        wait_until(lambda: node.reconnects == 1 and node.up.is_set())
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=60)
        engine.flush()
        wait_until(lambda: node.capacity.window.awaiting == 0 and node.capacity.window.reserved == 0)
        assert node.capacity.window.peak == WINDOW
        result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
        assert result.get("done", 0) + result.get("queued", 0) == len(batch)
    finally:
        engine.stop(drain_timeout=2)
