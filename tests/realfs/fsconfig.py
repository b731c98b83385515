"""The configuration of a private, real FreeSWITCH: autocall's freeswitch-conf on a stock config, plus a far end.

``FreeSwitchConfig(prefix)`` picks free ports and writes a configuration directory, built from the
install's pristine stock configuration (``$PREFIX/etc/freeswitch.vanilla``, else
``$PREFIX/etc/freeswitch``), with ``freeswitch-conf/`` installed the way freeswitch-conf/README.md says
(``cp -r autoload_configs dialplan directory sip_profiles``), and made runnable offline and side by side
with any other FreeSWITCH on the machine:

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
  ``autocall-{viettel,mobi,vina,tel,offnet}`` point at it through ``AUTOCALL_FS_GW_<NET>_PROXY`` (or at
  another instance's far end: ``gateway_proxy``);
* with ``cdr=True``, mod_json_cdr posts to ``cdr_url`` with ``cdr_secret`` (AUTOCALL_FS_CDR_URL /
  AUTOCALL_FS_CDR_SECRET): the autocall started with ``autocall_env()`` listens there with that secret;
* mod_xml_curl asks ``config_url`` for configuration (AUTOCALL_FS_CONFIG_URL): by default a loopback port
  nobody listens on (refused at once: FreeSWITCH reads its files), never freeswitch-conf's 127.0.0.1:8080,
  where another autocall may run.

Everything FreeSWITCH writes (logs, db, run, temp, cache, ...) stays in the working directory.
Running the process is fsharness.py's job.
"""

from __future__ import annotations

import os
import random
import re
import secrets
import shutil
import socket
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FSCONF = REPO / "freeswitch-conf"
ENV_PREFIX = "AUTOCALL_REALFS"
NETWORKS = ("viettel", "mobi", "vina", "tel", "offnet")
GATEWAYS = tuple(f"autocall-{net}" for net in NETWORKS)
RUN_DIRS = ("conf", "log", "db", "run", "temp", "storage", "cache", "recordings", "sounds", "certs")

#: What the far end does with a number (the leading ``0`` or ``84`` is optional). First match wins.
FAREND_NUMBERS = {
    "0981…": "486 Busy Here (USER_BUSY)",
    "0982…": "404 Not Found (UNALLOCATED_NUMBER)",
    "0983…": "180 Ringing, never answers (NO_ANSWER at originate_timeout)",
    "0984…": "480 Temporarily Unavailable (NO_USER_RESPONSE)",
    "0985…": "503 Service Unavailable (NORMAL_TEMPORARY_FAILURE)",
    "098…": "rings, answers after 1 s, hangs up (BYE) 3 s later",
    "0979…": "rings, answers after 1 s, hangs up (BYE) 30 s later",
    "0977…": "rings 2 s, then 486 Busy Here (USER_BUSY after ringing)",
    "0978…": "rings, answers after 1 s, records what it hears (recordings/farend-<number>-<uuid>.wav), BYE 30 s later",
}

FAREND_DIALPLAN = """\
<!-- autocall tests (tests/realfs/fsconfig.py): the far end's context, reached through the farend profile -->
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
    <extension name="recorder"><condition field="destination_number" expression="^(0|84)?978">
      <action application="ring_ready"/><action application="sleep" data="1000"/><action application="answer"/>
      <action application="set" data="RECORD_READ_ONLY=true"/>
      <action application="record_session" data="$${recordings_dir}/farend-${destination_number}-${uuid}.wav"/>
      <action application="sleep" data="30000"/>
      <action application="hangup" data="NORMAL_CLEARING"/></condition></extension>
    <extension name="busy-late"><condition field="destination_number" expression="^(0|84)?977">
      <action application="ring_ready"/><action application="sleep" data="2000"/>
      <action application="respond" data="486 Busy Here"/></condition></extension>
  </context>
</include>
"""

