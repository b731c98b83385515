"""Build the simulator's event templates from real FreeSWITCH captures.

    python -m simswitch.extract tests/captures > simswitch/fs_1_10_12.json

Every channel event the simulator sends is one of these templates: the exact
header names, in the exact order, of an event FreeSWITCH 1.10.12 sent in a
captured call, with the values that belong to that call (uuid, number,
port, caller id, job uuid) replaced by ``@@placeholders@@``. Values that are
times, durations, causes or applications are recomputed per call by header
name (see ``header_rules.RULES``); everything else is FreeSWITCH's own value.
tests/test_simswitch_templates.py checks that the shipped JSON is what this
script produces, so the templates cannot drift from the captures.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from dialer.esl.protocol import StreamParser, parse_event_body

# source name -> capture file stem. Each source is one real call whose leg
# events give the templates of one lifecycle path.
SOURCES = {
    "bye": "answer-remote-bye",  # 180, 200, park, far end BYE
    "kill": "answer-uuid-kill",  # 180, 200, park, uuid_kill (send_bye)
    "refuse": "busy-486",  # final 4xx/5xx/6xx before any ringing
    "cancel": "ring-no-answer-timeout",  # 180, originate_timeout, CANCEL
    "early": "early-media-183-then-200",  # 183+SDP, 200, playback, hangup after the app
    "badprofile": "bgapi-bad-profile",  # lone CHANNEL_DESTROY
    "loopback": "loopback-answer",
    "loopback_noroute": "loopback-no-route",
}
# Calls through a gateway into the XML dialplan (batch2: autocall's own originates):
# source -> (capture stem, number the call dialled).
GATEWAY_SOURCES = {
    "gwdp": ("batch2/throttle", "200000001"),  # 100, 180, 200; the autocall dialplan plays, then hangs up
    "gwrefuse": ("batch2/throttle", "486000001"),  # 100, 486 Busy Here
    "gwnoroute": ("batch2/no-context", "0979000001"),  # answered into a context that does not exist
}
PERIODIC = ("HEARTBEAT", "RE_SCHEDULE")
CALLER_ID = "0900000000"


def slot_key(items: list[tuple[str, str]]) -> str:
    h = dict(items)
    name = h["Event-Name"]
    if name == "CHANNEL_STATE":
        return f"{name}({h['Channel-State']})"
    if name == "CHANNEL_CALLSTATE":
        return f"{name}({h['Channel-Call-State']})"
    if name in ("CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE"):
        return f"{name}({h['Application']})"
    return name


def _events(path: Path):
    for msg in StreamParser().feed(path.read_bytes()):
        if msg.is_event:
            yield parse_event_body(msg)


def _originate_vars(cmd: str) -> list[str]:
    """Names of the {global} and [leg] variables of the captured originate."""
    names = []
    for block in re.findall(r"[{\[]([^}\]]*)[}\]]", cmd.split(" ", 2)[2]):
        names += [kv.split("=", 1)[0] for kv in block.split(",")]
    return names


def _found(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in a capture's command; a capture without it is not one extract knows."""
    match = re.search(pattern, text)
    if match is None:
        raise ValueError(f"{pattern!r} not found in {text!r}")
    return match.group(1)


def _substitutions(dest: str, port: str, uuid: str) -> list[tuple[re.Pattern, str]]:
    subs = [
        (re.compile(re.escape(uuid)), "@@uuid@@"),
        (re.compile(rf"sofia/external/{re.escape(dest)}@127\.0\.0\.1:{port}(?![0-9])"), "@@channel_name@@"),
        (re.compile(rf"(?<![0-9]){re.escape(dest)}@127\.0\.0\.1:{port}(?![0-9])"), "@@sip_uri@@"),
        (re.compile(rf"127\.0\.0\.1:{port}(?![0-9])"), "@@sip_hostport@@"),
        (re.compile(rf"(?<![0-9A-Za-z]){port}(?![0-9])"), "@@sip_port@@"),
        (re.compile(rf"(?<![0-9A-Za-z]){re.escape(dest)}(?![0-9A-Za-z])"), "@@dest@@"),
        (re.compile(rf"(?<![0-9A-Za-z]){CALLER_ID}(?![0-9A-Za-z])"), "@@cid_num@@"),
    ]
    return subs


