"""The ESL connection (our own client around esl/protocol.py) and the node supervisor, over real sockets."""

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

    def __init__(
        self,
        *,
        greet: bool = True,
        reply_after_auth: bool = True,
        close_after_auth: bool = False,
        stop_reading: bool = False,
    ):
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


class Scripted:
    """A peer that greets (or sends ``greeting``), then answers the n-th command with ``answers[n]`` (raw bytes);
    after the last answer it closes, or stays silent if ``then_silent``."""

    def __init__(self, answers: list[bytes], *, greeting: bytes = AUTH_REQUEST, then_silent: bool = False) -> None:
        self.answers, self.greeting, self.then_silent = answers, greeting, then_silent
        self.commands: list[bytes] = []
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    def _handle(self, sock, _addr) -> None:
        sock.sendall(self.greeting)
        buf = b""
        for answer in self.answers:
            while b"\n\n" not in buf:
                data = sock.recv(4096)
                if not data:
                    return
                buf += data
            command, buf = buf.split(b"\n\n", 1)
            self.commands.append(command)
            sock.sendall(answer)
        if self.then_silent:
            gevent.sleep(60)
        sock.close()

    def connection(self, **kw) -> ESLConnection:
        return ESLConnection("127.0.0.1", self.server.server_port, "x", **kw)


@pytest.fixture
def scripted():
    made: list[Scripted] = []

    def make(answers: list[bytes], **kw) -> Scripted:
        made.append(Scripted(answers, **kw))
        return made[-1]

    yield make
    for s in made:
        s.server.stop()


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
        "fs-a",
        "10.0.0.5",
        8022,
        "s@cret",
        60,
        2000,
    )


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


OK = b"Content-Type: command/reply\nReply-Text: +OK\n\n"
GOODBYE = b"Content-Type: text/disconnect-notice\nContent-Length: 31\n\nThe system is being shut down.\n"


def event_json(name: str, **headers: str) -> bytes:
    import json

    body = json.dumps({"Event-Name": name, **headers}).encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n%s" % (len(body), body)


def test_an_acl_refusal_fails_connect_at_once_and_says_why(scripted):
    """FreeSWITCH refuses an address its ACL does not allow with text/rude-rejection instead of auth/request."""
    peer = scripted([], greeting=b"Content-Type: text/rude-rejection\nContent-Length: 24\n\nAccess Denied, go away.\n")
    conn = peer.connection(timeout=30)
    with gevent.Timeout(5), pytest.raises(NotConnectedError, match="no auth/request"):
        conn.connect()
    assert conn.disconnect_notice == "Access Denied, go away."
    assert not conn.connected


def test_events_between_a_command_and_its_reply_do_not_disturb_the_replies(scripted):
    got = []
    hangup = event_json("CHANNEL_HANGUP_COMPLETE", **{"Unique-ID": "u1"})
    api = b"Content-Type: api/response\nContent-Length: 4\n\n%s"
    peer = scripted([ACCEPTED, hangup + api % b"true" + hangup, api % b"fals"], then_silent=True)
    conn = peer.connection(on_event=got.append)
    conn.connect()
    assert [r.text for r in conn.send_many(["api uuid_exists a", "api uuid_exists b"])] == ["true", "fals"]
    assert [e["Unique-ID"] for e in got] == ["u1", "u1"]
    assert conn.events_received == 2
    conn.close()


def test_a_disconnect_notice_is_kept_and_the_connection_ends(scripted):
    """What FreeSWITCH says as it hangs up on us is what the node logs as the reason."""
    peer = scripted([ACCEPTED, GOODBYE])
    conn = peer.connection()
    conn.connect()
    with pytest.raises(NotConnectedError):
        conn.send("api status")  # FreeSWITCH said goodbye instead of answering
    assert conn.closed.wait(5)
    assert conn.disconnect_notice == "The system is being shut down."
    with pytest.raises(NotConnectedError, match="not connected"):
        conn.send("api status")


def test_bytes_that_are_not_esl_close_the_connection_and_fail_what_waits(scripted):
    peer = scripted([ACCEPTED, b"Content-Length: x7\n\n{not esl\n\n"], then_silent=True)
    conn = peer.connection(command_timeout=30)
    conn.connect()
    with gevent.Timeout(5), pytest.raises(NotConnectedError, match="protocol error"):
        conn.send("api status")
    assert conn.closed.is_set() and not conn.connected


def test_a_reply_nobody_waits_for_is_dropped_and_the_next_one_still_matches(scripted, caplog):
    api = b"Content-Type: api/response\nContent-Length: 4\n\ntrue"
    peer = scripted([ACCEPTED + OK, api], then_silent=True)  # one reply too many after auth
    conn = peer.connection()
    conn.connect()
    with gevent.Timeout(5):
        while "esl reply with no command waiting" not in caplog.messages:
            gevent.sleep(0.01)
    assert conn.api("uuid_exists x").text == "true"
    conn.close()


def test_stop_says_exit_and_closes_even_when_exit_is_never_answered(scripted):
    peer = scripted([ACCEPTED, b""], then_silent=True)
    conn = peer.connection()
    conn.connect()
    with gevent.Timeout(5):
        conn.stop()
    assert peer.commands[-1] == b"exit"
    assert conn.closed.is_set() and not conn.connected


def test_the_plain_event_format_reaches_the_handler_decoded(scripted):
    got = []
    body = b"Event-Name: CHANNEL_ANSWER\nUnique-ID: u2\nCaller-Caller-ID-Name: Nguy%E1%BB%85n\n\n"
    plain = b"Content-Length: %d\nContent-Type: text/event-plain\n\n%s" % (len(body), body)
    peer = scripted([ACCEPTED, OK + plain], then_silent=True)
    conn = peer.connection(on_event=got.append)
    conn.connect()
    conn.send("event plain CHANNEL_ANSWER")
    with gevent.Timeout(5):
        while not got:
            gevent.sleep(0.01)
    assert got == [{"Event-Name": "CHANNEL_ANSWER", "Unique-ID": "u2", "Caller-Caller-ID-Name": "Nguyễn", "_body": ""}]
    conn.close()