FAREND_PROFILE = """\
<!-- autocall tests (tests/realfs/fsconfig.py): the in-process far end the autocall-* gateways call -->
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


# -- the configuration ---------------------------------------------------------------------------


class FreeSwitchConfig:
    """Options, ports, directories and configuration files of one private FreeSWITCH (see the module
    docstring). Writes the configuration at construction; ``RealFreeSwitch`` (fsharness.py) runs it."""

    host = "127.0.0.1"

    def __init__(
        self,
        prefix: str | os.PathLike | None = None,
        *,
        autocall_context: bool = True,
        avmd: bool = True,
        farend: bool = True,
        gateway_proxy: str | None = None,
        heartbeat: int = 1,
        sps: int = 60,
        max_sessions: int = 2000,
        rtp_ports: int = 200,
        password: str | None = None,
        extra_env: dict[str, str] | None = None,
        workdir: str | os.PathLike | None = None,
        cdr: bool = False,
        config_url: str | None = None,
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
        self.gateway_proxy = gateway_proxy
        self.heartbeat = heartbeat
        self.sps = sps
        self.max_sessions = max_sessions
        self.password = password or secrets.token_hex(16)
        self.extra_env = dict(extra_env or {})
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="autocall-realfs-"))
        self.dirs = {name: self.workdir / name for name in RUN_DIRS}
        self.conf_dir = self.dirs["conf"]
        self.log_path = self.dirs["log"] / "freeswitch.log"
        self.stdout_path = self.dirs["log"] / "stdout.txt"

        used: set[int] = set()
        self.port = free_port(used)  # Event Socket
        used.add(self.port)
        self.sip_ports: dict[str, int] = {}
        for profile in ("internal", "external", "farend"):
            self.sip_ports[profile] = free_port(used)
            used.add(self.sip_ports[profile])
        self.rtp_range = free_udp_range(rtp_ports, used)
        # cdr=True: mod_json_cdr posts to the autocall this test runs (autocall_env() gives it the same
        # listen address and secret); otherwise freeswitch-conf's defaults (127.0.0.1:8080, a random secret).
        self.cdr = cdr
        self.cdr_listen = f"127.0.0.1:{free_port(used)}" if cdr else None
        self.cdr_secret = secrets.token_hex(16) if cdr else None
        # mod_xml_curl's URL: the test's own config server, or a port where nobody answers (files only)
        self.config_url = config_url or f"http://127.0.0.1:{free_port(used)}/freeswitch/config"
        self.build()

    @property
    def esl_url(self) -> str:
        return f"esl://:{self.password}@{self.host}:{self.port}"

    @property
    def cdr_url(self) -> str | None:
        """Where mod_json_cdr posts (cdr=True): the /freeswitch/cdr endpoint of the autocall on ``cdr_listen``."""
        return f"http://{self.cdr_listen}/freeswitch/cdr" if self.cdr else None

    def autocall_env(self) -> dict[str, str]:
        """What ``autocall serve`` needs to take this FreeSWITCH's CDRs (cdr=True): AUTOCALL_LISTEN on
        ``cdr_listen`` and AUTOCALL_CDR_SECRET = the secret FreeSWITCH sends. Empty without cdr."""
        if not self.cdr:
            return {}
        return {"AUTOCALL_LISTEN": self.cdr_listen, "AUTOCALL_CDR_SECRET": self.cdr_secret}

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
        internal.write_text(re.sub(r'^.*<param name="wss?-binding".*\n', "", internal.read_text(), flags=re.M))
        self._edit_switch_conf(conf / "autoload_configs" / "switch.conf.xml")

        if self.farend:
            (profiles / "farend.xml").write_text(FAREND_PROFILE.format(port=self.sip_ports["farend"]))
            (conf / "dialplan" / "farend.xml").write_text(FAREND_DIALPLAN)

    def _edit_switch_conf(self, path: Path) -> None:
        text = path.read_text()
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
        path.write_text(text)

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
        if self.cdr:
            env.update(AUTOCALL_FS_CDR_URL=self.cdr_url, AUTOCALL_FS_CDR_SECRET=self.cdr_secret)
        elif "AUTOCALL_FS_CDR_URL" not in self.extra_env:
            # Nobody takes the CDRs (freeswitch-conf's default URL, 127.0.0.1:8080): one try each, not two
            # minutes of retries, which a SIGTERM shutdown would wait for (stop() would time out).
            env["AUTOCALL_FS_CDR_RETRIES"] = "0"
        env["AUTOCALL_FS_CONFIG_URL"] = self.config_url
        proxy = self.gateway_proxy or (self.farend_proxy if self.farend else None)
        if proxy:
            for net in NETWORKS:
                env[f"AUTOCALL_FS_GW_{net.upper()}_PROXY"] = proxy
        env.update(self.extra_env)
        return env

    def command_line(self) -> list[str]:
        d = self.dirs
        return [
            str(self.binary),
            "-nonat",
            "-nc",
            "-nf",
            "-conf",
            str(d["conf"]),
            "-log",
            str(d["log"]),
            "-db",
            str(d["db"]),
            "-run",
            str(d["run"]),
            "-temp",
            str(d["temp"]),
            "-storage",
            str(d["storage"]),
            "-cache",
            str(d["cache"]),
            "-recordings",
            str(d["recordings"]),
            "-sounds",
            str(d["sounds"]),
            "-certs",
            str(d["certs"]),
        ]