def _parameterise(items, subs, origin_vars, core_uuid: str, job_uuid: str):
    out: list[list[str]] = []
    i = 0
    while i < len(items):
        name, value = items[i]
        # The originate's own variables become one splice point: the run of them, in whatever
        # order FreeSWITCH lists them (a gateway call lists the [leg] ones first, and drops
        # ignore_early_media).
        if (
            origin_vars
            and name in {f"variable_{n}" for n in origin_vars}
            and "@@originate_vars@@" not in {n for n, _ in out}
        ):
            run = {f"variable_{n}" for n in origin_vars}
            while i < len(items) and items[i][0] in run:
                i += 1
            out.append(["@@originate_vars@@", ""])
            continue
        value = value.replace(core_uuid, "@@core_uuid@@")
        if job_uuid:
            value = value.replace(job_uuid, "@@job_uuid@@")
        if name in ("FreeSWITCH-Hostname", "FreeSWITCH-Switchname"):
            value = "@@hostname@@"
        elif not name.startswith("Event-"):
            for pattern, repl in subs:
                value = pattern.sub(repl, value)
        out.append([name, value])
        i += 1
    return out


def extract(captures: Path) -> dict:
    templates: dict[str, list] = {}
    for source, stem in SOURCES.items():
        path = captures / f"{stem}.plain.esl"
        cmd = (captures / f"{stem}.plain.cmd").read_text()
        originate = next(line for line in cmd.split("\n") if "originate" in line)
        origin_vars = _originate_vars(originate)
        uuid = _found(r"origination_uuid=([0-9a-f-]{36})", originate)
        m = re.search(r"sofia/external/(\d+)@127\.0\.0\.1:(\d+)", originate)
        dest, port = (m.group(1), m.group(2)) if m else ("\x00", "\x00")
        events = list(_events(path))
        core_uuid = events[0].headers["Core-UUID"]
        job = next((e for e in events if e.name == "BACKGROUND_JOB"), None)
        job_uuid = job.headers["Job-UUID"] if job else ""
        subs = _substitutions(dest, port, uuid)
        seen: dict[str, int] = {}
        for ev in events:
            if ev.name in PERIODIC or ev.name == "TRAP":
                continue
            if source.startswith("loopback"):
                continue  # loopback calls are replayed whole, see below
            if ev.headers.get("Unique-ID") not in (uuid, None) and ev.name != "API":
                continue
            key = slot_key(ev.items)
            n = seen.get(key, 0)
            seen[key] = n + 1
            slot = f"{source}:{key}" + (f"#{n + 1}" if n else "")
            templates[slot] = _parameterise(ev.items, subs, origin_vars, core_uuid, job_uuid)
    _gateway_templates(captures, templates)
    # Whole-call replays (loopback): every event of the call, channel
    # uuids replaced by @@uuid@@ (the originated leg), @@uuid_b@@ and
    # @@uuid_tmp@@, with the offset of each event from the originate.
    replays: dict[str, list] = {}
    for source in ("loopback", "loopback_noroute"):
        stem = SOURCES[source]
        cmd = (captures / f"{stem}.plain.cmd").read_text()
        originate = next(line for line in cmd.split("\n") if "originate" in line)
        origin_vars = _originate_vars(originate)
        uuid = _found(r"origination_uuid=([0-9a-f-]{36})", originate)
        events = [e for e in _events(captures / f"{stem}.plain.esl") if e.name not in PERIODIC and e.name != "TRAP"]
        core_uuid = events[0].headers["Core-UUID"]
        job_uuid = next(e for e in events if e.name == "BACKGROUND_JOB").headers["Job-UUID"]
        tmp = next(e.headers["Old-Unique-ID"] for e in events if e.name == "CHANNEL_UUID")
        other = next(e.headers["Unique-ID"] for e in events if e.headers.get("Unique-ID") not in (uuid, tmp, None))
        t0 = int(events[0].headers["Event-Date-Timestamp"])
        subs = [
            (re.compile(re.escape(uuid)), "@@uuid@@"),
            (re.compile(re.escape(other)), "@@uuid_b@@"),
            (re.compile(re.escape(tmp)), "@@uuid_tmp@@"),
            (re.compile(rf"(?<![0-9A-Za-z]){CALLER_ID}(?![0-9A-Za-z])"), "@@cid_num@@"),
        ]
        seq = []
        for ev in events:
            offset = int(ev.headers["Event-Date-Timestamp"]) - t0
            seq.append([offset, _parameterise(ev.items, subs, origin_vars, core_uuid, job_uuid)])
        replays[source] = seq
    # Periodic and job events, from the api capture.
    for ev in _events(captures / "api-misc.plain.esl"):
        if ev.name in PERIODIC and f"core:{ev.name}" not in templates:
            core_uuid = ev.headers["Core-UUID"]
            templates[f"core:{ev.name}"] = _parameterise(ev.items, [], [], core_uuid, "")
    for ev in _events(captures / "api-misc.plain.esl"):
        if ev.name == "API" and ev.headers.get("API-Command") == "status":
            templates["core:API"] = _parameterise(ev.items, [], [], ev.headers["Core-UUID"], "")
            break
    _shutdown_templates(captures / "batch2", templates, replays)
    busy = list(_events(captures / "busy-486.plain.esl"))
    job = next(e for e in busy if e.name == "BACKGROUND_JOB")
    templates["core:BACKGROUND_JOB"] = _parameterise(
        job.items, [], [], job.headers["Core-UUID"], job.headers["Job-UUID"]
    )
    return {
        "freeswitch_version": "1.10.12-release~64bit",
        "source": "shared/esl-captures and its batch2 (FreeSWITCH 1.10.12, SIPp UAS, sofia far end)",
        "templates": templates,
        "replays": replays,
    }


