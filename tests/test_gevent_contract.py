"""What dialer/api/server.py relies on in gevent.pywsgi beyond its documented API.

pyproject bounds gevent (``<27``); these tests say, by name, which piece of
gevent changed if a release breaks one of them. Each runs a bare pywsgi
server (not autocall's), so a failure here is gevent's, not ours:

* ``WSGIHandler._handle_client_error``: the hook pywsgi calls with the error of
  a request it cannot read, whose ``(status, bytes)`` it sends (the 408 for a
  client too slow with its headers). Its docstring calls it experimental.
* ``pywsgi.Input`` attributes ``content_length``, ``position``,
  ``chunked_input``, ``chunk_length`` and ``socket`` (None once "100 Continue"
  went out): how much of the body the app left unread.
* After the app, pywsgi drains the unread body (``Input._discard``) only while
  ``position < content_length`` or ``chunked_input``: setting
  ``content_length = position`` and ``chunked_input = False`` stops it, so a
  refused body is never read.

Public routes replaced the rest: the server asks its pool's ``full()`` before
accepting (the documented *spawn* contract; ``RoomyPool`` makes room there),
and the idle check peeks with the socket's timeout at 0.0.
"""

from __future__ import annotations

import socket

import gevent
from gevent.pool import Pool
from gevent.pywsgi import Input, WSGIHandler, WSGIServer

from dialer.api.server import _has_bytes


def serve(app, handler_class=WSGIHandler, **kw) -> WSGIServer:
    server = WSGIServer(("127.0.0.1", 0), app, handler_class=handler_class, log=None, error_log=None, **kw)
    server.start()
    return server


def exchange(server: WSGIServer, data: bytes) -> bytes:
    """Send ``data``, then read until the server closes (or 2 s of silence)."""
    with socket.create_connection(server.address, timeout=2) as sock:
        sock.sendall(data)
        out = b""
        try:
            while chunk := sock.recv(65536):
                out += chunk
        except TimeoutError:
            pass
        return out


def ok(environ, start_response):
    start_response("200 OK", [("Content-Length", "2")])
    return [b"ok"]


def test_an_unreadable_request_goes_to_handle_client_error_and_its_answer_is_sent():
    seen = []

    class Handler(WSGIHandler):
        def _handle_client_error(self, ex):
            seen.append(ex)
            return ("418", b"HTTP/1.1 418 I'm a teapot\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")

    server = serve(ok, Handler)
    try:
        out = exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n")
    finally:
        server.stop()
    assert seen and out.startswith(b"HTTP/1.1 418"), (
        "gevent.pywsgi.WSGIHandler._handle_client_error is no longer called for an unreadable request, or its "
        "answer is not sent: dialer/api/server.py NoDelayHandler answers 408 to a client too slow through it"
    )


def test_input_tells_how_much_of_the_body_the_app_read():
    seen = {}

    class Handler(WSGIHandler):
        def run_application(self):
            super().run_application()
            body = self.wsgi_input
            seen.update(
                type=type(body),
                length=body.content_length,
                position=body.position,
                chunked=body.chunked_input,
                socket=body.socket,
            )

    def app(environ, start_response):
        environ["wsgi.input"].read(3)
        return ok(environ, start_response)

    server = serve(app, Handler)
    try:
        exchange(server, b"POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 10\r\n\r\n0123456789")
    finally:
        server.stop()
    expected = {"type": Input, "length": 10, "position": 3, "chunked": False, "socket": None}
    assert seen == expected, (
        f"gevent.pywsgi.Input changed ({seen} != {expected}): dialer/api/server.py NoDelayHandler._unread reads "
        "WSGIHandler.wsgi_input's content_length, position and chunked_input"
    )


def test_input_keeps_its_socket_until_100_continue_is_sent_and_ends_a_chunked_body_at_chunk_length_0():
    seen = []

    class Handler(WSGIHandler):
        def run_application(self):
            super().run_application()
            seen.append((self.wsgi_input.socket is not None, self.wsgi_input.chunk_length))

    def app(environ, start_response):
        if environ["PATH_INFO"] == "/read":
            environ["wsgi.input"].read()
        return ok(environ, start_response)

    server = serve(app, Handler)
    try:
        exchange(
            server,
            b"POST /unread HTTP/1.1\r\nHost: x\r\nConnection: close\r\nExpect: 100-continue\r\n"
            b"Content-Length: 5\r\n\r\nhello",
        )
        exchange(
            server,
            b"POST /read HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n0\r\n\r\n",
        )
    finally:
        server.stop()
    assert seen == [(True, -1), (False, 0)], (
        f"gevent.pywsgi.Input changed ({seen}): dialer/api/server.py NoDelayHandler reads Input.socket (not None "
        "while '100 Continue' was not sent: the client will not send its body) and Input.chunk_length (0 once a "
        "chunked body was read to its end)"
    )


def test_pywsgi_does_not_drain_a_body_once_content_length_is_set_to_the_position():
    """The unread 'body' is a second request: served only if pywsgi left it alone."""
    paths = []

    class Handler(WSGIHandler):
        def run_application(self):
            try:
                super().run_application()
            finally:
                body = self.wsgi_input
                body.chunked_input, body.content_length = False, body.position

    def app(environ, start_response):
        paths.append(environ["PATH_INFO"])
        return ok(environ, start_response)

    second = b"GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    server = serve(app, Handler)
    try:
        exchange(server, b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(second), second))
    finally:
        server.stop()
    assert paths == ["/first", "/second"], (
        f"pywsgi drained a body after Input.content_length was set to Input.position (served {paths}): "
        "dialer/api/server.py NoDelayHandler._settle_body relies on it to close without reading a refused body"
    )


def test_the_server_asks_its_pool_whether_it_is_full_before_accepting():
    asked = []

    class CountingPool(Pool):
        def full(self) -> bool:
            asked.append(True)
            return super().full()

    server = serve(ok, spawn=CountingPool(4))
    try:
        assert exchange(server, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").endswith(b"ok")
    finally:
        server.stop()
    assert asked, (
        "gevent's server no longer asks Pool.full() before accepting: dialer/api/server.py RoomyPool makes room there"
    )


def test_the_idle_peek_never_waits_and_leaves_a_blocked_reader_alone():
    a, b = socket.socketpair()
    try:
        a.settimeout(5.0)
        reader = gevent.spawn(a.recv, 16)
        gevent.sleep(0)  # the reader now waits in recv
        with gevent.Timeout(1, AssertionError("the peek waited for bytes")):
            assert not _has_bytes(a)
        assert a.gettimeout() == 5.0
        b.sendall(b"GET ")
        assert reader.get(timeout=2) == b"GET "
        b.sendall(b"/ HTTP/1.1")  # a socketpair: in a's buffer once sendall returns
        assert _has_bytes(a) and a.recv(16) == b"/ HTTP/1.1"  # the peek took nothing
    finally:
        a.close()
        b.close()


def test_the_idle_peek_on_a_connection_the_peer_closed_says_no_bytes():
    a, b = socket.socketpair()
    try:
        b.close()
        assert not _has_bytes(a)
    finally:
        a.close()
