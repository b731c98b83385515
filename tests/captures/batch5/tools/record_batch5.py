"""Records batch 5: mod_callcenter and mod_xml_curl on FreeSWITCH 1.10.12 (issue 19, autodialer campaigns).

    cd <repo> && AUTOCALL_REALFS=/opt/freeswitch .venv/bin/python tests/captures/batch5/tools/record_batch5.py

One FreeSWITCH (the harness's, freeswitch-conf installed: mod_callcenter, mod_xml_curl, dialplan/autodialer.xml),
whose mod_xml_curl asks a small HTTP server run here (tests/realfs/config_server.py: autocall's
/freeswitch/config) for the queues; three SIP users as agents (1001 and 1002 registered with SIPp, each
with a SIPp phone; 1003 never registered). Writes into ../ (batch 3's tools/esl_rec.py format:
<name>.{cmd,esl,timeline.tsv} byte for byte, <name>.summary.txt every command and its reply), plus
xml_curl/requests.json (every POST mod_xml_curl made, with the reply), json_cdr/<name>.<leg>.json (the
lead's CDR as mod_json_cdr posted it), fslog/<name>.freeswitch.log, runs.txt.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import time
import uuid
import wave
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
SECRET = "caps5-secret"
QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000005"  # a campaign's call_center_queue_uuid
OTHER_QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000006"
MOH_QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000007"  # the stock moh-sound, $${hold_music}
MOH = "tone_stream://%(1000,4000,425);loops=-1"
QUEUE_PARAMS = {
    "strategy": "longest-idle-agent",
    "moh-sound": MOH,
    "time-base-score": "queue",
    "max-wait-time": "8",
    "max-wait-time-with-no-agent": "0",
    "tier-rules-apply": "false",
    "discard-abandoned-after": "60",
    "abandoned-resume-allowed": "false",
}
A, B, C = "1001@autocall", "1002@autocall", "1003@autocall"  # C: user 1003, never registered


def write_tone(path: Path, seconds: float = 2.0, hz: float = 600.0) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        n = int(8000 * seconds)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * hz * i / 8000))) for i in range(n)))
    return path


class Scenario:
    """One recorded ESL connection plus its summary and FreeSWITCH log slice."""

    def __init__(self, fs: RealFreeSwitch, name: str, fmt: str = "plain"):
        self.fs = fs
        self.name = name
        self.log_start = fs.log_path.stat().st_size
        self.lines: list[str] = []
        self.rec = EslRec(str(OUT / name), password=PASSWORD, port=fs.port)
        self.t0 = self.rec.t_open
        self.command(f"event {fmt} ALL")

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

    def bgapi(self, arg: str) -> str:
        job = str(uuid.uuid4())
        f = self.rec.command(f"bgapi {arg}\nJob-UUID: {job}")
        self.say(f"bgapi {arg[:160]}  ->  {f.headers.get('Reply-Text') if f else None!r}")
        return job

    def job(self, job: str, timeout: float = 30) -> str | None:
        f = self.rec.job(job, timeout)
        body = f.ev.get("_body") if f else None
        self.say(f"  BACKGROUND_JOB {job[:8]}  ->  {body!r}")
        return body

    def event(self, pred, timeout: float, what: str) -> dict | None:
        f = self.rec.wait(lambda f: f.ev is not None and pred(f.ev), timeout)
        if f is None:
            self.say(f"  (no {what} within {timeout} s)")
            return None
        e = f.ev
        info = {k: e[k] for k in ("CC-Action", "CC-Agent", "CC-Cause", "CC-Cancel-Reason", "Hangup-Cause") if k in e}
        self.say(f"  event {e.get('Event-Name')} {e.get('Event-Subclass', '')} {info}")
        return e

    def cc(self, action: str, timeout: float = 20, agent: str | None = None) -> dict | None:
        def pred(e):
            return (
                e.get("Event-Subclass") == "callcenter::info"
                and e.get("CC-Action") == action
                and agent in (None, e.get("CC-Agent"))
            )

        return self.event(pred, timeout, f"callcenter::info {action} {agent or ''}")

    def hangup_complete(self, leg: str, timeout: float = 40) -> dict | None:
        return self.event(
            lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg,
            timeout,
            f"CHANNEL_HANGUP_COMPLETE {leg[:8]}",
        )

    def settle(self, seconds: float = 2.0) -> None:
        """Wait for every channel seen to reach CHANNEL_DESTROY, then ``seconds`` more (late callcenter events)."""
        deadline = time.time() + 60
        while time.time() < deadline:
            created = {f.ev.get("Unique-ID") for f in self.rec.events("CHANNEL_CREATE")}
            destroyed = {f.ev.get("Unique-ID") for f in self.rec.events("CHANNEL_DESTROY")}
            if created <= destroyed:
                break
            time.sleep(0.2)
        time.sleep(seconds)

    def close(self) -> None:
        self.rec.close()
        (OUT / f"{self.name}.summary.txt").write_text("\n".join(self.lines) + "\n")
        log = self.fs.log_path.read_bytes()[self.log_start :]
        if log:
            (OUT / "fslog").mkdir(exist_ok=True)
            (OUT / "fslog" / f"{self.name}.freeswitch.log").write_bytes(log)


def originate(
    leg: str, number: str, abandon_file: str, queue: str = QUEUE, avmd: bool = False, timeout: int = 20
) -> str:
    """What the autodialer engine sends (docs/autodialer.md), with test values."""
    g = (
        f"{{originate_timeout={timeout},ignore_early_media=true,autocall_campaign=caps5-campaign,"
        f"autocall_lead=caps5-lead-{leg[:8]},autocall_call=caps5-call-{leg[:8]},autocall_queue={queue},"
        f"autocall_abandon_file={abandon_file}{'' if avmd else ',autocall_avmd=false'}}}"
    )
    return (
        f"originate {g}[origination_uuid={leg},origination_caller_id_number=0900000000]"
        f"sofia/gateway/autocall-viettel/{number} autodialer XML autodialer"
    )


class Recorder:
    def __init__(self, fs: RealFreeSwitch, server: ConfigServer, agents: dict[str, SipAgent], abandon: Path):
        self.fs = fs
        self.server = server
        self.agents = agents
        self.abandon = str(abandon)
        self.number = 0

    def lead_number(self, prefix: str) -> str:
        self.number += 1
        return f"{prefix}{self.number:06d}"

    def statuses(self, sc: Scenario, **status: str) -> None:
        """Agent statuses for the scenario (A/B/C keys), state Waiting, no delay left from an earlier one."""
        for key, value in status.items():
            agent = {"A": A, "B": B, "C": C}[key]
            sc.api(f"callcenter_config agent set status {agent} '{value}'")
            if value != "Logged Out":
                sc.api(f"callcenter_config agent set state {agent} Waiting")
                sc.api(f"callcenter_config agent set ready_time {agent} 0")

    def save_cdr(self, name: str, leg: str) -> None:
        deadline = time.time() + 10
        while time.time() < deadline:
            for c in list(self.server.cdrs):
                if c["cdr"].get("variables", {}).get("uuid") == leg:
                    (OUT / "json_cdr").mkdir(exist_ok=True)
                    (OUT / "json_cdr" / f"{name}.lead.json").write_text(json.dumps(c["cdr"], indent=1) + "\n")
                    return
            time.sleep(0.2)

    def call(self, sc: Scenario, number: str, avmd: bool = False, queue: str = QUEUE) -> tuple[str, str | None]:
        leg = str(uuid.uuid4())
        job = sc.bgapi(originate(leg, number, self.abandon, queue=queue, avmd=avmd))
        return leg, sc.job(job, 30)

    # -- scenarios -------------------------------------------------------------------------------

    def bridged_agent_hangs_up(self, fmt: str) -> None:
        name = f"cc-bridge-agent-hangs-up.{fmt}"
        self.agents["1001"].phone("answer_bye")
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="Available", B="On Break", C="Logged Out")
        leg, _ = self.call(sc, self.lead_number("0979"), avmd=True)
        sc.cc("member-queue-start")
        sc.cc("agent-offering")
        sc.cc("bridge-agent-start")
        sc.cc("bridge-agent-end", 30)
        sc.cc("member-queue-end", 10)
        sc.hangup_complete(leg)
        sc.settle()
        sc.api("callcenter_config agent list 1001@autocall")
        sc.close()
        self.save_cdr(name, leg)

    def bridged_member_hangs_up(self, fmt: str) -> None:
        name = f"cc-bridge-member-hangs-up.{fmt}"
        self.agents["1001"].phone("answer")
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="Available", B="On Break", C="Logged Out")
        number = self.lead_number("0979")
        leg, _ = self.call(sc, number)
        start = sc.cc("bridge-agent-start")
        farend = sc.rec.wait(
            lambda f: f.name == "CHANNEL_CREATE" and f.ev.get("Channel-Name", "").startswith("sofia/farend/"), 1
        )
        if start and farend:
            time.sleep(2)
            sc.rec.note("the far end (the lead's phone) hangs up: uuid_kill of its leg, a BYE to our lead leg")
            sc.api(f"uuid_kill {farend.ev['Unique-ID']}")
        sc.cc("bridge-agent-end", 30)
        sc.cc("member-queue-end", 10)
        sc.hangup_complete(leg)
        sc.settle()
        sc.close()
        self.save_cdr(name, leg)

    def agent_noanswer_then_other(self, fmt: str) -> None:
        """B rings and does not answer (leg_timeout=3 in its contact); the lead is offered to A, who answers."""
        name = f"cc-agent-noanswer-then-other.{fmt}"
        self.agents["1001"].phone("answer_bye")
        self.agents["1002"].phone("noanswer")
        sc = Scenario(self.fs, name, fmt)
        # B sorts first (longest-idle-agent: level, last_bridge_end, position): no bridge yet, position 1
        self.statuses(sc, A="Available", B="Available", C="Logged Out")
        sc.api(f"callcenter_config agent set max_no_answer {B} 1")
        leg, _ = self.call(sc, self.lead_number("0979"))
        sc.cc("agent-offering", agent=B)
        sc.cc("bridge-agent-fail", 20, agent=B)
        sc.cc("agent-offering", 20, agent=A)
        sc.cc("bridge-agent-start", 20)
        sc.cc("bridge-agent-end", 30)
        sc.cc("member-queue-end", 10)
        sc.hangup_complete(leg)
        sc.settle()
        sc.api(f"callcenter_config agent list {B}")
        sc.api(f"callcenter_config agent set max_no_answer {B} 0")
        sc.close()
        self.save_cdr(name, leg)

    def agent_noanswer_reoffered(self, fmt: str) -> None:
        """B (never bridged, so first) does not answer and has no no_answer_delay_time nor max_no_answer:
        longest-idle-agent offers the lead to B again and again; A is never offered it."""
        name = f"cc-agent-noanswer-reoffered.{fmt}"
        self.agents["1001"].phone("answer_bye")
        self.agents["1002"].phone("noanswer")
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="Available", B="Available", C="Logged Out")
        sc.api(f"callcenter_config agent list {B}")
        leg, _ = self.call(sc, self.lead_number("0979"))
        sc.cc("member-queue-end", 30)
        sc.hangup_complete(leg)
        sc.settle()
        sc.close()
        self.save_cdr(name, leg)

    def agent_unreachable(self, fmt: str) -> None:
        """C (user 1003) is Available but not registered: USER_NOT_REGISTERED, then the lead is abandoned."""
        name = f"cc-agent-unregistered.{fmt}"
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="On Break", B="On Break", C="Available")
        leg, _ = self.call(sc, self.lead_number("0979"))
        sc.cc("agent-offering")
        sc.cc("bridge-agent-fail", 20)
        sc.cc("member-queue-end", 20)
        sc.hangup_complete(leg)
        sc.settle()
        self.statuses(sc, C="Logged Out")
        sc.close()
        self.save_cdr(name, leg)

    def agent_ringing_past_max_wait(self, fmt: str) -> None:
        """B rings (never answers; contact without leg_timeout: agent-originate-timeout, 10 s) past max-wait-time."""
        name = f"cc-agent-ringing-past-max-wait.{fmt}"
        self.agents["1002"].phone("noanswer")
        sc = Scenario(self.fs, name, fmt)
        sc.api(f"callcenter_config agent set contact {B} user/1002")
        self.statuses(sc, A="On Break", B="Available", C="Logged Out")
        leg, _ = self.call(sc, self.lead_number("0979"))
        sc.cc("agent-offering")
        sc.cc("member-queue-end", 75)
        sc.cc("bridge-agent-fail", 75)
        sc.hangup_complete(leg, 75)
        sc.settle()
        sc.api(f"callcenter_config agent set contact {B} [leg_timeout=3]user/1002")
        sc.close()
        self.save_cdr(name, leg)

    def abandon_timeout(self, fmt: str) -> None:
        name = f"cc-abandon-timeout.{fmt}"
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="On Break", B="On Break", C="Logged Out")
        leg, _ = self.call(sc, self.lead_number("0979"), avmd=True)
        sc.cc("member-queue-start")
        sc.cc("member-queue-end", 20)
        sc.event(lambda e: e.get("Event-Name") == "PLAYBACK_STOP" and e.get("Unique-ID") == leg, 20, "PLAYBACK_STOP")
        sc.hangup_complete(leg)
        sc.settle()
        sc.close()
        self.save_cdr(name, leg)

    def abandon_lead_hangs_up(self, fmt: str) -> None:
        """No free agent; the lead (0980: BYE 3 s after the answer) hangs up while it waits."""
        name = f"cc-abandon-lead-hangs-up.{fmt}"
        sc = Scenario(self.fs, name, fmt)
        self.statuses(sc, A="On Break", B="On Break", C="Logged Out")
        leg, _ = self.call(sc, self.lead_number("0980"))
        sc.cc("member-queue-start")
        sc.cc("member-queue-end", 20)
        sc.hangup_complete(leg)
        sc.settle()
        sc.close()
        self.save_cdr(name, leg)

    def moh_local_stream(self, fmt: str) -> None:
        """A queue whose moh-sound is the stock local_stream://moh, in a build without mod_local_stream."""
        name = f"cc-moh-local-stream.{fmt}"
        sc = Scenario(self.fs, name, fmt)
        leg, _ = self.call(sc, self.lead_number("0979"), queue=MOH_QUEUE)
        sc.cc("member-queue-start")
        sc.cc("member-queue-end", 20)
        sc.hangup_complete(leg)
        sc.settle(1)
        sc.close()
        self.save_cdr(name, leg)

    def queue_unknown(self, fmt: str) -> None:
        """autocall_queue names a queue autocall does not serve: no queue, the lead hears the abandon file."""
        name = f"cc-queue-unknown.{fmt}"
        sc = Scenario(self.fs, name, fmt)
        leg, _ = self.call(sc, self.lead_number("0979"), queue="no-such-queue")
        sc.hangup_complete(leg)
        sc.settle(1)
        sc.close()
        self.save_cdr(name, leg)


