"""Turn an ended attempt into the record the store writes atomically.

The outcome comes from :func:`dialer.outcomes.classify`, the lead's next
step from :mod:`dialer.outcomes.recall`; this module only gathers the
inputs (causes, SIP status, timings) from what the tracker saw, and builds
the CDR, the report counters and the webhooks.
"""

from __future__ import annotations

from typing import Any

from dialer.domain import json_text
from dialer.domain.cdr import AgentCallRecord, CallRecord, RetryRecord, answer_object, record_object
from dialer.domain.enums import ModeCall, ReportKey
from dialer.domain.local_time import local_text
from dialer.domain.window import zone
from dialer.engine import queued_results
from dialer.engine.calls import InFlight
from dialer.outcomes import recall, vbot
from dialer.outcomes.classify import Outcome, classify_cached
from dialer.outcomes.own_causes import NOT_RUN, NOT_SENT, SWITCH_LOST
from dialer.store.records import Finish

# FreeSWITCH could not create the session, so nothing was dialled: over sessions-per-second or
# max-sessions, paused, early in a shutdown (DESTINATION_OUT_OF_ORDER), or mod_sofia unloading at
# a shutdown (CHAN_NOT_IMPLEMENTED). The job result is the only record: no channel, no CDR.
REFUSALS = frozenset({"DESTINATION_OUT_OF_ORDER", "CHAN_NOT_IMPLEMENTED"})
SWITCH_DEATH = frozenset({"SYSTEM_SHUTDOWN", SWITCH_LOST})


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def answered_number(att: InFlight) -> str:
    """The number of the leg that answered ("" if none, or if it is not known)."""
    if att.answered_leg in att.legs:
        i = att.legs.index(att.answered_leg)
        if i < len(att.numbers):
            return att.numbers[i]
    return ""


def refused(att: InFlight) -> str | None:
    """The cause, when FreeSWITCH refused the originate (REFUSALS) and some leg of it never had a
    channel: the attempt was not (fully) dialled. A serial attempt whose first number rang out and
    whose second was refused is retried whole, like one refused outright."""
    if att.job_ok is False and att.job_text.startswith("-ERR "):
        cause = att.job_text[5:].strip()
        if cause in REFUSALS and any(leg not in att.hangups for leg in att.legs):
            return cause
    return None


def cut_by_switch(att: InFlight) -> bool:
    """The call ended because its FreeSWITCH went away: hung up SYSTEM_SHUTDOWN by a shutdown
    (or its job says so), or gone with a FreeSWITCH that died and came back (SWITCH_LOST)."""
    if att.problem == SWITCH_LOST:
        return True
    cause = final_hangup(att).get("Hangup-Cause")
    if cause is None and att.job_text.startswith("-ERR "):
        cause = att.job_text[5:].strip()
    return cause in SWITCH_DEATH


def message_played(hang: dict[str, str]) -> bool | None:
    """Whether the dialplan played the message (None: no hangup to tell)."""
    if not hang:
        return None
    return "variable_playback_ms" in hang


def final_hangup(att: InFlight) -> dict[str, str]:
    """The hangup that tells how the attempt ended: the answered leg's (nothing if it never came:
    a busy first number or a losing leg says nothing about the call that was answered), else the
    last leg tried (serial) / the last to end (parallel)."""
    answered = att.answered_leg or att.winner
    if answered:
        return att.hangups.get(answered, {})
    if att.hangups:
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
    if not hang and att.ended_ms and att.answered_ms:  # FreeSWITCH died under it: talk time until then
        billsec = max(0, att.ended_ms - att.answered_ms) // 1000
    outcome = classify_cached(  # classify(), once per distinct input
        cause or job_error or att.problem or None,  # cause
        answered,
        billsec,
        hang.get("variable_sip_term_status"),  # sip_status
        hang.get("variable_sip_hangup_disposition"),  # disposition
        att.beep,  # beep
        job_error,
        att.cancelled and not answered,  # cancelled_by_us
        att.campaign.min_recall_duration,  # min_answered_seconds
        message_played(hang),
    )
    # An autodialer call a human answered: its time in the agents' queue decides (outcomes/queued.py).
    return queued_results.refine(att, outcome, hang), hang


def report_hour(ms: int, time_zone: str) -> str:
    """The local hour (YYYYMMDDHH) of ``ms`` in ``time_zone``: the bucket of the report counters
    (from :func:`dialer.domain.local_time.local_text`, worked out once per zone and minute)."""
    text = local_text(ms, zone(time_zone))  # YYYY-MM-DD HH:MM:SS
    return text[0:4] + text[5:7] + text[8:10] + text[11:13]


