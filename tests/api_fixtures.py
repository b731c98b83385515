"""The API under test: the real Falcon app on a real Redis, called in-process."""

from __future__ import annotations

from typing import Any

import falcon.testing
import pytest

from dialer.api.app import build_app
from dialer.service.context import Services
from dialer.store.store import Store

TOKEN = "test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Client:
    """falcon's test client with the bearer token on every call."""

    def __init__(self, app) -> None:
        self.raw = falcon.testing.TestClient(app)

    def __call__(self, method: str, path: str, *, json: Any = None, body: bytes | str | None = None,
                 headers: dict[str, str] | None = None, auth: bool = True, **kw: Any):  # fmt: skip
        h = {**(AUTH if auth else {}), **(headers or {})}
        if json is not None:
            return self.raw.simulate_request(method, path, json=json, headers=h, **kw)
        if body is not None:
            h.setdefault("Content-Type", "application/json")
            return self.raw.simulate_request(method, path, body=body, headers=h, **kw)
        return self.raw.simulate_request(method, path, headers=h, **kw)


@pytest.fixture
def store(redis_client) -> Store:
    return Store(redis_client)


@pytest.fixture
def services(store, tmp_path) -> Services:
    audio = tmp_path / "audio"
    audio.mkdir()
    return Services(store, audio, domain_uuid="b6b796aa-370f-4f57-8f44-5c82414c652b")


@pytest.fixture
def api(services) -> Client:
    return Client(build_app(services, [TOKEN, "second-token"]))


def snapshot(redis_client) -> dict[str, Any]:
    """Every key and its value: to prove a refused request wrote nothing."""
    out = {}
    for key in redis_client.scan_iter(count=1000):
        kind = redis_client.type(key)
        out[key] = {"hash": redis_client.hgetall, "zset": lambda k: redis_client.zrange(k, 0, -1, withscores=True),
                    "set": redis_client.smembers, "list": lambda k: redis_client.lrange(k, 0, -1),
                    "string": redis_client.get}[kind](key)  # fmt: skip
    return out
