"""What to tell mod_callcenter so it holds autocall's agents and tiers as the operator wrote them.

Pure: the roster (dialer/store/agents.py), what mod_callcenter holds now (``agent list``, ``tier
list``: dialer/esl/callcenter.py), the statuses last pushed, and the queues the started autodialer
campaigns want, in; the ``callcenter_config`` commands out (callcenter_sync.py sends them). Only
what differs is sent, so a sync with nothing changed sends nothing but the two lists.

* An agent mod_callcenter lacks is added (type callback), then its contact, ``max_no_answer``,
  ``wrap_up_time`` and the three retry delays set; for one it has, those that differ. The contact
  rings for at most ``ring_s`` (``[leg_timeout=N]``, the queue's max wait): the ``user/`` endpoint
  would ring for 60 s, and mod_callcenter keeps a lead waiting past its max wait while an agent
  rings (tests/captures/batch5, facts 6 and 7); a contact the operator wrote with its own ``[...]``
  or ``{...}`` is sent as written. The delays (``no_answer_delay_time``, ``busy_delay_time``,
  ``reject_delay_time``: ``retry_delay_s``) keep mod_callcenter from offering the next lead to the
  agent that just let one ring out, again and again, while a free one waits (fact 13).
* Its **status** is pushed only when the operator set it since the last push (the status and
  ``status_at`` differ from ``agents:pushed``, kept in Redis so an engine restart changes nothing)
  and mod_callcenter says another: mod_callcenter puts an agent ``On Break`` itself after
  ``max_no_answer`` calls it did not answer, and a sync must not undo that; the operator's next
  status action (a login, even of an agent the operator never logged out) does. An agent new to
  mod_callcenter gets the operator's status at once.
* An agent of autocall's (``<extension>@autocall``) the roster no longer has is deleted (with its
  tiers). Agents of other names are never touched.
* **Tiers**: each started campaign's queue gets one (level 1, position 1) per agent that serves it
  and loses those of autocall's agents that no longer do. A queue no autodialer campaign names
  any more (a deleted campaign) loses autocall's tiers; a stopped campaign's are left (members may
  still wait in it).
* **Queues**: ``queue load`` before a queue's first tier (mod_callcenter asks autocall's
  ``POST /freeswitch/config`` for it), ``queue reload`` when its campaign's strategy changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.domain.agents import Agent, AgentStatus, callcenter_name, contact_of, extension_of, status_push
from dialer.esl import callcenter as cc
from dialer.esl.callcenter import AgentRow, BadArgument, TierRow

DELAYS = ("no_answer_delay_time", "busy_delay_time", "reject_delay_time")


@dataclass(frozen=True, slots=True)
class AgentDefaults:
    """What autocall adds to every agent it pushes."""

    ring_s: int = 5  # leg_timeout of the contact: AUTOCALL_AUTODIALER_MAX_WAIT
    retry_delay_s: int = 30  # an agent that did not take an offer is offered nothing for this long


DEFAULTS = AgentDefaults()


def dial_contact(agent: Agent, ring_s: int) -> str:
    """What mod_callcenter dials: the agent's contact (``user/<extension>`` by default), ringing ``ring_s`` at most."""
    contact = contact_of(agent)
    return contact if contact.startswith(("[", "{")) else f"[leg_timeout={ring_s}]{contact}"


@dataclass(frozen=True, slots=True)
class QueueWant:
    """A started autodialer campaign's queue: its name, what reloads it when it changes, its agents."""

    queue: str
    signature: str  # the campaign's strategy: a change is a ``queue reload``
    agents: tuple[str, ...]  # mod_callcenter names of the agents that serve the campaign


@dataclass(frozen=True, slots=True)
class Command:
    text: str  # the callcenter_config command, as sent after "api "
    agent: str = ""  # the agent it is about ("": a queue)
    queue: str = ""  # the queue it is about ("": an agent)


@dataclass(slots=True)
class Plan:
    commands: list[Command] = field(default_factory=list)
    pushed: dict[str, str] = field(default_factory=dict)  # agent -> status_push() now pushed (or found there)
    forgotten: list[str] = field(default_factory=list)  # agents deleted: their pushed status goes
    tiers: dict[str, set[str]] = field(default_factory=dict)  # queue -> the agents with a tier once it ran
    loaded: dict[str, str] = field(default_factory=dict)  # queue -> the signature it is loaded with
    problems: list[str] = field(default_factory=list)  # agents that cannot be sent (said, skipped)


