"""Every route the app serves needs ``Authorization: Bearer <token>`` (only /healthz is public):
no token, a wrong token, the right token in the wrong place are all refused in the dialect's
error shape, over a real socket. No token — right or wrong — ever reaches a log line."""

from __future__ import annotations

import base64
import json
import logging
import re
import socket
import uuid

import pytest

from dialer.api.app import all_routes, build_app
from dialer.api.routes import Route
from dialer.api.server import make_server
from dialer.logs import JsonFormatter
from tests.api_fixtures import TOKEN, Client, LiveClient
from tests.conftest import free_port

ROUTES = all_routes()
PROTECTED = [r for r in ROUTES if not r.public]
WRONG = "wrong-token-5d1c9e"
IDS = [f"{r.method} {r.path}" for r in PROTECTED]

# The right token anywhere but "Authorization: Bearer <token>", and look-alikes.
MISPLACED: dict[str, tuple[dict[str, str], str]] = {
    "X-Api-Key header": ({"X-Api-Key": TOKEN}, ""),
    "X-Auth-Token header": ({"X-Auth-Token": TOKEN}, ""),
    "Authorization without a scheme": ({"Authorization": TOKEN}, ""),
    "Authorization: Token": ({"Authorization": f"Token {TOKEN}"}, ""),
    "Authorization: Basic token:": ({"Authorization": "Basic " + base64.b64encode(f"{TOKEN}:".encode()).decode()}, ""),
    "Authorization: Basic :token": ({"Authorization": "Basic " + base64.b64encode(f":{TOKEN}".encode()).decode()}, ""),
    "Authorization: Basic token": ({"Authorization": f"Basic {TOKEN}"}, ""),
    "Bearer with a suffix": ({"Authorization": f"Bearer {TOKEN}x"}, ""),
    "Bearer with a prefix of the token": ({"Authorization": f"Bearer {TOKEN[:-1]}"}, ""),
    "Bearer and two tokens": ({"Authorization": f"Bearer {TOKEN} {TOKEN}"}, ""),
    "Bearer without a token": ({"Authorization": "Bearer"}, ""),
    "Bearer and spaces": ({"Authorization": "Bearer    "}, ""),
    "Cookie": ({"Cookie": f"token={TOKEN}"}, ""),
    "?token=": ({}, f"token={TOKEN}"),
    "?access_token=": ({}, f"access_token={TOKEN}"),
    "?api_key=": ({}, f"api_key={TOKEN}"),
}


def fill(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(uuid.uuid4()) if m.group(1).endswith("_uuid") else "0" * 32, path)


def send(api: LiveClient, route: Route, headers: dict[str, str], query: str = ""):
    body = b"{}" if route.method in ("POST", "PUT", "PATCH") else None
    return api(route.method, fill(route.path), body=body, headers=headers, auth=False, query_string=query)


def assert_refused(route: Route, res) -> None:
    dialect = route.dialect
    assert res.status_code == dialect.http_status(401) == 401, (route.path, res.status_code, res.text[:200])
    assert res.json == dialect.error(401, "Unauthorized"), res.text[:200]
    assert res.headers["WWW-Authenticate"] == 'Bearer realm="autocall"'


@pytest.mark.parametrize("route", PROTECTED, ids=IDS)
def test_no_token_is_refused_in_the_dialects_shape(api, route):
    assert_refused(route, send(api, route, {}))


@pytest.mark.parametrize("route", PROTECTED, ids=IDS)
def test_a_wrong_token_is_refused(api, route):
    assert_refused(route, send(api, route, {"Authorization": f"Bearer {WRONG}"}))
    assert_refused(route, send(api, route, {"Authorization": "Bearer second-token-not"}))


@pytest.mark.parametrize("route", PROTECTED, ids=IDS)
def test_the_right_token_in_the_wrong_place_is_refused(api, route):
    for name, (headers, query) in MISPLACED.items():
        res = send(api, route, headers, query)
        assert res.status_code == 401, (name, res.status_code)
        assert_refused(route, res)


@pytest.mark.parametrize("route", PROTECTED, ids=IDS)
def test_the_right_token_in_the_right_place_passes_auth(api, route):
    for token in (TOKEN, "second-token"):
        for header in (f"Bearer {token}", f"bearer {token}", f"Bearer  {token} "):
            res = send(api, route, {"Authorization": header})
            assert res.status_code != 401, (header, res.text[:200])


