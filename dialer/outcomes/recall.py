"""What happens to a lead after an attempt: recall, retry, or done (SPEC.md).

* A recall is scheduled when the attempt's ``recall_status`` is one of the
  campaign's ``recall_status`` and fewer than ``recall_times`` recalls were
  made. ``schedule_recall=minute``: due ``schedule_recall_duration`` minutes
  after the attempt ended; ``after``: due at once, but the claim script only
  takes recalls once every fresh lead had its first attempt.
* ``limit_recall_duration`` (s): no recall due later than that long after
  the lead's first attempt.
* ``mode_call=direct``: each recall dials the lead's next number (rotation).
* Every recall clones the first attempt's call parameters: the lead keeps its
  numbers and fields; the engine re-reads the campaign's current settings.
* Not the lead's fault — FreeSWITCH refused the originate for its own limits,
  or autocall could not send it — the lead is retried and the attempt does
  not count. Ringing calls cancelled because the operator stopped the
  campaign are reported (``cancel``) but do not count either: the lead goes
  back to its queue for when the campaign starts again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dialer.domain.enums import ModeCall, RecallStatus, ScheduleRecall
from dialer.domain.models import Campaign

RETRY_DELAY_MS = 1_000
# A lead whose calls FreeSWITCH's death cut short this many times in a row counts the next such
# attempt: a switch that keeps dying on one lead's calls must not recall it forever.
SWITCH_CUTS_MAX = 3


@dataclass(slots=True)
class NextStep:
    requeue: str | None  # "recalls" | "fresh" | None: the lead is done
    due_ms: int = 0
    lead_update: dict[str, Any] = field(default_factory=dict)
    recall_at_ms: int = 0  # for the CDR: when the recall is due (0: none)


def after_attempt(
    campaign: Campaign,
    *,
    attempts_before: int,
    first_attempt_ms: int,
    number_idx: int,
    numbers: int,
    status: RecallStatus,
    start_ms: int,
    end_ms: int,
    call_uuid: str,
) -> NextStep:
    """A counted attempt ended with ``status``: recall or finish the lead."""
    attempts = attempts_before + 1
    first = first_attempt_ms or start_ms
    update: dict[str, Any] = {
        "attempts": attempts,
        "first_attempt_ms": first,
        "last_status": status.value,
        "last_call": call_uuid,
        "updated_ms": end_ms,
        "switch_cuts": 0,
    }
    recalls_made = attempts - 1
    if not campaign.recalls_on(status) or recalls_made >= campaign.recall_times:
        return NextStep(None, lead_update=update)
    due = recall_due(campaign, end_ms=end_ms, first_attempt_ms=first)
    if due is None:
        return NextStep(None, lead_update=update)
    if campaign.mode_call is ModeCall.DIRECT and numbers > 1:
        update["number_idx"] = (number_idx + 1) % numbers
    return NextStep("recalls", due, update, recall_at_ms=due)


def recall_due(campaign: Campaign, *, end_ms: int, first_attempt_ms: int) -> int | None:
    """When a recall of an attempt that ended at ``end_ms`` is due (``schedule_recall``), or None
    when that is later than ``limit_recall_duration`` after the lead's first attempt."""
    if campaign.schedule_recall is ScheduleRecall.MINUTE:
        due = end_ms + campaign.schedule_recall_duration * 60_000
    else:
        due = end_ms
    if campaign.limit_recall_duration and due - first_attempt_ms > campaign.limit_recall_duration * 1000:
        return None
    return due


def retry(*, attempts_before: int, now_ms: int, delay_ms: int = RETRY_DELAY_MS) -> NextStep:
    """The attempt did not count: put the lead back where it came from."""
    queue = "fresh" if attempts_before == 0 else "recalls"
    return NextStep(queue, now_ms + delay_ms, {"updated_ms": now_ms})


def after_switch_death(
    campaign: Campaign,
    *,
    attempts_before: int,
    first_attempt_ms: int,
    status: RecallStatus,
    answered: bool,
    start_ms: int,
    end_ms: int,
    call_uuid: str,
    cuts_before: int = 0,
) -> NextStep | None:
    """FreeSWITCH's own death cut the attempt short (a shutdown's SYSTEM_SHUTDOWN, or a
    restart: docs/engine.md): not the callee's doing, so it uses up none of the lead's
    attempts (``recall_times``, VBot's ``numberCall``), and ``direct`` mode keeps the
    same number. A call cut while ringing is recalled whatever its status; an answered
    one as the campaign's ``recall_status`` says. When: as a recall would be
    (``schedule_recall``), never later than ``limit_recall_duration``. A lead that
    is not recalled is done, and then the attempt is counted like any other.

    None: the lead's calls were cut ``SWITCH_CUTS_MAX`` times in a row; this attempt
    counts (:func:`after_attempt`), so a switch dying on one lead cannot recall it forever."""
    if cuts_before + 1 >= SWITCH_CUTS_MAX:
        return None
    first = first_attempt_ms or start_ms
    update: dict[str, Any] = {
        "first_attempt_ms": first,
        "last_status": status.value,
        "last_call": call_uuid,
        "updated_ms": end_ms,
        "switch_cuts": cuts_before + 1,
    }
    done = {**update, "attempts": attempts_before + 1, "switch_cuts": 0}
    if answered and not campaign.recalls_on(status):
        return NextStep(None, lead_update=done)
    due = recall_due(campaign, end_ms=end_ms, first_attempt_ms=first)
    if due is None:
        return NextStep(None, lead_update=done)
    return NextStep("recalls", due, update, recall_at_ms=due)
