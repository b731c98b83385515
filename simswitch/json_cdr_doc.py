"""The CDR document mod_json_cdr writes for a channel (switch_ivr_generate_json_cdr, 1.10.12).

Built from the channel's CHANNEL_HANGUP_COMPLETE headers, as FreeSWITCH builds both from the
same channel at CS_REPORTING: ``variables`` are the event's ``variable_*`` headers, in the same
order and with the same values (URL-encoded with switch_url_encode when ``encode-values``, so
``/`` stays as it is: ``silence_stream%3A//2000``); ``callflow`` holds the caller profiles (the
dialplan's after a transfer into it, then the originate's), from the ``Caller-*`` headers;
``callStats`` repeats the ``rtp_audio_*`` variables as numbers. What the event does not carry
(the extension's applications, the app log) comes from the simulator. The text is cJSON's
unformatted print: no spaces, ``/`` not escaped, UTF-8 as is.

tests/test_simswitch_json_cdr.py checks that the captured events of batch2's json_cdr phases
give the captured CDR files byte for byte.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from dialer.esl.protocol import url_encode

# channel_data of a captured outbound sofia leg (batch2 json_cdr/J1-disk): the flags of a leg
# that was answered and ran the dialplan, of one that was refused, and the caps of both.
FLAGS_ANSWERED = "0=1;1=1;2=1;22=1;39=1;40=1;42=1;45=1;55=1;62=1;95=1;113=1;114=1;123=1;160=1;166=1"
FLAGS_UNANSWERED = "0=1;2=1;30=1;40=1;42=1;113=1;114=1"
CAPS = "1=1;2=1;3=1;4=1;5=1;6=1;8=1;9=1;10=1"
ORIGINATE_SOURCE = "src/switch_ivr_originate.c"
# switch_ivr_set_json_call_stats: callStats.audio.{inbound,outbound}.<name> are the channel's
# rtp_audio_in_<name> / rtp_audio_out_<name> (rtcp counters: rtp_audio_rtcp_<name>, outbound).
_STATS = (("rtp_audio_in_", "inbound"), ("rtp_audio_out_", "outbound"), ("rtp_audio_rtcp_", "outbound"))
_TIMES = (
    ("created_time", "Caller-Channel-Created-Time"),
    ("profile_created_time", None),
    ("progress_time", "Caller-Channel-Progress-Time"),
    ("progress_media_time", "Caller-Channel-Progress-Media-Time"),
    ("answered_time", "Caller-Channel-Answered-Time"),
    ("bridged_time", "Caller-Channel-Bridged-Time"),
    ("last_hold_time", "Caller-Channel-Last-Hold"),
    ("hold_accum_time", "Caller-Channel-Hold-Accum"),
    ("hangup_time", "Caller-Channel-Hangup-Time"),
    ("resurrect_time", "Caller-Channel-Resurrect-Time"),
    ("transfer_time", None),
)

AppLog = list[tuple[str, str, int]]  # (application, expanded data, start time in epoch µs)
Extension = tuple[str, list[tuple[str, str]]]  # (extension name, its applications as routed: unexpanded)


def cdr_text(
    headers: Iterable[tuple[str, str]],
    *,
    extension: Extension | None = None,
    app_log: AppLog | None = None,
    encode_values: bool = True,
) -> str:
    """The one-line JSON of a channel whose CHANNEL_HANGUP_COMPLETE carries ``headers`` (raw values)."""
    h: dict[str, str] = {}
    variables: dict[str, str] = {}
    for k, v in headers:
        if k.startswith("variable_"):
            variables.setdefault(k[9:], url_encode(v) if encode_values else v)
        else:
            h.setdefault(k, v)
    answered = h.get("Caller-Channel-Answered-Time", "0") != "0"
    doc: dict = {
        "core-uuid": h.get("Core-UUID", ""),
        "switchname": h.get("FreeSWITCH-Switchname", ""),
        "channel_data": {
            "state": "CS_REPORTING",
            "direction": h.get("Call-Direction", "outbound"),
            "state_number": "11",
            "flags": FLAGS_ANSWERED if answered else FLAGS_UNANSWERED,
            "caps": CAPS,
        },
        "callStats": _call_stats(headers),
        "variables": variables,
    }
    if app_log:
        doc["app_log"] = {"applications": [{"app_name": a, "app_data": d, "app_stamp": str(t)} for a, d, t in app_log]}
    doc["callflow"] = _callflow(h, extension)
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _call_stats(headers: Iterable[tuple[str, str]]) -> dict:
    audio: dict[str, dict] = {}
    for k, v in headers:
        for prefix, direction in _STATS:
            if k.startswith("variable_" + prefix):
                name = k[9 + len(prefix) :]
                name = f"rtcp_{name}" if prefix == "rtp_audio_rtcp_" else name
                audio.setdefault(direction, {}).setdefault(name, _number(v))
    return {"audio": audio} if audio else {}


def _profile(h: dict[str, str], **override: str) -> dict[str, str]:
    cp = {
        "username": h.get("Caller-Username", ""),
        "dialplan": h.get("Caller-Dialplan", ""),
        "caller_id_name": h.get("Caller-Caller-ID-Name", ""),
        "ani": h.get("Caller-ANI", ""),
        "aniii": h.get("Caller-ANI-II", ""),
        "caller_id_number": h.get("Caller-Caller-ID-Number", ""),
        "network_addr": h.get("Caller-Network-Addr", ""),
        "rdnis": h.get("Caller-RDNIS", ""),
        "destination_number": h.get("Caller-Destination-Number", ""),
        "uuid": h.get("Caller-Unique-ID", h.get("Unique-ID", "")),
        "source": h.get("Caller-Source", ORIGINATE_SOURCE),
        "context": h.get("Caller-Context", ""),
        "chan_name": h.get("Caller-Channel-Name", h.get("Channel-Name", "")),
    }
    cp.update(override)
    return cp


def _times(h: dict[str, str], *, profile_created: str, hangup: str, transfer: str) -> dict[str, str]:
    out = {}
    for name, header in _TIMES:
        if name == "profile_created_time":
            out[name] = profile_created
        elif name == "transfer_time":
            out[name] = transfer
        elif name == "hangup_time":
            out[name] = hangup
        else:
            out[name] = h.get(header, "0") if header else "0"
    return out


def _entry(profile: dict[str, str], index: str, times: dict[str, str], extension: dict | None = None) -> dict:
    entry: dict = {}
    if profile["dialplan"]:
        entry["dialplan"] = profile["dialplan"]
    entry["profile_index"] = index
    if extension is not None:
        entry["extension"] = extension
    entry["caller_profile"] = profile
    entry["times"] = times
    return entry


def _callflow(h: dict[str, str], extension: Extension | None) -> list[dict]:
    """The caller profiles, newest first. A leg answered into the dialplan (``EXTEN XML CONTEXT``)
    was transferred there (bl_xfer): profile 2 is the dialplan's, profile 1 the originate's."""
    created = h.get("Caller-Channel-Created-Time", "0")
    hangup = h.get("Caller-Channel-Hangup-Time", "0")
    index = h.get("Caller-Profile-Index", "1")
    if index == "1" or not index.isdigit():
        return [_entry(_profile(h), "1", _times(h, profile_created=created, hangup=hangup, transfer="0"))]
    transferred = h.get("Caller-Profile-Created-Time", "0")  # the dialplan's profile was created by the transfer
    current = _profile(h)
    ext = None
    if extension is not None:
        name, apps = extension
        ext = {
            "name": name,
            "number": current["destination_number"],
            "applications": [{"app_name": a, "app_data": d} for a, d in apps],
        }
    # The originate's profile, as it was before the transfer: FreeSWITCH's default context, no
    # dialplan, the originate's caller id (the dialplan profile has them flipped).
    first = _profile(
        h,
        dialplan="",
        caller_id_name="",
        caller_id_number=h.get("Caller-Callee-ID-Number", ""),
        rdnis="",
        destination_number=current["rdnis"],
        context="default",
    )
    return [
        _entry(current, index, _times(h, profile_created=transferred, hangup=hangup, transfer="0"), ext),
        _entry(first, "1", _times(h, profile_created=created, hangup="0", transfer=transferred)),
    ]


def event_headers(template, ctx: dict) -> list[tuple[str, str]]:
    """The headers (raw values, in order) a template renders for ``ctx``, as the event would carry."""
    out: list[tuple[str, str]] = []
    for name, value, static in template.values({**ctx, "now_us": ctx.get("hangup_us", 0), "seq": 0}):
        if static:  # a run of FreeSWITCH's own headers: their JSON form has the raw values
            out += json.loads("{" + value + "}", object_pairs_hook=list)
        else:
            out.append((name, value))
    return out


def channel_cdr(template, ctx: dict, *, encode_values: bool = True) -> tuple[str, str]:
    """(uuid, CDR text) of a simulated channel whose CHANNEL_HANGUP_COMPLETE is ``template``: the
    dialplan extension it ran (``ctx['extension']``, named after the destination, as autocall's
    own extension is) and the applications it started (``ctx['app_log']``)."""
    headers = event_headers(template, ctx)
    apps = ctx.get("extension")
    extension = (str(ctx.get("exten", "")), apps) if apps else None
    uuid = next((v for k, v in headers if k == "Unique-ID"), ctx.get("uuid", ""))
    return uuid, cdr_text(headers, extension=extension, app_log=ctx.get("app_log"), encode_values=encode_values)
