"""Print the outcome tables of docs/outcomes.md, generated from the code.

``python -m dialer.outcomes.table`` prints the cause table (every FreeSWITCH
cause, by Q.850 number); ``--sip`` prints the SIP status table; ``--vbot``
prints the VBot table (every outcome the classifier gives → VBot's
autocall-history ``status`` and call-history ``disposition``);
``--update docs/outcomes.md`` rewrites all three in place. The document embeds them
between ``<!-- BEGIN … -->`` / ``<!-- END … -->`` markers and a test fails when
they drift, so the document can never disagree with the classifier.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dialer.domain.enums import RecallStatus, ReportKey
from dialer.esl.callcenter_events import QueueOutcome
from dialer.esl.causes import Q850, SIP_PHRASES, SIP_TO_CAUSE, sip_to_cause
from dialer.outcomes.cause_rules import CAUSE_RULES
from dialer.outcomes.classify import Outcome, classify
from dialer.outcomes.queued import classify_queued
from dialer.outcomes.sip_rules import SIP_OVERRIDES
from dialer.outcomes.vbot_codes import VBotStatus, vbot_disposition, vbot_status

__all__ = [
    "CAUSE_MARKERS",
    "SIP_MARKERS",
    "VBOT_MARKERS",
    "cause_table",
    "embedded",
    "main",
    "sip_table",
    "splice",
    "vbot_cases",
    "vbot_table",
]

CAUSE_MARKERS = ("<!-- BEGIN CAUSE TABLE: python -m dialer.outcomes.table -->", "<!-- END CAUSE TABLE -->")
SIP_MARKERS = ("<!-- BEGIN SIP TABLE: python -m dialer.outcomes.table --sip -->", "<!-- END SIP TABLE -->")
VBOT_MARKERS = ("<!-- BEGIN VBOT TABLE: python -m dialer.outcomes.table --vbot -->", "<!-- END VBOT TABLE -->")


def _cell(text: str) -> str:
    # A pipe would split the markdown cell.
    return text.replace("|", "/")


def cause_table() -> str:
    """The markdown table: cause, q850, recall_status, report key, why."""
    lines = [
        "| cause | q850 | recall_status | report key | why |",
        "|---|---:|---|---|---|",
    ]
    for cause, number in sorted(Q850.items(), key=lambda item: item[1]):
        rule = CAUSE_RULES[cause]
        lines.append(
            f"| {cause} | {number} | {rule.recall_status.value} | {rule.report_key.value} | {_cell(rule.why)} |"
        )
    return "\n".join(lines) + "\n"


def sip_table() -> str:
    """The markdown table of every SIP status with a mapping or an override."""
    lines = [
        "| SIP | phrase | FreeSWITCH cause | recall_status | report key | note |",
        "|---:|---|---|---|---|---|",
    ]
    for code in sorted(set(SIP_TO_CAUSE) | set(SIP_OVERRIDES)):
        cause = sip_to_cause(code)
        override = SIP_OVERRIDES.get(code)
        if override is not None:
            status, key, note = override.recall_status, override.report_key, f"override: {override.why}"
        else:
            rule = CAUSE_RULES[cause]
            status, key, note = rule.recall_status, rule.report_key, f"as {cause}"
        phrase = SIP_PHRASES.get(code, "")
        lines.append(f"| {code} | {phrase} | {cause} | {status.value} | {key.value} | {_cell(note)} |")
    return "\n".join(lines) + "\n"


def vbot_cases() -> list[tuple[str, Outcome]]:
    """Every kind of outcome the classifier gives, each with a label saying when: the VBot table's input.

    The outcomes come from :func:`classify` itself, so the table cannot drift from it.
    """
    cases = [
        ("answered", classify(cause="NORMAL_CLEARING", answered=True, billsec=30)),
        ("answered by a machine (avmd beep)", classify(cause="NORMAL_CLEARING", answered=True, billsec=30, beep=True)),
        (
            "answered, talk time below min_recall_duration",
            classify(cause="NORMAL_CLEARING", answered=True, billsec=1, min_answered_seconds=5),
        ),
        ("avmd beep before answer (carrier voicemail in early media)", classify(cause=None, answered=False, beep=True)),
        (
            "autodialer: answered, no agent took it (the queue's wait ran out, or the callee hung up waiting)",
            classify_queued(
                classify(cause="NORMAL_CLEARING", answered=True, billsec=10),
                QueueOutcome("queue", "", 5, 0, True, "TIMEOUT"),
                hangup_known=True,
            ),
        ),
        (
            "the engine cancelled it while ringing (campaign stopped)",
            classify(cause="ORIGINATOR_CANCEL", answered=False, cancelled_by_us=True),
        ),
        ("NORMAL_CLEARING / send_cancel", classify(cause="NORMAL_CLEARING", answered=False, disposition="send_cancel")),
        (
            "ORIGINATOR_CANCEL / recv_refuse",
            classify(cause="ORIGINATOR_CANCEL", answered=False, disposition="recv_refuse"),
        ),
        (
            "answered into no dialplan (NO_ROUTE_DESTINATION, nothing played)",
            classify(cause="NO_ROUTE_DESTINATION", answered=True, message_played=False),
        ),
        (
            "answered, the dialplan failed before the message (DESTINATION_OUT_OF_ORDER, nothing played)",
            classify(cause="DESTINATION_OUT_OF_ORDER", answered=True, message_played=False),
        ),
        (
            "answered, then FreeSWITCH died (AUTOCALL_SWITCH_LOST; not counted, see docs/engine.md)",
            classify(cause="AUTOCALL_SWITCH_LOST", answered=True, billsec=12),
        ),
    ]
    for cause, _ in sorted(Q850.items(), key=lambda item: item[1]):
        cases.append((cause, classify(cause=cause, answered=False)))
    for code in sorted(SIP_OVERRIDES):
        cases.append((f"SIP {code}", classify(cause=sip_to_cause(code), answered=False, sip_status=str(code))))
    cases.append(("no cause, SIP status or job result", classify(cause=None, answered=False)))
    cases.append(
        (
            "a cause FreeSWITCH does not have (AUTOCALL_LOST, AUTOCALL_NO_MESSAGE…)",
            classify(cause="AUTOCALL_LOST", answered=False),
        )
    )
    return cases


def vbot_table() -> str:
    """The markdown table: recall_status, report key → VBot status, disposition, and when each row applies."""
    keys, statuses = list(ReportKey), list(RecallStatus)
    rows: dict[tuple[int, int, int, str], list[str]] = {}
    for label, outcome in vbot_cases():
        status = vbot_status(outcome)
        row = (
            keys.index(outcome.report_key),
            statuses.index(outcome.recall_status),
            int(status),
            vbot_disposition(outcome).value,
        )
        rows.setdefault(row, []).append(label)
    lines = [
        "| report key | recall_status | VBot status | disposition | when |",
        "|---|---|---|---|---|",
    ]
    for key, recall_status, status, disposition in sorted(rows):
        code = VBotStatus(status)
        when = ", ".join(rows[(key, recall_status, status, disposition)])
        lines.append(
            f"| {keys[key].value} | {statuses[recall_status].value} | {code.value} {code.name} "
            f"| {disposition} | {_cell(when)} |"
        )
    return "\n".join(lines) + "\n"


def embedded(doc: str, markers: tuple[str, str]) -> str:
    """The text between a pair of markers (what the generator wrote there)."""
    begin, end = markers
    start = doc.index(begin) + len(begin) + 1  # the newline after the marker
    return doc[start : doc.index(end, start)]


def splice(doc: str, markers: tuple[str, str], table: str) -> str:
    """``doc`` with the text between ``markers`` replaced by ``table``."""
    begin, end = markers
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{table}{end}{tail}"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--update" in args:
        path = Path(args[args.index("--update") + 1])
        doc = splice(path.read_text(encoding="utf-8"), CAUSE_MARKERS, cause_table())
        doc = splice(doc, SIP_MARKERS, sip_table())
        path.write_text(splice(doc, VBOT_MARKERS, vbot_table()), encoding="utf-8")
        return 0
    sys.stdout.write(sip_table() if "--sip" in args else vbot_table() if "--vbot" in args else cause_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
