"""``autocall simswitch`` playing the real harness's far end (fsconfig.FAREND_DIALPLAN), as a subprocess.

``FAREND_SCENARIO`` is the simulator's scenario file (docs/simswitch.md) for the same numbers, with the
far end's timings: 486/404/480/503 at once, 0983… rings until ``originate_timeout``, 098… rings 1 s,
answers and hangs up 3 s later, 0979… the same after 30 s (0978… too; it records
what it hears), 0977… rings 2 s then 486.
``SimSwitch(workdir)`` runs ``autocall simswitch --scenario <that file> --time-scale 1 --heartbeat 1`` on a free
port; ``esl_url`` is for AUTOCALL_FREESWITCH; ``extra_rules`` go before the far end's; ``agents`` is the
scenario's ``agents:`` (the agents' softphones), ``config_url`` and ``cdr_secret`` where and as whom its
mod_xml_curl asks for mod_callcenter's queues (``--config-url``, ``AUTOCALL_FS_CDR_SECRET``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.realfs.autocall_serve import COMMAND
from tests.realfs.fsconfig import free_port

# First match wins, as in the far end's dialplan; the leading 0 or 84 is optional there too.
FAREND_SCENARIO = {
    "rules": [
        {"match": "^(0|84)?981", "sip": 486},
        {"match": "^(0|84)?982", "sip": 404},
        {"match": "^(0|84)?983", "no_answer": True},
        {"match": "^(0|84)?984", "sip": 480},
        {"match": "^(0|84)?985", "sip": 503},
        {"match": "^(0|84)?98", "ring": 1, "answer": {"talk": 3, "hangup": "remote"}},
        {"match": "^(0|84)?979", "ring": 1, "answer": {"talk": 30, "hangup": "remote"}},
        {"match": "^(0|84)?978", "ring": 1, "answer": {"talk": 30, "hangup": "remote"}},  # (records too)
        {"match": "^(0|84)?977", "ring": 2, "sip": 486},
    ],
    # A number no rule matches is a mistake in the test: make it obvious.
    "default": {"mix": {"sip604": 1.0}},
}


class SimSwitch:
    """One ``autocall simswitch`` process with the far end's scenario."""

    def __init__(
        self,
        workdir: Path,
        *,
        sps: int = 60,
        max_sessions: int = 2000,
        heartbeat: float = 1.0,
        extra_rules: list[dict] | None = None,
        agents: dict | None = None,
        config_url: str = "",
        cdr_secret: str = "",
    ) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.scenario_path = self.workdir / "farend-scenario.json"
        scenario = {**FAREND_SCENARIO, "rules": [*(extra_rules or []), *FAREND_SCENARIO["rules"]]}
        if agents is not None:
            scenario["agents"] = agents
        self.scenario_path.write_text(json.dumps(scenario, indent=2))
        self.password = secrets.token_hex(16)
        self.port = free_port()
        self.args = [
            "--listen",
            f"127.0.0.1:{self.port}",
            "--password",
            self.password,
            "--scenario",
            str(self.scenario_path),
            "--time-scale",
            "1",
            "--seed",
            "1",
            "--sps",
            str(sps),
            "--max-sessions",
            str(max_sessions),
            "--heartbeat",
            str(heartbeat),
            "--stats-file",
            str(self.workdir / "simswitch-stats.json"),
        ]
        if config_url:  # mod_xml_curl asks there for mod_callcenter's queues
            self.args += ["--config-url", config_url]
        self.env = {**os.environ, "AUTOCALL_FS_CDR_SECRET": cdr_secret} if cdr_secret else None
        self.log_path = self.workdir / "simswitch.log"
        self.proc: subprocess.Popen | None = None

    @property
    def esl_url(self) -> str:
        return f"esl://:{self.password}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> SimSwitch:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*COMMAND, "simswitch", *self.args],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                env=self.env,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"autocall simswitch exited: {self.log_path.read_text()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.1)
        raise AssertionError("autocall simswitch did not listen in time")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def stats(self) -> dict:
        path = self.workdir / "simswitch-stats.json"
        return json.loads(path.read_text()) if path.is_file() else {}
