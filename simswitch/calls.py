"""Originate jobs and the legs they create: one job's serial groups of parallel legs, and its one result.

Every event a leg emits is a captured FreeSWITCH template (see templates.py);
the order below, what FreeSWITCH 1.10.12 did in the captures, is the
vocabulary of legs.py (setup), far_end.py (180/183/200), apps.py and
hangup.py:

* setup: CHANNEL_OUTGOING, STATE(CS_INIT), CREATE, ORIGINATE, STATE(CS_ROUTING),
  STATE(CS_CONSUME_MEDIA) - at once;
* 180 -> CHANNEL_PROGRESS + CALLSTATE(RINGING); 183+SDP -> PROGRESS_MEDIA + CALLSTATE(EARLY);
* 200 -> CODEC x2, CHANNEL_ANSWER, CALLSTATE(ACTIVE), CALL_UPDATE, then the
  job's API + BACKGROUND_JOB, then STATE(CS_EXECUTE) and the application;
* hangup -> CHANNEL_HANGUP, [the running app's end], STATE(CS_HANGUP),
  CALLSTATE(HANGUP), STATE(CS_REPORTING), HANGUP_COMPLETE, DESTROY,
  STATE(CS_DESTROY), with a failed job's API + BACKGROUND_JOB at one of the
  places the captures show it (see ``RACE_WEIGHTS``).
"""

from __future__ import annotations

import os
import re
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simswitch.dialstring import Endpoint, Originate
from simswitch.scenario import Outcome

if TYPE_CHECKING:
    from simswitch.clock import Timer
    from simswitch.switch import Switch

# Where a failed originate's API + BACKGROUND_JOB fell relative to the last
# leg's hangup events in the captures (README table): after
# HANGUP_COMPLETE most often, between HANGUP and HANGUP_COMPLETE (always for
# originate_timeout), after CHANNEL_DESTROY sometimes.
AFTER_COMPLETE, BETWEEN, AFTER_DESTROY = "after_complete", "between", "after_destroy"
RACE_WEIGHTS = {AFTER_COMPLETE: 0.8, BETWEEN: 0.1, AFTER_DESTROY: 0.1}
SETUP = (
    "CHANNEL_OUTGOING",
    "CHANNEL_STATE(CS_INIT)",
    "CHANNEL_CREATE",
    "CHANNEL_ORIGINATE",
    "CHANNEL_STATE(CS_ROUTING)",
    "CHANNEL_STATE(CS_CONSUME_MEDIA)",
)
ANSWER = ("CODEC", "CODEC#2", "CHANNEL_ANSWER", "CHANNEL_CALLSTATE(ACTIVE)", "CALL_UPDATE")
TONE = re.compile(r"%\((\d+),(\d+)")
LOOPS = re.compile(r"loops=(-?\d+)")


@dataclass(eq=False)
class Channel:
    uuid: str
    endpoint: Endpoint
    job: OriginateJob
    outcome: Outcome
    src: str  # template source of this leg: bye | early | cancel | refuse
    ctx: dict[str, Any]
    answered: bool = False
    hung_up: bool = False
    app: str = ""
    apps: list[tuple[str, str]] = field(default_factory=list)
    timers: list[Any] = field(default_factory=list)
    avmd: bool = False
    digits: str = ""
    index: int = 0  # position in its parallel group (dial order)
    bye: Timer | None = None  # the far end's BYE, once scheduled (mod_callcenter moves it to the bridge)
    playing: bool = False  # a file plays inside the running application (mod_callcenter's music on hold)
    # The running application's own end when the leg hangs up (after CHANNEL_HANGUP, before its
    # CHANNEL_EXECUTE_COMPLETE), and who waits for the leg's end (after its CHANNEL_DESTROY).
    on_break: Callable[[], None] | None = None
    on_hangup: list[Callable[[], None]] = field(default_factory=list)
    frames: list[str] = field(default_factory=list)  # the data of each execute_extension running

    def var(self, name: str, value: str) -> None:
        pairs = self.ctx["originate_vars"]
        for i, (k, _) in enumerate(pairs):
            if k == name:
                pairs[i] = (name, value)
                return
        pairs.append((name, value))

    def unset(self, name: str) -> None:
        """switch_channel_set_variable(name, NULL)."""
        pairs = self.ctx["originate_vars"]
        pairs[:] = [(k, v) for k, v in pairs if k != name]

    def get_var(self, name: str) -> str | None:
        for k, v in self.ctx["originate_vars"]:
            if k == name:
                return v
        return None


