"""httpclient's HTTP/1.1 (the standard library's http.client on our sockets, httpclient/wire.py): the
request as written, and answers framed every way a server may frame them, over real local sockets."""

from __future__ import annotations

import http.client
import socket

import gevent.server
import pytest

from httpclient import Client
from httpclient.wire import Headers
from tests.test_http_client import tls_receiver, to_loopback  # noqa: F401 (a fixture)


class ScriptedReceiver:
    """Answers each request, on kept connections, with the next of ``answers`` (raw bytes); an answer
    ending in ``CLOSE`` is followed by the server closing the connection. ``requests``: each request
    as received (head and body); ``connections``: TCP connections accepted."""

    CLOSE = b"<close>"

    def __init__(self, *answers: bytes) -> None:
        self.answers = list(answers)
        self.requests: list[bytes] = []
        self.connections = 0
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def _handle(self, sock, _address) -> None:
        self.connections += 1
        data = b""
        with sock:
            while self.answers:
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                while len(rest) < length:
                    rest += sock.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                data = rest[length:]
                answer = self.answers.pop(0)
                sock.sendall(answer.removesuffix(self.CLOSE))
                if answer.endswith(self.CLOSE):
                    return

    def __enter__(self) -> ScriptedReceiver:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop(timeout=1)


def post(client: Client, url: str, max_body: int = 1024, body: bytes = b"{}", **headers: str):
    return client.post(url, body, {"Content-Type": "application/json", **headers}, max_body=max_body)


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_the_request_is_one_post_with_host_identity_encoding_headers_length_and_body():
    with ScriptedReceiver(OK) as server:
        answer = post(Client(timeout=5), f"{server.url}/cdr?x=1", body='{"a":"é"}'.encode(), **{"X-Id": "7"})
    assert (answer.status, answer.reason, answer.body) == (200, "OK", b"ok")
    port = server.server.server_port
    body = '{"a":"é"}'.encode()
    assert server.requests == [
        b"POST /cdr?x=1 HTTP/1.1\r\nAccept-Encoding: identity\r\nHost: 127.0.0.1:%d\r\n"
        b"Content-Type: application/json\r\nX-Id: 7\r\nContent-Length: %d\r\n\r\n%s" % (port, len(body), body)
    ]


@pytest.mark.parametrize(
    ("headers", "url", "error"),
    [
        ({"X-Evil": "a\r\nX-Injected: 1"}, "/cdr", ValueError),
        ({"X-Evil": "a\r\n X-Folded: 1"}, "/cdr", ValueError),  # http.client would send a folded line
        ({"X-Evil": "a\x00"}, "/cdr", ValueError),
        ({"Bad Name": "1"}, "/cdr", ValueError),  # http.client would send it
        ({}, "/cdr x", http.client.InvalidURL),
    ],
)
def test_nothing_that_could_smuggle_in_another_line_is_sent(headers, url, error):
    with ScriptedReceiver(OK) as server:
        with pytest.raises(error):
            post(Client(timeout=5), f"{server.url}{url}", **headers)
    assert server.connections == 0


def test_a_chunked_body_is_read_whole_and_its_connection_kept():
    chunked = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n3\r\n!!!\r\n0\r\nX-Trailer: 1\r\n\r\n"
    )
    with ScriptedReceiver(chunked, OK) as server:
        client = Client(timeout=5)
        assert post(client, server.url).body == b"ok!!!"
        assert post(client, server.url).body == b"ok"
    assert server.connections == 1


def test_a_chunked_body_longer_than_asked_for_is_cut_and_its_connection_not_kept():
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n5\r\nfghij\r\n0\r\n\r\n"
    with ScriptedReceiver(chunked, OK) as server:
        client = Client(timeout=5)
        answer = post(client, server.url, max_body=7)
        assert (answer.body, answer.truncated) == (b"abcdefg", True)
        assert post(client, server.url).body == b"ok"
    assert server.connections == 2


