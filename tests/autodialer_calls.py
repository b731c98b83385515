"""Finished autodialer attempts for the outcome, CDR, report and call stats tests: a real claim in
Redis, the lead's hangup as mod_callcenter leaves it (the ``cc_*`` variables of
tests/test_esl_callcenter_events.py), built into a Finish by the recorder and written by finish.lua."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

from dialer.domain.enums import CampaignType, RecallStatus, ScheduleRecall
from dialer.domain.models import Campaign
from dialer.engine import recorder
from dialer.engine.calls import InFlight
from dialer.store.records import Claim, Finish
from dialer.store.store import Store
from tests.factories import campaign, leads

T0 = 1_700_000_000  # epoch s the calls start at (2023-11-14 22:13:20 UTC)
QUEUE = "0b0e7a52-1111-2222-3333-000000000019"


def autodialer(store: Store, **fields: Any) -> Campaign:
    fields.setdefault("type", CampaignType.AUTODIALER)
    fields.setdefault("call_center_queue_uuid", QUEUE)
    fields.setdefault("recall_times", 1)
    fields.setdefault("schedule_recall", ScheduleRecall.MINUTE)
    fields.setdefault("schedule_recall_duration", 30)
    return campaign(store, **fields)


def _queued(joined: int, **cc: str) -> dict[str, str]:
    return {
        "variable_cc_side": "member",
        "variable_cc_queue": QUEUE,
        "variable_cc_queue_joined_epoch": str(joined),
        **cc,
    }


def hangup(kind: str, start: int = T0, agent: str = "1001", talk: int = 60, wait: int = 4) -> dict[str, str]:
    """The lead's CHANNEL_HANGUP_COMPLETE fields: answered 2 s after ``start`` and joined the queue at once.

    ``bridged``: an agent answered after ``wait`` s and talked ``talk`` s; ``timeout``: nobody took it
    within the queue's wait (5 s) and the abandon message played 5 s; ``break_out``: the callee hung up
    after 3 s waiting; ``beep``: mod_avmd heard a machine 2 s in and the dialplan hung up;
    ``never_queued``: answered, hung up before the queue; ``busy``: 486, never answered."""
    answered = start + 2
    if kind == "busy":
        return {"Hangup-Cause": "USER_BUSY", "variable_sip_term_status": "486", "variable_duration": "1"}
    if kind == "bridged":
        end = answered + wait + talk
        cc = _queued(
            answered,
            variable_cc_agent=f"{agent}@autocall",
            variable_cc_agent_bridged="true",
            variable_cc_queue_answered_epoch=str(answered + wait),
            variable_cc_queue_terminated_epoch=str(end),
            variable_cc_cause="answered",
        )
    elif kind in ("timeout", "break_out", "beep"):
        left = answered + {"timeout": 5, "break_out": 3, "beep": 2}[kind]
        reason = {"timeout": "TIMEOUT", "break_out": "BREAK_OUT", "beep": "BREAK_OUT"}[kind]
        end = left + (5 if kind == "timeout" else 0)
        cc = _queued(
            answered,
            variable_cc_queue_canceled_epoch=str(left),
            variable_cc_cause="cancel",
            variable_cc_cancel_reason=reason,
        )
        if kind == "beep":
            cc["variable_avmd_detect"] = "TRUE"
    elif kind == "never_queued":
        end, cc = answered + 1, {}
    else:
        raise ValueError(kind)
    return {
        "Hangup-Cause": "NORMAL_CLEARING",
        "variable_sip_term_status": "200",
        "variable_sip_hangup_disposition": "recv_bye",
        "variable_billsec": str(end - answered),
        "variable_duration": str(end - start),
        "variable_end_uepoch": str(end * 1_000_000),
        "variable_playback_ms": "1000",
        **cc,
    }


def claim_one(store: Store, camp: Campaign, now_ms: int) -> Claim:
    leads(store, camp, 1, now_ms=now_ms)
    claims, _ = store.calls.claim(camp.campaign_uuid, 1, "fs1", now_ms, 600_000, [str(uuid.uuid4())])
    return claims[0]


def attempt(store: Store, camp: Campaign, hang: dict[str, str], start: int = T0) -> InFlight:
    """An attempt of ``camp`` claimed in Redis at ``start`` whose lead hung up with ``hang``."""
    claim = claim_one(store, camp, start * 1000)
    att = InFlight(claim, camp, SimpleNamespace(name="fs1"), "job-1", [claim.call_uuid], claim.numbers, start * 1000)  # type: ignore[arg-type]
    att.caller_ids, att.job_ok, att.job_text = ["02812345678"], True, f"+OK {claim.call_uuid}"
    if hang.get("variable_billsec"):
        att.answered_ms, att.answered_leg = (start + 2) * 1000, claim.call_uuid
    att.beep = hang.get("variable_avmd_detect") == "TRUE"
    att.hangups[claim.call_uuid] = hang
    end = int(hang.get("variable_end_uepoch") or (start + 1) * 1_000_000) // 1000
    att.ended_ms = end
    return att


def finish(store: Store, att: InFlight) -> Finish:
    """The attempt built by the recorder and written by finish.lua."""
    done = recorder.build_finish(att, att.ended_ms + 100)
    assert store.calls.finish([done], att.ended_ms + 100) == [att.call_uuid]
    return done


def recall_status(store: Store, att: InFlight) -> RecallStatus:
    return RecallStatus(store.r.hget(store.keys.call(att.call_uuid), "recall_status"))
