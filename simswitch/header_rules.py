"""The headers FreeSWITCH computes per call, each as a rule of the call's values (templates.py).

A rule takes the call's context (``ctx``: its times in µs, cause, application, job, ...) and the
header's captured value, and gives the header's text, with FreeSWITCH's formulas (times,
``switch_channel_set_timestamps``' spans, stamps). ``OPTIONAL`` headers exist only once their
moment happened, ``NON_EMPTY`` ones only for an application run with data. Rules marked
``digits`` always give an integer; rules with an ``inline`` expression are written into one
function per template by render.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Ctx = dict[str, Any]
Rule = Callable[[Ctx, str], str]


def _stamp(us: int) -> str:
    return _local_second(us // 1_000_000) if us else ""


def _gmt(us: int) -> str:
    return _gmt_second(us // 1_000_000)


# A call's events carry a dozen stamps, and simulated time runs fast (time-scale 0.001: a
# simulated second per wall ms): strftime once per minute, the seconds appended.
_LOCAL_MINUTES: dict[int, str] = {}  # minute since the epoch -> "YYYY-mm-dd HH:MM:" ("" unusable)
_GMT_MINUTES: dict[int, str] = {}


def _local_second(second: int) -> str:
    """``strftime("%Y-%m-%d %H:%M:%S", localtime(second))``."""
    minute = second // 60
    prefix = _LOCAL_MINUTES.get(minute)
    if prefix is None:
        if len(_LOCAL_MINUTES) > 100_000:
            _LOCAL_MINUTES.clear()
        first, last = time.localtime(minute * 60), time.localtime(minute * 60 + 59)
        # the minute is one local minute (no offset change in it, a whole-minute offset)
        whole = first.tm_sec == 0 and last.tm_sec == 59 and first.tm_gmtoff == last.tm_gmtoff
        prefix = _LOCAL_MINUTES[minute] = time.strftime("%Y-%m-%d %H:%M:", first) if whole else ""
    if prefix:
        return f"{prefix}{second % 60:02d}"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))


def _gmt_second(second: int) -> str:
    """``strftime("%a, %d %b %Y %H:%M:%S GMT", gmtime(second))``."""
    minute = second // 60
    prefix = _GMT_MINUTES.get(minute)
    if prefix is None:
        if len(_GMT_MINUTES) > 100_000:
            _GMT_MINUTES.clear()
        prefix = _GMT_MINUTES[minute] = time.strftime("%a, %d %b %Y %H:%M:", time.gmtime(minute * 60))
    return f"{prefix}{second % 60:02d} GMT"


def _inline(rule: Rule, expression: str, **names: Any) -> Rule:
    """Give a rule its body as one Python expression (``get`` is ctx.get, ``{s}`` the captured
    value, ``names`` what it calls), so render.py computes a template's rules in one function."""
    rule.inline = (expression, names)  # type: ignore[attr-defined]
    return rule


def _key(name: str) -> Rule:
    return _inline(lambda ctx, static: str(ctx.get(name, static)), f"str(get({name!r}, {{s}}))")


def _digits(rule: Rule) -> Rule:
    """Mark a rule whose value is always an integer: no format escapes it (render.py)."""
    rule.digits = True  # type: ignore[attr-defined]
    return rule


def _time(name: str, div: int = 1) -> Rule:
    return _digits(_inline(lambda ctx, static: str(ctx.get(name, 0) // div), f"str(get({name!r}, 0) // {div})"))


def _stamp_of(name: str) -> Rule:
    return _inline(lambda ctx, static: _stamp(ctx.get(name, 0)), f"_stamp(get({name!r}, 0))", _stamp=_stamp)


def _span_text(a: int, b: int, div: int) -> str:
    return str(max(0, a // div - b // div)) if a and b else "0"


def _span(end: str, start: str, div: int, need: str | None = None) -> Rule:
    """FreeSWITCH's CDR spans (switch_channel_set_timestamps): the difference of the two moments
    each truncated to the unit (``billsec = end_epoch - answer_epoch``: whole clock seconds, so a
    1.5 s call bills 1 or 2), 0 when ``need`` (the moment that makes it meaningful) never happened."""

    def rule(ctx: Ctx, static: str) -> str:
        if need and not ctx.get(need):
            return "0"
        return _span_text(ctx.get(end, 0), ctx.get(start, 0), div)

    expression = f"_span_text(get({end!r}, 0), get({start!r}, 0), {div})"
    if need:
        expression = f'("0" if not get({need!r}) else {expression})'
    return _digits(_inline(rule, expression, _span_text=_span_text))


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
    # the application's file, or the music on hold mod_callcenter plays inside its application
    "Playback-File-Path": _inline(
        lambda ctx, static: str(ctx.get("moh_path", ctx.get("app_data", static))),
        "str(get('moh_path', get('app_data', {s})))",
    ),
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
