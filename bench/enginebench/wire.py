"""Bytes on the wire: what the engine's Event Socket connections carried (the kernel's own counts),
and what a real FreeSWITCH sends per call to the engine's subscription (from captured bytes).

The engine's sockets are read from outside with ``ss -ti`` (``bytes_received`` / ``bytes_sent`` per
TCP connection, kept by the kernel): nothing in the engine or the simulator is wrapped or changed,
so the figure costs the measured processes nothing. The captures (``../shared/esl-captures`` or
``tests/captures``) are FreeSWITCH 1.10.12's own bytes for one call each.
"""

from __future__ import annotations

import json
import re
import subprocess

from dialer.esl.node import SUBSCRIPTION

from .procs import ROOT

_COUNT = re.compile(r"\b(bytes_received|bytes_sent):(\d+)")


def socket_bytes(ports: list[int]) -> dict[str, int]:
    """Bytes received and sent so far by every established TCP connection to one of ``ports`` (this
    host's clients of those listeners: the engine's ESL connections to its simulators)."""
    out = {"received": 0, "sent": 0, "connections": 0}
    for port in ports:
        text = subprocess.run(
            ["ss", "-tinH", "state", "established", f"( dport = :{port} )"], capture_output=True, text=True
        ).stdout
        out["connections"] += len(re.findall(r"\bbytes_received:", text))
        for name, value in _COUNT.findall(text):
            out[name.removeprefix("bytes_")] += int(value)
    return out


def subscribed_names() -> set[str]:
    """The event names the engine subscribes to (dialer/esl/node.py's SUBSCRIPTION); CUSTOM only
    with the subclass it names (avmd::beep), which no capture of the mix holds: left out."""
    words = SUBSCRIPTION.split()[2:]
    return {w for w in words if w.isupper() and w != "CUSTOM"}


def frames(data: bytes) -> list[tuple[str, int]]:
    """(Event-Name or Content-Type, bytes on the wire) of each ESL frame, framed by Content-Length."""
    out: list[tuple[str, int]] = []
    pos = 0
    while pos < len(data):
        end = data.find(b"\n\n", pos)
        if end < 0:
            break
        head = data[pos:end].decode("utf-8", "replace")
        headers = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
        length = int(headers.get("Content-Length", "0"))
        body = data[end + 2 : end + 2 + length]
        kind = headers.get("Content-Type", "")
        if kind == "text/event-json":
            try:
                kind = json.loads(body).get("Event-Name", kind)
            except ValueError:
                pass
        out.append((kind, end + 2 + length - pos))
        pos = end + 2 + length
    return out


CAPTURE_DIRS = (ROOT.parent / "shared" / "esl-captures", ROOT / "tests" / "captures")
# The outcomes of bench/enginebench/phases_load.py's realistic mix, each with the capture of it.
MIX = (
    ("answered", 0.6, "answer-remote-bye"),
    ("busy 486", 0.2, "busy-486"),
    ("no answer", 0.2, "ring-no-answer-timeout"),
)


def real_bytes_per_call() -> dict | None:
    """Per outcome of the mix: the bytes a real FreeSWITCH 1.10.12 sent for one call in the events
    the engine subscribes to (json format), and the mix's weighted mean; None without captures."""
    folder = next((d for d in CAPTURE_DIRS if (d / "busy-486.json.esl").exists()), None)
    if folder is None:
        return None
    wanted = subscribed_names()
    per: dict[str, dict[str, int]] = {}
    mean = 0.0
    for outcome, share, name in MIX:
        seen: dict[str, int] = {}
        calls = 0
        for kind, size in frames((folder / f"{name}.json.esl").read_bytes()):
            if kind in wanted and kind != "HEARTBEAT":
                seen[kind] = seen.get(kind, 0) + size
                calls += kind == "BACKGROUND_JOB"
        calls = max(1, calls)
        per[outcome] = {k: v // calls for k, v in seen.items()}
        mean += share * sum(v for v in seen.values()) / calls
    return {"folder": str(folder), "per_outcome": per, "mean": mean}
