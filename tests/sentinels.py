"""A Redis primary, one replica and three Sentinels: real processes on free loopback ports.

Sentinels run as Debian's ``redis-sentinel`` (scripts/bootstrap installs it) or, where that binary
is missing, as ``redis-server <conf> --sentinel``: the same program in Sentinel mode. Their timeouts
are short (down after 500 ms, failover timeout 2 s), so a failover takes a second or two.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from tests.conftest import free_port

SERVICE = "autocall"  # the name the Sentinels monitor the primary under
DOWN_AFTER_MS = 500
FAILOVER_TIMEOUT_MS = 2000


def sentinel_command(conf: Path) -> list[str]:
    """How a Sentinel is started here: ``redis-sentinel CONF``, or ``redis-server CONF --sentinel``."""
    binary = shutil.which("redis-sentinel")
    if binary is not None:
        return [binary, str(conf)]
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is not installed (scripts/bootstrap installs it)")
    return [server, str(conf), "--sentinel"]


class RedisHa:
    """``start()`` returns once both servers answer, the replica is in sync and every Sentinel knows
    the replica and the two other Sentinels (a failover needs their votes)."""

    def __init__(self, workdir: Path, password: str | None = None, sentinel_password: str | None = None) -> None:
        self.workdir = workdir
        self.password = password
        self.sentinel_password = sentinel_password
        self.ports = {"a": free_port(), "b": free_port()}  # a starts as the primary, b as its replica
        self.sentinel_ports = [free_port() for _ in range(3)]
        self.servers: dict[str, subprocess.Popen] = {}
        self.sentinels: list[subprocess.Popen] = []

    # -- addresses ------------------------------------------------------------------
    def url(self, db: int = 0, query: str = "") -> str:
        """The redis+sentinel:// URL autocall is given."""
        auth = f":{self.password}@" if self.password else ""
        hosts = ",".join(f"127.0.0.1:{p}" for p in self.sentinel_ports)
        return f"redis+sentinel://{auth}{hosts}/{SERVICE}/{db}" + (f"?{query}" if query else "")

    def client(self, name: str) -> redis.Redis:
        return redis.Redis(port=self.ports[name], password=self.password, decode_responses=True)

    def sentinel_client(self, i: int = 0) -> redis.Redis:
        return redis.Redis(port=self.sentinel_ports[i], password=self.sentinel_password, decode_responses=True)

    def primary_name(self) -> str:
        """Which server the Sentinels name the primary now."""
        _host, port = self.sentinel_client().sentinel_get_master_addr_by_name(SERVICE)
        return next(name for name, p in self.ports.items() if p == int(port))

    # -- processes ------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        self._start_server("a")
        self._start_server("b", replica_of=self.ports["a"])
        for i, port in enumerate(self.sentinel_ports):
            conf = self.workdir / f"sentinel-{i}.conf"
            lines = [
                f"port {port}",
                "bind 127.0.0.1",
                f"dir {self.workdir}",
                f"sentinel monitor {SERVICE} 127.0.0.1 {self.ports['a']} 2",
                f"sentinel down-after-milliseconds {SERVICE} {DOWN_AFTER_MS}",
                f"sentinel failover-timeout {SERVICE} {FAILOVER_TIMEOUT_MS}",
                f"sentinel parallel-syncs {SERVICE} 1",
            ]
            if self.password:
                lines.append(f"sentinel auth-pass {SERVICE} {self.password}")
            if self.sentinel_password:
                lines.append(f"requirepass {self.sentinel_password}")
            conf.write_text("\n".join(lines) + "\n")  # a Sentinel rewrites its file: one each
            self.sentinels.append(
                subprocess.Popen(sentinel_command(conf), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            )
        self._wait(self._ready, timeout, "the Sentinels never saw the replica and each other")

    def _start_server(self, name: str, replica_of: int | None = None) -> None:
        port = self.ports[name]
        args = [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self.workdir),
            "--dbfilename",
            f"dump-{name}.rdb",
            "--save",
            "",
            "--appendonly",
            "no",
            "--repl-diskless-sync-delay",
            "0",  # the replica syncs at once, not 5 s later
        ]
        if self.password:  # masterauth too: either may become the other's replica
            args += ["--requirepass", self.password, "--masterauth", self.password]
        if replica_of is not None:
            args += ["--replicaof", "127.0.0.1", str(replica_of)]
        self.servers[name] = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        self._wait(lambda: self._answers(self.client(name)), 10, f"redis-server {name} did not start")

    def kill9_primary(self) -> str:
        """kill -9 the current primary; returns its name."""
        name = self.primary_name()
        self.servers[name].kill()
        self.servers[name].wait()
        return name

    def restart(self, name: str) -> None:
        """Start a killed server again on its port, empty: the Sentinels make it a replica of the primary."""
        self._start_server(name)

    def wait_failover(self, old: str, timeout: float = 30.0) -> float:
        """Wait (bounded) until every Sentinel names another primary, and it takes writes; returns
        the seconds it took."""
        started = time.monotonic()

        def moved() -> bool:
            for i in range(len(self.sentinel_ports)):
                _host, port = self.sentinel_client(i).sentinel_get_master_addr_by_name(SERVICE)
                if int(port) == self.ports[old]:
                    return False
            new = self.client(self.primary_name())
            return new.role()[0] == "master"

        self._wait(moved, timeout, "no failover")
        return time.monotonic() - started

    def stop(self) -> None:
        for proc in [*self.sentinels, *self.servers.values()]:
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    # -- readiness --------------------------------------------------------------------
    def _ready(self) -> bool:
        replication = self.client("a").info("replication")
        if replication.get("slave0", {}).get("state") != "online":
            return False
        for i in range(len(self.sentinel_ports)):
            master = self.sentinel_client(i).sentinel_master(SERVICE)
            if int(master["num-slaves"]) < 1 or int(master["num-other-sentinels"]) < 2:
                return False
        return True

    @staticmethod
    def _answers(client: redis.Redis) -> bool:
        client.ping()
        return True

    @staticmethod
    def _wait(predicate, timeout: float, message: str) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if predicate():
                    return
            except (redis.ConnectionError, redis.ResponseError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(message)
            time.sleep(0.05)
