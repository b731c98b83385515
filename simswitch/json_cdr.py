"""mod_json_cdr: FreeSWITCH's CDR of every channel, to files and/or posted over HTTP.

Exactly as 1.10.12 does it (mod_json_cdr.c; batch2 README section 6 and json_cdr/J1..J6, S-*):

* At CS_REPORTING each channel's CDR (json_cdr_doc.py) is made. Without a ``url`` it is written
  to ``log-dir/<uuid>.cdr.json`` (one line + ``\\n``); with one, ``log-http-and-disk`` writes that
  file first, then ``POST <url>?uuid=<uuid>`` (``User-Agent: freeswitch-json/1.0``, ``Accept: */*``,
  ``Content-Type: application/json``, HTTP Basic auth with ``cred``). A 2xx is success; else
  ``retries`` more attempts ``delay`` seconds apart (a receiver that never answers costs ``timeout``
  per attempt), then the text + ``\\n`` goes to ``err-log-dir`` under the same name.
* Without ``queue-capacity`` the POSTs run in the channel's own thread, before its
  CHANNEL_HANGUP_COMPLETE (and CHANNEL_DESTROY): the session stays counted meanwhile
  (hangup.py holds the hangup: :meth:`JsonCdr.holds_hangup`). With it, HANGUP_COMPLETE is
  immediate and one thread posts the CDRs one after another; a full queue writes the CDR
  straight to ``err-log-dir``.
* The module's unload (a graceful shutdown) lets the CDR being posted finish and drops the ones
  still queued; a crash (kill -9) loses everything not yet delivered (:meth:`JsonCdr.die`).

``delay`` and ``timeout`` are real seconds, never scaled by the simulator's time_scale: they pace
against a real receiver.
"""

from __future__ import annotations

import base64
import http.client
import logging
import os
import re
import ssl
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import gevent
import gevent.event

from dialer.esl.protocol import url_encode
from simswitch import package_data

log = logging.getLogger("autocall.simswitch")
USER_AGENT = "freeswitch-json/1.0"
_GLOBAL = re.compile(r"\$\$\{([^}]+)\}")


def _true(value: str) -> bool:
    """switch_true()."""
    return value.strip().lower() in ("yes", "on", "true", "t", "enabled", "active", "allow") or (
        value.strip().lstrip("-").isdigit() and int(value) != 0
    )


@dataclass
class JsonCdrSettings:
    """json_cdr.conf's settings (only what the simulator acts on). ``log_dir``/``err_log_dir``
    are paths ("" in log_dir: no file when there is no url either)."""

    url: str = ""
    cred: str = ""  # "user:pass", sent as HTTP Basic
    retries: int = 0  # attempts = retries + 1
    delay: float = 0.0  # seconds between attempts (retries with delay 0 -> 5, as the module does)
    timeout: float = 0.0  # seconds per attempt (curl's CURLOPT_TIMEOUT; 0: none)
    queue_capacity: int = 0  # 0: post in the channel's thread, before HANGUP_COMPLETE
    log_dir: str = ""
    err_log_dir: str = ""  # "": log_dir
    log_http_and_disk: bool = False
    encode_values: bool = True
    encode: str = "false"  # the body: false (JSON) | true (cdr=<url-encoded>) | base64
    log_b_leg: bool = True

    def __post_init__(self) -> None:
        if self.retries and not self.delay:
            self.delay = 5.0  # "Retries set but delay 0 setting to 5 seconds"
        if not self.err_log_dir:
            self.err_log_dir = self.log_dir

    @classmethod
    def from_xml(cls, text: str, variables: dict[str, str], fs_log_dir: str) -> JsonCdrSettings:
        """Read a json_cdr.conf.xml (``$${name}`` from ``variables``, as the pre-processor does);
        a relative log-dir/err-log-dir is under FreeSWITCH's ``$${log_dir}`` (``fs_log_dir``)."""
        text = _GLOBAL.sub(lambda m: variables.get(m.group(1), ""), text)
        params = {p.get("name", "").lower(): p.get("value", "") for p in ET.fromstring(text).iter("param")}

        def where(name: str) -> str:
            if name not in params:
                return ""
            value = params[name] or "json_cdr"
            return value if os.path.isabs(value) else os.path.join(fs_log_dir, value)

        def number(name: str, default: float = 0) -> float:
            m = re.match(r"\s*-?\d+", params.get(name, ""))  # atoi()
            return max(0, int(m.group())) if m else default

        encode = params.get("encode", "false")
        return cls(
            url=params.get("url", ""),
            cred=params.get("cred", ""),
            retries=int(number("retries")),
            delay=number("delay"),
            timeout=number("timeout"),
            queue_capacity=int(number("queue-capacity")),
            log_dir=where("log-dir"),
            err_log_dir=where("err-log-dir"),
            log_http_and_disk=_true(params.get("log-http-and-disk", "false")),
            encode_values=_true(params.get("encode-values", "true")) if params.get("encode-values") else True,
            encode="base64" if encode.lower() == "base64" else ("true" if _true(encode) else "false"),
            log_b_leg=_true(params.get("log-b-leg", "true")),
        )


