"""A private, real FreeSWITCH for tests: autocall's freeswitch-conf on a stock config, plus a far end.

``RealFreeSwitch(prefix)`` builds a fresh configuration directory in a temporary directory from the
install's pristine stock configuration (``$PREFIX/etc/freeswitch.vanilla``, else ``$PREFIX/etc/freeswitch``),
installs ``freeswitch-conf/`` onto it the way freeswitch-conf/README.md says (``cp -r autoload_configs
dialplan directory sip_profiles``), and makes it runnable offline and side by side with any other
FreeSWITCH on the machine:

* vars.xml: ``external_sip_ip``/``external_rtp_ip`` are set to 127.0.0.1 instead of the ``stun-set``
  lookups (mod_sofia refuses to load when STUN fails); ``local_ip_v4`` is 127.0.0.1, so every SIP
  profile binds to loopback; the SIP ports are free ports; the stock ``default_password`` is replaced by
  a random one;
* the IPv6 profiles are removed, and so are the internal profile's ``ws-binding``/``wss-binding``
  (fixed ports 5066 and 7443);
* switch.conf.xml (autocall's): a free RTP port range, ``event-heartbeat-interval``,
  ``sessions-per-second`` and ``max-sessions`` as asked;
* the Event Socket is autocall's own file, driven by the environment variables it reads
  (``AUTOCALL_FS_ESL_PASSWORD``, ``AUTOCALL_FS_ESL_LISTEN_IP``, ``AUTOCALL_FS_ESL_LISTEN_PORT``): a free
  port and a random password per instance;
* a far end: a second sofia profile ``farend`` on 127.0.0.1 and a dialplan context ``farend`` that
  answers, rings or refuses by number (``FAREND_NUMBERS``), and the five carrier gateways
  ``autocall-{viettel,mobi,vina,tel,offnet}`` point at it through ``AUTOCALL_FS_GW_<NET>_PROXY``.

Everything FreeSWITCH writes (logs, db, run, temp, cache, ...) stays in the temporary directory.
``start()`` runs ``freeswitch -nonat -nc -nf -conf ... -log ... -db ...`` and waits until the Event
Socket accepts the password, the core says it is ready and the SIP profiles run. ``api()`` is a small
synchronous ESL client (one connection per call); ``connect()`` gives a longer-lived one with events.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FSCONF = REPO / "freeswitch-conf"
ENV_PREFIX = "AUTOCALL_REALFS"
NETWORKS = ("viettel", "mobi", "vina", "tel", "offnet")
GATEWAYS = tuple(f"autocall-{net}" for net in NETWORKS)

#: What the far end does with a number (the leading ``0`` or ``84`` is optional). First match wins.
FAREND_NUMBERS = {
    "0981…": "486 Busy Here (USER_BUSY)",
    "0982…": "404 Not Found (UNALLOCATED_NUMBER)",
    "0983…": "180 Ringing, never answers (NO_ANSWER at originate_timeout)",
    "0984…": "480 Temporarily Unavailable (NO_USER_RESPONSE)",
    "0985…": "503 Service Unavailable (NORMAL_TEMPORARY_FAILURE)",
    "098…": "rings, answers after 1 s, hangs up (BYE) 3 s later",
    "0979…": "rings, answers after 1 s, hangs up (BYE) 30 s later",
}

FAREND_DIALPLAN = """\
<!-- autocall tests (tests/realfs/fsharness.py): the far end's context, reached through the farend profile -->
<include>
  <context name="farend">
    <extension name="busy"><condition field="destination_number" expression="^(0|84)?981">
      <action application="respond" data="486 Busy Here"/></condition></extension>
    <extension name="notfound"><condition field="destination_number" expression="^(0|84)?982">
      <action application="respond" data="404 Not Found"/></condition></extension>
    <extension name="noanswer"><condition field="destination_number" expression="^(0|84)?983">
      <action application="ring_ready"/><action application="sleep" data="120000"/></condition></extension>
    <extension name="unavailable"><condition field="destination_number" expression="^(0|84)?984">
      <action application="respond" data="480 Temporarily Unavailable"/></condition></extension>
    <extension name="svcunavail"><condition field="destination_number" expression="^(0|84)?985">
      <action application="respond" data="503 Service Unavailable"/></condition></extension>
    <extension name="answer"><condition field="destination_number" expression="^(0|84)?98">
      <action application="ring_ready"/><action application="sleep" data="1000"/>
      <action application="answer"/><action application="sleep" data="3000"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>
    <extension name="listener"><condition field="destination_number" expression="^(0|84)?979">
      <action application="ring_ready"/><action application="sleep" data="1000"/>
      <action application="answer"/><action application="sleep" data="30000"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>
  </context>
