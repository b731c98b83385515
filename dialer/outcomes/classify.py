"""Every finished attempt → exactly one ``recall_status`` and one report key.

The inputs are what the dialer sees on the Event Socket (esl-captures README):
``Hangup-Cause`` of the attempt's CHANNEL_HANGUP_COMPLETE, whether
CHANNEL_ANSWER was seen, ``variable_billsec``, ``variable_sip_term_status``
(or ``variable_proto_specific_hangup_cause``, ``sip:486``),
``variable_sip_hangup_disposition``, the avmd beep, and the BACKGROUND_JOB
``-ERR <CAUSE>`` of an originate that never created a channel.

Order of the rules (docs/outcomes.md explains each decision):

1. Answered (answer flag, billsec > 0, SIP 200, or a BYE either way): the
   post-answer cause only says who hung up. avmd beep → voicemail; talk time
   below ``min_answered_seconds`` → ``no-answered`` (so the usual
   ``recall_status`` lists recall it) with report key ``answered``; else answered.
2. A beep without an answer → voicemail, report ``no_answer``.
3. The cause is resolved: a known, specific channel cause, else a known,
   specific job cause, else the cause mod_sofia derives from the SIP status,
   else whatever generic/unknown cause there is.
4. ``cancelled_by_us`` with a cause our own cancel produces → ``cancel`` /
   ``cancel`` (the engine requeues without counting the attempt). A definite
   far-end answer that won the race (486, 404…) is kept instead.
5. CAUSE_RULES (total over Q850), refined by the disposition for the causes
   that do not say who ended the call, then by SIP_OVERRIDES where a SIP status
   says more than the cause mod_sofia folded it into.
6. Anything else (unknown name, nothing at all) → ``failed`` / ``failed``. Never raises.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.domain.enums import RecallStatus, ReportKey
from dialer.esl.causes import SIP_PHRASES, cause_from_q850, sip_to_cause
from dialer.outcomes.cause_rules import CAUSE_RULES
from dialer.outcomes.sip_rules import SIP_OVERRIDES

__all__ = ["Outcome", "classify", "classify_cached"]

R = RecallStatus
K = ReportKey


@dataclass(frozen=True, slots=True)
class Outcome:
    """The classification of one finished attempt."""

    recall_status: RecallStatus
    report_key: ReportKey
    cause: str  # the FreeSWITCH cause name the decision used ("NONE" when there was none)
    reason: str  # short English explanation for CDRs and operators
    switch_fault: bool = False  # FreeSWITCH's doing, not the callee's (rule 0: the dialplan played nothing)


# Causes that only say "the call ended normally / without detail": they let the
# job result or the SIP status decide.
_GENERIC = frozenset({"NORMAL_CLEARING", "NORMAL_UNSPECIFIED", "INTERWORKING"})
# What FreeSWITCH reports when the engine itself cancels a ringing originate
# (uuid_kill defaults to NORMAL_CLEARING; ORIGINATOR_CANCEL or MANAGER_REQUEST if named).
_OUR_CANCEL = frozenset({"ORIGINATOR_CANCEL", "NORMAL_CLEARING", "NORMAL_UNSPECIFIED", "MANAGER_REQUEST"})
# Causes that do not say which side ended an unanswered call; the disposition does.
_WHO_ENDED = frozenset({"NORMAL_CLEARING", "ORIGINATOR_CANCEL"})
# A BYE either way means a confirmed dialog: the call was answered (FreeSWITCH CANCELs an unanswered leg).
_BYE = frozenset({"recv_bye", "send_bye"})
# Answered calls the dialplan hung up before the message (rule 0), and why.
_DIALPLAN_FAILED = {
    "NO_ROUTE_DESTINATION": "answered, but FreeSWITCH found no dialplan for the call (the 'autocall' context or "
    "extension is missing): nothing was played",
    "DESTINATION_OUT_OF_ORDER": "answered, but the dialplan failed before the message (an application it runs is "
    "missing, e.g. mod_avmd's avmd_start): nothing was played",
}


def _cause_name(value: str | None) -> str | None:
    """A cause as FreeSWITCH spells it, from a name (any case) or a Q.850 number; None if absent."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    name = text.split()[0].upper()
    if name.isdigit():
        # variable_hangup_cause_q850 instead of a name; 0 is NONE.
        return cause_from_q850(int(name)) or (None if int(name) == 0 else name)
    return None if name == "NONE" else name