def _gateway_templates(captures: Path, templates: dict[str, list]) -> None:
    """Every event of one call per GATEWAY_SOURCES path: ``sofia/gateway/<gw>/<number>`` into
    ``autocall XML <context>``, as autocall originates (its Channel-Name is sofia/external/<number>)."""
    for source, (stem, number) in GATEWAY_SOURCES.items():
        cmd = (captures / f"{stem}.plain.cmd").read_text()
        originate = next(line for line in cmd.split("\n") if f"/{number} " in line and "originate" in line)
        origin_vars = _originate_vars(originate)
        uuid = _found(r"origination_uuid=([0-9a-f-]{36})", originate)
        gateway = _found(r"sofia/gateway/([^/]+)/", originate)
        exten, _, context = originate.rsplit(" ", 3)[1:]  # "<exten> XML <context>"
        events = [e for e in _events(captures / f"{stem}.plain.esl") if e.headers.get("Unique-ID") == uuid]
        port = next(
            m.group(1) for e in events for _, v in e.items for m in [re.search(rf"{number}@127\.0\.0\.1:(\d+)", v)] if m
        )
        core_uuid = events[0].headers["Core-UUID"]
        subs = [
            (re.compile(rf"(?<![\w-]){re.escape(gateway)}(?![\w-])"), "@@gateway@@"),
            *_substitutions(number, port, uuid),
        ]
        seen: dict[str, int] = {}
        for ev in events:
            key = slot_key(ev.items)
            n = seen.get(key, 0)
            seen[key] = n + 1
            slot = f"{source}:{key}" + (f"#{n + 1}" if n else "")
            templates[slot] = _routed(_parameterise(ev.items, subs, origin_vars, core_uuid, ""), exten, context)


def _routed(items: list[list[str]], exten: str, context: str) -> list[list[str]]:
    """Once the answered leg is routed, its caller profile names the dialplan's extension
    and context (and the transfer that took it there): placeholders for the call's own."""
    transfer = f"bl_xfer:{exten}/{context}/"
    out = []
    for name, value in items:
        if name == "Caller-Destination-Number" and value == exten:
            value = "@@exten@@"
        elif name == "Caller-Context" and value == context:
            value = "@@context@@"
        elif transfer in value:
            value = value.replace(transfer, "bl_xfer:@@exten@@/@@context@@/")
        out.append([name, value])
    return out


def _shutdown_templates(batch2: Path, templates: dict[str, list], replays: dict[str, list]) -> None:
    """SHUTDOWN, SHUTDOWN_REQUESTED (ASAP, elegant) and the MODULE_UNLOAD run of a
    shutdown (batch2: a real fsctl shutdown, asap and -elegant-term), for shutdown.py."""
    for key, stem, name in (
        ("core:SHUTDOWN", "shutdown-fsctl.dialer.plain", "SHUTDOWN"),
        ("core:SHUTDOWN_REQUESTED(ASAP)", "shutdown-asap.dialer.plain", "SHUTDOWN_REQUESTED"),
        ("core:SHUTDOWN_REQUESTED(elegant)", "shutdown-sigterm-elegant.dialer.plain", "SHUTDOWN_REQUESTED"),
    ):
        ev = next(e for e in _events(batch2 / f"{stem}.esl") if e.name == name)
        templates[key] = _parameterise(ev.items, [], [], ev.headers["Core-UUID"], "")
    unloads = [e for e in _events(batch2 / "shutdown-fsctl.dialer.plain.esl") if e.name == "MODULE_UNLOAD"]
    t0 = int(unloads[0].headers["Event-Date-Timestamp"])
    sofia = next(i for i, e in enumerate(unloads) if (e.get("type"), e.get("name")) == ("endpoint", "sofia"))
    for key, part in (("module_unload", unloads[:sofia]), ("module_unload_sofia", unloads[sofia:])):
        replays[key] = [
            [int(e.headers["Event-Date-Timestamp"]) - t0, _parameterise(e.items, [], [], e.headers["Core-UUID"], "")]
            for e in part
        ]


def main(argv: list[str]) -> int:
    captures = Path(argv[1] if len(argv) > 1 else "tests/captures")
    json.dump(extract(captures), sys.stdout, indent=0, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