</include>
"""

FAREND_PROFILE = """\
<!-- autocall tests (tests/realfs/fsharness.py): the in-process far end the autocall-* gateways call -->
<profile name="farend">
  <settings>
    <param name="context" value="farend"/>
    <param name="dialplan" value="XML"/>
    <param name="sip-ip" value="127.0.0.1"/>
    <param name="rtp-ip" value="127.0.0.1"/>
    <param name="ext-sip-ip" value="127.0.0.1"/>
    <param name="ext-rtp-ip" value="127.0.0.1"/>
    <param name="sip-port" value="{port}"/>
    <param name="auth-calls" value="false"/>
    <param name="inbound-codec-prefs" value="PCMU,PCMA"/>
    <param name="outbound-codec-prefs" value="PCMU,PCMA"/>
    <param name="manage-presence" value="false"/>
  </settings>
</profile>
"""

_RUNNING: set[RealFreeSwitch] = set()


@atexit.register
def _kill_leftovers() -> None:
    for fs in list(_RUNNING):
        with contextlib.suppress(Exception):
            fs.kill9()


class FreeSwitchError(RuntimeError):
    """FreeSWITCH did not start, stop or answer as expected (the message has the log tail)."""


def prefix_problem(prefix: str | None) -> str | None:
    """Why ``prefix`` cannot be used (the skip reason), or None when it has bin/freeswitch."""
    if not prefix:
        return f"{ENV_PREFIX} is not set: no real FreeSWITCH to test against (see tests/realfs/README.md)"
    binary = Path(prefix) / "bin" / "freeswitch"
    if not binary.is_file():
        return f"{binary} not found ({ENV_PREFIX}={prefix})"
    return None


# -- free ports ----------------------------------------------------------------------------------


def _bindable(port: int, kinds=(socket.SOCK_STREAM, socket.SOCK_DGRAM)) -> bool:
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(avoid: set[int] = frozenset()) -> int:
    """A loopback port that is free for both TCP and UDP (SIP listens on both)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in avoid and _bindable(port):
            return port
    raise FreeSwitchError("no free port found")


def free_udp_range(size: int, avoid: set[int] = frozenset(), low: int = 10000, high: int = 32000) -> tuple[int, int]:
    """A UDP port range [start, end], both even (FreeSWITCH rounds an odd end down), every port free,
    below Linux's ephemeral range (32768-60999)."""
    rng = random.Random()
    size += size % 2
    for _ in range(100):
        start = rng.randrange(low, high - size) & ~1
        ports = range(start, start + size + 1)
        if any(p in avoid for p in ports):
            continue
        if all(_bindable(p, (socket.SOCK_DGRAM,)) for p in ports):
            return start, start + size
    raise FreeSwitchError(f"no free UDP range of {size} ports found")


# -- a small ESL client ------------------------------------------------------------------------


class EslError(RuntimeError):
    pass


def parse_plain_event(body: bytes) -> dict[str, str]:
    """A ``text/event-plain`` body as a dict (values URL-decoded); its own body, if any, under ``_body``."""
    text = body.decode(errors="replace")
    head, sep, rest = text.partition("\n\n")
    event: dict[str, str] = {}
    for line in head.split("\n"):
        key, colon, value = line.partition(": ")
        if colon:
            event[key] = urllib.parse.unquote(value)
    if sep and "Content-Length" in event:
        event["_body"] = rest
    return event