def test_a_body_without_length_ends_with_the_connection_which_is_not_kept():
    with ScriptedReceiver(b"HTTP/1.1 200 OK\r\n\r\nall of it" + ScriptedReceiver.CLOSE, OK) as server:
        client = Client(timeout=5)
        assert post(client, server.url).body == b"all of it"
        assert post(client, server.url).body == b"ok"
    assert server.connections == 2


@pytest.mark.parametrize(
    "first",
    [
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["connection-close", "http-1.0"],
)
def test_an_answer_that_says_the_connection_ends_is_not_kept(first):
    with ScriptedReceiver(first + ScriptedReceiver.CLOSE, OK) as server:
        client = Client(timeout=5)
        assert [post(client, server.url).status for _ in range(2)] == [200, 200]
    assert server.connections == 2


def test_an_http_1_0_answer_that_keeps_alive_is_kept():
    kept = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
    with ScriptedReceiver(kept, OK) as server:
        client = Client(timeout=5)
        assert [post(client, server.url).status for _ in range(2)] == [200, 200]
    assert server.connections == 1


def test_a_kept_connection_the_server_closed_while_idle_is_not_reused():
    with ScriptedReceiver(OK + ScriptedReceiver.CLOSE, OK) as server:  # no "Connection: close": it just hangs up
        client = Client(timeout=5)
        assert post(client, server.url).status == 200
        gevent.sleep(0.05)  # the server's FIN arrives
        assert post(client, server.url).status == 200
    assert server.connections == 2


def test_informational_answers_are_skipped():
    early = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
    with ScriptedReceiver(early + b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n") as server:
        answer = post(Client(timeout=5), server.url)
    assert (answer.status, answer.reason, answer.body, answer.truncated) == (201, "Created", b"", False)


def test_headers_are_looked_up_in_any_case_and_repeats_joined():
    answer = b"HTTP/1.1 204 No Content\r\nX-A: 1\r\nx-a: 2\r\nX-Folded: one\r\n two\r\n\r\n"
    with ScriptedReceiver(answer) as server:
        headers = post(Client(timeout=5), server.url).headers
    assert (headers["x-a"], headers["X-A"], headers["X-FOLDED"]) == ("1, 2", "1, 2", "one two")
    assert list(headers) == ["X-A", "X-Folded"] and "x-folded" in headers and "nope" not in headers
    assert isinstance(headers, Headers)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * 101 + b"\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", http.client.LineTooLong),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", http.client.IncompleteRead),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http.client.IncompleteRead),
        (b"HTTP/2 200\r\n\r\n", http.client.UnknownProtocol),
        (b"HTTP/1.1 2000 OK\r\n\r\n", http.client.BadStatusLine),
    ],
    ids=["headers", "line", "short-body", "chunk-size", "http-2", "status"],
)
def test_a_malformed_answer_raises_what_http_client_would(answer, error):
    with ScriptedReceiver(answer + ScriptedReceiver.CLOSE) as server:
        with pytest.raises(error):
            post(Client(timeout=5), server.url)


def test_the_host_header_leaves_out_the_schemes_own_port_and_brackets_ipv6():
    seen = []

    def anywhere(address, timeout):
        seen.append(address)
        return socket.create_connection(("127.0.0.1", server.server.server_port), timeout)

    with ScriptedReceiver(OK, OK) as server:
        client = Client(timeout=5, connect=anywhere)
        post(client, "http://hooks.example/cdr")
        post(client, "http://[::1]:8080/cdr")
    assert seen == [("hooks.example", 80), ("::1", 8080)]
    assert [r.split(b"\r\n")[2] for r in server.requests] == [b"Host: hooks.example", b"Host: [::1]:8080"]


def test_a_tls_connection_is_kept_between_requests(tls_receiver):  # noqa: F811 (the fixture)
    port, trusting = tls_receiver
    made = []

    def counting(address, timeout):
        made.append(address)
        return to_loopback(address, timeout)

    client = Client(timeout=5, connect=counting, ssl_context=trusting)
    assert [post(client, f"https://hooks.example:{port}/cdr").status for _ in range(3)] == [200] * 3
    assert made == [("hooks.example", port)]
