"""The ESL connection (greenswitch, extended) and the node supervisor, over real sockets."""

from __future__ import annotations

import gevent
import gevent.server
import pytest

from dialer.esl.capacity import TokenBucket
from dialer.esl.connection import CommandTimeout, ESLConnection, NotConnectedError
from dialer.esl.node import Node, NodeConfig

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
ACCEPTED = b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n"


class FakeSwitch:
    """A scripted peer: sends auth/request (or not), accepts auth, then does what it is told."""

    def __init__(self, *, greet: bool = True, reply_after_auth: bool = True, close_after_auth: bool = False,
                 stop_reading: bool = False):  # fmt: skip
        self.greet, self.reply_after_auth, self.close_after_auth = greet, reply_after_auth, close_after_auth
        self.stop_reading = stop_reading  # after auth: never read again (the socket buffers fill up)
        self.connections = 0
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    @property
    def port(self) -> int:
        return self.server.server_port

    def _handle(self, sock, _addr) -> None:
        self.connections += 1
        if self.greet:
            sock.sendall(AUTH_REQUEST)
        buf = b""
        while b"\n\n" not in buf:
            data = sock.recv(4096)
            if not data:
                return
            buf += data
        sock.sendall(ACCEPTED)
        if self.close_after_auth:
            sock.close()
            return
        if self.stop_reading:
            gevent.sleep(60)
            return
        while sock.recv(4096):
            if self.reply_after_auth:
                sock.sendall(b"Content-Type: command/reply\nReply-Text: +OK\n\n")

    def stop(self) -> None:
        self.server.stop()


@pytest.fixture
def fake():
    made = []

    def make(**kw) -> FakeSwitch:
        made.append(FakeSwitch(**kw))
        return made[-1]

    yield make
    for f in made:
        f.stop()


def connect(server, password="ClueCon", **kw) -> ESLConnection:
    conn = ESLConnection(*server.address, password, **kw)
    conn.connect()
    return conn


def test_connects_and_authenticates(simswitch):
    conn = connect(simswitch())
    assert conn.connected
    conn.stop()


def test_wrong_password_is_refused_with_a_clear_error(simswitch):
    with pytest.raises(NotConnectedError, match="authentication refused"):
        connect(simswitch(), password="wrong")


def test_connect_gives_up_when_no_auth_request_comes(fake):
    server = fake(greet=False)
    conn = ESLConnection("127.0.0.1", server.port, "x", timeout=0.3)
    with pytest.raises(NotConnectedError, match="no auth/request"):
        conn.connect()


def test_a_command_without_reply_times_out_and_closes_the_connection(fake):
    server = fake(reply_after_auth=False)
    conn = ESLConnection("127.0.0.1", server.port, "x", command_timeout=0.2)
    conn.connect()
    with pytest.raises(CommandTimeout):
        conn.send("api status")
    assert not conn.connected


def test_a_dropped_socket_fails_the_pending_command_instead_of_hanging(fake):
    server = fake(close_after_auth=True)
    conn = ESLConnection("127.0.0.1", server.port, "x", command_timeout=30)
    conn.connect()
    with gevent.Timeout(5), pytest.raises(NotConnectedError):
        conn.send("api status")


def test_api_reply_body_is_the_response_text(simswitch):
    conn = connect(simswitch())
    assert conn.api("uuid_exists 00000000-0000-4000-8000-000000000000").text == "false"
    conn.stop()


def test_pipelined_commands_get_their_replies_in_order(simswitch):
    conn = connect(simswitch())
    replies = conn.send_many(["api version", "api status", "api uuid_exists x"])
    assert replies[0].text.startswith("FreeSWITCH Version 1.10.12")
    assert "is ready" in replies[1].text and replies[2].text == "false"
    conn.stop()


def test_a_command_cannot_smuggle_a_second_command(simswitch):
    conn = connect(simswitch())
    with pytest.raises(ValueError, match="blank line"):
        conn.send("api status\n\napi fsctl shutdown")
    conn.stop()


