"""``autocall test-call 1000``: ring a softphone through the real engine path and say what happened.

The call goes the way a campaign call goes: the template is rendered and
spoken (TTS) or its audio file chosen, the originate is built by the
engine's own ``dial`` (same variables, same dialplan context
``autocall XML autocall``), sent over a real Event Socket connection,
followed by the call tracker and classified like any attempt. Only the
endpoint differs: ``user/<extension>``, a user of FreeSWITCH's directory
(freeswitch-conf/directory/), instead of a carrier gateway. Nothing is
written to Redis, and no other campaign is touched.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime

import gevent

from dialer.config import Settings
from dialer.daemon import build_renderer
from dialer.domain.cdr import CallRecord
from dialer.domain.context import CampaignContext
from dialer.domain.enums import RecallStatus, TypeAutocall
from dialer.domain.models import DEFAULT_TIME_ZONE, Campaign, Template
from dialer.domain.window import zone
from dialer.engine.calls import InFlight
from dialer.engine.engine import Engine
from dialer.engine.recorder import outcome_of
from dialer.media import MessageFiles
from dialer.store.records import Claim, Finish
from dialer.store.store import Store
from tts.template import render

DEFAULT_TEXT = "Xin chào {{ ten }}. Đây là cuộc gọi thử của autocall lúc {{ gio }}. Bấm một phím rồi gác máy."


def run_test_call(
    settings: Settings,
    extension: str,
    *,
    text: str = DEFAULT_TEXT,
    audio: str = "",
    timeout_s: float = 90.0,
    out: Callable[[str], None] = print,
    time_zone: str = DEFAULT_TIME_ZONE,
    clock: Callable[[], float] = time.time,
) -> int:
    """0 if the call was answered, 1 if not (or it could not be placed), 2 for bad input.

    The time spoken ({{ gio }}) is in ``time_zone``, a campaign's (Asia/Ho_Chi_Minh unless
    said otherwise), as the CDRs and reports show it: never the server's own zone."""
    if not extension.isdigit() or not 2 <= len(extension) <= 20:
        out(f"autocall test-call: {extension!r} is not an extension (digits, as in freeswitch-conf/directory/)")
        return 2
    nodes = settings.nodes()
    if not nodes:
        out("autocall test-call: AUTOCALL_FREESWITCH is empty")
        return 2
    if audio:
        template = Template(template_name="autocall test call", audio_file=audio)
        kind = TypeAutocall.AUDIO
    else:
        template = Template(template_name="autocall test call", text=text)
        kind = TypeAutocall.VOICE_TTS
    try:
        tz = zone(time_zone)
    except (ValueError, KeyError) as exc:  # ZoneInfoNotFoundError is a KeyError
        out(f"autocall test-call: unknown time zone {time_zone!r} ({exc})")
        return 2
    campaign = Campaign(
        campaign_name="autocall test call",
        type_autocall=kind,
        template_uuid=template.template_uuid,
        call_timeout=30,
        time_zone=time_zone,
    )
    # the engine's writer is never started
    store = Store.from_url(settings.redis_url.get_secret_value(), settings.redis_prefix)
    engine = Engine(
        store,
        nodes[:1],
        MessageFiles(settings.audio_dir, renderer=build_renderer(settings)),
        default_caller_id=settings.default_caller_id,
        command_timeout=settings.command_timeout,
    )
    engine.adopting = False
    node = engine.nodes[0]
    node.start()
    try:
        if not node.up.wait(10):
            out(f"autocall test-call: cannot reach FreeSWITCH {node.name} (AUTOCALL_FREESWITCH)")
            return 1
        why = node.dialable(campaign.voicemail_detection)
        if why is not None:  # what a campaign would meet: say it rather than ring into it
            out(f"autocall test-call: FreeSWITCH {node.name} is not ready: {why}")
            return 1
        call = str(uuid.uuid4())
        fields = {"ten": "bạn", "gio": datetime.fromtimestamp(clock(), tz).strftime("%H:%M")}
        claim = Claim(
            campaign.campaign_uuid, str(uuid.uuid4()), call, "offnet", 0, [extension], fields, 0, 0, "test-call"
        )
        ctx = CampaignContext(campaign, None, template, directory_user=True)
        try:  # what the callee will hear (made now; dial() finds it in the cache)
            message = engine.files.for_call(campaign, template, fields)
        except Exception as exc:  # MessageUnavailable, a TTS engine error
            out(f"autocall test-call: no message: {exc}")
            return 1
        if kind is TypeAutocall.VOICE_TTS:
            out(f"message: {render(text, fields)}")
        out(f"file: {message}")
        out(f"ringing user/{extension} on {node.name} (call {call})")
        started = time.monotonic()
        engine.dial(node, ctx, [claim])
        att = _find(engine, call)
        if att is None:
            out("autocall test-call: the call was not placed")
            return 1
        if isinstance(att, InFlight):  # placed (a Finish: it failed at once, before reaching FreeSWITCH)
            with gevent.Timeout(timeout_s, False):
                while not att.done:
                    gevent.sleep(0.05)
            if not att.done:
                out(f"still up after {timeout_s:.0f} s: hanging it up")
                if node.conn is not None:
                    node.conn.send_nowait([f"bgapi uuid_kill {leg} ALLOTTED_TIMEOUT" for leg in att.legs])
                return 1
        return _report(att, started, out)
    finally:
        node.stop()


def _find(engine: Engine, call: str) -> InFlight | Finish | None:
    for calls in engine.tracker.by_campaign.values():
        if call in calls:
            return calls[call]
    ended = [a for a in engine.writer.pending() if isinstance(a, Finish) and a.call_uuid == call]  # not sent
    return ended[0] if ended else None


def _report(att, started: float, out: Callable[[str], None]) -> int:
    if not isinstance(att, InFlight):  # a Finish: it failed before reaching FreeSWITCH
        cdr = att.cdr  # a RetryRecord (refused, not sent) or a CallRecord (failed at once: no route...)
        out(f"not placed: {cdr.hangup_cause} ({cdr.reason if isinstance(cdr, CallRecord) else ''})")
        return 1
    outcome, hang = outcome_of(att)
    for record in (att.job_text, att.detail):
        if record:
            out(f"  {record}")
    if att.problem and att.problem.startswith("AUTOCALL_"):
        out(f"not placed: {att.problem} ({att.detail})")
        return 1
    if att.answered_ms:
        out(f"answered after {(att.answered_ms / 1000 - att.start_ms / 1000):.1f} s")
    out(f"DTMF pressed: {att.dtmf or '(none)'}")
    if att.beep:
        out("voicemail beep detected (avmd)")
    cause = hang.get("Hangup-Cause") or att.job_text.removeprefix("-ERR ").strip() or "?"
    billsec = hang.get("variable_billsec", "0")
    out(
        f"ended: {cause} after {time.monotonic() - started:.1f} s, billsec {billsec}; "
        f"recall_status {outcome.recall_status.value}, report {outcome.report_key.value}"
    )
    return 0 if outcome.recall_status is RecallStatus.ANSWERED else 1
