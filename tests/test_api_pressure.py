"""The API under idle connections, Redis under memory pressure (the "zero loss" issue).

* 5,000 idle TCP connections to the API: ``/healthz``, ``/readyz`` and a
  normal request still answer, on the API's own listener and on
  ``AUTOCALL_PROBE_LISTEN`` (dialer/api/server.py: near the cap, the
  longest-idle connections are closed; a connection mid-request keeps its slot).
* Redis full under ``maxmemory`` with ``noeviction``: ``/readyz`` is not ready
  and says why, ``/healthz`` stays up; ready again once Redis has room.
* An evicting Redis (``allkeys-lru``): a warning at start and a problem in
  ``autocall status``; a Redis that hides its policy: "unknown", said so.
"""

from __future__ import annotations

import json
import resource
import signal
import socket
import urllib.error
import urllib.request

import falcon.testing
import pytest
import redis

from dialer import cli
from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.service.context import Services
from dialer.store.store import Store
from tests.api_fixtures import TOKEN
from tests.conftest import free_port, private_redis
from tests.engine_fixtures import wait_until
from tests.test_daemon import ESL_PASSWORD, serve

IDLE = 5000


@pytest.fixture
def own_redis(tmp_path):
    started = []

    def start(*args: str):
        proc, client, url = private_redis(tmp_path, *args)
        started.append((proc, client))
        return client, url

    yield start
    for proc, client in started:
        client.close()
        proc.terminate()
        proc.wait(10)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as res:
            return res.status, json.loads(res.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def answers(url: str) -> bool:
    try:
        return get(url)[0] == 200
    except OSError:
        return False


def enough_descriptors(needed: int) -> None:
    """The test holds ``needed`` sockets: raise its own soft limit to the hard one, or skip."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(f"RLIMIT_NOFILE hard limit {hard} < {needed}: cannot hold {IDLE} idle sockets")
    if soft != resource.RLIM_INFINITY and soft < needed:
        resource.setrlimit(resource.RLIMIT_NOFILE, (needed if hard == resource.RLIM_INFINITY else hard, hard))


# -- idle connections -------------------------------------------------------------------------
def test_5000_idle_connections_leave_the_probes_and_the_api_answering(redis_server, simswitch, tmp_path):
    enough_descriptors(IDLE + 1000)
    switch = simswitch(password=ESL_PASSWORD)
    host, port = switch.address
    listen, probe = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": redis_server["url"],
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@{host}:{port}?name=fs1",
            "AUTOCALL_API_TOKENS": TOKEN,
            "AUTOCALL_LISTEN": listen,
            "AUTOCALL_PROBE_LISTEN": probe,
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
            "AUTOCALL_TTS_ENGINE": "none",
        }
    )
    idle: list[socket.socket] = []
    try:
        wait_until(lambda: answers(f"http://{listen}/readyz") and answers(f"http://{probe}/readyz"), timeout=30)
        for n in range(IDLE):  # they connect and never send a byte; half on each listener
            address = listen if n % 2 == 0 else probe
            idle.append(socket.create_connection((address.split(":")[0], int(address.split(":")[1])), timeout=30))
        for base in (f"http://{listen}", f"http://{probe}"):
            assert get(f"{base}/healthz") == (200, {"status": "ok"})
            status, body = get(f"{base}/readyz")
            assert (status, body["status"], body["redis"], body["freeswitch"]) == (200, "ready", "up", {"fs1": "up"})
        status, body = get(f"http://{listen}/v3/campaign", {"Authorization": f"Bearer {TOKEN}"})
        assert status == 200
        # The probe listener serves the probes only, without a token.
        assert get(f"http://{probe}/v3/campaign", {"Authorization": f"Bearer {TOKEN}"})[0] == 404
    finally:
        for s in idle:
            s.close()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    lines = [json.loads(x) for x in err.splitlines() if x.startswith("{")]
    started = next(x for x in lines if x["msg"] == "autocall started")
    assert started["http_max_connections"] == 1000 and started["fd_limit"] >= IDLE + 1000
    # Both listeners were at their cap and closed idle connections to make room.
    assert {x["listener"] for x in lines if "closing the longest-idle" in x["msg"]} == {"http", "probe"}


def request(sock: socket.socket) -> bytes:
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
    return response(sock)


def response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith(b'{"status":"ok"}'):
        chunk = sock.recv(4096)
        assert chunk, data
        data += chunk
    return data


def test_near_the_cap_the_longest_idle_connection_goes_first_and_a_request_in_progress_stays(store, tmp_path):
    server = make_server(build_app(Services(store, tmp_path), [TOKEN]), f"127.0.0.1:{free_port()}", max_connections=16)
    server.start()
    address = ("127.0.0.1", server.server_port)
    opened: list[socket.socket] = []
    try:
        keepalive = socket.create_connection(address, timeout=30)
        assert request(keepalive).startswith(b"HTTP/1.1 200")  # then idle between requests
        started = socket.create_connection(address, timeout=30)
        started.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n")  # headers not finished: a request in progress
        wait_until(lambda: server.pool.free_count() == 14)
        for _ in range(40):  # far beyond the cap: each one makes the server close the longest-idle one
            opened.append(socket.create_connection(address, timeout=30))
        assert keepalive.recv(1) == b""  # closed by the server: it was idle the longest
        started.sendall(b"\r\n")  # it kept its slot: it is answered
        assert response(started).startswith(b"HTTP/1.1 200")
        fresh = socket.create_connection(address, timeout=30)
        assert request(fresh).startswith(b"HTTP/1.1 200")
        assert server.connections.closed >= 40 - 16
    finally:
        for s in opened:
            s.close()
        server.stop()


# -- Redis under memory pressure ---------------------------------------------------------------
def fill(client: redis.Redis) -> int:
    """Write 64 KiB values until Redis refuses (maxmemory reached under noeviction); the count."""
    for n in range(10_000):
        try:
            client.set(f"filler:{n}", "x" * 65536)
        except redis.exceptions.OutOfMemoryError:
            return n
    raise AssertionError("Redis never refused a write")


def test_readyz_is_not_ready_while_redis_refuses_writes_and_ready_once_it_has_room(
    own_redis, tmp_path, monkeypatch, capsys
):
    client, url = own_redis("--maxmemory-policy", "noeviction")
    used = int(client.info("memory")["used_memory"])
    limit = used + (2 << 20)
    client.config_set("maxmemory", limit)
    assert fill(client) > 0
    store = Store.from_url(url)
    api = falcon.testing.TestClient(build_app(Services(store, tmp_path), [TOKEN]))
    res = api.simulate_get("/readyz")
    assert res.status_code == 503 and res.json["status"] == "not ready"
    assert res.json["redis"].startswith("not ready: full: ")
    assert res.json["redis"].endswith(f"of maxmemory {limit} (noeviction); writes are refused or about to be")
    assert api.simulate_get("/healthz").json == {"status": "ok"}  # liveness: the process is fine, no restart
    monkeypatch.setenv("AUTOCALL_REDIS_URL", url)
    assert cli.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "redis: maxmemory-policy noeviction, NOT WRITABLE" in out
    # Full, or already refusing (status's own connection takes memory too): either way, said.
    assert "PROBLEM: Redis full: " in out or "PROBLEM: Redis refuses writes: OutOfMemoryError" in out
    # Below what is used: Redis refuses every write, the probe's too.
    client.config_set("maxmemory", used // 2)
    res = api.simulate_get("/readyz")
    assert res.status_code == 503
    assert res.json["redis"] == (
        "not ready: refuses writes: OutOfMemoryError: command not allowed when used memory > 'maxmemory'."
    )
    client.config_set("maxmemory", 0)
    res = api.simulate_get("/readyz")
    assert (res.status_code, res.json) == (200, {"status": "ready", "redis": "up"})
    assert 0 < client.pttl(store.keys.probe) <= 10_000  # the probe's key expires by itself


def test_an_evicting_redis_is_warned_of_at_start_and_a_problem_in_status(
    own_redis, simswitch, tmp_path, monkeypatch, capsys
):
    _, url = own_redis("--maxmemory-policy", "allkeys-lru")
    switch = simswitch(password=ESL_PASSWORD)
    host, port = switch.address
    listen = f"127.0.0.1:{free_port()}"
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": url,
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@{host}:{port}",
            "AUTOCALL_API_TOKENS": TOKEN,
            "AUTOCALL_LISTEN": listen,
            "AUTOCALL_TTS_ENGINE": "none",
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
        }
    )
    try:
        wait_until(lambda: answers(f"http://{listen}/healthz"), timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-3000:]
    (warning,) = [x for x in map(json.loads, err.splitlines()) if x.get("maxmemory_policy")]
    assert warning["level"] == "warning" and warning["maxmemory_policy"] == "allkeys-lru"
    assert "set maxmemory-policy noeviction" in warning["msg"]
    started = next(x for x in map(json.loads, err.splitlines()) if x["msg"] == "autocall started")
    assert started["redis_maxmemory_policy"] == "allkeys-lru"

    monkeypatch.setenv("AUTOCALL_REDIS_URL", url)
    assert cli.main(["status", "--json"]) == 0
    health = json.loads(capsys.readouterr().out)["redis"]
    assert health["maxmemory_policy"] == "allkeys-lru" and health["writable"]
    (problem,) = health["problems"]
    assert problem.startswith("Redis maxmemory-policy is allkeys-lru, not noeviction: when full, Redis evicts any key")
    assert cli.main(["status"]) == 0
    assert "PROBLEM: Redis maxmemory-policy is allkeys-lru" in capsys.readouterr().out


def test_a_redis_that_refuses_info_and_config_is_an_unknown_policy_not_a_failure(own_redis, tmp_path):
    _, url = own_redis("--rename-command", "CONFIG", "", "--rename-command", "INFO", "")
    store = Store.from_url(url)
    assert store.health.eviction_policy() is None
    from dialer.daemon import check_redis
    from dialer.status import redis_health

    assert check_redis(store) is None
    health = redis_health(store)
    assert health["writable"] and health["problems"][0].startswith("Redis maxmemory-policy unknown")


def test_volatile_policies_are_a_problem_too_and_noeviction_is_none():
    from dialer.status import policy_problem

    assert policy_problem("noeviction") == ""
    assert "an engine's liveness key has one" in policy_problem("volatile-lru")
    assert "evicts any key" in policy_problem("allkeys-lfu")


def test_a_connection_whose_request_came_but_is_not_read_yet_is_never_closed_as_idle():
    """Under a flood the handler of a connection may not have run yet when its request arrives: it
    is still marked idle, but it is not (its bytes wait), so room is made elsewhere."""
    from types import SimpleNamespace

    from dialer.api.server import Connections

    pairs = [socket.socketpair() for _ in range(3)]
    try:
        full = SimpleNamespace(free_count=lambda: 0, size=3)
        connections = Connections(full, spare=1)  # needs 2 slots freed

        class Stream:  # what Connections needs of a ClientStream: its socket (hashable, by identity)
            def __init__(self, sock: socket.socket) -> None:
                self.sock = sock

        streams = [Stream(server) for server, _ in pairs]
        pairs[0][1].sendall(b"GET /healthz HTTP/1.1\r\n\r\n")  # the oldest: its request came
        for stream in streams:
            connections.waiting[stream] = None
        connections.make_room()
        assert pairs[0][0].recv(4, socket.MSG_PEEK) == b"GET "  # still open, its request intact
        for _, client in pairs[1:]:  # the two truly idle ones were closed
            assert client.recv(1) == b""
    finally:
        for a, b in pairs:
            a.close()
            b.close()
