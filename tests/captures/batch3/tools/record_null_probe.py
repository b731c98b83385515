"""Records batch 3's null-probe captures: mod_loopback's `null` endpoint as a "CDR barrier".

    cd /work/main && AUTOCALL_REALFS=/opt/freeswitch .venv/bin/python tests/captures/batch3/tools/record_null_probe.py

One FreeSWITCH (the harness's, freeswitch-conf installed, mod_json_cdr loaded as shipped) whose
json_cdr url points (AUTOCALL_FS_CDR_URL/AUTOCALL_FS_CDR_SECRET in its environment) at an HTTP
receiver run here on 127.0.0.1. Writes into ../null-probe/:

* <name>.{cmd,esl,timeline.tsv} (tools/esl_rec.py; each connection subscribes `event json ALL`),
  <name>.summary.txt (every command and its reply, repr(), times from the connection's start),
* fslog/<name>.freeswitch.log (FreeSWITCH's log while the scenario ran, loglevel info),
* json_cdr/NNN.raw (each HTTP request mod_json_cdr made, byte for byte), json_cdr/NNN.json (its body),
  json_cdr/index.tsv (epoch received, request line, Content-Length, the Unique-ID of the CDR),
* runs.txt (Core-UUID, start/stop).

The ESL password is the test password ClueCon; the CDR secret is the test secret `caps3-cdr-secret`.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "null-probe"
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from esl_rec import EslRec  # noqa: E402

from tests.realfs.fsharness import RealFreeSwitch, free_port  # noqa: E402

PASSWORD = "ClueCon"
CDR_SECRET = "caps3-cdr-secret"


class CdrReceiver:
    """A tiny HTTP/1.1 server for mod_json_cdr: every request saved byte for byte, answered 200."""

    def __init__(self, outdir: Path):
        self.outdir = outdir
        outdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", self.port))
        self.srv.listen(16)
        self.cdrs: list[dict] = []  # {"seq", "epoch", "uuid", "cdr"}
        self.cv = threading.Condition()
        self.index = open(outdir / "index.tsv", "w", buffering=1)
        self.index.write("seq\tepoch\trequest_line\tcontent_length\tuuid\tchannel_name\tautocall_cdr_probe\n")
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/freeswitch/cdr"

    def _accept(self) -> None:
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c: socket.socket) -> None:
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    c.close()
                    return
                buf += d
            head, _, rest = buf.partition(b"\r\n\r\n")
            lines = head.decode(errors="replace").split("\r\n")
            hdrs = {ln.split(":", 1)[0].strip().lower(): ln.split(":", 1)[1].strip() for ln in lines[1:] if ":" in ln}
            n = int(hdrs.get("content-length", "0"))
            if hdrs.get("expect", "").lower() == "100-continue" and len(rest) < n:
                c.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            while len(rest) < n:
                d = c.recv(65536)
                if not d:
                    break
                rest += d
            body, buf = rest[:n], rest[n:]
            t = time.time()
            try:
                cdr = json.loads(body)
            except ValueError:
                cdr = {}
            var = cdr.get("variables", {}) if isinstance(cdr, dict) else {}
            with self.cv:
                seq = len(self.cdrs) + 1
                (self.outdir / f"{seq:03d}.raw").write_bytes(head + b"\r\n\r\n" + body)
                (self.outdir / f"{seq:03d}.json").write_bytes(body)
                self.index.write(f"{seq}\t{t:.6f}\t{lines[0]}\t{n}\t{var.get('uuid', '')}\t"
                                 f"{var.get('channel_name', '')}\t{var.get('autocall_cdr_probe', '')}\n")
                self.cdrs.append({"seq": seq, "epoch": t, "uuid": var.get("uuid"), "cdr": cdr})
                self.cv.notify_all()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")

    def wait(self, leg: str, timeout: float = 10.0) -> dict | None:
        end = time.time() + timeout
        with self.cv:
            while True:
                for item in self.cdrs:
                    if item["uuid"] == leg:
                        return item
                left = end - time.time()
                if left <= 0:
                    return None
                self.cv.wait(left)


class Scenario:
    """One recorded connection (`event json ALL`), a summary of commands/replies, the FreeSWITCH log slice."""

    def __init__(self, fs: RealFreeSwitch, cdrs: CdrReceiver, name: str):
        self.fs = fs
        self.cdrs = cdrs
        self.name = name
        self.log_start = fs.log_path.stat().st_size
        self.lines: list[str] = []
        self.rec = EslRec(str(OUT / name), password=PASSWORD, port=fs.port)
        self.t0 = self.rec.t_open
        self.say(f"connected; auth reply: {self.rec.frames[-1].headers.get('Reply-Text')!r}")
        self.command("event json ALL")

    def say(self, text: str) -> None:
        line = f"{time.time() - self.t0:8.3f}  {text}"
        print(f"[{self.name}] {line}", flush=True)
        self.lines.append(line)

    def command(self, cmd: str) -> str | None:
        f = self.rec.command(cmd)
        reply = f.headers.get("Reply-Text", "") if f else None
        self.say(f"{cmd.splitlines()[0]}  ->  {reply!r}")
        return reply

    def api(self, cmd: str, timeout: float = 30) -> str | None:
        reply = self.rec.api(cmd, timeout)
        self.say(f"api {cmd}  ->  {reply!r}")
        return reply

    def bgapi(self, arg: str) -> tuple[str, float]:
        job = str(uuid.uuid4())
        t = time.time()
        f = self.rec.command(f"bgapi {arg}\nJob-UUID: {job}")
        self.say(f"bgapi {arg}  ->  {f.headers.get('Reply-Text') if f else None!r}")
        return job, t

    def job(self, job: str, t_sent: float, timeout: float = 30) -> str | None:
        f = self.rec.job(job, timeout)
        body = f.ev.get("_body") if f else None
        dt = f"{(f.t - t_sent) * 1000:.1f} ms after the bgapi" if f else "none"
        self.say(f"  BACKGROUND_JOB {job[:8]}  ->  {body!r} ({dt})")
        return body

    def channel_events(self, leg: str, t_sent: float, timeout: float = 15) -> dict | None:
        """Wait for the leg's CHANNEL_DESTROY (or HANGUP_COMPLETE); log its channel events in order."""
        f = self.rec.wait(lambda f: f.name in ("CHANNEL_DESTROY",) and f.ev.get("Unique-ID") == leg, timeout)
        evs = [x for x in self.rec.events() if x.ev.get("Unique-ID") == leg]
        for x in evs:
            e = x.ev
            keys = ("Channel-State", "Channel-Call-State", "Answer-State", "Hangup-Cause",
                    "variable_autocall_cdr_probe", "Application", "Application-Data", "Channel-Name")
            info = {k: e[k] for k in keys if k in e}
            self.say(f"  +{(x.t - t_sent) * 1000:7.1f} ms  {x.name} {info}")
        if f is None:
            self.say(f"  (no CHANNEL_DESTROY for {leg} within {timeout} s)")
        hc = next((x for x in evs if x.name == "CHANNEL_HANGUP_COMPLETE"), None)
        return hc.ev if hc else None

    def cdr(self, leg: str, t_sent: float, timeout: float = 10) -> dict | None:
        item = self.cdrs.wait(leg, timeout)
        if item is None:
            self.say(f"  no CDR for {leg} within {timeout} s")
            return None
        v = item["cdr"].get("variables", {})
        # wall clock on this machine only: FreeSWITCH's Event-Date-Timestamp is its cached clock (it lags)
        hc = self.rec.wait(lambda f: f.name == "CHANNEL_HANGUP_COMPLETE" and f.ev.get("Unique-ID") == leg, 0)
        bj = [f for f in self.rec.events("BACKGROUND_JOB") if leg in f.ev.get("_body", "")]
        after = f", received {(item['epoch'] - t_sent) * 1000:.1f} ms after the bgapi"
        if hc:
            after += f" ({(item['epoch'] - hc.t) * 1000:+.1f} ms from the ESL receipt of CHANNEL_HANGUP_COMPLETE"
            after += f", {(item['epoch'] - bj[0].t) * 1000:+.1f} ms from that of BACKGROUND_JOB)" if bj else ")"
        keys = ("uuid", "autocall_cdr_probe", "hangup_cause", "channel_name", "endpoint_disposition",
                "answer_epoch", "billsec", "current_application", "last_app", "sip_term_status")
        self.say(f"  CDR #{item['seq']} core-uuid={item['cdr'].get('core-uuid')!r}{after}: "
                 + repr({k: v.get(k) for k in keys if k in v}))
        return item

    def close(self) -> None:
        self.rec.close()
        (OUT / f"{self.name}.summary.txt").write_text("\n".join(self.lines) + "\n")
        log = self.fs.log_path.read_bytes()[self.log_start :]
        if log:
            (OUT / "fslog").mkdir(exist_ok=True)
            (OUT / "fslog" / f"{self.name}.freeswitch.log").write_bytes(log)