# probes carry no token; they show up/down only. /live is a page without data (it asks /v3/live with the token).
PUBLIC = {"GET /healthz", "GET /readyz", "GET /live"}
# No bearer token, but a credential of their own: FreeSWITCH's CDRs and configuration questions carry HTTP Basic
# with AUTOCALL_CDR_SECRET (tests/test_switch_cdrs_api.py, tests/test_callcenter_queues_api.py check it is refused
# without it).
OWN_CREDENTIAL = {"POST /freeswitch/cdr", "POST /freeswitch/config"}


def test_every_route_is_covered_and_only_the_probes_are_public():
    assert {f"{r.method} {r.path}" for r in ROUTES if r.public} == PUBLIC | OWN_CREDENTIAL
    assert {f"{r.method} {r.path}" for r in ROUTES if r.docs} == {"GET /openapi.json", "GET /docs"}
    assert len(PROTECTED) == len(ROUTES) - len(PUBLIC) - len(OWN_CREDENTIAL)


def test_healthz_is_public_and_reveals_nothing(api):
    res = api("GET", "/healthz", auth=False)
    assert res.status_code == 200 and res.content == b'{"status":"ok"}'
    names = {k.lower() for k in res.headers}
    assert names <= {"content-type", "content-length", "date", "connection"}, names


def test_healthz_says_only_unavailable_when_redis_is_down(services, monkeypatch):
    import redis

    def down():
        raise redis.ConnectionError("Error 111 connecting to 10.1.2.3:6379. Connection refused.")

    monkeypatch.setattr(services.store.r, "ping", down)
    res = Client(build_app(services, [TOKEN]))("GET", "/healthz", auth=False)
    assert res.status_code == 503 and res.json == {"error": "storage unavailable; retry later"}


def test_the_docs_are_public_only_with_autocall_public_docs(services):
    private = Client(build_app(services, [TOKEN]))
    public = Client(build_app(services, [TOKEN], public_docs=True))
    for path in ("/openapi.json", "/docs"):
        assert private("GET", path, auth=False).status_code == 401
        assert private("GET", path).status_code == 200
        assert public("GET", path, auth=False).status_code == 200
    # Only the documents: every other route still needs the token.
    assert public("GET", "/v3/campaign", auth=False).status_code == 401


def test_no_token_is_ever_logged(services, caplog, capfd):
    """Every record of every logger, at debug (the JSON access log included), and stderr."""
    caplog.set_level(logging.DEBUG)
    server = make_server(build_app(services, [TOKEN, "second-token"]), f"127.0.0.1:{free_port()}")
    server.start()
    try:
        api = LiveClient(server.server_port)
        for route in PROTECTED:
            send(api, route, {"Authorization": f"Bearer {TOKEN}"})
            send(api, route, {"Authorization": f"Bearer {WRONG}"})
            send(api, route, {"X-Api-Key": WRONG})
            send(api, route, {}, f"token={WRONG}")
            for headers, query in MISPLACED.values():
                send(api, route, headers, query)
        api("GET", "/v1/autocall/report", query_string=f"campaign_uuid={TOKEN}&token={TOKEN}")
        api("GET", "/v3/campaign", auth=False, query_string=f"campaign_uuid={WRONG}&password={WRONG}")
        # Requests pywsgi refuses itself quote their request line in its error log.
        for line in (
            f"GET /v3/campaign?token={TOKEN} HTTP/7.0",
            f"GET /v3/campaign?token={WRONG} HTTP/1.1 x",
            f"GET /v3/campaign?api_key={TOKEN}&x=1 HTTP/1.1\r\nContent-Length: -5",
        ):
            with socket.create_connection(("127.0.0.1", server.server_port), timeout=5) as s:
                s.sendall(line.encode() + b"\r\n\r\n")
                s.recv(4096)
        api.conn.close()
    finally:
        server.stop()
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    assert any("access" in json.loads(line) for line in lines)  # the access log was on
    assert any("bad http request" in line for line in lines)
    out, err = capfd.readouterr()
    for secret in (TOKEN, "second-token", WRONG):
        for line in lines:
            assert secret not in line, line
        assert secret not in out + err