CONFIG_COMMANDS = [
    "callcenter_config",
    "callcenter_config foo",
    "callcenter_config foo bar",
    "callcenter_config queue list",
    f"callcenter_config queue load {QUEUE}",
    f"callcenter_config queue load {QUEUE}",
    "callcenter_config queue load no-such-queue",
    "callcenter_config queue list",
    f"callcenter_config agent add {A} callback",
    f"callcenter_config agent add {A} callback",
    "callcenter_config agent add bad-type@autocall nosuchtype",
    f"callcenter_config agent set contact {A} user/1001",
    f"callcenter_config agent set status {A} Available",
    f"callcenter_config agent set status {A} 'On Break'",
    f"callcenter_config agent set status {A} Bogus",
    f"callcenter_config agent set state {A} Waiting",
    f"callcenter_config agent set state {A} Bogus",
    f"callcenter_config agent set max_no_answer {A} 3",
    f"callcenter_config agent set wrap_up_time {A} 2",
    f"callcenter_config agent set reject_delay_time {A} 5",
    f"callcenter_config agent set busy_delay_time {A} 5",
    f"callcenter_config agent set no_answer_delay_time {A} 5",
    f"callcenter_config agent set nosuchkey {A} 1",
    "callcenter_config agent set status no-such-agent@autocall Available",
    "callcenter_config agent set contact no-such-agent@autocall user/1999",
    f"callcenter_config agent get status {A}",
    f"callcenter_config agent get state {A}",
    f"callcenter_config agent get uuid {A}",
    "callcenter_config agent get status no-such-agent@autocall",
    "callcenter_config agent list",
    f"callcenter_config agent list {A}",
    f"callcenter_config tier add {QUEUE} {A} 1 1",
    f"callcenter_config tier add {QUEUE} {A} 1 1",
    f"callcenter_config tier add {QUEUE} no-such-agent@autocall",
    f"callcenter_config tier add no-such-queue {A}",
    f"callcenter_config tier set level {QUEUE} {A} 2",
    f"callcenter_config tier set position {QUEUE} {A} 3",
    "callcenter_config tier list",
    f"callcenter_config queue list agents {QUEUE}",
    f"callcenter_config queue list tiers {QUEUE}",
    f"callcenter_config queue list members {QUEUE}",
    "callcenter_config queue count",
    f"callcenter_config queue count agents {QUEUE}",
    f"callcenter_config queue count members {QUEUE}",
    f"callcenter_config queue count tiers {QUEUE}",
    "callcenter_config queue list agents no-such-queue",
    f"callcenter_config queue reload {QUEUE}",
    f"callcenter_config queue load {OTHER_QUEUE}",
    "callcenter_config queue list",
    f"callcenter_config queue unload {OTHER_QUEUE}",
    f"callcenter_config queue unload {OTHER_QUEUE}",
    "callcenter_config queue unload no-such-queue",
    f"callcenter_config tier del {QUEUE} {A}",
    f"callcenter_config tier del {QUEUE} {A}",
    f"callcenter_config agent del {A}",
    f"callcenter_config agent del {A}",
    "callcenter_config agent del no-such-agent@autocall",
    "callcenter_config agent list",
    "callcenter_config tier list",
]


