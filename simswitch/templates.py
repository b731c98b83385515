"""Render FreeSWITCH events from the captured templates (fs_1_10_12.json).

A template is the ordered header list of one real event. Each header value is
one of: FreeSWITCH's own static value; a value with ``@@placeholders@@`` for
the call's identities (uuid, number, port, caller id); or, for times,
durations, causes, applications and jobs, a rule keyed by header name that
computes it from the call (``RULES``). Static parts are encoded once, at load
time, so rendering an event is mostly string joins.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from dialer.esl.protocol import url_encode
from simswitch import package_data
from simswitch.render import compile_template, render_json, render_plain

TEMPLATE_FILE = package_data.TEMPLATES
_PLACEHOLDER = re.compile(r"@@([a-z_]+)@@")
ORIGINATE_VARS = "@@originate_vars@@"

Ctx = dict[str, Any]
Rule = Callable[[Ctx, str], str]


def _stamp(us: int) -> str:
    return _local_second(us // 1_000_000) if us else ""


def _gmt(us: int) -> str:
    return _gmt_second(us // 1_000_000)


# An event carries up to eight stamps of a handful of seconds: strftime once per second.
@lru_cache(maxsize=4096)
def _local_second(second: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))


@lru_cache(maxsize=4096)
def _gmt_second(second: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second))


def _key(name: str) -> Rule:
    return lambda ctx, static: str(ctx.get(name, static))


def _digits(rule: Rule) -> Rule:
    """Mark a rule whose value is always an integer: no format escapes it (render.py)."""
    rule.digits = True  # type: ignore[attr-defined]
    return rule


def _time(name: str, div: int = 1) -> Rule:
    return _digits(lambda ctx, static: str(ctx.get(name, 0) // div))


def _stamp_of(name: str) -> Rule:
    return lambda ctx, static: _stamp(ctx.get(name, 0))


def _span(end: str, start: str, div: int, need: str | None = None) -> Rule:
    """FreeSWITCH's CDR spans (switch_channel_set_timestamps): the difference of the two moments
    each truncated to the unit (``billsec = end_epoch - answer_epoch``: whole clock seconds, so a
    1.5 s call bills 1 or 2), 0 when ``need`` (the moment that makes it meaningful) never happened."""

    def rule(ctx: Ctx, static: str) -> str:
        if need and not ctx.get(need):
            return "0"
        a, b = ctx.get(end, 0), ctx.get(start, 0)
        return str(max(0, a // div - b // div)) if a and b else "0"

    return _digits(rule)


RULES: dict[str, Rule] = {
    "Event-Date-Timestamp": _time("now_us"),
    "Event-Date-Local": lambda c, s: _stamp(c["now_us"]),
    "Event-Date-GMT": lambda c, s: _gmt(c["now_us"]),
    "Event-Sequence": _key("seq"),
    # the dialplan's caller profile of a leg transferred into it at the answer is created then
    "Caller-Profile-Created-Time": _digits(lambda c, s: str(c.get("profile_created_us", c.get("created_us", 0)))),
    "Caller-Channel-Created-Time": _time("created_us"),
    "Caller-Channel-Answered-Time": _time("answered_us"),
    "Caller-Channel-Progress-Time": _time("progress_us"),
    "Caller-Channel-Progress-Media-Time": _time("progress_media_us"),
    "Caller-Channel-Hangup-Time": _time("hangup_us"),
    "Hangup-Cause": _key("cause"),
    "variable_hangup_cause": _key("cause"),
    "variable_hangup_cause_q850": _key("q850"),
    "variable_sip_term_cause": _key("q850"),
    "variable_sip_term_status": _key("sip_status"),
    "variable_proto_specific_hangup_cause": lambda c, s: f"sip:{c['sip_status']}" if "sip_status" in c else s,
    "variable_sip_invite_failure_status": _key("sip_fail_status"),
    "variable_sip_invite_failure_phrase": _key("sip_fail_phrase"),
    "variable_start_stamp": _stamp_of("created_us"),
    "variable_profile_start_stamp": _stamp_of("created_us"),
    "variable_answer_stamp": _stamp_of("answered_us"),
    "variable_progress_stamp": _stamp_of("progress_us"),
    "variable_progress_media_stamp": _stamp_of("progress_media_us"),
    "variable_end_stamp": _stamp_of("hangup_us"),
    "variable_start_epoch": _time("created_us", 1_000_000),
    "variable_start_uepoch": _time("created_us"),
    "variable_profile_start_epoch": _time("created_us", 1_000_000),
    "variable_profile_start_uepoch": _time("created_us"),
    "variable_answer_epoch": _time("answered_us", 1_000_000),
    "variable_answer_uepoch": _time("answered_us"),
    "variable_progress_epoch": _time("progress_us", 1_000_000),
    "variable_progress_uepoch": _time("progress_us"),
    "variable_progress_media_epoch": _time("progress_media_us", 1_000_000),
    "variable_progress_media_uepoch": _time("progress_media_us"),
    "variable_end_epoch": _time("hangup_us", 1_000_000),
    "variable_end_uepoch": _time("hangup_us"),
    "Application": _key("app"),
    "variable_current_application": _key("app"),
    "variable_last_app": _key("app"),
    "Application-Data": _key("app_data"),
    "variable_current_application_data": _key("app_data"),
    "variable_last_arg": _key("app_data"),
    "Application-UUID": _key("app_uuid"),
    "Application-Response": _key("app_response"),
    "variable_current_application_response": _key("app_response"),
    "Playback-File-Path": _key("app_data"),
    "Playback-File-Type": _key("playback_type"),
    "variable_playback_seconds": _time("playback_ms", 1000),
    "variable_playback_ms": _time("playback_ms"),
    "variable_playback_samples": lambda c, s: str(c.get("playback_ms", 0) * 8),
    "variable_playback_last_offset_pos": lambda c, s: str(c.get("playback_ms", 0) * 8),
    "Job-UUID": _key("job_uuid"),
    "Job-Command": _key("job_cmd"),
    "Job-Command-Arg": _key("job_arg"),
    "API-Command": _key("api_cmd"),
    "API-Command-Argument": _key("api_arg"),
    "variable_session_id": _key("session_id"),
    "variable_sip_call_id": _key("sip_call_id"),
    "variable_local_media_port": _key("media_port"),
    "Up-Time": _key("uptime_text"),
    "Uptime-msec": _key("uptime_ms"),
    "Session-Count": _key("session_count"),
    "Max-Sessions": _key("max_sessions"),
    "Session-Per-Sec": _key("sps"),
    "Session-Per-Sec-Last": _key("sps_last"),
    "Session-Per-Sec-Max": _key("sps_max"),
    "Session-Per-Sec-FiveMin": _key("sps_fivemin"),
    "Session-Since-Startup": _key("since_startup"),
    "Session-Peak-Max": _key("peak_max"),
    "Session-Peak-FiveMin": _key("peak_fivemin"),
    "Task-Runtime": _key("task_runtime"),
    "DTMF-Digit": _key("dtmf_digit"),
}
# Channel variables FreeSWITCH sets only once something happened: a captured template
# carries them, but a call where it did not happen (no application ran, nothing was
# played: a missing dialplan) has no such header. header -> the context key it needs.
OPTIONAL = {
    **dict.fromkeys(
        (
            "variable_current_application",
            "variable_last_app",
            "variable_current_application_data",
            "variable_last_arg",
            "variable_current_application_response",
        ),
        "app",
    ),
    **dict.fromkeys(
        (
            "variable_playback_seconds",
            "variable_playback_ms",
            "variable_playback_samples",
            "variable_playback_last_offset_pos",
        ),
        "playback_ms",
    ),
    "Hangup-Cause": "cause",  # an event of a channel that has not hung up carries none
}
# ...and those FreeSWITCH leaves out when the application ran without data (NULL, not "":
# ``hangup ${unset}`` has an empty Application-Data, ``answer`` has none).
NON_EMPTY = frozenset({"Application-Data", "variable_current_application_data", "variable_last_arg"})

for _unit, _div in (("sec", 1_000_000), ("msec", 1000), ("usec", 1)):
    _m = {"sec": "", "msec": "m", "usec": "u"}[_unit]
    RULES[f"variable_{_m}duration" if _m else "variable_duration"] = _span("hangup_us", "created_us", _div)
    RULES[f"variable_bill{_unit}"] = _span("hangup_us", "answered_us", _div, "answered_us")
    RULES[f"variable_flow_bill{_unit}"] = _span("hangup_us", "created_us", _div, "answered_us")
    RULES[f"variable_progress{_unit}"] = _span("progress_us", "created_us", _div)
    RULES[f"variable_answer{_unit}"] = _span("answered_us", "created_us", _div)
    RULES[f"variable_progress_media{_unit}"] = _span("progress_media_us", "created_us", _div)


class Template:
    """One compiled event template.

    ``parts`` is a list of static chunks (pre-encoded for both formats) and
    dynamic entries ``(name, getter)``. ``body_key`` names the context key of a
    nested body (BACKGROUND_JOB's result).
    """

    __slots__ = ("_compiled", "event_name", "has_body", "items", "name", "parts")

    def __init__(self, name: str, items: list[list[str]]):
        self.name = name
        self.event_name = next(v for k, v in items if k == "Event-Name")
        self.has_body = any(k == "Content-Length" for k, _ in items)
        parts: list[Any] = []
        compiled: list[tuple[Any, ...]] = []  # the same headers, for render.py
        for key, value in items:
            if key == "Content-Length":
                continue  # re-added after the body is known
            if key == ORIGINATE_VARS:
                parts.append((ORIGINATE_VARS, None))
                compiled.append(("ov",))
            elif key in RULES:
                getter: Callable[[Ctx], str | None] = (lambda r, s: lambda ctx: r(ctx, s))(RULES[key], value)
                if key in OPTIONAL:
                    getter = _optional(getter, OPTIONAL[key])
                if key in NON_EMPTY:
                    getter = _non_empty(getter)
                parts.append((key, getter))
                compiled.append(("rule", key, RULES[key], value, OPTIONAL.get(key), key in NON_EMPTY))
            elif _PLACEHOLDER.search(value):
                pieces = _PLACEHOLDER.split(value)  # literal, key, literal, key, ...
                parts.append((key, _formatter(pieces)))
                compiled.append(("ph", key, pieces))
            else:
                plain, js = (
                    f"{key}: {url_encode(value)}\n",
                    f"{json.dumps(key)}:{json.dumps(value, ensure_ascii=False)}",
                )
                parts.append(((plain, js), None))
                compiled.append(("static", plain, js))
        self.parts = _merge_static(parts)
        self.items = compiled
        # compiled at load (all of them take ~25 ms), never in the middle of a call's timing
        self._compiled = {fmt: compile_template(compiled, fmt) for fmt in ("plain", "json")}

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
