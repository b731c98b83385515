"""Records batch 6: an autodialer lead that is FreeSWITCH's own echo test (``loopback/9196/default``), as
``autocall agent-test`` places it by default (issue 19, docs/autodialer.md "Checking an agent").

    cd <repo> && AUTOCALL_REALFS=/opt/freeswitch .venv/bin/python tests/captures/batch6/tools/record_batch6.py

Same setup as batch 5 (tests/captures/batch5/README.md): the harness's FreeSWITCH with freeswitch-conf,
mod_xml_curl asking a small HTTP server run here (tests/realfs/config_server.py) for the queue, user 1001
registered with SIPp, its phone ``agent_answer_bye.xml``. The agent is ``1001@autocall-test`` in queue
``autocall-agent-test-1001`` (dialer/domain/agent_test.py). Writes into ../ in batch 3's tools/esl_rec.py
format (<name>.{cmd,esl,timeline.tsv}, <name>.summary.txt), fslog/<name>.freeswitch.log, runs.txt.
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

from esl_rec import EslRec  # noqa: E402

from tests.realfs.config_server import ConfigServer  # noqa: E402
from tests.realfs.fsharness import RealFreeSwitch  # noqa: E402
from tests.realfs.sipagents import SipAgent  # noqa: E402

PASSWORD = "ClueCon"
SECRET = "caps6-secret"
QUEUE = "autocall-agent-test-1001"
AGENT = "1001@autocall-test"
QUEUE_PARAMS = {  # what autocall's /freeswitch/config serves for an agent test's queue
    "strategy": "longest-idle-agent",
    "moh-sound": "tone_stream://%(1000,4000,425);loops=-1",
    "max-wait-time": "60",
    "max-wait-time-with-no-agent": "60",
    "max-wait-time-with-no-agent-time-reached": "0",
    "tier-rules-apply": "false",
    "discard-abandoned-after": "10",
    "abandoned-resume-allowed": "false",
}


def record(fs: RealFreeSwitch, name: str, abandon: str) -> None:
    lines: list[str] = []
    log_start = fs.log_path.stat().st_size
    rec = EslRec(str(OUT / name), password=PASSWORD, port=fs.port)

    def say(text: str) -> None:
        lines.append(f"{time.time() - rec.t_open:8.3f}  {text}")
        print(lines[-1], flush=True)

    def api(cmd: str) -> None:
        say(f"api {cmd}  ->  {rec.api(cmd)!r}")

    def event(pred, what: str, timeout: float = 30) -> None:
        f = rec.wait(lambda f: f.ev is not None and pred(f.ev), timeout)
        e = f.ev if f else {}
        info = {k: e[k] for k in ("Unique-ID", "Old-Unique-ID", "Channel-Name", "CC-Action", "Hangup-Cause") if k in e}
        say(f"  {what}: {info if f else 'none within %s s' % timeout}")

    say(f"event plain ALL  ->  {rec.command('event plain ALL').headers.get('Reply-Text')!r}")
    for command in (
        f"agent add {AGENT} callback",
        f"agent set contact {AGENT} [leg_timeout=30]user/1001",
        f"agent set max_no_answer {AGENT} 0",
        f"agent set wrap_up_time {AGENT} 0",
        f"agent set status {AGENT} Available",
        f"queue load {QUEUE}",
        f"tier add {QUEUE} {AGENT} 1 1",
    ):
        api(f"callcenter_config {command}")
    leg, job = str(uuid.uuid4()), str(uuid.uuid4())
    arg = (
        "originate {originate_timeout=30,ignore_early_media=true,autocall_campaign=caps6-campaign,"
        f"autocall_lead=caps6-lead,autocall_call={leg},autocall_file={abandon},autocall_engine=caps6engine,"
        f"autocall_avmd=false,autocall_queue={QUEUE},autocall_abandon_file={abandon}}}"
        f"[origination_uuid={leg},origination_caller_id_number=02812345678]loopback/9196/default autodialer XML autodialer"
    )
    f = rec.command(f"bgapi {arg}\nJob-UUID: {job}")
    say(f"bgapi {arg}  ->  {f.headers.get('Reply-Text') if f else None!r}")
    j = rec.job(job, 30)
    say(f"  BACKGROUND_JOB  ->  {j.ev.get('_body') if j else None!r}")
    event(lambda e: e.get("Event-Name") == "CHANNEL_UUID", "CHANNEL_UUID")
    event(lambda e: e.get("CC-Action") == "member-queue-start", "member-queue-start")
    event(lambda e: e.get("CC-Action") == "bridge-agent-start", "bridge-agent-start")
    event(lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg, "lead hangup")
    event(lambda e: e.get("CC-Action") == "member-queue-end", "member-queue-end")
    deadline = time.time() + 30  # every channel destroyed, then 2 s for late events
    while time.time() < deadline:
        created = {x.ev.get("Unique-ID") for x in rec.events("CHANNEL_CREATE")}
        if created <= {x.ev.get("Unique-ID") for x in rec.events("CHANNEL_DESTROY")}:
            break
        time.sleep(0.2)
    time.sleep(2)
    for command in (f"agent del {AGENT}", f"queue unload {QUEUE}"):
        api(f"callcenter_config {command}")
    rec.close()
    (OUT / f"{name}.summary.txt").write_text("\n".join(lines) + "\n")
    (OUT / "fslog").mkdir(exist_ok=True)
    (OUT / "fslog" / f"{name}.freeswitch.log").write_bytes(fs.log_path.read_bytes()[log_start:])


def main() -> None:
    server = ConfigServer(SECRET).start()
    server.queues[QUEUE] = dict(QUEUE_PARAMS)
    fs = RealFreeSwitch(
        os.environ.get("AUTOCALL_REALFS", "/opt/freeswitch"),
        password=PASSWORD,
        heartbeat=20,
        config_url=server.url,
        extra_env={"AUTOCALL_FS_CDR_URL": server.cdr_url, "AUTOCALL_FS_CDR_SECRET": SECRET},
    )
    runs = []
    phone = None
    try:
        fs.start()
        runs.append(f"start {fs.start_seconds:.2f} s, Core-UUID {fs.core_uuid}, workdir {fs.workdir}")
        fs.api("fsctl loglevel debug")
        password = fs.api("global_getvar default_password").strip()
        phone = SipAgent(fs.host, fs.sip_ports["internal"], "1001", password, fs.workdir / "sipp")
        phone.register()
        phone.phone("answer_bye")
        record(fs, "ad-echo-lead.plain", "tone_stream://%(500,0,480)")
        fs.stop()
        runs.append(f"SIGTERM: exited after {fs.stop_seconds:.2f} s")
    finally:
        if phone is not None:
            phone.close()
        fs.cleanup()
        server.stop()
        (OUT / "runs.txt").write_text("".join(f"{line}\n" for line in runs))
    print("\n".join(runs))


if __name__ == "__main__":
    main()