class OriginateJob:
    """One ``originate``: serial groups of parallel legs, one result."""

    def __init__(
        self, switch: Switch, arg: str, spec: Originate, done: Callable[[str], None], job_uuid: str | None
    ) -> None:
        self.switch = switch
        self.arg = arg
        self.spec = spec
        self.done = done  # called once with "+OK <uuid>\n" or "-ERR <CAUSE>\n"
        self.job_uuid = job_uuid
        self.group_index = -1
        self.legs: list[Channel] = []
        self.failures: list[tuple[int, str]] = []
        self.used_uuids: set[str] = set()
        self.finished = False
        self.winner: Channel | None = None
        self.timeout_timer: Timer | None = None

    # -- result -------------------------------------------------------------
    def finish(self, result: str) -> None:
        if not self.finished:
            self.finished = True
            if self.timeout_timer is not None:
                self.timeout_timer.cancel()
            self.done(result)

    def start(self) -> None:
        self.next_group()

    def next_group(self) -> None:
        self.group_index += 1
        group = self.spec.groups[self.group_index]
        self.legs = []
        self.failures = []
        for index, leg in enumerate(group):
            self.switch.start_leg(self, leg, index)
        if self.finished or any(not ch.hung_up for ch in self.legs):
            if not self.finished:
                self.timeout_timer = self.switch.sched.after(self._timeout(), self._timeout_fired)
            return
        # No leg of the group could be created (or all failed at once).
        if self.group_index + 1 < len(self.spec.groups):
            self.next_group()
        else:
            self.finish(f"-ERR {self.cause()}\n")

    def cause(self) -> str:
        """Serial: the last leg's cause; parallel: the first leg's in dial order
        (486+404 rung together reported USER_BUSY in both captured passes)."""
        if not self.failures:
            return "DESTINATION_OUT_OF_ORDER"
        if len(self.spec.groups[self.group_index]) > 1:
            return min(self.failures)[1]
        return self.failures[-1][1]

    def _timeout(self) -> float:
        value = _var(self.spec.global_vars, "originate_timeout")
        if value is None and self.spec.timeout is not None:
            return float(self.spec.timeout)
        return float(value) if value and value.isdigit() else 60.0

    def _timeout_fired(self) -> None:
        self.timeout_timer = None
        for ch in list(self.legs):
            if not ch.answered and not ch.hung_up:
                self.switch.hangup(ch, "NO_ANSWER", "cancel")

    # -- leg results --------------------------------------------------------
    def leg_failed(self, index: int, cause: str, ch: Channel | None = None) -> bool:
        """Record a failed leg; True if that ends the whole originate."""
        self.failures.append((index, cause))
        if self.finished or any(not c.hung_up and c is not ch for c in self.legs):
            return False
        return self.group_index + 1 >= len(self.spec.groups)

    def leg_answered(self, ch: Channel) -> None:
        self.winner = ch
        if self.timeout_timer is not None:
            self.timeout_timer.cancel()
            self.timeout_timer = None
        for other in self.legs:
            if other is not ch and not other.hung_up:
                self.switch.hangup(other, "LOSE_RACE", "cancel")


def _var(pairs: list[tuple[str, str]], name: str) -> str | None:
    return next((v for k, v in pairs if k == name), None)


def playback_ms(data: str, default_s: float) -> int:
    """How long FreeSWITCH would play ``data``: tone_stream on/off times x
    loops, silence_stream://MS, a readable WAV file's length, else the
    scenario's default."""
    silence = re.match(r"silence_stream://(\d+)", data)
    if silence:
        return int(silence.group(1))
    if data.startswith("tone_stream://"):
        spans = TONE.findall(data)
        loops = LOOPS.search(data)
        n = int(loops.group(1)) if loops else 1
        period = sum(int(a) + int(b) for a, b in spans) or 1000
        return period * max(1, n)
    path = data.split("://", 1)[-1] if data.startswith("file_string://") else data
    ms = wav_ms(path)
    return int(default_s * 1000) if ms is None else ms


# path -> (the file's identity when read, its length in ms or None): every call of a campaign
# plays the same few files, so each is read once, and again only when it changes.
_WAV_MS: dict[str, tuple[tuple[int, int, int], int | None]] = {}


def wav_ms(path: str) -> int | None:
    """A WAV file's length in ms (frames / rate), None if it cannot be read as one."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in the path
        return None
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
    known = _WAV_MS.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    try:
        with wave.open(path, "rb") as wav:
            ms: int | None = int(wav.getnframes() * 1000 / wav.getframerate())
    except (OSError, wave.Error, EOFError, ZeroDivisionError):
        ms = None
    if len(_WAV_MS) >= 4096:  # paths come from originates: keep the memo bounded
        _WAV_MS.clear()
    _WAV_MS[path] = (stamp, ms)
    return ms