def build_finish(att: InFlight, now_ms: int) -> Finish:
    claim, campaign = att.claim, att.campaign
    if att.problem in (NOT_SENT, NOT_RUN) or refused(att):
        plan = recall.retry(attempts_before=claim.attempts, now_ms=now_ms)
        retry = RetryRecord(hangup_cause=att.job_text[5:].strip() or att.problem, end_ms=now_ms)
        return Finish(
            claim.campaign_uuid,
            claim.lead_uuid,
            claim.call_uuid,
            claim.network,
            now_ms,
            report_hour(now_ms, campaign.time_zone),
            retry,
            plan.lead_update,
            reported=False,
            requeue=plan.requeue,
            due_ms=plan.due_ms,
            next_call=claim.call_uuid,
        )
    outcome, hang = outcome_of(att)
    # Times on autocall's clock (FreeSWITCH's may differ, and the simulator's
    # runs scaled); call lengths from FreeSWITCH's CDR when there is one.
    start_ms, end_ms = att.start_ms, att.ended_ms or now_ms
    answer_ms = att.answered_ms
    if hang:
        duration = _int(hang.get("variable_duration"))
        billsec = _int(hang.get("variable_billsec"))
    else:
        duration = max(0, end_ms - start_ms) // 1000
        billsec = max(0, end_ms - answer_ms) // 1000 if answer_ms else 0
    waitsec = max(0, duration - billsec)
    cancelled = outcome.report_key is ReportKey.CANCEL and att.cancelled
    # Not the callee's doing: FreeSWITCH went away under the call, or its dialplan played nothing.
    fault = (
        ""
        if cancelled
        else (
            "FreeSWITCH going away"
            if cut_by_switch(att)
            else "FreeSWITCH's dialplan playing nothing"
            if outcome.switch_fault
            else ""
        )
    )
    step: recall.NextStep | None = None
    if cancelled:
        step = recall.retry(attempts_before=claim.attempts, now_ms=now_ms, delay_ms=0)
    elif fault:
        step = recall.after_switch_death(
            campaign,
            attempts_before=claim.attempts,
            first_attempt_ms=claim.first_attempt_ms,
            status=outcome.recall_status,
            answered=outcome.report_key is ReportKey.ANSWERED,
            start_ms=start_ms,
            end_ms=end_ms,
            call_uuid=claim.call_uuid,
            cuts_before=claim.switch_cuts,
        )
    uncounted = bool(fault) and step is not None
    if step is None:
        if claim.max_attempts:  # the lead's own cap (VBot numberCall) replaces the campaign's recall_times
            campaign = campaign.model_copy(update={"recall_times": claim.max_attempts - 1})
        step = recall.after_attempt(
            campaign,
            attempts_before=claim.attempts,
            first_attempt_ms=claim.first_attempt_ms,
            number_idx=claim.number_idx,
            numbers=len(claim.numbers),
            status=outcome.recall_status,
            start_ms=start_ms,
            end_ms=end_ms,
            call_uuid=claim.call_uuid,
        )
    reason = att.detail or outcome.reason
    if uncounted and step.requeue:
        reason += f"; cut short by {fault}: recalled, not counted as an attempt"
    elif fault and not uncounted:
        reason += f"; cut short by {fault} {recall.SWITCH_CUTS_MAX} times in a row: counted as an attempt this time"
    answered = answered_number(att)
    queue_fields = queued_results.agent_fields(outcome, queued_results.queue_of(att, hang))
    record_type = CallRecord if queue_fields is None else AgentCallRecord
    cdr = record_type(
        campaign=claim.campaign_uuid,
        lead=claim.lead_uuid,
        external_id=claim.external_id,
        # An attempt that failed before its originate was built (INVALID_GATEWAY: no route) still names its numbers
        attempt=claim.attempts + (0 if cancelled else 1),
        numbers=dialled(att),
        legs=att.legs,
        network=claim.network,
        answered_number=answered,
        caller_id=hotline(att),
        node=att.node.name,
        start_ms=start_ms,
        answer_ms=answer_ms,
        end_ms=end_ms,
        duration=duration,
        billsec=billsec,
        waitsec=waitsec,
        hangup_cause=outcome.cause,
        sip_status=hang.get("variable_sip_term_status", ""),
        job_result=att.job_text,
        recall_status=outcome.recall_status.value,
        report_key=outcome.report_key.value,
        reason=reason,
        dtmf=att.dtmf,
        recall_at_ms=step.recall_at_ms,
        tts_voice=att.tts_voice,
        tts_engine=att.tts_engine,
        **(queue_fields or {}),
    )
    stats = {
        "total_calls": 1,
        "total_duration": duration,
        "total_billsec": billsec,
        "total_waitsec": waitsec,
        cdr.report_key: 1,  # outcome.report_key.value: an Enum's value is slow to read, the CDR has it
        f"rs:{cdr.recall_status}": 1,
    }
    sample: dict[str, int] = {}
    wrap_agent = ""
    if queued_results.is_autodialer(att):
        if type(cdr) is AgentCallRecord:
            stats.update(queued_results.report_counters(cdr))
        if not cancelled and not uncounted:  # the engine's own cancel, FreeSWITCH's death: not the lead's doing
            sample, wrap_agent = queued_results.call_sample(cdr, outcome)
    webhooks = []
    if campaign.callback_url:
        webhooks.append((campaign.callback_url, json_text.dumps(end_body(att, cdr, outcome))))
    return Finish(
        claim.campaign_uuid,
        claim.lead_uuid,
        claim.call_uuid,
        claim.network,
        end_ms,
        report_hour(end_ms, campaign.time_zone),
        cdr,
        step.lead_update,
        reported=True,
        requeue=step.requeue,
        due_ms=step.due_ms,
        next_call="",
        stats=stats,
        webhooks=webhooks,
        call_stats=sample,
        wrap_agent=wrap_agent,
    )


