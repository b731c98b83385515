"""``autocall serve`` as a customer runs it: a subprocess configured by AUTOCALL_* variables, used over HTTP.

``AutocallServe(workdir, redis_url, freeswitch_url)`` starts the installed ``autocall`` command (the
venv's entry point) with a private API port and token, the JSON log in ``<workdir>/autocall-<n>.log``;
``api(method, path, body)`` talks to it like a customer's integration (urllib, bearer token);
``metrics()`` parses ``/metrics``, ``readyz()`` gives ``(status, body)``, ``log_records()`` the JSON
log lines (``logged()`` when one was written), ``status_cli()`` runs ``autocall status`` against the
same Redis.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.realfs.fsconfig import free_port

BIN = Path(sys.executable).parent / "autocall"
COMMAND = [str(BIN)] if BIN.is_file() else [sys.executable, "-m", "dialer.cli"]
_METRIC = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


class ApiError(RuntimeError):
    def __init__(self, method: str, path: str, status: int, body: str):
        super().__init__(f"{method} {path}: {status} {body[:500]}")
        self.status, self.body = status, body


def wait_for(predicate, timeout: float, what: str, every: float = 0.2):
    """Poll ``predicate`` until it returns something truthy (returned); AssertionError naming ``what``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout} s: {what}")
        time.sleep(every)


class AutocallServe:
    """One ``autocall serve`` process (API and engine) against one Redis and one FreeSWITCH (or simulator)."""

    def __init__(
        self,
        workdir: Path,
        redis_url: str,
        freeswitch_url: str,
        *,
        audio_dir: Path | None = None,
        gateway: str = "autocall-viettel",
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.audio_dir = audio_dir or self.workdir / "audio"
        self.audio_dir.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(16)
        # AUTOCALL_LISTEN in env: that address (a FreeSWITCH built with cdr=True posts its CDRs there)
        self.listen = (env or {}).get("AUTOCALL_LISTEN") or f"127.0.0.1:{free_port()}"
        self.base = f"http://{self.listen}"
        self.redis_url = redis_url
        base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_")}
        self.env = {
            **base,
            "AUTOCALL_REDIS_URL": redis_url,
            "AUTOCALL_FREESWITCH": freeswitch_url,
            "AUTOCALL_AUDIO_DIR": str(self.audio_dir),
            "AUTOCALL_DEFAULT_GATEWAY": gateway,
            "AUTOCALL_DEFAULT_CALLER_ID": "02873001234",
            "AUTOCALL_LISTEN": self.listen,
            "AUTOCALL_API_TOKENS": self.token,
            "AUTOCALL_TTS_ENGINE": "none",
            "AUTOCALL_DRAIN_SECONDS": "5",
            "AUTOCALL_LOG_LEVEL": "INFO",
            **(env or {}),
        }
        self.proc: subprocess.Popen | None = None
        self.log_path: Path | None = None
        self.starts = 0

    # -- process -------------------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> AutocallServe:
        self.starts += 1
        self.log_path = self.workdir / f"autocall-{self.starts}.log"
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*COMMAND, "serve"],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for(self._healthy, timeout, f"autocall serve answering /healthz on {self.listen}\n{self.log_tail()}")
        return self

    def _healthy(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"autocall serve exited with {self.proc.returncode}\n{self.log_tail()}")
        try:
            with urllib.request.urlopen(self.base + "/healthz", timeout=1) as reply:
                return reply.status == 200
        except OSError:
            return False

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM (autocall drains, up to AUTOCALL_DRAIN_SECONDS) and wait; SIGKILL if it hangs."""
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError(f"autocall serve did not exit {timeout} s after SIGTERM\n{self.log_tail()}") from None

    def kill9(self) -> None:
        """SIGKILL and reap: no drain, no goodbye; its liveness key is left to expire (docs/engine.md, "Crashes")."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    # -- HTTP ----------------------------------------------------------------------------------
    def request(
        self, method: str, path: str, body: Any = None, content_type: str = "application/json", auth: bool = True
    ) -> tuple[int, str]:
        data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if auth:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                return reply.status, reply.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def api(self, method: str, path: str, body: Any = None, content_type: str = "application/json") -> Any:
        """A JSON request that must succeed: the decoded answer (ApiError otherwise)."""
        status, text = self.request(method, path, body, content_type)
        if status != 200:
            raise ApiError(method, path, status, text)
        return json.loads(text)

    def readyz(self) -> tuple[int, dict[str, Any]]:
        status, text = self.request("GET", "/readyz", auth=False)
        return status, json.loads(text)

    def not_ready(self) -> dict[str, Any] | None:
        """``/readyz``'s body if it answers 503, else None (for ``wait_for``)."""
        status, body = self.readyz()
        return body if status == 503 else None

    def metrics(self) -> dict[tuple[str, frozenset], float]:
        """``/metrics`` as {(name, frozenset of (label, value)): value}."""
        status, text = self.request("GET", "/metrics")
        assert status == 200, text
        out: dict[tuple[str, frozenset], float] = {}
        for line in text.splitlines():
            match = _METRIC.match(line)
            if match and not line.startswith("#"):
                labels = frozenset(_LABEL.findall(match.group(2) or ""))
                out[(match.group(1), labels)] = float(match.group(3))
        return out

    def metric(self, name: str, **labels: str) -> float | None:
        """One sample of ``/metrics`` (None if absent)."""
        return self.metrics().get((name, frozenset(labels.items())))

    # -- what it says ----------------------------------------------------------------------------
    def log_records(self) -> list[dict[str, Any]]:
        """Every JSON line of every start's log, in order."""
        records = []
        for n in range(1, self.starts + 1):
            path = self.workdir / f"autocall-{n}.log"
            for line in path.read_text(errors="replace").splitlines() if path.is_file() else ():
                if line.startswith("{"):
                    records.append(json.loads(line))
        return records

    def logged(self, msg: str, since: float) -> float | None:
        """When the first ``msg`` line at or after ``since`` was logged (its ``ts``), or None."""
        return next((r["ts"] for r in self.log_records() if r["msg"] == msg and r["ts"] >= since), None)

    def log_tail(self, lines: int = 40) -> str:
        if self.log_path is None or not self.log_path.is_file():
            return "(no autocall log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def status_cli(self) -> str:
        """``autocall status`` (the operator's CLI) on the same Redis."""
        env = {**self.env, "AUTOCALL_REDIS_URL": self.redis_url}
        done = subprocess.run([*COMMAND, "status"], env=env, capture_output=True, text=True, timeout=30, check=True)
        return done.stdout
