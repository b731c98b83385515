"""The API under test: the real app on a real Redis, served by the real pywsgi server over a
loopback socket (``api``), or called in-process (``api_inproc``: the hostile-input sweep,
whose 70 MB bodies would only test the kernel's loopback)."""

from __future__ import annotations

import http.client
import json as jsonlib
from functools import cached_property
from typing import Any
from urllib.parse import quote

import falcon.testing
import pytest

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.service.context import Services

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Client:
    """falcon's test client with the bearer token on every call."""

    def __init__(self, app) -> None:
        self.raw = falcon.testing.TestClient(app)

    def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        **kw: Any,
    ):
        h = {**(AUTH if auth else {}), **(headers or {})}
        if json is not None:
            return self.raw.simulate_request(method, path, json=json, headers=h, **kw)
        if body is not None:
            h.setdefault("Content-Type", "application/json")
            return self.raw.simulate_request(method, path, body=body, headers=h, **kw)
        return self.raw.simulate_request(method, path, headers=h, **kw)


class LiveResult:
    """The parts of falcon's test Result the specs read, from a real HTTP answer."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status_code = response.status
        self.headers = response.headers  # case-insensitive, like falcon's
        self.content = response.read()

    @property
    def text(self) -> str:
        return self.content.decode("utf-8")

    @cached_property
    def json(self) -> Any:
        return jsonlib.loads(self.content) if self.content else None


class LiveClient:
    """Same calls as :class:`Client`, sent over a socket to the real server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def __call__(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        body: bytes | str | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        query_string: str = "",
    ) -> LiveResult:
        h = {**(AUTH if auth else {}), **(headers or {})}
        data: bytes | None = None
        if json is not None:
            data = jsonlib.dumps(json, ensure_ascii=False).encode()
            h.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = body.encode() if isinstance(body, str) else body
            h.setdefault("Content-Type", "application/json")
        if method in ("POST", "PUT", "PATCH") and data is None:
            data = b""
        path, _, inline = path.partition("?")
        query = "&".join(q for q in (inline, query_string) if q)
        url = quote(path) + ("?" + quote(query, safe="=&%") if query else "")
        try:
            self.conn.request(method, url, body=data, headers=h)
            return LiveResult(self.conn.getresponse())
        except (http.client.HTTPException, OSError):
            self.conn.close()  # the server closed a kept-alive connection: one fresh try
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.conn.request(method, url, body=data, headers=h)
            return LiveResult(self.conn.getresponse())


@pytest.fixture
def services(store, tmp_path) -> Services:
    audio = tmp_path / "audio"
    audio.mkdir()
    # default_gateway: the server dials as tests.engine_fixtures.make_engine's engine does (a start needs a way out)
    return Services(store, audio, domain_uuid="b6b796aa-370f-4f57-8f44-5c82414c652b", default_gateway="gw1")


@pytest.fixture
def api(services):
    """The API over a real socket: pywsgi, TCP_NODELAY, the daemon's server settings."""
    from tests.conftest import free_port

    server = make_server(build_app(services, [TOKEN, "second-token"]), f"127.0.0.1:{free_port()}")
    server.start()
    client = LiveClient(server.server_port)
    yield client
    client.conn.close()
    server.stop()


@pytest.fixture
def api_inproc(services) -> Client:
    """The same app called in-process (no socket)."""
    return Client(build_app(services, [TOKEN, "second-token"]))


def snapshot(redis_client) -> dict[str, Any]:
    """Every key and its value: to prove a refused request wrote nothing."""
    out = {}
    for key in redis_client.scan_iter(count=1000):
        kind = redis_client.type(key)
        out[key] = {
            "hash": redis_client.hgetall,
            "zset": lambda k: redis_client.zrange(k, 0, -1, withscores=True),
            "set": redis_client.smembers,
            "list": lambda k: redis_client.lrange(k, 0, -1),
            "string": redis_client.get,
        }[kind](key)
    return out
