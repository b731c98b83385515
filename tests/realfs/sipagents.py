"""Call-centre agents for the real-FreeSWITCH tests: SIP users registered with SIPp.

``SipAgent(fs, user, password, workdir)`` is one directory user (the stock ``1001``..``1019``, whose
password is the install's ``default_password``) registered on FreeSWITCH's internal profile by a SIPp
UAC (``sipp/agent_register.xml``), with its Contact on a port of its own where a SIPp UAS plays the
agent's phone: ``answer`` (rings, answers after 1 s, talks until FreeSWITCH hangs up), ``answer_bye``
(answers after 1 s, hangs up 3 s later), ``noanswer`` (rings until CANCEL). ``phone(behaviour)``
swaps the UAS; the registration stays. Needs ``sipp`` (Debian: sip-tester) on PATH.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.realfs.fsconfig import free_port

SIPP_DIR = Path(__file__).resolve().parent / "sipp"
BEHAVIOURS = {"answer": "agent_answer.xml", "answer_bye": "agent_answer_bye.xml", "noanswer": "agent_noanswer.xml"}


def _udp_port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def sipp_binary() -> str | None:
    return shutil.which("sipp")


class SipAgentError(RuntimeError):
    pass


class SipAgent:
    """One registered SIP user whose phone is a SIPp UAS (see the module docstring)."""

    def __init__(self, host: str, sip_port: int, user: str, password: str, workdir: Path):
        self.host = host
        self.sip_port = sip_port  # FreeSWITCH's internal profile
        self.user = user
        self.password = password
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.contact_port = free_port({sip_port})
        self.media_port = free_port({sip_port, self.contact_port})
        self.behaviour: str | None = None
        self._uas: subprocess.Popen | None = None

    def _sipp(self, *args: str) -> list[str]:
        binary = sipp_binary()
        if binary is None:
            raise SipAgentError("sipp not found (apt-get install sip-tester)")
        return [binary, *args, "-nostdin"]

    def register(self, expires: int = 3600, timeout: float = 15.0) -> None:
        """REGISTER (with digest auth) the Contact ``<user>@127.0.0.1:<contact_port>``; ``expires=0`` removes it."""
        cmd = self._sipp(
            f"{self.host}:{self.sip_port}",
            "-sf",
            str(SIPP_DIR / "agent_register.xml"),
            "-i",
            self.host,
            "-p",
            str(free_port({self.sip_port, self.contact_port, self.media_port})),
            "-m",
            "1",
            "-au",
            self.user,
            "-ap",
            self.password,
            "-key",
            "user",
            self.user,
            "-key",
            "contact_port",
            str(self.contact_port),
            "-key",
            "expires",
            str(expires),
            "-timeout",
            str(int(timeout)),
            "-timeout_error",
        )
        with open(self.workdir / f"register-{self.user}.log", "ab") as out:
            code = subprocess.run(cmd, cwd=self.workdir, stdout=out, stderr=subprocess.STDOUT, timeout=timeout + 10)
        if code.returncode != 0:
            raise SipAgentError(f"sipp REGISTER of {self.user} failed with {code.returncode} (see {self.workdir})")

    def phone(self, behaviour: str) -> None:
        """Run the agent's phone as ``behaviour`` (BEHAVIOURS) from now on, replacing the previous one."""
        self.hang_up_phone()
        cmd = self._sipp(
            "-sf",
            str(SIPP_DIR / BEHAVIOURS[behaviour]),
            "-i",
            self.host,
            "-p",
            str(self.contact_port),
            "-mp",
            str(self.media_port),
            "-rtp_echo",
            "-aa",
            "-trace_err",  # unexpected messages: <scenario>_<pid>_errors.log in workdir
        )
        # stdout is SIPp's screen, redrawn every second: not kept
        self._uas = subprocess.Popen(
            cmd,
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.behaviour = behaviour
        self._wait_listening()

    def _wait_listening(self, timeout: float = 10.0) -> None:
        """Until the phone's SIP port is taken (SIPp bound it), so that no INVITE finds it closed."""
        deadline = time.monotonic() + timeout
        while _udp_port_free(self.host, self.contact_port):
            if self._uas is None or self._uas.poll() is not None or time.monotonic() > deadline:
                raise SipAgentError(f"the SIPp phone of {self.user} did not start (see {self.workdir})")
            time.sleep(0.05)

    def hang_up_phone(self) -> None:
        """Stop the phone's SIPp (its calls are dropped without a BYE)."""
        if self._uas is not None:
            if self._uas.poll() is None:
                self._uas.terminate()
                try:
                    self._uas.wait(5)
                except subprocess.TimeoutExpired:
                    self._uas.kill()
                    self._uas.wait(5)
            self._uas = None
            self.behaviour = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.hang_up_phone()