@pytest.mark.parametrize("fmt", ["json", "plain"])
def test_background_job_body_is_exposed(simswitch, fmt):
    got = []
    conn = connect(simswitch(), on_event=got.append)
    conn.send(f"event {fmt} BACKGROUND_JOB")
    conn.send("bgapi originate error/user_busy &park()\nJob-UUID: 11111111-2222-4333-8444-555555555555")
    with gevent.Timeout(5):
        while not got:
            gevent.sleep(0.01)
    assert got[0]["Job-UUID"] == "11111111-2222-4333-8444-555555555555"
    assert got[0]["_body"] == "-ERR USER_BUSY\n"
    conn.stop()


def test_token_bucket_never_allows_more_than_burst_plus_rate_per_second():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=3, clock=lambda: now[0])
    taken = bucket.take(100)
    now[0] = 1.0
    taken += bucket.take(100)
    assert taken <= 3 + 10


def test_node_url_parses_password_host_port_and_limits():
    cfg = NodeConfig.from_url("esl://:s%40cret@10.0.0.5:8022?name=fs-a&sps=60&max_sessions=2000")
    assert (cfg.name, cfg.host, cfg.port, cfg.password, cfg.sps, cfg.max_sessions) == (
        "fs-a", "10.0.0.5", 8022, "s@cret", 60, 2000)  # fmt: skip


def test_node_keeps_reconnecting_while_the_connection_drops(fake):
    server = fake(close_after_auth=True)
    node = Node(NodeConfig("fs", "127.0.0.1", server.port, "x"), on_event=lambda n, e: None)
    node.start()
    with gevent.Timeout(10):
        while server.connections < 3:
            gevent.sleep(0.01)
    node.stop()
    assert not node.up.is_set()


def test_node_learns_the_limits_from_fsctl_not_from_the_heartbeat(simswitch):
    from simswitch import Limits

    server = simswitch(limits=Limits(max_sessions=40, sps=12))  # no HEARTBEAT at all
    node = Node(NodeConfig("fs", *server.address, "ClueCon"), on_event=lambda n, e: None)
    node.start()
    assert node.up.wait(5)
    assert (node.sps_limit, node.max_sessions) == (12, 40)
    node.stop()


def test_a_peer_that_stops_reading_cannot_block_a_write_forever(fake):
    """FreeSWITCH stalled with full socket buffers: the write gives up after the command
    timeout and closes the connection, instead of every sender waiting forever."""
    from dialer.esl.connection import WriteFailed

    server = fake(stop_reading=True)
    conn = ESLConnection("127.0.0.1", server.port, "x", command_timeout=0.5)
    conn.connect()
    command = "api " + "x" * 60_000
    with gevent.Timeout(10), pytest.raises(WriteFailed):
        for _ in range(2_000):  # ~120 MB: far more than the socket buffers hold
            conn.send_nowait([command])
    assert not conn.connected


def test_a_writer_that_waited_for_a_failed_write_is_told_nothing_was_sent(fake):
    """Only the batch whose bytes may have gone out is 'maybe sent' (WriteFailed); one still
    waiting for the lock when the connection closed was certainly not sent."""
    from dialer.esl.connection import WriteFailed

    server = fake(stop_reading=True)
    conn = ESLConnection("127.0.0.1", server.port, "x", command_timeout=0.5)
    conn.connect()
    outcomes = []

    def writer() -> None:
        try:
            for _ in range(2_000):
                conn.send_nowait(["api " + "x" * 60_000])
        except NotConnectedError as exc:
            outcomes.append(type(exc))

    gevent.joinall([gevent.spawn(writer), gevent.spawn(writer)], timeout=10)
    assert sorted(t.__name__ for t in outcomes) == ["NotConnectedError", "WriteFailed"]
    assert WriteFailed in outcomes