def probe(sc: Scenario, dial: str, label: str, after=None) -> str:
    """Originate one probe leg; wait for its job, channel events and CDR; returns the leg uuid."""
    leg = str(uuid.uuid4())
    sc.say(f"--- {label}")
    job, t = sc.bgapi(dial.format(leg=leg))
    if after:
        after(leg)
    sc.job(job, t, 30)
    sc.channel_events(leg, t, 15)
    sc.cdr(leg, t, 10)
    return leg


def main() -> None:
    prefix = os.environ.get("AUTOCALL_REALFS", "/opt/freeswitch")
    OUT.mkdir(parents=True, exist_ok=True)
    cdrs = CdrReceiver(OUT / "json_cdr")
    fs = RealFreeSwitch(prefix, password=PASSWORD,
                        extra_env={"AUTOCALL_FS_CDR_URL": cdrs.url, "AUTOCALL_FS_CDR_SECRET": CDR_SECRET})
    fs.start()
    runs = [f"start {fs.start_seconds:.2f} s, Core-UUID {fs.core_uuid}, CDR url {cdrs.url}"]
    print(runs[-1], fs.workdir, flush=True)
    try:
        # 1. what the configuration loads
        sc = Scenario(fs, cdrs, "checks")
        for cmd in ("module_exists mod_loopback", "module_exists mod_json_cdr", "show calls count",
                    "fsctl sps", "status"):
            sc.api(cmd)
        sc.close()

        # 2. the candidate and its variants, one after the other on one connection
        sc = Scenario(fs, cdrs, "probe")
        probe(sc, "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe &hangup()",
              "null + &hangup()")
        probe(sc, "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe "
              "&hangup(NORMAL_CLEARING)", "null + &hangup(NORMAL_CLEARING)")
        probe(sc, "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/x &sleep(0)", "null + &sleep(0)")
        probe(sc, "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe &park()",
              "null + &park(), then uuid_kill",
              after=lambda leg: (time.sleep(0.2), sc.api(f"uuid_kill {leg}")))
        sc.api("show calls count")
        sc.api("show channels count")
        time.sleep(1)
        sc.say("(1 s later)")
        sc.api("show calls count")
        sc.api("show channels count")
        # the timings again, ten probes one after the other
        sc.say("--- ten more null + &hangup() probes, one at a time: bgapi -> job, -> CHANNEL_HANGUP_COMPLETE, -> CDR")
        for _ in range(10):
            leg = str(uuid.uuid4())
            job, t = sc.bgapi(f"originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe "
                              "&hangup()")
            jf = sc.rec.job(job, 10)
            hc = sc.rec.wait(lambda f, u=leg: f.name == "CHANNEL_HANGUP_COMPLETE" and f.ev.get("Unique-ID") == u, 10)
            item = cdrs.wait(leg, 10)
            if not (jf and hc and item):
                sc.say(f"  incomplete: job={jf is not None} hc={hc is not None} cdr={item is not None}")
                continue
            sc.say(f"  received after the bgapi: BACKGROUND_JOB {(jf.t - t) * 1000:.1f} ms ({jf.ev.get('_body')!r}), "
                   f"CHANNEL_HANGUP_COMPLETE {(hc.t - t) * 1000:.1f} ms, "
                   f"the CDR POST {(item['epoch'] - t) * 1000:.1f} ms")
        sc.api("status")
        # one HEARTBEAT after the probes (heartbeat every 1 s here)
        n = len(sc.rec.frames)
        f = sc.rec.wait(lambda f: f.name == "HEARTBEAT", 3, start=n)
        if f:
            sc.say("  HEARTBEAT " + repr({k: f.ev.get(k) for k in ("Session-Count", "Session-Since-Startup",
                                                                    "Session-Per-Sec", "Session-Per-Sec-Last")}))
        sc.close()

        # 3. the barrier: CDRs of failed sofia calls, then a probe; the probe's CDR must come last
        sc = Scenario(fs, cdrs, "barrier-order")
        first = len(cdrs.cdrs)
        legs = []
        for i in range(3):
            leg = str(uuid.uuid4())
            legs.append(leg)
            job, t = sc.bgapi(f"originate {{originate_timeout=10,ignore_early_media=true}}"
                              f"[origination_uuid={leg}]sofia/gateway/autocall-viettel/098200000{i} &park()")
            sc.job(job, t, 15)
        probe_leg = probe(sc, "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe "
                          "&hangup()", "probe after three 404s")
        time.sleep(1)
        order = [(c["seq"], c["uuid"], c["cdr"].get("variables", {}).get("channel_name")) for c in cdrs.cdrs[first:]]
        sc.say("  CDRs received since this scenario began, in order: " + repr(order))
        sc.say(f"  probe's CDR is the last: {order[-1][1] == probe_leg}; sofia legs before it: "
               f"{sum(1 for o in order[:-1] if o[1] in legs)}/3 (plus far-end legs: {len(order) - 1})")
        sc.close()

        # 4. sessions-per-second: the probe is a session request like any other
        sc = Scenario(fs, cdrs, "sps")
        sc.api("fsctl sps 5")
        time.sleep(1.2)  # a fresh window
        jobs = []
        for _ in range(6):
            leg = str(uuid.uuid4())
            job, t = sc.bgapi(f"originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe "
                              "&hangup()")
            jobs.append((job, t))
        for job, t in jobs:
            sc.job(job, t, 10)
        n = len(sc.rec.frames)
        f = sc.rec.wait(lambda f: f.name == "HEARTBEAT", 3, start=n)
        if f:
            sc.say("  HEARTBEAT " + repr({k: f.ev.get(k) for k in ("Session-Count", "Session-Since-Startup",
                                                                    "Session-Per-Sec", "Session-Per-Sec-Last")}))
        sc.api("fsctl sps 60")
        sc.api("status")
        time.sleep(2)
        sc.close()

        fs.stop()
        runs.append(f"SIGTERM: exited after {fs.stop_seconds:.2f} s")
    finally:
        fs.cleanup()
    (OUT / "runs.txt").write_text("\n".join(runs) + "\n")
    print("\n".join(runs))


if __name__ == "__main__":
    main()
