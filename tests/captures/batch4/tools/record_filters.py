"""Records batch 4: mod_event_socket's `filter` command, on FreeSWITCH 1.10.12 (issue 18).

    cd <repo> && AUTOCALL_REALFS=/opt/freeswitch .venv/bin/python tests/captures/batch4/tools/record_filters.py

One FreeSWITCH (the harness's, freeswitch-conf installed). Writes into ../ (batch 3's tools/esl_rec.py
format: <name>.{cmd,esl,timeline.tsv} byte for byte, <name>.summary.txt every command and its reply):

* filter-rules: the reply texts and the matching rules, on one connection subscribed to HEARTBEAT and
  BACKGROUND_JOB only (`bgapi status` jobs and 1 s heartbeats are the probes);
* filter-all: `event json ALL`, no filter: which of the dialer's events carry `variable_autocall_engine`;
* filter-engine-a / filter-engine-b: two listeners filtered as autocall's engines filter (tags caps4a,
  caps4b), each originating one answered call with a DTMF digit (uuid_recv_dtmf) and one refused
  originate; each must receive only its own calls' events, its own jobs, and the node-wide ones.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent
REPO = HERE.parents[3]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests" / "captures" / "batch3" / "tools"))

from esl_rec import EslRec, originate  # noqa: E402

from tests.realfs.fsharness import RealFreeSwitch  # noqa: E402

PASSWORD = "ClueCon"
SUBSCRIPTION = (
    "event json CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE BACKGROUND_JOB HEARTBEAT DTMF SHUTDOWN "
    "SHUTDOWN_REQUESTED CUSTOM avmd::beep"
)


def engine_filters(tag: str) -> list[str]:
    """What dialer/esl/filters.py has an engine send (engine_filters there), with a test tag."""
    return [
        "filter Event-Name HEARTBEAT",
        "filter Event-Name SHUTDOWN",
        "filter Event-Name SHUTDOWN_REQUESTED",
        f"filter variable_autocall_engine {tag}",
        f"filter Job-Command-Arg /autocall_engine={tag}[,}}]/",
    ]


class Conn:
    def __init__(self, fs: RealFreeSwitch, name: str):
        self.name = name
        self.rec = EslRec(str(OUT / name), password=PASSWORD, port=fs.port)
        self.t0 = self.rec.t_open
        self.lines: list[str] = []

    def say(self, text: str) -> None:
        line = f"{time.time() - self.t0:8.3f}  {text}"
        print(f"[{self.name}] {line}", flush=True)
        self.lines.append(line)

    def command(self, cmd: str) -> str | None:
        f = self.rec.command(cmd)
        reply = f.headers.get("Reply-Text", "") if f else None
        self.say(f"{cmd.splitlines()[0]!r}  ->  {reply!r}")
        return reply

    def bgapi(self, arg: str) -> str:
        job = str(uuid.uuid4())
        f = self.rec.command(f"bgapi {arg}\nJob-UUID: {job}")
        self.say(f"bgapi {arg[:100]}  ->  {f.headers.get('Reply-Text') if f else None!r} (Job-UUID {job})")
        return job

    def api(self, cmd: str) -> str | None:
        reply = self.rec.api(cmd)
        self.say(f"api {cmd}  ->  {reply!r}")
        return reply

    def mark(self) -> int:
        return len(self.rec.frames)

    def names_since(self, mark: int) -> list[str]:
        return [f.name for f in self.rec.frames[mark:] if f.ev is not None]

    def close(self) -> None:
        self.rec.close()
        (OUT / f"{self.name}.summary.txt").write_text("\n".join(self.lines) + "\n")


def rules(fs: RealFreeSwitch) -> None:
    c = Conn(fs, "filter-rules")
    c.command("event plain HEARTBEAT BACKGROUND_JOB")

    def probe(label: str) -> None:
        """One `bgapi status` job and a heartbeat's time: which of the two came through."""
        m = c.mark()
        c.bgapi("status")
        time.sleep(1.2)
        c.say(f"  {label}: received {c.names_since(m)}")

    probe("no filter")
    for cmd in (
        "filter",
        "filter Event-Name",
        "filter delete",
        "filter Event-Name heartbeat",  # case-insensitive value
    ):
        c.command(cmd)
    probe("filter Event-Name heartbeat")
    c.command("filter delete Event-Name HEARTBEAT")  # delete compares the value exactly: nothing deleted
    probe("after 'filter delete Event-Name HEARTBEAT'")
    c.command("filter delete Event-Name heartbeat")
    probe("after 'filter delete Event-Name heartbeat' (no filter left)")
    c.command("filter event-name /^BACKGROUND/")  # header name case-insensitive, a regex value
    probe("filter event-name /^BACKGROUND/")
    c.command("filter delete all")
    probe("after 'filter delete all'")
    c.command("filter Event-Name -HEARTBEAT")  # only a negative filter
    probe("only 'filter Event-Name -HEARTBEAT'")
    c.command("filter Job-Command status")
    probe("'-HEARTBEAT' and 'Job-Command status'")
    c.command("filter Event-Name +HEARTBEAT")
    c.command("filter Job-Command -status")
    probe("'-HEARTBEAT', 'Job-Command status', '+HEARTBEAT', 'Job-Command -status'")
    c.command("filter delete Event-Name")  # every Event-Name filter
    probe("after 'filter delete Event-Name'")
    c.command("filter delete Job-Command -status")
    probe("after 'filter delete Job-Command -status'")
    c.command("filter add Event-Name HEARTBEAT")
    c.command("filter Event-Name HEARTBEAT")  # twice: two filters
    c.command("filter delete Event-Name HEARTBEAT")  # both go
    c.command("filter delete Job-Command status")
    probe("after adding HEARTBEAT twice, deleting it once, deleting Job-Command status (no filter left)")
    c.close()


