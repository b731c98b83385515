"""Print the outcome tables of docs/outcomes.md, generated from the code.

``python -m dialer.outcomes.table`` prints the cause table (every FreeSWITCH
cause, by Q.850 number); ``--sip`` prints the SIP status table;
``--update docs/outcomes.md`` rewrites both in place. The document embeds them
between ``<!-- BEGIN … -->`` / ``<!-- END … -->`` markers and a test fails when
they drift, so the document can never disagree with the classifier.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dialer.outcomes.causes import Q850, SIP_PHRASES, SIP_TO_CAUSE, sip_to_cause
from dialer.outcomes.classify import CAUSE_RULES, SIP_OVERRIDES

__all__ = ["CAUSE_MARKERS", "SIP_MARKERS", "cause_table", "embedded", "main", "sip_table", "splice"]

CAUSE_MARKERS = ("<!-- BEGIN CAUSE TABLE: python -m dialer.outcomes.table -->", "<!-- END CAUSE TABLE -->")
SIP_MARKERS = ("<!-- BEGIN SIP TABLE: python -m dialer.outcomes.table --sip -->", "<!-- END SIP TABLE -->")


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
        path.write_text(splice(doc, SIP_MARKERS, sip_table()), encoding="utf-8")
        return 0
    sys.stdout.write(sip_table() if "--sip" in args else cause_table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
