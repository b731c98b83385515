"""Records batch 3 (api-checks, shutdown-cancel, reloadxml-context) against the harness's FreeSWITCH.

    cd /work/main && AUTOCALL_REALFS=/opt/freeswitch .venv/bin/python tests/captures/batch3/tools/record_batch3.py

Writes <name>.{cmd,esl,timeline.tsv} (tools/esl_rec.py), <name>.summary.txt (every command and its
reply, repr()), and fslog/<name>.freeswitch.log (FreeSWITCH's log while the scenario ran) next to
tools/. The ESL password is the test password ClueCon, as in batches 1 and 2.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from esl_rec import EslRec, originate  # noqa: E402

from tests.realfs.fsharness import FSCONF, RealFreeSwitch  # noqa: E402

PASSWORD = "ClueCon"


class Scenario:
    """One recorded connection, plus a summary of commands/replies and the FreeSWITCH log slice."""

    def __init__(self, fs: RealFreeSwitch, name: str):
        self.fs = fs
        self.name = name
        self.log_start = fs.log_path.stat().st_size
        self.lines: list[str] = []
        self.rec = EslRec(str(OUT / name), password=PASSWORD, port=fs.port)
        self.t0 = self.rec.t_open
        self.say(f"connected; auth reply: {self.rec.frames[-1].headers.get('Reply-Text')!r}")

    def say(self, text: str) -> None:
        line = f"{time.time() - self.t0:8.3f}  {text}"
        print(f"[{self.name}] {line}", flush=True)
        self.lines.append(line)

    def command(self, cmd: str) -> str:
        f = self.rec.command(cmd)
        reply = f.headers.get("Reply-Text", "") if f else None
        self.say(f"{cmd.splitlines()[0]}  ->  {reply!r}")
        return reply

    def api(self, cmd: str, timeout: float = 30) -> str | None:
        try:
            reply = self.rec.api(cmd, timeout)
        except OSError as exc:
            self.say(f"api {cmd}  ->  send failed: {exc!r}")
            return None
        self.say(f"api {cmd}  ->  {reply!r}")
        return reply

    def bgapi(self, arg: str) -> str:
        job = str(uuid.uuid4())
        f = self.rec.command(f"bgapi {arg}\nJob-UUID: {job}")
        self.say(f"bgapi {arg[:110]}  ->  {f.headers.get('Reply-Text') if f else None!r}")
        return job

    def job(self, job: str, timeout: float = 30) -> str | None:
        f = self.rec.job(job, timeout)
        body = f.ev.get("_body") if f else None
        self.say(f"  BACKGROUND_JOB {job[:8]}  ->  {body!r}")
        return body

    def event(self, name: str, timeout: float, **match) -> dict | None:
        def pred(f):
            return f.name == name and all(f.ev.get(k) == v for k, v in match.items())

        f = self.rec.wait(pred, timeout)
        if f is None:
            self.say(f"  (no {name} {match} within {timeout} s)")
            return None
        info = {k: f.ev[k] for k in ("Event-Info", "Hangup-Cause", "Unique-ID") if k in f.ev}
        self.say(f"  event {name} {info}")
        return f.ev

    def originate(self, number: str, file: str, timeout: int = 20) -> tuple[str, str | None]:
        leg = str(uuid.uuid4())
        job = self.bgapi("originate " + originate(leg, number, file=file, timeout=timeout))
        return leg, self.job(job, timeout + 10)

    def close(self) -> None:
        self.rec.close()
        (OUT / f"{self.name}.summary.txt").write_text("\n".join(self.lines) + "\n")
        log = self.fs.log_path.read_bytes()[self.log_start :]
        if log:
            (OUT / "fslog").mkdir(exist_ok=True)
            (OUT / "fslog" / f"{self.name}.freeswitch.log").write_bytes(log)


API_CHECKS = [
    "xml_locate dialplan context name autocall",
    "xml_locate dialplan context name nosuchcontext",
    "module_exists mod_avmd",
    "module_exists mod_nosuch",
    "global_getvar core_uuid",
    "fsctl sps",
    "fsctl max_sessions",
    "fsctl",
    "fsctl shutdown_check",
    "fsctl last_sps",
    "fsctl sps_peak_reset",
    "status",
    "show channels as json",
]

API_CHECKS_STOCK = [
    "xml_locate dialplan context name autocall",
    "xml_locate dialplan context name nosuchcontext",
    "module_exists mod_avmd",
    "module_exists mod_nosuch",
    "global_getvar core_uuid",
]


def api_checks(fs: RealFreeSwitch, name: str, commands: list[str]) -> None:
    sc = Scenario(fs, name)
    sc.command("event plain ALL")
    for cmd in commands:
        sc.api(cmd)
    sc.close()


def shutdown_cancel(fs: RealFreeSwitch, mode: str) -> None:
    sc = Scenario(fs, f"shutdown-cancel-{mode}")
    sc.command("event plain ALL")
    sc.api("fsctl shutdown_check")
    legs = []
    leg, result = sc.originate("0979000001", "silence_stream://20000")
    legs.append((leg, result))
    shutdown_job = sc.bgapi(f"fsctl shutdown {mode}")
    sc.event("SHUTDOWN_REQUESTED", 3)
    sc.api("fsctl shutdown_check")
    legs.append(sc.originate("0979000002", "silence_stream://20000"))
    sc.api("fsctl shutdown cancel")
    sc.job(shutdown_job, 5)
    sc.api("fsctl shutdown_check")
    legs.append(sc.originate("0979000003", "silence_stream://20000"))
    sc.api("show calls count")
    for leg, result in legs:
        if result and result.startswith("+OK"):
            sc.event("CHANNEL_HANGUP_COMPLETE", 45, **{"Unique-ID": leg})
    time.sleep(3)
    sc.say(f"FreeSWITCH process running: {fs.running}")
    if fs.running:
        sc.api("fsctl shutdown_check")
        sc.api("show calls count")
        sc.api("status")
    sc.close()


def shutdown_elegant_idle(fs: RealFreeSwitch) -> None:
    """No call up: elegant has nothing to wait for, so the shutdown starts at once; cancel comes too late."""
    sc = Scenario(fs, "shutdown-elegant-idle")
    sc.command("event plain ALL")
    sc.api("show calls count")
    t0 = time.monotonic()
    job = sc.bgapi("fsctl shutdown elegant")
    sc.api("fsctl shutdown cancel")
    sc.job(job, 5)
    sc.api("fsctl shutdown_check", timeout=5)
    sc.event("SHUTDOWN", 5)
    closed = sc.rec.wait_closed(15)
    sc.say(f"ESL connection closed by FreeSWITCH: {closed}")
    code = fs.wait_exit(60)
    fs.stop_seconds = time.monotonic() - t0
    sc.say(f"FreeSWITCH process exited with {code}, {fs.stop_seconds:.2f} s after the bgapi")
    sc.close()


def reloadxml_context(fs: RealFreeSwitch) -> None:
    sc = Scenario(fs, "reloadxml-context")
    sc.command("event plain ALL")
    sc.api("xml_locate dialplan context name autocall")
    target = fs.conf_dir / "dialplan" / "autocall.xml"
    shutil.copyfile(FSCONF / "dialplan" / "autocall.xml", target)
    sc.rec.note("copied freeswitch-conf/dialplan/autocall.xml into the running config's dialplan/")
    sc.say("copied freeswitch-conf/dialplan/autocall.xml to <conf>/dialplan/autocall.xml")
    sc.api("reloadxml")
    sc.event("RELOADXML", 3)
    sc.api("xml_locate dialplan context name autocall")
    leg, result = sc.originate("0980000001", "silence_stream://1000", timeout=10)
    if result and result.startswith("+OK"):
        sc.event("CHANNEL_HANGUP_COMPLETE", 15, **{"Unique-ID": leg})
    sc.close()


def main() -> None:
    prefix = os.environ.get("AUTOCALL_REALFS", "/opt/freeswitch")
    timings = []

    full = RealFreeSwitch(prefix, password=PASSWORD)
    full.start()
    timings.append(f"full config: start {full.start_seconds:.2f} s, Core-UUID {full.core_uuid}")
    print(timings[-1], full.workdir, flush=True)
    try:
        api_checks(full, "api-checks", API_CHECKS)
        for mode in ("elegant", "asap"):
            if not full.running:
                full.start()
                timings.append(f"full config restarted: Core-UUID {full.core_uuid}")
            shutdown_cancel(full, mode)
        timings.append(f"full config: still running after both cancels: {full.running}")
        shutdown_elegant_idle(full)
        timings.append(f"full config: fsctl shutdown elegant (idle) to exit {full.stop_seconds:.2f} s")
    finally:
        full.cleanup()

    stock = RealFreeSwitch(prefix, password=PASSWORD, autocall_context=False, avmd=False)
    stock.start()
    timings.append(f"stock config: start {stock.start_seconds:.2f} s, Core-UUID {stock.core_uuid}")
    try:
        api_checks(stock, "api-checks.stock", API_CHECKS_STOCK)
        reloadxml_context(stock)
        stock.stop()
        timings.append(f"stock config: stop {stock.stop_seconds:.2f} s")
    finally:
        stock.cleanup()
    (OUT / "runs.txt").write_text("\n".join(timings) + "\n")
    print("\n".join(timings))


if __name__ == "__main__":
    main()