def engines(fs: RealFreeSwitch) -> None:
    everything = Conn(fs, "filter-all")
    everything.command("event json ALL")
    conns = {}
    for tag in ("caps4a", "caps4b"):
        c = Conn(fs, f"filter-engine-{tag[-1]}")
        for cmd in engine_filters(tag):
            c.command(cmd)
        c.command(SUBSCRIPTION)
        conns[tag] = c
    legs = {}
    for tag, c in conns.items():
        leg = str(uuid.uuid4())
        legs[tag] = leg
        c.bgapi(
            "originate "
            + originate(leg, "0980000001", file="silence_stream://2000", extra=f",autocall_engine={tag}", tag=tag)
        )
        c.bgapi("originate " + originate(str(uuid.uuid4()), "0981000001", extra=f",autocall_engine={tag}", tag=tag))
        c.bgapi("status")  # a job that is not an originate
    for tag, c in conns.items():
        f = c.rec.wait(lambda f, leg=legs[tag]: f.name == "CHANNEL_ANSWER" and f.ev.get("Unique-ID") == leg, 15)
        c.say(f"answered: {f is not None}")
        c.api(f"uuid_recv_dtmf {legs[tag]} 5")
    for tag, c in conns.items():
        f = c.rec.wait(
            lambda f, leg=legs[tag]: f.name == "CHANNEL_HANGUP_COMPLETE" and f.ev.get("Unique-ID") == leg, 20
        )
        c.say(f"hung up: {f is not None}")
    time.sleep(1.5)
    for c in (*conns.values(), everything):
        seen = {}
        for f in c.rec.events():
            key = f.name if f.name != "CUSTOM" else f"CUSTOM {f.ev.get('Event-Subclass')}"
            seen.setdefault(key, [0, 0])
            seen[key][0] += 1
            seen[key][1] += "variable_autocall_engine" in f.ev
        c.say(f"events received (name: [count, with variable_autocall_engine]): {seen}")
    for c in conns.values():
        c.close()
    everything.close()


def main() -> None:
    prefix = os.environ.get("AUTOCALL_REALFS", "/opt/freeswitch")
    fs = RealFreeSwitch(prefix, password=PASSWORD)
    fs.start()
    runs = [f"start {fs.start_seconds:.2f} s, Core-UUID {fs.core_uuid}"]
    print(runs[-1], fs.workdir, flush=True)
    try:
        rules(fs)
        engines(fs)
    finally:
        fs.stop()
        runs.append(f"stopped (SIGTERM) after {fs.stop_seconds:.2f} s")
        (OUT / "runs.txt").write_text("\n".join(runs) + "\n")


if __name__ == "__main__":
    main()