@dataclass(slots=True)
class Cdr:
    uuid: str
    text: str  # the JSON, one line

    @property
    def filename(self) -> str:
        return f"{self.uuid}.cdr.json"


class JsonCdr:
    """The loaded module. What tests read: ``posted`` (uuids whose POST got a 2xx, in order),
    ``attempts`` (POSTs tried), ``backed_up`` (uuids written to err-log-dir), ``written``
    (uuids written to log-dir), :meth:`pending` (CDRs not delivered yet)."""

    def __init__(self, settings: JsonCdrSettings) -> None:
        self.settings = settings
        self.posted: list[str] = []
        self.backed_up: list[str] = []
        self.written: list[str] = []
        self.attempts = 0
        self.changed = gevent.event.Event()  # set whenever one of the above changes
        self._reset()

    def _reset(self) -> None:
        self.shutdown = False
        self._queue: deque[Cdr] = deque()
        self._wake = gevent.event.Event()
        self._busy: set[gevent.Greenlet] = set()
        self._worker: gevent.Greenlet | None = None
        self._current: Cdr | None = None
        for d in {self.settings.log_dir, self.settings.err_log_dir} - {""}:
            Path(d).mkdir(parents=True, exist_ok=True)  # the module creates them at load

    def pending(self) -> int:
        """CDRs made and not yet delivered (posted, or written to err-log-dir)."""
        return len(self._queue) + len(self._busy) + (self._current is not None)

    def holds_hangup(self) -> bool:
        """Whether a channel's CHANNEL_HANGUP_COMPLETE waits for its POSTs."""
        return bool(self.settings.url) and not self.settings.queue_capacity and not self.shutdown

    # -- CS_REPORTING ---------------------------------------------------------------------
    def on_reporting(self, cdr: Cdr | None, then: Callable[[], None] | None = None) -> None:
        """A channel reached CS_REPORTING with ``cdr`` (None: none made, e.g. a b-leg without
        log-b-leg). ``then`` (the rest of the hangup) runs once the channel's thread is free."""
        if cdr is None or self.shutdown:
            if then is not None:
                then()
            return
        if self.settings.queue_capacity:
            if len(self._queue) >= self.settings.queue_capacity:
                log.warning("simswitch json_cdr: Unable to push cdr to queue")
                self._backup(cdr)
            else:
                self._queue.append(cdr)
                self._wake.set()
                if self._worker is None:
                    self._worker = gevent.spawn(self._cdr_thread)
        elif self.holds_hangup():
            greenlet = gevent.spawn(self._process, cdr)
            self._busy.add(greenlet)

            def done(g: gevent.Greenlet) -> None:
                self._busy.discard(g)
                if then is not None and g.successful():
                    then()

            greenlet.link(done)
            return
        else:
            self._process(cdr)  # to disk only: at once
        if then is not None:
            then()

    def _cdr_thread(self) -> None:
        while not self.shutdown:
            if not self._queue:
                self._wake.clear()
                self._wake.wait()
                continue
            self._current = self._queue.popleft()
            try:
                self._process(self._current)
            finally:
                self._current = None

    # -- process_cdr --------------------------------------------------------------------------
    def _process(self, cdr: Cdr) -> None:
        s = self.settings
        if s.log_dir and (s.log_http_and_disk or not s.url):
            Path(s.log_dir, cdr.filename).write_text(cdr.text + "\n")
            self.written.append(cdr.uuid)
            self.changed.set()
        if not s.url:
            return
        body, ctype = self._body(cdr)
        conn = None
        try:
            for attempt in range(s.retries + 1):
                if attempt:
                    gevent.sleep(s.delay)
                conn = conn or _connection(s.url)
                self.attempts += 1
                self.changed.set()
                status = _post(conn, s, f"{s.url}?uuid={cdr.uuid}", body, ctype)
                if 200 <= status < 300:
                    self.posted.append(cdr.uuid)
                    self.changed.set()
                    return
                log.error("simswitch json_cdr: Got error [%d] posting to web server [%s]", status, s.url)
                if status == 0:
                    conn.close()
                    conn = None
        finally:
            if conn is not None:
                conn.close()
        log.error("simswitch json_cdr: Unable to post to web server")
        self._backup(cdr)

    def _body(self, cdr: Cdr) -> tuple[bytes, str]:
        if self.settings.encode == "true":
            return f"cdr={url_encode(cdr.text)}".encode(), "application/x-www-form-urlencoded"
        if self.settings.encode == "base64":
            return b"cdr=" + base64.b64encode(cdr.text.encode()), "application/x-www-form-base64-encoded"
        return cdr.text.encode(), "application/json"

    def _backup(self, cdr: Cdr) -> None:
        s = self.settings
        if s.err_log_dir:
            text = {"true": url_encode, "base64": lambda t: base64.b64encode(t.encode()).decode()}.get(
                s.encode, lambda t: t
            )(cdr.text)
            Path(s.err_log_dir, cdr.filename).write_text(text + "\n")
        self.backed_up.append(cdr.uuid)
        self.changed.set()

    # -- the module's end -------------------------------------------------------------------
    def unload(self) -> None:
        """mod_json_cdr_shutdown (a graceful shutdown): no CDR from now on, the queued ones are
        dropped, the one being posted (and a channel's own POSTs) run to their end."""
        self.shutdown = True
        self._queue.clear()
        self._wake.set()

    def die(self) -> None:
        """The process is gone (kill -9, or the end of a shutdown): whatever was not delivered
        is lost; a new process loads the module afresh."""
        gevent.killall([*self._busy, *([self._worker] if self._worker else [])], block=False)
        self._reset()