# -- webhook bodies -----------------------------------------------------------------------------
def hotline(att: InFlight) -> str:
    """The caller ID (VBot's hotline) the attempt went out with: the answering leg's, else the first leg's."""
    ids = att.caller_ids
    if att.answered_leg in att.legs and len(ids) == len(att.legs):
        return ids[att.legs.index(att.answered_leg)]
    return ids[0] if ids else ""


def dialled(att: InFlight) -> list[str]:
    """The numbers of the attempt; when it failed before the originate was built, the ones it would have dialled."""
    if att.numbers:
        return list(att.numbers)
    numbers = att.claim.numbers
    if not numbers:
        return []
    if att.campaign.mode_call is ModeCall.DIRECT:
        return [numbers[att.claim.number_idx % len(numbers)]]
    return list(numbers)


def _action_log(cdr: CallRecord, outcome: Outcome, tz: Any) -> str:
    """VBot's ``action_log``: the attempt, what happened, the keys pressed, the recall planned."""
    parts = [f"attempt {cdr.attempt}", outcome.reason]
    if outcome.cause not in ("NORMAL_CLEARING", "NONE") and outcome.cause not in outcome.reason:
        parts.append(f"cause {outcome.cause}")
    if cdr.dtmf:
        parts.append(f"dtmf {cdr.dtmf}")
    if cdr.recall_at_ms:
        parts.append(f"recall at {vbot.local_time(cdr.recall_at_ms, tz)}")
    return "; ".join(parts)


def end_body(att: InFlight, cdr: CallRecord, outcome: Outcome) -> dict[str, Any]:
    """The ``callback_url`` body of an ended attempt, in the campaign's ``webhook_format``."""
    fmt = vbot.webhook_format(att.campaign.webhook_format)
    tz = zone(att.campaign.time_zone)
    if fmt is vbot.WebhookFormat.NATIVE:  # exactly GET /v3/autocall/cdr's object for this call (its record, mapped)
        return record_object(att.call_uuid, cdr, tz)
    numbers = dialled(att)
    answered = cdr.answered_number
    names = vbot.fields_facts(att.claim.fields)
    facts = vbot.CallFacts(
        call_id=att.call_uuid,
        campaign_id=att.campaign.campaign_id,
        start=vbot.local_time(cdr.start_ms, tz),
        hotline=cdr.caller_id,
        phone=answered or (numbers[0] if numbers else ""),
        callees=[answered] if answered else numbers,
        billsec=cdr.billsec,
        action_log=_action_log(cdr, outcome, tz),
        event=vbot.EVENT_HANGUP,
        name=names["name"],
        description=names["description"],
    )
    return vbot.body(fmt, facts, outcome)


def answer_body(att: InFlight) -> dict[str, Any]:
    """The ``answer_callback_url`` body, queued when the call is answered, in the campaign's ``webhook_format``.

    Native: the CDR's fields known at the answer (:data:`dialer.domain.cdr.ANSWER_FIELDS`).
    VBot formats: the same body as the call's end, as it stands at the answer
    (status 200 / disposition ANSWER, ``time_call`` 0, ``event_data`` "answer").
    """
    claim = att.claim
    answered = answered_number(att) if att.answered_leg in att.legs else ""
    fmt = vbot.webhook_format(att.campaign.webhook_format)
    tz = zone(att.campaign.time_zone)
    if fmt is vbot.WebhookFormat.NATIVE:  # the CDR's fields known now, under the CDR's names
        known = {
            "campaign": claim.campaign_uuid,
            "lead": claim.lead_uuid,
            "external_id": claim.external_id,
            "attempt": claim.attempts + 1,
            "numbers": dialled(att),
            "answered_number": answered,
            "caller_id": hotline(att),
            "network": claim.network,
            "start_ms": att.start_ms,
            "answer_ms": att.answered_ms,
        }
        return answer_object(att.call_uuid, known, tz)
    numbers = [answered] if answered else dialled(att)
    names = vbot.fields_facts(claim.fields)
    facts = vbot.CallFacts(
        call_id=att.call_uuid,
        campaign_id=att.campaign.campaign_id,
        start=vbot.local_time(att.start_ms, tz),
        hotline=hotline(att),
        phone=numbers[0] if numbers else "",
        callees=numbers,
        action_log=f"attempt {claim.attempts + 1}; answered",
        event=vbot.EVENT_ANSWER,
        name=names["name"],
        description=names["description"],
    )
    return vbot.body(fmt, facts, vbot.ANSWERED)
