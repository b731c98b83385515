"""What a FreeSWITCH says about itself, asked when autocall connects and every few seconds.

The answers are FreeSWITCH 1.10.12's own texts (mod_commands.c; esl-captures
batch2 and batch3):

* who it is: ``global_getvar core_uuid`` (a new process has a new one) and how
  long it has been up (``status``: ``UP 0 years, 0 days, … 618 milliseconds``);
* its limits: ``fsctl sps`` → ``+OK sessions per second: 60``, ``fsctl
  max_sessions`` → ``+OK max sessions: 2000``. HEARTBEAT's ``Session-Per-Sec``
  is NOT the limit (it is what is left of the current second; node.py);
* whether it can place calls now: ``fsctl shutdown_check`` (``true`` during an
  asap/elegant drain until it runs or is cancelled), ``fsctl ready_check``
  (``false`` once the core stops taking sessions), ``fsctl pause_check`` and
  ``fsctl pause_check outbound`` (``fsctl pause``), ``module_exists mod_sofia``;
* whether what autocall originates into exists: ``xml_locate dialplan context
  name autocall`` (the context's XML, or ``can't find anything``), and
  ``module_exists mod_avmd`` for campaigns with voicemail detection;
  ``module_exists mod_json_cdr`` where autocall takes FreeSWITCH's CDRs in.

Without the context, FreeSWITCH still says ``+OK`` to the originate and the
callee answers, then hears nothing: the call is hung up NO_ROUTE_DESTINATION.
Without mod_avmd, ``avmd_start`` is an invalid application and the answered
call is hung up DESTINATION_OUT_OF_ORDER. So a node with a problem is not
dialled at all until a later check finds it fixed (``reloadxml`` is enough).
Parsing is pure (:func:`parse`); :func:`read_state` sends the commands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dialer.esl.connection import ESLConnection

CONTEXT = "autocall"  # freeswitch-conf/dialplan/autocall.xml; the engine originates "autocall XML autocall"

COMMANDS: dict[str, str] = {
    "core_uuid": "global_getvar core_uuid",
    "status": "status",
    "sps": "fsctl sps",
    "max_sessions": "fsctl max_sessions",
    "shutdown": "fsctl shutdown_check",
    "ready": "fsctl ready_check",
    "paused": "fsctl pause_check",
    "paused_outbound": "fsctl pause_check outbound",
    "dialplan": f"xml_locate dialplan context name {CONTEXT}",
    "sofia": "module_exists mod_sofia",
    "avmd": "module_exists mod_avmd",
    "json_cdr": "module_exists mod_json_cdr",
}
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
UPTIME_UNITS = {
    "years": 365 * 86_400_000,
    "days": 86_400_000,
    "hours": 3_600_000,
    "minutes": 60_000,
    "seconds": 1000,
    "milliseconds": 1,
}
UPTIME = re.compile(r"(\d+) (year|day|hour|minute|second|millisecond)s?\b")
SESSIONS = re.compile(r"^(\d+) session\(s\) - peak", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SwitchState:
    core_uuid: str = ""
    uptime_ms: int | None = None
    sps: int | None = None  # the sessions-per-second limit, as fsctl says it
    max_sessions: int | None = None
    sessions: int | None = None  # sessions up now, every direction (status: "N session(s) - peak …")
    avmd: bool = False  # mod_avmd loaded (voicemail detection possible)
    json_cdr: bool = False  # mod_json_cdr loaded (CDRs of calls that end while autocall is away)
    # Why no call may be placed through this switch now ({kind: operator-facing reason}).
    problems: dict[str, str] = field(default_factory=dict)


def _int_after(prefix: str, text: str) -> int | None:
    text = text.strip()
    if not text.startswith(prefix):
        return None
    try:
        return int(text[len(prefix) :].strip())
    except ValueError:
        return None


def uptime_ms(status: str) -> int | None:
    """``UP 0 years, 0 days, 0 hours, 0 minutes, 1 second, 618 milliseconds, …`` in ms."""
    first = status.split("\n", 1)[0]
    if not first.startswith("UP "):
        return None
    total = 0
    for value, unit in UPTIME.findall(first):
        total += int(value) * UPTIME_UNITS[unit + "s"]
    return total


def _said(command: str, answer: str) -> str:
    shown = answer.strip().replace("\n", " ")[:120] or "(nothing)"
    return f"'{command}' answered {shown!r}"


def parse(answers: dict[str, str]) -> SwitchState:
    """The state from each command's answer (``COMMANDS`` keys; a missing key: not asked)."""
    problems: dict[str, str] = {}
    core = answers.get("core_uuid", "").strip()
    sps = _int_after("+OK sessions per second:", answers.get("sps", ""))
    max_sessions = _int_after("+OK max sessions:", answers.get("max_sessions", ""))
    if "sps" in answers and (sps is None or max_sessions is None):
        problems["limits"] = (
            "cannot read the session limits: "
            + _said(COMMANDS["sps"], answers["sps"])
            + ", "
            + _said(COMMANDS["max_sessions"], answers.get("max_sessions", ""))
        )
    if sps == 0 and max_sessions == 0:
        # A core shutting down answers every fsctl with 0 (switch_core_session_ctl refuses them):
        # not limits to pace by.
        sps = max_sessions = None
        problems["shutdown"] = "FreeSWITCH is shutting down (fsctl answers 0 sessions per second, 0 max sessions)"
    shutdown = answers.get("shutdown", "").strip() == "true"
    paused = answers.get("paused", "").strip() == "true" or answers.get("paused_outbound", "").strip() == "true"
    if "shutdown" in problems:
        shutdown = paused = False  # already known (above)
    if shutdown:  # an asap drain also pauses the core: the shutdown is what the operator must know
        problems["shutdown"] = "FreeSWITCH is shutting down ('fsctl shutdown_check' is true): no new calls"
    elif paused:
        problems["paused"] = (
            "FreeSWITCH refuses new outbound sessions ('fsctl pause_check' is true): "
            "'fsctl resume' lets calls out again"
        )
    elif answers.get("ready", "").strip() == "false" and "shutdown" not in problems:
        # Not paused, yet no new session: the core is stopping. A drain that found no call up stops
        # it at once, and shutdown_check can be false by then (batch3 "shutdown-elegant-idle").
        problems["shutdown"] = "FreeSWITCH takes no new sessions ('fsctl ready_check' is false): shutting down"
    if sps is not None and sps <= 1:
        problems["limits"] = (
            f"FreeSWITCH's sessions-per-second is {sps}: it admits sps - 1 sessions a second, "
            "so none ('fsctl sps N' or switch.conf.xml)"
        )
    if "dialplan" in answers and not answers["dialplan"].lstrip().startswith("<context"):
        problems["dialplan"] = (
            f"FreeSWITCH has no dialplan context {CONTEXT!r}: "
            f"{_said(COMMANDS['dialplan'], answers['dialplan'])}; install "
            "freeswitch-conf/dialplan/autocall.xml and run 'reloadxml'"
        )
    if "sofia" in answers and answers["sofia"].strip() != "true":
        problems["sofia"] = f"mod_sofia is not loaded ({_said(COMMANDS['sofia'], answers['sofia'])}): no SIP calls"
    if "shutdown" in problems:  # modules unloading say nothing about the node once it is back
        problems = {"shutdown": problems["shutdown"]}
    count = SESSIONS.search(answers.get("status", ""))
    return SwitchState(
        core_uuid=core if UUID.match(core) else "",
        uptime_ms=uptime_ms(answers.get("status", "")),
        sessions=int(count.group(1)) if count else None,
        sps=sps,
        max_sessions=max_sessions,
        avmd=answers.get("avmd", "").strip() == "true",
        json_cdr=answers.get("json_cdr", "").strip() == "true",
        problems=problems,
    )


def read_state(conn: ESLConnection, timeout: float | None = None) -> SwitchState:
    """Ask ``conn``'s FreeSWITCH every question in one pipelined write."""
    keys = list(COMMANDS)
    replies = conn.send_many([f"api {COMMANDS[k]}" for k in keys], timeout=timeout)
    return parse({k: r.text for k, r in zip(keys, replies, strict=True)})