def config_replies(fs: RealFreeSwitch, fmt: str = "plain") -> None:
    sc = Scenario(fs, f"cc-config.{fmt}", fmt)
    for cmd in CONFIG_COMMANDS:
        sc.api(cmd)
    sc.settle(1)
    sc.close()


def setup_agents(fs: RealFreeSwitch, name: str = "cc-setup") -> None:
    """The agents the call scenarios use: A (1001) and B (1002) registered, C (1003) not; tiers: B 1, A 2, C 3."""
    sc = Scenario(fs, name, "plain")
    sc.api(f"callcenter_config queue load {QUEUE}")
    for agent, user, pos in ((B, "1002", 1), (A, "1001", 2), (C, "1003", 3)):
        sc.api(f"callcenter_config agent add {agent} callback")
        contact = f"[leg_timeout=3]user/{user}" if agent == B else f"user/{user}"
        sc.api(f"callcenter_config agent set contact {agent} {contact}")
        sc.api(f"callcenter_config tier add {QUEUE} {agent} 1 {pos}")
    sc.api(f"callcenter_config queue list agents {QUEUE}")
    sc.api(f"callcenter_config queue list tiers {QUEUE}")
    sc.api("sofia status profile internal reg")
    sc.api("show registrations")
    sc.settle(0.5)
    sc.close()