class EslClient:
    """A plain-socket inbound ESL client: frames split by Content-Length, events kept in ``events``."""

    def __init__(self, host: str, port: int, password: str, timeout: float = 10.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buf = b""
        self.events: list[dict[str, str]] = []  # received, not yet taken by wait_event()
        self.closed = False
        headers, _ = self.read_frame()
        if headers.get("Content-Type") != "auth/request":
            raise EslError(f"expected auth/request, got {headers!r}")
        reply = self.command(f"auth {password}")
        if not reply.startswith("+OK"):
            self.close()
            raise EslError(f"auth failed: {reply!r}")

    def __enter__(self) -> EslClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()

    def read_frame(self, timeout: float | None = None) -> tuple[dict[str, str], bytes]:
        """The next frame, whatever it is: (headers, body). Raises TimeoutError or EslError (closed)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            end = self._buf.find(b"\n\n")
            if end >= 0:
                headers: dict[str, str] = {}
                for line in self._buf[:end].decode(errors="replace").split("\n"):
                    key, colon, value = line.partition(": ")
                    if colon:
                        headers[key] = value
                length = int(headers.get("Content-Length", 0))
                if len(self._buf) >= end + 2 + length:
                    body = self._buf[end + 2 : end + 2 + length]
                    self._buf = self._buf[end + 2 + length :]
                    return headers, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no ESL frame in time")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError("no ESL frame in time") from None
            if not data:
                self.closed = True
                raise EslError("connection closed by FreeSWITCH")
            self._buf += data

    def _next(self, content_type: str, timeout: float | None) -> tuple[dict[str, str], bytes]:
        """The next frame of ``content_type``; events that arrive meanwhile go to ``events``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            headers, body = self.read_frame(max(0.0, deadline - time.monotonic()))
            ctype = headers.get("Content-Type", "")
            if ctype == content_type:
                return headers, body
            if ctype == "text/event-plain":
                self.events.append(parse_plain_event(body))
            elif ctype == "text/event-json":
                self.events.append(json.loads(body))
            elif ctype == "text/disconnect-notice":
                self.closed = True
                raise EslError(f"disconnected: {body.decode(errors='replace')!r}")

    def send(self, cmd: str) -> None:
        self.sock.sendall(cmd.encode() + b"\n\n")

    def command(self, cmd: str, timeout: float | None = None) -> str:
        """Send a command; its ``command/reply`` Reply-Text."""
        self.send(cmd)
        headers, _ = self._next("command/reply", timeout)
        return headers.get("Reply-Text", "")

    def api(self, cmd: str, timeout: float | None = 30.0) -> str:
        """``api <cmd>``: the ``api/response`` body, exactly (usually ends with ``\\n``)."""
        self.send(f"api {cmd}")
        _, body = self._next("api/response", timeout)
        return body.decode(errors="replace")

    def bgapi(self, cmd: str, job_uuid: str | None = None) -> str:
        """``bgapi <cmd>`` with a client-chosen Job-UUID; returns it. See ``wait_job``."""
        job_uuid = job_uuid or str(uuid.uuid4())
        reply = self.command(f"bgapi {cmd}\nJob-UUID: {job_uuid}")
        if not reply.startswith("+OK"):
            raise EslError(f"bgapi refused: {reply!r}")
        return job_uuid

    def subscribe(self, events: str = "ALL") -> str:
        return self.command(f"event plain {events}")

    def wait_event(self, pred: Callable[[dict], bool], timeout: float = 30.0) -> dict[str, str]:
        """The first received event matching ``pred`` (taken out of ``events``); TimeoutError if none."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for i in range(checked, len(self.events)):
                if pred(self.events[i]):
                    return self.events.pop(i)
            checked = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event in time")
            try:
                headers, body = self.read_frame(left)
            except TimeoutError:
                raise TimeoutError("no matching event in time") from None
            ctype = headers.get("Content-Type", "")
            if ctype == "text/event-plain":
                self.events.append(parse_plain_event(body))
            elif ctype == "text/event-json":
                self.events.append(json.loads(body))
            elif ctype == "text/disconnect-notice":
                self.closed = True
                raise EslError(f"disconnected: {body.decode(errors='replace')!r}")

    def wait_job(self, job_uuid: str, timeout: float = 60.0) -> str:
        """The body of the BACKGROUND_JOB of ``job_uuid`` (needs ``subscribe('BACKGROUND_JOB')`` or ALL)."""
        event = self.wait_event(
            lambda e: e.get("Event-Name") == "BACKGROUND_JOB" and e.get("Job-UUID") == job_uuid, timeout
        )
        return event.get("_body", "")


# -- the FreeSWITCH ----------------------------------------------------------------------------


class RealFreeSwitch:
    """One private FreeSWITCH process (see the module docstring). Build at construction, then start().

    Options: ``autocall_context`` (False: leave dialplan/autocall.xml out, a stock config with no
    autocall context), ``avmd`` (False: do not load mod_avmd), ``farend`` (False: no far-end profile,
    context or gateway proxies), ``heartbeat`` (event-heartbeat-interval, s), ``sps``
    (sessions-per-second), ``max_sessions``, ``rtp_ports`` (size of the RTP range), ``password`` (ESL;
    random by default), ``extra_env`` (more environment for FreeSWITCH, e.g. ``AUTOCALL_FS_AVMD``),
    ``workdir`` (default: a new temporary directory, removed by ``cleanup()``).
    """

    host = "127.0.0.1"

    def __init__(
        self,
        prefix: str | os.PathLike | None = None,
        *,
        autocall_context: bool = True,
        avmd: bool = True,
        farend: bool = True,
        heartbeat: int = 1,
        sps: int = 60,
        max_sessions: int = 2000,
        rtp_ports: int = 200,
        password: str | None = None,
        extra_env: dict[str, str] | None = None,
        workdir: str | os.PathLike | None = None,
        fsconf: str | os.PathLike = FSCONF,
    ):
        prefix = prefix or os.environ.get(ENV_PREFIX)
        problem = prefix_problem(str(prefix) if prefix else None)
        if problem:
            raise FreeSwitchError(problem)
        self.prefix = Path(prefix)
        self.binary = self.prefix / "bin" / "freeswitch"
        self.fsconf = Path(fsconf)
        self.autocall_context = autocall_context
        self.avmd = avmd
        self.farend = farend
        self.heartbeat = heartbeat
        self.sps = sps
        self.max_sessions = max_sessions
        self.password = password or secrets.token_hex(16)
        self.extra_env = dict(extra_env or {})
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="autocall-realfs-"))
        self.dirs = {
            name: self.workdir / name
            for name in ("conf", "log", "db", "run", "temp", "storage", "cache", "recordings", "sounds", "certs")
        }
        self.conf_dir = self.dirs["conf"]
        self.log_path = self.dirs["log"] / "freeswitch.log"
        self.stdout_path = self.dirs["log"] / "stdout.txt"
        self.proc: subprocess.Popen | None = None
        self.start_seconds: float | None = None  # how long the last start() took
        self.stop_seconds: float | None = None  # how long the last stop()/fsctl_shutdown() took

        used: set[int] = set()
        self.port = free_port(used)  # Event Socket
        used.add(self.port)
        self.sip_ports: dict[str, int] = {}
        for profile in ("internal", "external", "farend"):
            self.sip_ports[profile] = free_port(used)
            used.add(self.sip_ports[profile])
        self.rtp_range = free_udp_range(rtp_ports, used)
        self.build()

    # -- configuration ---------------------------------------------------------------------------

    @property
    def esl_url(self) -> str:
        return f"esl://:{self.password}@{self.host}:{self.port}"

    @property
    def farend_proxy(self) -> str:
        return f"127.0.0.1:{self.sip_ports['farend']}"

    def build(self) -> None:
        """Write the configuration directory (replacing any earlier one)."""
        for path in self.dirs.values():
            path.mkdir(parents=True, exist_ok=True)
        conf = self.conf_dir
        shutil.rmtree(conf)
        stock = self.prefix / "etc" / "freeswitch.vanilla"
        if not (stock / "freeswitch.xml").is_file():
            stock = self.prefix / "etc" / "freeswitch"
        if not (stock / "freeswitch.xml").is_file():
            raise FreeSwitchError(f"no stock configuration in {self.prefix}/etc/freeswitch(.vanilla)")
        shutil.copytree(stock, conf, symlinks=True)
        for path in [conf, *conf.rglob("*")]:
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | 0o200)

        # freeswitch-conf/README.md, "Install": cp -r autoload_configs dialplan directory sip_profiles $CONF/
        for sub in ("autoload_configs", "dialplan", "directory", "sip_profiles"):
            shutil.copytree(self.fsconf / sub, conf / sub, dirs_exist_ok=True)
        if not self.autocall_context:
            (conf / "dialplan" / "autocall.xml").unlink()
        if not self.avmd:
            post = stock / "autoload_configs" / "post_load_modules.conf.xml"
            target = conf / "autoload_configs" / "post_load_modules.conf.xml"
            if post.is_file():
                shutil.copyfile(post, target)
            else:
                target.write_text('<configuration name="post_load_modules.conf"><modules/></configuration>\n')

        self._edit_vars(conf / "vars.xml")
        profiles = conf / "sip_profiles"
        for name in ("internal-ipv6.xml", "external-ipv6.xml"):
            (profiles / name).unlink(missing_ok=True)
        shutil.rmtree(profiles / "external-ipv6", ignore_errors=True)
        internal = profiles / "internal.xml"
        text = internal.read_text()
        text = re.sub(r'^.*<param name="wss?-binding".*\n', "", text, flags=re.M)
        internal.write_text(text)

        switch_conf = conf / "autoload_configs" / "switch.conf.xml"
        text = switch_conf.read_text()
        for name, value in (
            ("max-sessions", self.max_sessions),
            ("sessions-per-second", self.sps),
            ("event-heartbeat-interval", self.heartbeat),
            ("rtp-start-port", self.rtp_range[0]),
            ("rtp-end-port", self.rtp_range[1]),
        ):
            text, n = re.subn(rf'(<param name="{name}" value=")[^"]*(")', rf"\g<1>{value}\g<2>", text)
            if n == 0:
                text = text.replace("<settings>", f'<settings>\n    <param name="{name}" value="{value}"/>', 1)
        switch_conf.write_text(text)

        if self.farend:
            (profiles / "farend.xml").write_text(FAREND_PROFILE.format(port=self.sip_ports["farend"]))
            (conf / "dialplan" / "farend.xml").write_text(FAREND_DIALPLAN)

    def _edit_vars(self, path: Path) -> None:
        text = path.read_text()

        def setvar(text: str, name: str, value: str) -> str:
            line = f'<X-PRE-PROCESS cmd="set" data="{name}={value}"/>'
            pattern = rf'<X-PRE-PROCESS cmd="(?:set|stun-set)" data="{re.escape(name)}=[^"]*"/>'
            text, n = re.subn(pattern, line, text)
            if n == 0:
                raise FreeSwitchError(f"vars.xml has no {name}")
            return text

        text = setvar(text, "external_rtp_ip", "127.0.0.1")
        text = setvar(text, "external_sip_ip", "127.0.0.1")
        text = setvar(text, "internal_sip_port", str(self.sip_ports["internal"]))
        text = setvar(text, "external_sip_port", str(self.sip_ports["external"]))
        text = setvar(text, "default_password", secrets.token_hex(12))
        # before anything reads $${local_ip_v4} (domain, the profiles' sip-ip/rtp-ip): loopback only
        first = text.index("<X-PRE-PROCESS")
        text = text[:first] + '<X-PRE-PROCESS cmd="set" data="local_ip_v4=127.0.0.1"/>\n  ' + text[first:]
        path.write_text(text)

    def environment(self) -> dict[str, str]:
        """FreeSWITCH's environment: ours without AUTOCALL_FS_*, plus what freeswitch-conf reads."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_FS_")}
        env.update(
            AUTOCALL_FS_ESL_PASSWORD=self.password,
            AUTOCALL_FS_ESL_LISTEN_IP=self.host,
            AUTOCALL_FS_ESL_LISTEN_PORT=str(self.port),
            AUTOCALL_FS_ESL_ACL="127.0.0.1/32",
        )
        if self.farend:
            for net in NETWORKS:
                env[f"AUTOCALL_FS_GW_{net.upper()}_PROXY"] = self.farend_proxy
        env.update(self.extra_env)
        return env

    # -- process ---------------------------------------------------------------------------------

    def command_line(self) -> list[str]:
        d = self.dirs
        return [
            str(self.binary), "-nonat", "-nc", "-nf",
            "-conf", str(d["conf"]), "-log", str(d["log"]), "-db", str(d["db"]), "-run", str(d["run"]),
            "-temp", str(d["temp"]), "-storage", str(d["storage"]), "-cache", str(d["cache"]),
            "-recordings", str(d["recordings"]), "-sounds", str(d["sounds"]), "-certs", str(d["certs"]),
        ]  # fmt: skip

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

    def log_tail(self, lines: int = 60) -> str:
        parts = []
        for path in (self.log_path, self.stdout_path):
            if path.is_file():
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {path} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts) or "(no FreeSWITCH log yet)"
