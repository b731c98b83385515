"""Oversized bodies and slow clients are cut off, over real sockets (dialer/api/server.py).

A body over its route's limit is refused in the dialect's shape as soon as its Content-Length
says so; a chunked body is read only up to the limit; a client that trickles or stalls its
headers or body is disconnected after a bounded time (the server's client timeout, short here).
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import uuid

import gevent
import pytest

from dialer.api.app import all_routes, build_app
from dialer.api.server import make_server
from tests.api_fixtures import AUTH, TOKEN
from tests.conftest import free_port

WRITERS = [r for r in all_routes() if r.method in ("POST", "PUT", "PATCH") and not r.public]
TIMEOUT = 0.3  # the quick server's client timeout
BOUND = 3.0  # how long a test waits for a cut-off (a bound on waiting, not a measure)


def fill(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(uuid.uuid4()) if m.group(1).endswith("_uuid") else "0" * 32, path)


def head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: test", *(f"{k}: {v}" for k, v in {**AUTH, **headers}.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def answer(sock: socket.socket) -> tuple[http.client.HTTPResponse, bytes]:
    res = http.client.HTTPResponse(sock)
    res.begin()
    return res, res.read()


def closed(sock: socket.socket, within: float = BOUND) -> bool:
    """The server closed the connection (EOF or reset) within the time given."""
    sock.settimeout(within)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except OSError:
        pass
    return True


@pytest.fixture
def quick(services):
    """The API served with a short client timeout, as AUTOCALL_HTTP_CLIENT_TIMEOUT sets it."""
    server = make_server(build_app(services, [TOKEN]), f"127.0.0.1:{free_port()}", client_timeout=TIMEOUT)
    server.start()
    sockets: list[socket.socket] = []

    def connect() -> socket.socket:
        s = socket.create_connection(("127.0.0.1", server.server_port), timeout=5)
        sockets.append(s)
        return s

    yield connect
    for s in sockets:
        s.close()
    server.stop()


@pytest.fixture
def port(api) -> int:
    return api.port


@pytest.mark.parametrize("route", WRITERS, ids=[f"{r.method} {r.path}" for r in WRITERS])
def test_a_declared_oversized_body_is_refused_413_before_it_is_sent(port, services, route):
    limit = services.max_import_bytes if route.bulk else route.max_body
    declared = limit + 1 if route.bulk else 10**12
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(
            head(route.method, fill(route.path), {"Content-Length": str(declared), "Content-Type": route.body_types[0]})
            + b"{"
        )
        res, body = answer(s)  # none of the body was sent: the answer did not wait for it (413, not 408)
        dialect = route.dialect
        assert res.status == dialect.http_status(413)
        assert json.loads(body) == dialect.error(413, f"request body is larger than {limit} bytes")
        assert res.getheader("Connection") == "close"
        assert closed(s)  # not kept alive to drain what the client announced


def test_an_endless_chunked_body_is_cut_off_at_the_limit(quick):
    with quick() as s:
        s.sendall(head("POST", "/v3/campaign", {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}))
        sent, failure = [0], []

        def stream() -> None:
            chunk = b"%x\r\n%s\r\n" % (1 << 16, b"a" * (1 << 16))
            try:
                while True:
                    s.sendall(chunk)
                    sent[0] += 1 << 16
            except OSError as exc:
                failure.append(exc)

        sender = gevent.spawn(stream)
        try:
            res, body = answer(s)
            assert res.status == 413 and json.loads(body) == {"error": "request body is larger than 1048576 bytes"}
            assert res.getheader("Connection") == "close"
            sender.join(timeout=BOUND)
            assert failure, f"the server still reads the body after {sent[0]} bytes"
        finally:
            sender.kill()


def test_a_chunked_body_within_the_limit_is_read(port, store):
    body = json.dumps({"template_name": "chunked", "text": "Xin chào"}).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(head("POST", "/v3/template", {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}))
        for i in range(0, len(body), 7):
            part = body[i : i + 7]
            s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        s.sendall(b"0\r\n\r\n")
        res, answer_body = answer(s)
        assert res.status == 200, answer_body
        assert store.catalog.templates.get(json.loads(answer_body)["template_uuid"]).template_name == "chunked"


def test_a_body_trickled_byte_by_byte_is_cut_off(quick):
    s = quick()
    s.sendall(head("POST", "/v3/template", {"Content-Length": "1000", "Content-Type": "application/json"}))
    stop: list[bool] = []

    def trickle() -> None:
        try:
            while not stop:
                s.sendall(b" ")
                gevent.sleep(0.02)
        except OSError:
            pass

    trickler = gevent.spawn(trickle)
    try:
        res, body = answer(s)
        assert res.status == 408 and json.loads(body) == {"error": "request body not received in time"}
        assert res.getheader("Connection") == "close"
        assert closed(s)
    finally:
        stop.append(True)
        trickler.kill()


def test_a_stalled_body_is_cut_off(quick):
    s = quick()
    s.sendall(head("POST", "/api/campaign/create", {"Content-Length": "500", "Content-Type": "application/json"}))
    s.sendall(b'{"campaign_name": ')
    res, body = answer(s)
    assert res.status == 408 and json.loads(body)["status"] == 0  # VBot's shape
    assert closed(s)


def test_a_slowloris_that_never_finishes_its_headers_is_cut_off(quick):
    s = quick()
    s.sendall(b"GET /v3/campaign HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    stop: list[bool] = []

    def trickle() -> None:
        try:
            while not stop:
                s.sendall(b"a")  # one byte of one header every 20 ms: never idle, never done
                gevent.sleep(0.02)
        except OSError:
            pass

    trickler = gevent.spawn(trickle)
    try:
        assert closed(s)
    finally:
        stop.append(True)
        trickler.kill()


def test_a_connection_that_sends_nothing_is_closed(quick):
    s = quick()
    assert closed(s)


def test_a_small_unread_body_keeps_the_connection_alive(quick):
    """A refusal that did not read a small body (no token) drops it; the next request is served."""
    s = quick()
    refused = head("POST", "/v3/campaign", {"Content-Length": "2000", "Authorization": "Bearer nope"})
    s.sendall(refused + b"x" * 2000)
    res, _ = answer(s)
    assert res.status == 401 and res.getheader("Connection") != "close"
    s.sendall(head("GET", "/v3/campaign", {}))
    res, body = answer(s)
    assert res.status == 200 and "data" in json.loads(body)


def test_the_client_timeout_is_a_setting():
    from dialer.config import Settings

    settings = Settings(http_client_timeout=0.5, freeswitch="esl://:pw@127.0.0.1:8021", api_tokens="t")
    assert settings.http_client_timeout == 0.5
    with pytest.raises(ValueError):
        Settings(http_client_timeout=0)
