"""A private, real FreeSWITCH for tests: start, stop, kill -9, shut down, talk to it over ESL.

``RealFreeSwitch(prefix, **options)`` builds its configuration at construction (fsconfig.py: autocall's
freeswitch-conf on a stock config, free loopback ports, a far end by number), ``start()`` runs
``freeswitch -nonat -nc -nf -conf ... -log ... -db ...`` and waits until the Event Socket accepts the
password, the core says it is ready and the SIP profiles run. ``api()`` is a small synchronous ESL
client (one connection per call); ``connect()`` gives a longer-lived one with events (esl_client.py).

The names tests use are all importable from here: ``RealFreeSwitch``, ``EslClient``, ``EslError``,
``FreeSwitchError``, ``GATEWAYS``, ``NETWORKS``, ``FAREND_NUMBERS``, ``FSCONF``, ``ENV_PREFIX``,
``prefix_problem``, ``free_port``.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import shutil
import signal
import subprocess
import time

from tests.realfs.esl_client import EslClient, EslError, parse_plain_event
from tests.realfs.fsconfig import (
    ENV_PREFIX,
    FAREND_NUMBERS,
    FSCONF,
    GATEWAYS,
    NETWORKS,
    FreeSwitchConfig,
    FreeSwitchError,
    free_port,
    prefix_problem,
)

__all__ = [
    "ENV_PREFIX",
    "FAREND_NUMBERS",
    "FSCONF",
    "GATEWAYS",
    "NETWORKS",
    "EslClient",
    "EslError",
    "FreeSwitchError",
    "RealFreeSwitch",
    "free_port",
    "parse_plain_event",
    "prefix_problem",
]

_RUNNING: set[RealFreeSwitch] = set()


@atexit.register
def _kill_leftovers() -> None:
    for fs in list(_RUNNING):
        with contextlib.suppress(Exception):
            fs.kill9()


class RealFreeSwitch(FreeSwitchConfig):
    """One private FreeSWITCH process. Built at construction (options: see ``FreeSwitchConfig`` and
    README.md: ``autocall_context``, ``avmd``, ``farend``, ``gateway_proxy``, ``heartbeat``, ``sps``,
    ``max_sessions``, ``rtp_ports``, ``password``, ``extra_env``, ``workdir``, ``cdr``, ``config_url``), then
    ``start()``."""

    def __init__(self, *args, **kwargs):
        self.proc: subprocess.Popen | None = None
        self.start_seconds: float | None = None  # how long the last start() took
        self.stop_seconds: float | None = None  # how long the last stop()/fsctl_shutdown() took
        super().__init__(*args, **kwargs)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def start(self, timeout: float = 30.0) -> RealFreeSwitch:
        """Start FreeSWITCH (again: same config, a new process and Core-UUID) and wait until usable."""
        if self.running:
            raise FreeSwitchError("already running")
        t0 = time.monotonic()
        with open(self.stdout_path, "ab") as out:
            self.proc = subprocess.Popen(
                self.command_line(),
                cwd=self.workdir,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _RUNNING.add(self)
        try:
            self._wait_ready(t0 + timeout)
        except BaseException:
            self.kill9()
            raise
        self.start_seconds = time.monotonic() - t0
        return self

    def _wait_ready(self, deadline: float) -> None:
        stage = "Event Socket"
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FreeSwitchError(f"FreeSWITCH exited with {self.proc.returncode} during start\n{self.log_tail()}")
            try:
                with EslClient(self.host, self.port, self.password, timeout=5) as esl:
                    stage = "core ready"
                    if "is ready" not in esl.api("status"):
                        raise EslError("core not ready")
                    stage = "SIP profiles"
                    status = esl.api("sofia status")
                    wanted = ["internal", "external"] + (["farend"] if self.farend else [])
                    missing = [p for p in wanted if not re.search(rf"^\s*{p}\s+profile\s.*RUNNING", status, re.M)]
                    if missing:
                        raise EslError(f"profiles not running yet: {missing}")
                    return
            except (OSError, EslError) as exc:
                last_error = exc
            time.sleep(0.1)
        raise FreeSwitchError(
            f"FreeSWITCH not usable on {self.host}:{self.port} in time (waiting for: {stage}; last error: "
            f"{last_error!r})\n{self.log_tail()}"
        )

    def wait_exit(self, timeout: float = 60.0) -> int:
        """Wait for the process to end; its exit status. FreeSwitchError if it is still running."""
        if self.proc is None:
            raise FreeSwitchError("never started")
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise FreeSwitchError(f"FreeSWITCH still running after {timeout} s\n{self.log_tail()}") from None
        _RUNNING.discard(self)
        return code

    def stop(self, timeout: float = 60.0) -> int | None:
        """SIGTERM (a plain shutdown: calls are hung up SYSTEM_SHUTDOWN) and wait for the exit.

        Falls back to SIGKILL after ``timeout``. Returns the exit status (None if not running)."""
        if not self.running:
            _RUNNING.discard(self)
            return None
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.wait_exit(timeout)
        except FreeSwitchError:
            self.kill9()
            raise
        self.stop_seconds = time.monotonic() - t0
        return code

    def kill9(self) -> None:
        """SIGKILL and reap: no shutdown, no hangup events, no CDRs."""
        if self.running:
            self.proc.kill()
        if self.proc is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(10)
        _RUNNING.discard(self)

    def fsctl_shutdown(self, mode: str = "", wait: bool = True, timeout: float = 60.0) -> str:
        """``fsctl shutdown [mode]`` (mode: "", elegant, asap, cancel, restart...).

        Sent as ``bgapi``: ``api fsctl shutdown elegant|asap`` blocks the connection until the calls end.
        Returns the ``command/reply`` text. With ``wait`` (and a mode other than cancel) waits for exit."""
        t0 = time.monotonic()
        with EslClient(self.host, self.port, self.password) as esl:
            reply = esl.command(f"bgapi fsctl shutdown {mode}".rstrip())
        if wait and mode != "cancel":
            self.wait_exit(timeout)
            self.stop_seconds = time.monotonic() - t0
        return reply

    def cleanup(self) -> None:
        """Kill FreeSWITCH if it runs and remove the working directory if this object created it."""
        self.kill9()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> RealFreeSwitch:
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.stop()
        finally:
            self.cleanup()

    # -- talking to it ---------------------------------------------------------------------------

    def connect(self, events: str | None = None, timeout: float = 10.0) -> EslClient:
        """A new authenticated ESL connection; with ``events`` (e.g. "ALL") subscribed ``event plain``."""
        esl = EslClient(self.host, self.port, self.password, timeout=timeout)
        if events:
            esl.subscribe(events)
        return esl

    def api(self, cmd: str, timeout: float = 30.0) -> str:
        """``api <cmd>`` on a fresh connection: the reply body, exactly."""
        with EslClient(self.host, self.port, self.password, timeout=timeout) as esl:
            return esl.api(cmd, timeout)

    @property
    def core_uuid(self) -> str:
        return self.api("global_getvar core_uuid").strip()

    def log_text(self) -> str:
        """The whole FreeSWITCH log so far (every start of this instance appends to it)."""
        return self.log_path.read_text(errors="replace") if self.log_path.is_file() else ""

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.log_path, self.stdout_path):
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(no FreeSWITCH log yet)"
