"""Turn an ended attempt into the record the store writes atomically.

The outcome comes from :func:`dialer.outcomes.classify`, the lead's next
step from :mod:`dialer.outcomes.recall`; this module only gathers the
inputs (causes, SIP status, timings) from what the tracker saw, and builds
the CDR, the report counters and the webhooks.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from dialer.domain.enums import ReportKey
from dialer.engine.calls import InFlight
from dialer.outcomes import recall
from dialer.outcomes.classify import Outcome, classify
from dialer.pacing.window import zone
from dialer.store.store import Finish

THROTTLE_CAUSE = "DESTINATION_OUT_OF_ORDER"


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def is_throttled(att: InFlight) -> bool:
    """FreeSWITCH refused the session itself (sps / max-sessions): no channel ever existed."""
    return att.job_ok is False and att.job_text == f"-ERR {THROTTLE_CAUSE}" and not att.hangups


def final_hangup(att: InFlight) -> dict[str, str]:
    for leg in (att.answered_leg, att.winner):
        if leg and leg in att.hangups:
            return att.hangups[leg]
    if att.hangups:  # the last leg tried (serial) / the last to end (parallel)
        return list(att.hangups.values())[-1]
    return {}


def outcome_of(att: InFlight) -> tuple[Outcome, dict[str, Any]]:
    hang = final_hangup(att)
    job_error = att.job_text[5:].strip() if att.job_text.startswith("-ERR") else None
    cause = hang.get("Hangup-Cause")
    if att.job_ok is False and len(att.legs) > 1 and job_error:
        cause = job_error  # the job names the attempt's cause across its legs
    billsec = _int(hang.get("variable_billsec"))
    answered = bool(att.answered_ms) or billsec > 0
    outcome = classify(
        cause=cause or job_error or att.problem or None,
        answered=answered,
        billsec=billsec,
        sip_status=hang.get("variable_sip_term_status"),
        disposition=hang.get("variable_sip_hangup_disposition"),
        beep=att.beep,
        job_error=job_error,
        cancelled_by_us=att.cancelled and not answered,
        min_answered_seconds=att.campaign.min_recall_duration,
    )
    return outcome, hang


def build_finish(att: InFlight, now_ms: int) -> Finish:
    claim, campaign = att.claim, att.campaign
    tz = zone(campaign.time_zone)
    if att.problem == "not-sent" or is_throttled(att):
        step = recall.retry(attempts_before=claim.attempts, now_ms=now_ms)
        cdr = {"state": "retry", "hangup_cause": att.job_text[5:].strip() or att.problem, "reported": "0",
               "end_ms": now_ms}  # fmt: skip
        return Finish(claim.campaign_uuid, claim.lead_uuid, claim.call_uuid, claim.network, now_ms,
                      datetime.fromtimestamp(now_ms / 1000, tz).strftime("%Y%m%d%H"), cdr, step.lead_update,
                      reported=False, requeue=step.requeue, due_ms=step.due_ms, next_call=claim.call_uuid)  # fmt: skip
    outcome, hang = outcome_of(att)
    # Times on autocall's clock (FreeSWITCH's may differ, and the simulator's
    # runs scaled); call lengths from FreeSWITCH's CDR when there is one.
    start_ms, end_ms = att.start_ms, now_ms
    answer_ms = att.answered_ms
    if hang:
        duration = _int(hang.get("variable_duration"))
        billsec = _int(hang.get("variable_billsec"))
    else:
        duration = max(0, end_ms - start_ms) // 1000
        billsec = max(0, end_ms - answer_ms) // 1000 if answer_ms else 0
    waitsec = max(0, duration - billsec)
    cancelled = outcome.report_key is ReportKey.CANCEL and att.cancelled
    if cancelled:
        step = recall.retry(attempts_before=claim.attempts, now_ms=now_ms, delay_ms=0)
    else:
        if claim.max_attempts:  # the lead's own cap (VBot numberCall) replaces the campaign's recall_times
            campaign = campaign.model_copy(update={"recall_times": claim.max_attempts - 1})
        step = recall.after_attempt(
            campaign, attempts_before=claim.attempts, first_attempt_ms=claim.first_attempt_ms,
            number_idx=claim.number_idx, numbers=len(claim.numbers), status=outcome.recall_status,
            start_ms=start_ms, end_ms=end_ms, call_uuid=claim.call_uuid,
        )  # fmt: skip
    answered_number = ""
    if att.answered_leg in att.legs:
        answered_number = att.numbers[att.legs.index(att.answered_leg)]
    cdr: dict[str, Any] = {
        "state": "done", "campaign": claim.campaign_uuid, "lead": claim.lead_uuid, "external_id": claim.external_id,
        "attempt": claim.attempts + (0 if cancelled else 1), "numbers": att.numbers, "legs": att.legs,
        "network": claim.network, "answered_number": answered_number, "node": att.node.name,
        "start_ms": start_ms, "answer_ms": answer_ms, "end_ms": end_ms, "duration": duration, "billsec": billsec,
        "waitsec": waitsec, "hangup_cause": outcome.cause, "sip_status": hang.get("variable_sip_term_status", ""),
        "job_result": att.job_text, "recall_status": outcome.recall_status.value,
        "report_key": outcome.report_key.value, "reason": outcome.reason, "dtmf": att.dtmf,
        "recall_at_ms": step.recall_at_ms, "reported": "1",
    }  # fmt: skip
    stats = {"total_calls": 1, "total_duration": duration, "total_billsec": billsec, "total_waitsec": waitsec,
             outcome.report_key.value: 1, f"rs:{outcome.recall_status.value}": 1}  # fmt: skip
    webhooks = []
    if campaign.callback_url:
        webhooks.append((campaign.callback_url, json.dumps(cdr_payload(cdr, claim.call_uuid), ensure_ascii=False)))
    return Finish(claim.campaign_uuid, claim.lead_uuid, claim.call_uuid, claim.network, end_ms,
                  datetime.fromtimestamp(end_ms / 1000, tz).strftime("%Y%m%d%H"), cdr, step.lead_update,
                  reported=True, requeue=step.requeue, due_ms=step.due_ms, next_call="", stats=stats,
                  webhooks=webhooks)  # fmt: skip


def cdr_payload(cdr: dict[str, Any], call_uuid: str) -> dict[str, Any]:
    """The native webhook body: the CDR with its call uuid (``call_id``)."""
    return {"call_id": call_uuid, **{k: v for k, v in cdr.items() if k not in ("state", "reported")}}