def _agent(plan: Plan, agent: Agent, row: AgentRow | None, pushed: str | None, defaults: AgentDefaults) -> None:
    name = callcenter_name(agent)
    status, key = agent.status.value, status_push(agent)
    contact = dial_contact(agent, defaults.ring_s)
    numbers = {"max_no_answer": agent.max_no_answer, "wrap_up_time": agent.wrap_up_time}
    numbers |= dict.fromkeys(DELAYS, defaults.retry_delay_s)
    try:
        if row is None:
            commands = [cc.agent_add(name), cc.agent_set_contact(name, contact)]
            commands += [cc.agent_set_number(k, name, v) for k, v in numbers.items()]
            if status != AgentStatus.LOGGED_OUT.value:  # mod_callcenter adds it Logged Out
                commands.append(cc.agent_set_status(name, status))
        else:
            commands = [cc.agent_set_contact(name, contact)] if row.contact != contact else []
            commands += [cc.agent_set_number(k, name, v) for k, v in numbers.items() if getattr(row, k) != v]
            if pushed != key and row.status != status:  # the operator set it since the last push
                commands.append(cc.agent_set_status(name, status))
    except BadArgument as exc:
        plan.problems.append(f"agent {name}: {exc}")
        return
    plan.commands += [Command(c, agent=name) for c in commands]
    if pushed != key:
        plan.pushed[name] = key


def plan(
    agents: list[Agent],
    rows: list[AgentRow],
    tiers: list[TierRow],
    pushed: dict[str, str],
    queues: list[QueueWant],
    loaded: dict[str, str],
    known_queues: set[str],
    defaults: AgentDefaults = DEFAULTS,
) -> Plan:
    """The commands that make mod_callcenter hold ``agents`` and ``queues``' tiers (see the module)."""
    out = Plan()
    by_name = {row.name: row for row in rows}
    names = set()
    good = []
    for queue in queues:
        try:
            cc.check_name("queue", queue.queue)
        except BadArgument as exc:  # the API refuses such a name: a campaign written before it did
            out.problems.append(str(exc))
            continue
        good.append(queue)
        if loaded.get(queue.queue) != queue.signature:
            verb = cc.queue_load if queue.queue not in loaded else cc.queue_reload
            out.commands.append(Command(verb(queue.queue), queue=queue.queue))
        out.loaded[queue.queue] = queue.signature
    queues = good
    for agent in agents:
        name = callcenter_name(agent)
        names.add(name)
        _agent(out, agent, by_name.get(name), pushed.get(name), defaults)
    gone = [row.name for row in rows if extension_of(row.name) is not None and row.name not in names]
    for name in gone:
        out.commands.append(Command(cc.agent_del(name), agent=name))
    out.forgotten = sorted(set(gone) | {n for n in pushed if n not in names})
    _tiers(out, tiers, queues, known_queues, set(gone))
    return out


def _tiers(out: Plan, tiers: list[TierRow], queues: list[QueueWant], known: set[str], gone: set[str]) -> None:
    ours: dict[str, set[str]] = {}
    for tier in tiers:
        if extension_of(tier.agent) is not None and tier.agent not in gone:
            ours.setdefault(tier.queue, set()).add(tier.agent)
    wanted = {q.queue: set(q.agents) for q in queues}
    for queue in queues:
        have = ours.get(queue.queue, set())
        for agent in queue.agents:
            if agent not in have:
                out.commands.append(Command(cc.tier_add(queue.queue, agent), agent=agent, queue=queue.queue))
        for agent in sorted(have - set(queue.agents)):
            out.commands.append(Command(cc.tier_del(queue.queue, agent), agent=agent, queue=queue.queue))
        out.tiers[queue.queue] = set(queue.agents)
    for queue_name, have in sorted(ours.items()):
        if queue_name not in wanted and queue_name not in known:
            for agent in sorted(have):
                out.commands.append(Command(cc.tier_del(queue_name, agent), agent=agent, queue=queue_name))