def _connection(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    if parts.scheme == "https":  # the module turns verification off for https
        return http.client.HTTPSConnection(parts.hostname or "", parts.port, context=ssl._create_unverified_context())
    return http.client.HTTPConnection(parts.hostname or "", parts.port or 80)


def _post(conn: http.client.HTTPConnection, s: JsonCdrSettings, dest: str, body: bytes, ctype: str) -> int:
    """One attempt, as libcurl sends it; the HTTP status, 0 when none came (curl's ``[0]``)."""
    parts = urlsplit(dest)
    target = dest[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
    if target.startswith("?"):
        target = "/" + target
    try:
        with gevent.Timeout(s.timeout or None):
            conn.putrequest("POST", target, skip_host=True, skip_accept_encoding=True)
            conn.putheader("Host", parts.netloc.rpartition("@")[2])
            if s.cred:
                conn.putheader("Authorization", "Basic " + base64.b64encode(s.cred.encode()).decode())
            conn.putheader("User-Agent", USER_AGENT)
            conn.putheader("Accept", "*/*")
            conn.putheader("Content-Type", ctype)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            response = conn.getresponse()
            response.read()
            if response.will_close:
                conn.close()
            return response.status
    except (OSError, http.client.HTTPException, gevent.Timeout):
        conn.close()
        return 0


# freeswitch-conf/autoload_configs/json_cdr.conf.xml as the package ships it (package_data.py).
AUTOCALL_CONF = package_data.JSON_CDR_CONF


def autocall_settings(url: str, env: dict[str, str], fs_log_dir: str) -> JsonCdrSettings:
    """freeswitch-conf's json_cdr.conf.xml, its globals set as 00_autocall_vars.xml sets them from
    the environment: AUTOCALL_FS_CDR_SECRET (cred ``freeswitch:<secret>``), AUTOCALL_FS_CDR_RETRIES (120)."""
    variables = {
        "autocall_cdr_url": url,
        "autocall_cdr_secret": env.get("AUTOCALL_FS_CDR_SECRET", ""),
        "autocall_cdr_retries": env.get("AUTOCALL_FS_CDR_RETRIES") or "120",
    }
    return JsonCdrSettings.from_xml(package_data.read_text(AUTOCALL_CONF), variables, fs_log_dir)