def _job_cause(job_error: str | None) -> str | None:
    """The cause of a BACKGROUND_JOB/api body ``-ERR USER_BUSY\\n``; the bare name is accepted too."""
    if job_error is None:
        return None
    text = job_error.strip()
    if text.startswith("+OK"):
        return None  # not an error: the originate succeeded
    if text.startswith("-ERR"):
        text = text[4:]
    return _cause_name(text)


def _sip_code(sip_status: str | int | None) -> int | None:
    """``486``, ``"486"``, ``"sip:486"`` → 486; anything else → None."""
    if sip_status is None:
        return None
    if isinstance(sip_status, int):
        code = sip_status
    else:
        text = sip_status.strip().lower().removeprefix("sip:").strip()
        digits = text[:3]
        if len(digits) != 3 or not digits.isdigit():
            return None
        code = int(digits)
    return code if 100 <= code <= 699 else None


def _sip_text(code: int) -> str:
    return f"{code} {SIP_PHRASES.get(code, 'SIP failure')}"


def _resolve(channel: str | None, job: str | None, sip: int | None) -> tuple[str | None, bool]:
    """The cause to classify by, and whether the SIP status agrees with it (so may refine it)."""
    sip_cause = sip_to_cause(sip) if sip is not None and sip >= 300 else None
    # The channel's own cause is the far end's answer for that leg; the job's cause is
    # FreeSWITCH's summary of the originate (in the global-uuid pitfall the job says
    # DESTINATION_OUT_OF_ORDER while the leg really was USER_BUSY), so the channel wins.
    for candidate in (channel, job):
        if candidate is not None and candidate in CAUSE_RULES and candidate not in _GENERIC:
            return candidate, candidate == sip_cause
    if sip_cause is not None:
        return sip_cause, True
    known = next((c for c in (channel, job) if c is not None and c in CAUSE_RULES), None)
    return known or channel or job, False


def _answered(cause: str | None, billsec: int, beep: bool, min_answered_seconds: int) -> Outcome:
    final = cause or "NORMAL_CLEARING"
    if beep:
        # The machine answered: billed as answered, but nobody heard the message.
        return Outcome(R.VOICEMAIL, K.ANSWERED, final, "avmd beep: answering machine")
    if min_answered_seconds > 0 and billsec < min_answered_seconds:
        # Picked up and dropped before the message could matter. recall_status must be
        # one the campaign's recall list names for the recall to happen; "answered" is
        # rarely in it, "no-answered" always is, and it is what happened to the message.
        reason = f"answered but talk time {billsec} s < min_recall_duration {min_answered_seconds} s"
        return Outcome(R.NO_ANSWERED, K.ANSWERED, final, reason)
    after = "" if final == "NORMAL_CLEARING" else f", ended {final}"
    return Outcome(R.ANSWERED, K.ANSWERED, final, f"answered, {billsec} s talk{after}")


