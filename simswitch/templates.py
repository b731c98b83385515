"""Render FreeSWITCH events from the captured templates (fs_1_10_12.json).

A template is the ordered header list of one real event. Each header value is
one of: FreeSWITCH's own static value; a value with ``@@placeholders@@`` for
the call's identities (uuid, number, port, caller id); or, for times,
durations, causes, applications and jobs, a rule keyed by header name that
computes it from the call (``header_rules.RULES``). Each template is compiled
at load, once per format (render.py), so rendering an event is one join of
FreeSWITCH's own text, already encoded, and the call's values.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any

from dialer.esl.protocol import url_encode
from simswitch import package_data
from simswitch.header_rules import NON_EMPTY, OPTIONAL, RULES, Ctx
from simswitch.render import compile_template, render_json, render_plain

TEMPLATE_FILE = package_data.TEMPLATES
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")
ORIGINATE_VARS = "@@originate_vars@@"


class Template:
    """One compiled event template.

    ``parts`` is a list of static chunks (pre-encoded for both formats) and
    dynamic entries ``(name, getter)``. ``body_key`` names the context key of a
    nested body (BACKGROUND_JOB's result).
    """

    __slots__ = ("_compiled", "_first", "_ov_at", "event_name", "has_body", "name", "parts")

    def __init__(self, name: str, items: list[list[str]]):
        self.name = name
        self.event_name = next(v for k, v in items if k == "Event-Name")
        self.has_body = any(k == "Content-Length" for k, _ in items)
        parts: list[Any] = []
        compiled: list[tuple[Any, ...]] = []  # the same headers, for render.py
        # For ESL filters (``header``): each header name, lower-cased -> (position, value or getter)
        # of its first occurrence; where the originate's variables go.
        self._first: dict[str, tuple[int, Any]] = {}
        self._ov_at: int | None = None
        for at, (key, value) in enumerate(items):
            if key == "Content-Length":
                continue  # re-added after the body is known
            if key == ORIGINATE_VARS:
                parts.append((ORIGINATE_VARS, None))
                compiled.append(("ov",))
                self._ov_at = at if self._ov_at is None else self._ov_at
            elif key in RULES:
                getter: Callable[[Ctx], str | None] = (lambda r, s: lambda ctx: r(ctx, s))(RULES[key], value)
                if key in OPTIONAL:
                    getter = _optional(getter, OPTIONAL[key])
                if key in NON_EMPTY:
                    getter = _non_empty(getter)
                parts.append((key, getter))
                compiled.append(("rule", key, RULES[key], value, OPTIONAL.get(key), key in NON_EMPTY))
                self._first.setdefault(key.lower(), (at, getter))
            elif _PLACEHOLDER.search(value):
                pieces = _PLACEHOLDER.split(value)  # literal, key, literal, key, ...
                parts.append((key, _formatter(pieces)))
                compiled.append(("ph", key, pieces))
                self._first.setdefault(key.lower(), (at, parts[-1][1]))
            else:
                plain, js = (
                    f"{key}: {url_encode(value)}\n",
                    f"{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)}",
                )
                parts.append(((plain, js), None))
                compiled.append(("static", plain, js))
                self._first.setdefault(key.lower(), (at, value))
        self.parts = _merge_static(parts)
        # compiled at load (all of them take ~25 ms), never in the middle of a call's timing
        self._compiled = {fmt: compile_template(compiled, fmt) for fmt in ("plain", "json")}

    def header(self, ctx: Ctx, name: str) -> str | None:
        """The value of header ``name`` (lower-cased) this event would carry, its first one; None if
        it has none. What an ESL filter looks at, without rendering the event."""
        first = self._first.get(name)
        if self._ov_at is not None and name.startswith("variable_") and (first is None or self._ov_at < first[0]):
            for k, v in ctx.get("originate_vars", ()):
                if k.lower() == name[9:]:
                    return v
        if first is None:
            return None
        found = first[1]
        return found if isinstance(found, str) else found(ctx)

    def values(self, ctx: Ctx) -> list[tuple[str, str, bool]]:
        """(plain, json, static) for static chunks, (name, value, False) else."""
        out: list[tuple[str, str, bool]] = []
        for head, getter in self.parts:
            if head == ORIGINATE_VARS:
                for k, v in ctx.get("originate_vars", ()):
                    out.append((f"variable_{k}", v, False))
            elif getter is None:
                out.append((head[0], head[1], True))
            else:
                value = getter(ctx)
                if value is not None:  # None: an OPTIONAL header this call does not have
                    out.append((head, value, False))
        return out

    def render(self, ctx: Ctx, fmt: str, values: list[tuple[str, str, bool]] | None = None) -> bytes:
        """The event as FreeSWITCH writes it in ``fmt`` (plain | json), from the template compiled
        for that format (render.py); header by header from ``values`` where it cannot be."""
        body = ctx.get("body") if self.has_body else None
        compiled = self._compiled.get(fmt)
        if compiled is not None:
            data = render_json(compiled, ctx, body) if fmt == "json" else render_plain(compiled, ctx, body)
            if data is not None:
                return data
        return self.render_headers(ctx, fmt, values)

    def render_headers(self, ctx: Ctx, fmt: str, values: list[tuple[str, str, bool]] | None = None) -> bytes:
        """``render`` header by header (the reference the compiled form is checked against)."""
        vals = self.values(ctx) if values is None else values
        body = ctx.get("body") if self.has_body else None
        if fmt == "json":
            chunks = [j if static else f"{json.dumps(a)}:{json.dumps(j, ensure_ascii=False)}" for a, j, static in vals]
            if body is not None:
                chunks.append(f'"Content-Length":"{len(body.encode())}"')
                chunks.append(f'"_body":{json.dumps(body, ensure_ascii=False)}')
            payload = ("{" + ",".join(chunks) + "}").encode()
            return b"Content-Length: %d\nContent-Type: text/event-json\n\n%b" % (len(payload), payload)
        text = "".join(a if static else f"{a}: {url_encode(v)}\n" for a, v, static in vals)
        if body is not None:
            raw = body.encode()
            payload = (text + f"Content-Length: {len(raw)}\n\n").encode() + raw
        else:
            payload = (text + "\n").encode()
        return b"Content-Length: %d\nContent-Type: text/event-plain\n\n%b" % (len(payload), payload)


def _optional(getter: Callable[[Ctx], str | None], need: str) -> Callable[[Ctx], str | None]:
    # A whole-call replay (loopback) keeps the captured call's values.
    return lambda ctx: getter(ctx) if need in ctx or "replay" in ctx else None


def _non_empty(getter: Callable[[Ctx], str | None]) -> Callable[[Ctx], str | None]:
    return lambda ctx: None if ctx.get("app_no_data") else getter(ctx)


def _formatter(pieces: list[str]) -> Callable[[Ctx], str]:
    literal = pieces[0::2]
    keys = pieces[1::2]

    def fmt(ctx: Ctx) -> str:
        out = [literal[0]]
        for k, lit in zip(keys, literal[1:], strict=True):
            out.append(str(ctx[k]))
            out.append(lit)
        return "".join(out)

    return fmt


def _merge_static(parts: list[Any]) -> list[Any]:
    """Join runs of static headers into one chunk per format."""
    merged: list[Any] = []
    for head, getter in parts:
        if (
            getter is None
            and head != ORIGINATE_VARS
            and merged
            and merged[-1][1] is None
            and merged[-1][0] != ORIGINATE_VARS
        ):
            (p0, j0), _ = merged[-1]
            merged[-1] = ((p0 + head[0], j0 + "," + head[1]), None)
        else:
            merged.append((head, getter))
    return merged


@cache
def library() -> TemplateLibrary:
    return TemplateLibrary(json.loads(package_data.read_bytes(TEMPLATE_FILE)))


class TemplateLibrary:
    def __init__(self, data: dict):
        self.version: str = data["freeswitch_version"]
        self.raw: dict[str, list[list[str]]] = data["templates"]  # the captured header lists (events built on them)
        self.templates = {k: Template(k, v) for k, v in data["templates"].items()}
        self.replays = {
            k: [(offset, Template(f"{k}#{i}", items)) for i, (offset, items) in enumerate(seq)]
            for k, seq in data["replays"].items()
        }
        self.templates["synth:DTMF"] = Template(
            "synth:DTMF",
            _synth_channel_event(
                data["templates"]["bye:CHANNEL_CALLSTATE(ACTIVE)"],
                "DTMF",
                [["DTMF-Digit", ""], ["DTMF-Duration", "2000"], ["DTMF-Source", "RTP"]],
            ),
        )
        self.templates["synth:CUSTOM(avmd::beep)"] = Template(
            "synth:CUSTOM(avmd::beep)",
            _synth_channel_event(
                data["templates"]["bye:CHANNEL_CALLSTATE(ACTIVE)"],
                "CUSTOM",
                [
                    ["Call-command", "avmd"],
                    ["Beep-Status", "DETECTED"],
                    ["Frequency", "1000.000000"],
                    ["Frequency-variance", "0.000000"],
                    ["Amplitude", "0.500000"],
                    ["Amplitude-variance", "0.000000"],
                    ["Detection-time", "1000"],
                ],
                subclass="avmd::beep",
            ),
        )

    def __getitem__(self, key: str) -> Template:
        return self.templates[key]


def _synth_channel_event(
    base: list[list[str]], name: str, extra: list[list[str]], subclass: str = ""
) -> list[list[str]]:
    """Events the captures do not contain (DTMF, avmd::beep): FreeSWITCH's
    common event header and the channel's basic data from a captured event,
    plus the event's own headers as the module's source adds them."""
    drop = {"Original-Channel-Call-State", "Channel-Call-State-Number"}
    out = []
    for k, v in base:
        if k in drop:
            continue
        if k == "Event-Name":
            out.append([k, name])
            if subclass:
                out.append(["Event-Subclass", subclass])
            continue
        if k == "Event-Calling-File":
            v = "mod_avmd.c" if subclass else "switch_channel.c"
        elif k == "Event-Calling-Function":
            v = "avmd_fire_event" if subclass else "switch_channel_queue_dtmf"
        out.append([k, v])
    return out + extra
