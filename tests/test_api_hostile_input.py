"""Every route that takes a body, fed garbage: a 4xx in its dialect's shape, nothing written, never a 500."""

from __future__ import annotations

import re
import uuid

import pytest

from dialer.api.app import all_routes
from tests.api_fixtures import snapshot
from tests.factories import campaign

WRITERS = [r for r in all_routes() if r.method in ("POST", "PUT", "PATCH") and not r.public]
BODIES = {
    "bad json": b"{nope",
    "truncated": b'{"campaign_name": "x", "type": "autocall"',
    "array": b"[]",
    "null": b"null",
    "string": b'"hello"',
    "number": b"42",
    "unknown field only": b'{"zzz": 1}',
    "deep nesting": b"[" * 5000 + b"]" * 5000,
    "nul and control bytes": b'{"campaign_name": "\\u0000\\u0007", "type": "autocall\\u0000"}',
    "invalid utf-8": b'{"campaign_name": "\xff\xfe", "type": "autocall"}',
    "huge": b'{"campaign_name": "' + b"a" * (70 << 20) + b'"}',
}


def fill(path: str, real: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: real if m.group(1).endswith("_uuid") else "0" * 32, path)


@pytest.mark.parametrize("route", WRITERS, ids=[f"{r.method} {r.path}" for r in WRITERS])
@pytest.mark.parametrize("name", list(BODIES))
def test_garbage_bodies_are_refused_cleanly(api_inproc, store, redis_client, route, name):
    api = api_inproc
    existing = campaign(store, active=False)
    before = snapshot(redis_client)
    for path in (fill(route.path, existing.campaign_uuid), fill(route.path, str(uuid.uuid4()))):
        for content_type in (*route.body_types, "application/json"):
            res = api(
                route.method,
                path,
                body=BODIES[name],
                headers={"Content-Type": content_type},
                query_string=f"campaign_uuid={existing.campaign_uuid}",
            )
            if route.dialect.name == "vbot":  # VBot refuses with HTTP 500 (seed 003), error 201 in the body
                assert res.status_code == 500 and res.json["error"] == 201, res.text[:300]
                continue
            if route.bulk and res.status_code == 200:  # a bare list is a valid bulk body: its rows are refused
                assert res.json["imported"] == 0 and res.json["total"] == res.json["errors_total"]
                continue
            assert res.status_code in (400, 404, 409, 413, 415), (path, content_type, res.status_code, res.text[:300])
            assert "error" in res.json or "message" in res.json or "code" in res.json, res.text[:300]
    assert snapshot(redis_client) == before