def classify(
    *,
    cause: str | None,
    answered: bool,
    billsec: int = 0,
    sip_status: str | None = None,
    disposition: str | None = None,
    beep: bool = False,
    job_error: str | None = None,
    cancelled_by_us: bool = False,
    min_answered_seconds: int = 0,
    message_played: bool | None = None,
) -> Outcome:
    """Classify one finished attempt; total (never raises). See the module docstring for the rule order.

    ``cause``: Hangup-Cause (a name, or the q850 number); ``sip_status``:
    sip_term_status or proto_specific_hangup_cause; ``disposition``:
    sip_hangup_disposition; ``job_error``: the BACKGROUND_JOB body or its cause name;
    ``message_played``: whether the dialplan played the message (None: not known).
    """
    channel = _cause_name(cause)
    job = _job_cause(job_error)
    sip = _sip_code(sip_status)
    disp = (disposition or "").strip().lower() or None
    billsec = max(billsec, 0)

    if answered or billsec > 0 or sip == 200 or disp in _BYE:
        if message_played is False and channel in _DIALPLAN_FAILED:
            # Rule 0: the callee picked up, FreeSWITCH had nothing to run (no autocall context, an
            # invalid application) and hung up at once: the message never played. Not answered.
            return Outcome(R.FAILED, K.FAILED, channel, _DIALPLAN_FAILED[channel], switch_fault=True)
        return _answered(channel, billsec, beep, min_answered_seconds)

    base, sip_agrees = _resolve(channel, job, sip)

    if beep:
        # avmd runs after answer in our dialplan; a beep before it is a carrier
        # voicemail greeting heard in early media: voicemail, but not billed/answered.
        return Outcome(R.VOICEMAIL, K.NO_ANSWER, base or "NONE", "avmd beep before answer: voicemail in early media")

    if cancelled_by_us and (base is None or base in _OUR_CANCEL):
        # The engine requeues such leads without counting the attempt; should any path
        # count it, a cancel is recalled as the campaign's recall_status says (failed covers it).
        return Outcome(R.CANCEL, K.CANCEL, base or "ORIGINATOR_CANCEL", "cancelled by the engine while ringing")

    if base is None:
        return Outcome(R.FAILED, K.FAILED, "NONE", "no hangup cause, SIP status or job result")
    rule = CAUSE_RULES.get(base)
    if rule is None:
        return Outcome(R.FAILED, K.FAILED, base, f"unknown hangup cause {base}")

    status, key, reason = rule.recall_status, rule.report_key, rule.reason
    if base in _WHO_ENDED and disp is not None:
        if disp == "send_cancel":
            status, key, reason = R.CANCEL, K.CANCEL, "cancelled by our side while ringing (not by the engine)"
        elif disp in ("recv_refuse", "recv_cancel"):
            status, key, reason = R.NO_ANSWERED, K.NO_ANSWER, "ended by the far end before answer"

    if sip is not None and sip >= 300:
        if sip_agrees:
            override = SIP_OVERRIDES.get(sip)
            if override is not None:
                status, key = override.recall_status, override.report_key
            reason = _sip_text(sip)
        else:
            # A Q.850 Reason header (or a multi-leg job) gave a cause the SIP status does not map to.
            reason = f"{reason} (SIP {_sip_text(sip)})"
    return Outcome(status, key, base, reason)


# classify() is a pure function of its arguments: the outcome of each input shape is kept (calls
# repeat a few shapes: a cause, a SIP status, a disposition, the talk time of an answered call).
_KEPT_MAX = 4096
_kept: dict[tuple[object, ...], Outcome] = {}  # (the arguments, in order) -> their outcome


def classify_cached(
    cause: str | None,
    answered: bool,
    billsec: int,
    sip_status: str | None,
    disposition: str | None,
    beep: bool,
    job_error: str | None,
    cancelled_by_us: bool,
    min_answered_seconds: int,
    message_played: bool | None,
) -> Outcome:
    """:func:`classify` of these arguments (positional, in its order; ``billsec`` an int), worked out
    once per distinct set of them. An Outcome is frozen, so the one kept is the one returned."""
    key = (
        cause,
        answered,
        billsec,
        sip_status,
        disposition,
        beep,
        job_error,
        cancelled_by_us,
        min_answered_seconds,
        message_played,
    )
    outcome = _kept.get(key)
    if outcome is None:
        if len(_kept) >= _KEPT_MAX:
            _kept.clear()
        outcome = _kept[key] = classify(
            cause=cause,
            answered=answered,
            billsec=billsec,
            sip_status=sip_status,
            disposition=disposition,
            beep=beep,
            job_error=job_error,
            cancelled_by_us=cancelled_by_us,
            min_answered_seconds=min_answered_seconds,
            message_played=message_played,
        )
    return outcome
