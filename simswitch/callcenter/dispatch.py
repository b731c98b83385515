"""mod_callcenter's agent dispatch thread: which waiting member is offered to which agent.

Each pass is cc_agent_dispatch_thread_run's query and callbacks: the members Waiting (or ring-all /
ring-progressively members still Trying), highest score first (seconds waited + base score); for
each, its queue's agents in the strategy's order (members_callback's SQL), the first that may take
a call (agents_callback: tier Ready or No Answer, state Waiting, wrap-up over, ready_time reached,
not On Break) is offered the member (ring-all: every such agent). FreeSWITCH runs a pass every
100 ms; the simulator runs one whenever something a pass looks at changed, or comes due (a
wrap-up's end, a ready_time, an abandoned member's discard time).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simswitch.callcenter import agent_call
from simswitch.callcenter.model import (
    M_ABANDONED,
    M_TRYING,
    M_WAITING,
    NO_ANSWER,
    ON_BREAK,
    READY,
    RECEIVING,
    SELECTABLE,
    WAITING,
    Agent,
    Member,
    Tier,
    same,
)
from simswitch.callcenter.queues import Queue, atoi

if TYPE_CHECKING:
    from simswitch.callcenter.core import CallCenter
    from simswitch.calls import Channel

RINGING = ("ring-all", "ring-progressively")


def run(cc: CallCenter) -> None:
    """One pass over the members."""
    tables = cc.tables
    now = cc.epoch()
    members = [
        m
        for m in tables.members.values()
        if m.state in (M_WAITING, M_ABANDONED) or (m.serving_agent in RINGING and m.state == M_TRYING)
    ]
    members.sort(key=lambda m: m.joined_epoch - m.base_score - m.skill_score)  # ORDER BY score DESC
    due: list[int] = []
    for member in members:
        if tables.members.get(member.uuid) is not member:
            continue  # gone during this pass
        queue = cc.queues.get(member.queue)
        if queue is None:
            _load_then(cc, member)
            continue
        if member.state == M_ABANDONED:
            abandoned = member.abandoned_epoch or member.joined_epoch
            if abandoned + queue.number("discard-abandoned-after") < now:
                del tables.members[member.uuid]
            else:
                due.append(abandoned + queue.number("discard-abandoned-after") + 1)
            continue
        _follow_strategy(member, queue.strategy)
        due += _member(cc, member, queue, now)
    later = [d for d in due if d > now]
    if later:
        cc.wake(max(0.0, min(later) - cc.sw.clock.now_us() / 1e6) + 0.001)


def _load_then(cc: CallCenter, member: Member) -> None:
    """A member of a queue not loaded (unloaded meanwhile): get_queue loads it; a queue the
    configuration does not have any more deletes the member ("not found locally")."""

    def loaded(queue: Queue | None) -> None:
        if queue is None:
            cc.tables.members.pop(member.uuid, None)
        else:
            cc.wake()

    cc.get_queue(member.queue, loaded)


def _follow_strategy(member: Member, strategy: str) -> None:
    """members_callback's "queue changed strategy" adjustments of a member's serving_agent."""
    serving = member.serving_agent
    if serving == "ring-all" and strategy != "ring-all":
        if strategy == "ring-progressively":
            member.serving_agent = "ring-progressively" if member.state == M_TRYING else serving
        elif member.state == M_TRYING:
            member.serving_agent, member.state = "", M_WAITING
    elif serving == "ring-progressively" and strategy != "ring-progressively":
        if strategy == "ring-all":
            member.serving_agent = "ring-all" if member.state == M_TRYING else serving
        elif member.state == M_TRYING:
            member.serving_agent, member.state = "", M_WAITING
    elif strategy in RINGING and serving != strategy:
        if serving in RINGING and member.state == M_TRYING:
            member.serving_agent = strategy
        elif serving == "" and member.state == M_WAITING:
            member.serving_agent, member.state = strategy, M_TRYING


def _member(cc: CallCenter, member: Member, queue: Queue, now: int) -> list[int]:
    """members_callback for one member: offer it; the moments a blocked agent becomes free."""
    session = cc.sessions.get(member.uuid)
    ch = session.channel if session is not None else None
    strategy = queue.strategy
    rows = order(cc, queue, strategy, ch)
    if strategy == "ring-progressively" and ch is not None and not ch.hung_up:
        last = ch.get_var("cc_last_originated_call")
        delay = queue.number("ring-progressively-delay") or 10
        if last is not None and now < atoi(last) + delay and ch.get_var("cc_agent_found") != "true":
            return [atoi(last) + delay]
    if strategy in ("ring-all", "ring-progressively") and member.state == M_WAITING:
        member.state = M_TRYING
    due, found = _offer(cc, member, queue, rows, now, ch)
    queue.last_agent_exist_check = now
    if found:
        queue.last_agent_exist = now
    elif strategy == "top-down" and ch is not None:
        ch.unset("cc_last_agent_tier_position")
        ch.unset("cc_last_agent_tier_level")
    return due


def order(cc: CallCenter, queue: Queue, strategy: str, ch: Channel | None) -> list[tuple[Agent, Tier]]:
    """The queue's agents (Available, On Break or Available (On Demand)) in the strategy's order."""
    rows = [(a, t) for a, t in cc.tables.in_queue(queue.name) if a.status in SELECTABLE]
    if strategy == "top-down":
        position = atoi(_var(ch, "cc_last_agent_tier_position") or "0")
        level = atoi(_var(ch, "cc_last_agent_tier_level") or "0")
        first = [r for r in rows if r[1].position > position and r[1].level == level]
        rest = [r for r in rows if r[1].level > level]
        key = lambda r: (r[1].level, r[1].position, r[0].last_offered_call)  # noqa: E731
        return sorted(first, key=key) + sorted(rest, key=key)
    if strategy == "round-robin":
        offered = [r for r in cc.tables.in_queue(queue.name) if r[0].last_offered_call > 0]
        key = lambda r: (r[1].level, r[1].position, r[0].last_offered_call)  # noqa: E731
        after: list[tuple[Agent, Tier]] = []
        if offered:
            last = max(offered, key=lambda r: (r[0].last_offered_call, r[0].offered_seq))[1]
            after = [r for r in rows if r[1].position > last.position and r[1].level == last.level]
        return sorted(after, key=key) + sorted(rows, key=key)
    if strategy == "random":
        shuffled = sorted(rows, key=lambda r: r[1].level)
        by_level: dict[int, list[tuple[Agent, Tier]]] = {}
        for r in shuffled:
            by_level.setdefault(r[1].level, []).append(r)
        out = []
        for group in by_level.values():
            cc.sw.rng.shuffle(group)
            out += group
        return out
    keys = {
        "longest-idle-agent": lambda r: (r[1].level, r[0].last_bridge_end, r[1].position),
        "agent-with-least-talk-time": lambda r: (r[1].level, r[0].talk_time, r[1].position),
        "agent-with-fewest-calls": lambda r: (r[1].level, r[0].calls_answered, r[1].position),
        "ring-all": lambda r: (r[1].level, r[1].position),
        "ring-progressively": lambda r: (r[1].level, r[1].position),
    }
    default = lambda r: (r[1].level, r[1].position, r[0].last_offered_call)  # noqa: E731
    return sorted(rows, key=keys.get(strategy, default))


def _offer(
    cc: CallCenter, member: Member, queue: Queue, rows: list[tuple[Agent, Tier]], now: int, ch: Channel | None
) -> tuple[list[int], bool]:
    """agents_callback over the rows: offer the member to the first agent that may take it (ring-all:
    to each). Returns when blocked agents become free, and whether any agent was found at all."""
    strategy = queue.strategy
    rules = queue.flag("tier-rules-apply")
    tier_level, available = 0, 0
    due: list[int] = []
    for agent, tier in rows:
        if rules and tier.level > tier_level:
            waited = now - member.joined_epoch
            wait = queue.number("tier-rule-wait-second")
            if queue.flag("tier-rule-no-agent-no-wait") and available == 0:
                tier_level = tier.level
            elif waited >= (tier.level * wait if queue.flag("tier-rule-wait-multiply-level") else wait):
                tier_level, available = tier.level, 0
            else:
                due.append(
                    member.joined_epoch + (tier.level * wait if queue.flag("tier-rule-wait-multiply-level") else wait)
                )
                return due, True
        available += 1
        free_at = max(agent.last_bridge_end + agent.wrap_up_time + 1, agent.ready_time)
        ready = (same(tier.state, NO_ANSWER) or same(tier.state, READY)) and same(agent.state, WAITING)
        if (
            not ready
            or same(agent.status, ON_BREAK)
            or (queue.flag("skip-agents-with-external-calls") and agent.external_calls_count > 0)
        ):
            continue
        if free_at > now:
            due.append(free_at)
            continue
        if strategy in RINGING:
            won = member.serving_agent == strategy
        else:
            if member.state == M_WAITING:
                member.serving_agent, member.serving_system, member.state = agent.name, "single_box", M_TRYING
            won = member.serving_agent == agent.name
        if not won:
            return due, True
        if ch is not None and strategy == "ring-progressively":
            ch.var("cc_last_originated_call", str(now))
        if ch is not None and strategy == "top-down":
            ch.var("cc_last_agent_tier_position", str(tier.position))
            ch.var("cc_last_agent_tier_level", str(tier.level))
        offered_status = agent.status or ""
        cc.update_agent("state", RECEIVING, agent.name)
        for t in cc.tables.tiers_of(agent.name):
            if t.queue == queue.name:
                t.state = "Offering"
            elif t.state == READY:
                t.state = "Standby"
        agent_call.offer(cc, member, agent, queue, offered_status)
        if strategy != "ring-all":
            return due, True
    return due, bool(rows)


def _var(ch: Channel | None, name: str) -> str | None:
    return ch.get_var(name) if ch is not None else None
