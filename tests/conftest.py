"""Shared fixtures: a private redis-server, the simulator on a real socket."""

from __future__ import annotations

# autocall runs monkey-patched (dialer/cli.py); so do its tests, or a blocking
# redis-py socket would stall every greenlet.
from gevent import monkey

monkey.patch_all()

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from dialer.store.store import Store
from simswitch import Limits, Scenario, SimServer, Switch, load_scenario
from simswitch.callcenter import CallCenterSettings
from simswitch.json_cdr import JsonCdrSettings

HERE = Path(__file__).parent
CAPTURES = HERE / "captures"
CAPTURE_SCENARIO = HERE / "capture_scenario.yaml"


def private_redis(workdir, *args: str, password: str | None = None):
    """A redis-server of a test's own (settings that must not touch the session's Redis), up and
    answering: (process, client, url). ``args`` are extra redis-server options."""
    port = free_port()
    extra = [*args, *(["--requirepass", password] if password else [])]
    proc = subprocess.Popen(
        [
            shutil.which("redis-server"),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(host="127.0.0.1", port=port, password=password, decode_responses=True)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.02)
    auth = f":{password}@" if password else ""
    return proc, client, f"redis://{auth}127.0.0.1:{port}/0"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    if port == 6379:  # never the default Redis port
        return free_port()
    return port


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """A real redis-server on a free loopback port, in a temp dir, for the session."""
    if shutil.which("redis-server") is None:
        pytest.fail("redis-server is not installed: run scripts/test (it installs it), see README")
    try:
        proc, client, url = private_redis(
            tmp_path_factory.mktemp("redis"), "--daemonize", "no", "--protected-mode", "yes"
        )
    except redis.ConnectionError:
        pytest.fail("redis-server did not start")
    port = client.connection_pool.connection_kwargs["port"]
    yield {"host": "127.0.0.1", "port": port, "url": url, "pid": proc.pid}
    client.close()
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def redis_client(redis_server):
    """A client on a clean database: flushed before each test."""
    client = redis.Redis(host=redis_server["host"], port=redis_server["port"], decode_responses=True)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def store(redis_client) -> Store:
    """The one Store of a test, on the clean database (a test file may override it, e.g. sealed)."""
    return Store(redis_client)


@pytest.fixture
def capture_scenario() -> Scenario:
    return load_scenario(CAPTURE_SCENARIO)


@pytest.fixture
def simswitch(capture_scenario):
    """Factory: a running simulator on a free port (stopped after the test)."""
    servers: list[SimServer] = []

    def start(
        scenario: Scenario | None = None,
        *,
        password: str = "ClueCon",
        time_scale: float = 0.01,
        seed: int = 1,
        limits: Limits | None = None,
        heartbeat: float = 0,
        races: bool = False,
        stats_file: str | None = None,
        json_cdr: JsonCdrSettings | None = None,
        callcenter: CallCenterSettings | None = None,
    ) -> SimServer:
        # A switch configured for fast tests unless a test says otherwise: FreeSWITCH's own default
        # (30 sessions per second) would pace every engine test at 22.5 calls/s.
        limits = limits or Limits(max_sessions=1000, sps=1000)
        switch = Switch(
            scenario or capture_scenario,
            time_scale=time_scale,
            seed=seed,
            limits=limits,
            hostname="vm",
            races=races,
            json_cdr=json_cdr,
            callcenter=callcenter,
        )
        server = SimServer(switch, "127.0.0.1", 0, password, heartbeat=heartbeat, stats_file=stats_file)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


os.environ.setdefault("AUTOCALL_TEST", "1")
pytest_plugins = ["tests.api_fixtures", "tests.processes", "tests.xdist_schedule"]  # processes: the daemons fixture