def xml_curl_down(fs: RealFreeSwitch, server: ConfigServer) -> None:
    """autocall answering 500, then not answering at all (server stopped): queue load falls back to the files."""
    sc = Scenario(fs, "xml-curl-errors", "plain")
    server.status_override = 500
    sc.api(f"callcenter_config queue load {OTHER_QUEUE}")
    server.status_override = None
    server.stop()
    sc.rec.note("the config server is stopped: connections to it are refused")
    t = time.time()
    sc.api(f"callcenter_config queue load {OTHER_QUEUE}")
    sc.say(f"  (refused lookup answered in {time.time() - t:.3f} s)")
    sc.api("callcenter_config queue list")
    sc.settle(0.5)
    sc.close()


def main() -> None:
    """All of batch 5; with ``--extra``, a second run: its own setup (cc-setup.extra) and the scenarios
    added after the first run (cc-agent-noanswer-reoffered), appended to runs.txt."""
    extra = "--extra" in sys.argv[1:]
    prefix = os.environ.get("AUTOCALL_REALFS", "/opt/freeswitch")
    server = ConfigServer(SECRET).start()
    server.queues[QUEUE] = dict(QUEUE_PARAMS)
    server.queues[OTHER_QUEUE] = dict(QUEUE_PARAMS, **{"max-wait-time": "5"})
    server.queues[MOH_QUEUE] = dict(QUEUE_PARAMS, **{"moh-sound": "local_stream://moh", "max-wait-time": "3"})
    fs = RealFreeSwitch(
        prefix,
        password=PASSWORD,
        heartbeat=20,
        config_url=server.url,
        extra_env={"AUTOCALL_FS_CDR_URL": server.cdr_url, "AUTOCALL_FS_CDR_SECRET": SECRET},
    )
    runs = []
    agents: dict[str, SipAgent] = {}
    try:
        fs.start()
        runs.append(f"start {fs.start_seconds:.2f} s, Core-UUID {fs.core_uuid}, workdir {fs.workdir}")
        print(runs[-1], flush=True)
        fs.api("fsctl loglevel debug")
        password = fs.api("global_getvar default_password").strip()
        abandon = write_tone(fs.workdir / "abandon.wav")
        for user in ("1001", "1002"):
            agents[user] = SipAgent(fs.host, fs.sip_ports["internal"], user, password, fs.workdir / "sipp")
            agents[user].register()
        rec = Recorder(fs, server, agents, abandon)
        if extra:
            setup_agents(fs, "cc-setup.extra")
            rec.agent_noanswer_reoffered("plain")
            fs.stop()
            runs.append(f"SIGTERM: exited after {fs.stop_seconds:.2f} s")
            return
        config_replies(fs)
        setup_agents(fs)
        for fmt in ("plain", "json"):
            rec.bridged_agent_hangs_up(fmt)
            rec.bridged_member_hangs_up(fmt)
            rec.agent_noanswer_then_other(fmt)
            rec.agent_unreachable(fmt)
            rec.abandon_timeout(fmt)
            rec.abandon_lead_hangs_up(fmt)
            rec.queue_unknown(fmt)
        rec.agent_ringing_past_max_wait("plain")
        rec.moh_local_stream("plain")
        xml_curl_down(fs, server)
        fs.stop()
        runs.append(f"SIGTERM: exited after {fs.stop_seconds:.2f} s")
    finally:
        for agent in agents.values():
            agent.close()
        fs.cleanup()
        (OUT / "xml_curl").mkdir(exist_ok=True)
        suffix = ".extra" if extra else ""
        (OUT / "xml_curl" / f"requests{suffix}.json").write_text(json.dumps(server.requests, indent=1) + "\n")
        with open(OUT / "runs.txt", "a" if extra else "w") as out:
            out.write("".join(f"{'extra run: ' if extra else ''}{line}\n" for line in runs))
    print("\n".join(runs))


if __name__ == "__main__":
    main()
