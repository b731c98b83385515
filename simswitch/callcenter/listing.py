"""What ``callcenter_config ... list`` and ``... count`` print (list_result_callback and the queue lines).

Rows print as mod_callcenter's SQL callback prints them: the column names once, ``|`` between
values, a NULL as an empty value, then ``+OK`` (batch5 cc-config).
"""

from __future__ import annotations

from collections.abc import Sequence

from simswitch.callcenter.model import AGENT_COLUMNS, MEMBER_COLUMNS, TIER_COLUMNS, Agent, Member, Tables, Tier, row
from simswitch.callcenter.queues import Queue

QUEUE_LIST_HEADER = (
    "name|strategy|moh_sound|time_base_score|tier_rules_apply|tier_rule_wait_second|tier_rule_wait_multiply_level|"
    "tier_rule_no_agent_no_wait|discard_abandoned_after|abandoned_resume_allowed|max_wait_time|"
    "max_wait_time_with_no_agent|max_wait_time_with_no_agent_time_reached|record_template|calls_answered|"
    "calls_abandoned|ring_progressively_delay|skip_agents_with_external_calls|agent_no_answer_status\n"
)


def _text(value: object) -> str:
    return "" if value is None else str(value)  # a NULL column prints empty (batch5 cc-config)


def rows(columns: Sequence[str], values: list[list[str | None]]) -> str:
    """list_result_callback over the rows, then ``+OK``."""
    if not values:
        return "+OK\n"
    lines = ["|".join(columns)] + ["|".join(_text(v) for v in r) for r in values]
    return "\n".join(lines) + "\n+OK\n"


def agents(items: list[Agent]) -> str:
    return rows(AGENT_COLUMNS, [row(a, AGENT_COLUMNS) for a in items])


def tiers(items: list[Tier]) -> str:
    return rows(TIER_COLUMNS, [row(t, TIER_COLUMNS) for t in items])


def members(items: list[Member], now: int) -> str:
    """``SELECT *, (now - joined_epoch) + base_score + skill_score AS score``."""
    values = [[*row(m, MEMBER_COLUMNS), str(now - m.joined_epoch + m.base_score + m.skill_score)] for m in items]
    return rows((*MEMBER_COLUMNS, "score"), values)


def by_score(tables: Tables, queue: str | None) -> list[Member]:
    """Members of ``queue`` (None: all, by queue first) ORDER BY score DESC."""
    chosen = [m for m in tables.members.values() if queue is None or m.queue == queue]
    key = (lambda m: (m.queue, m.joined_epoch - m.base_score - m.skill_score)) if queue is None else None
    return sorted(chosen, key=key or (lambda m: m.joined_epoch - m.base_score - m.skill_score))


def queue_line(q: Queue) -> str:
    """One line of ``queue list``."""

    def flag(key: str) -> str:
        return "true" if q.flag(key) else "false"

    return (
        "|".join(
            [
                q.name,
                q.strategy,
                _text(q.text("moh-sound")),
                _text(q.text("time-base-score")),
                flag("tier-rules-apply"),
                str(q.number("tier-rule-wait-second")),
                flag("tier-rule-wait-multiply-level"),
                flag("tier-rule-no-agent-no-wait"),
                str(q.number("discard-abandoned-after")),
                flag("abandoned-resume-allowed"),
                str(q.number("max-wait-time")),
                str(q.number("max-wait-time-with-no-agent")),
                str(q.number("max-wait-time-with-no-agent-time-reached")),
                _text(q.text("record-template")),
                str(q.calls_answered),
                str(q.calls_abandoned),
                str(q.number("ring-progressively-delay")),
                flag("skip-agents-with-external-calls"),
                _text(q.text("agent-no-answer-status")),
            ]
        )
        + "\n"
    )
