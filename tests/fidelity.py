"""Helpers that compare the simulator's ESL output with a real capture."""

from __future__ import annotations

import re
from pathlib import Path

from dialer.esl.protocol import Event, StreamParser, parse_event_body
from simswitch.extract import slot_key

PERIODIC = {"HEARTBEAT", "RE_SCHEDULE", "TRAP"}

# Headers FreeSWITCH sent that the simulator may leave out. Kept short on
# purpose: everything else in a captured event must be in the simulated one.
IGNORED_HEADERS: set[str] = set()


def capture_commands(path: Path) -> list[str]:
    return [c for c in path.read_text().split("\n\n") if c.strip()]


def capture_events(path: Path) -> list[Event]:
    return [parse_event_body(m) for m in StreamParser().feed(path.read_bytes()) if m.is_event]


def channel_events(events: list[Event]) -> dict[str, list[Event]]:
    """Channel events grouped by Unique-ID, channels in order of first appearance."""
    out: dict[str, list[Event]] = {}
    for ev in events:
        if ev.name in PERIODIC or ev.name in ("API", "BACKGROUND_JOB"):
            continue
        uid = ev.get("Unique-ID")
        out.setdefault(uid or "-", []).append(ev)
    return out


def keys(events: list[Event]) -> list[str]:
    return [slot_key(ev.items) for ev in events]


def job_position(events: list[Event], uuid: str) -> str:
    """Where the BACKGROUND_JOB fell relative to ``uuid``'s hangup events."""
    seen: list[str] = []
    for ev in events:
        if ev.name == "BACKGROUND_JOB":
            break
        if ev.get("Unique-ID") == uuid:
            seen.append(ev.name)
    if "CHANNEL_DESTROY" in seen:
        return "after_destroy"
    if "CHANNEL_HANGUP_COMPLETE" in seen:
        return "after_complete"
    if "CHANNEL_HANGUP" in seen:
        return "between"
    return "before_hangup"


def normalise_reply(text: str) -> str:
    text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", text)
    return text


SPAN_MOMENTS = {"bill": ("end", "answer"), "answer": ("answer", "start"), "": ("end", "start")}


def assert_span(headers, span: str, seconds: float) -> None:
    """A CDR span of a CHANNEL_HANGUP_COMPLETE (``bill`` → billsec/billmsec, ``answer``, ``""`` →
    duration/mduration) is what FreeSWITCH computes (switch_channel_set_timestamps): the difference
    of the two moments each truncated to the unit, so a call of ``seconds`` has a ``*sec`` of
    ``seconds`` or one more, equal to the difference of its ``*_epoch`` values."""
    end, start = SPAN_MOMENTS[span]
    name = f"variable_{span}sec" if span else "variable_duration"
    msec = f"variable_{span}msec" if span else "variable_mduration"
    get = headers.get if hasattr(headers, "get") else headers.__getitem__
    sec = int(get(name))
    assert sec == int(get(f"variable_{end}_epoch")) - int(get(f"variable_{start}_epoch")), name
    assert int(seconds) <= sec <= int(seconds) + 1, (name, sec, seconds)
    assert seconds * 1000 <= int(get(msec)) <= seconds * 1000 + 1000, (msec, get(msec), seconds)
