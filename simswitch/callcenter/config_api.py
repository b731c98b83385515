"""``callcenter_config``: mod_callcenter's api (cc_config_api_function), its replies byte for byte.

Arguments are split as switch_separate_string splits them (at most 8; quotes keep spaces:
``agent set status NAME 'Available (On Demand)'``, unquoted the status is ``Available``). A
command that names a queue the module has not loaded (``tier add``, ``tier set``, ``queue load``)
answers once the configuration was asked (mod_xml_curl may take a while): like FreeSWITCH, the
``api`` waits for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from simswitch.callcenter import core, listing
from simswitch.callcenter.queues import Queue, atoi

if TYPE_CHECKING:
    from simswitch.callcenter.core import CallCenter

Reply = Callable[[str], None]
INVALID = "-ERR Invalid!\n"
UNKNOWN = "-ERR Unknown Error!\n"
SYNTAX = (
    "callcenter_config <target> <args>,\n"
    "\tcallcenter_config agent add [name] [type] | \n"
    "\tcallcenter_config agent del [name] | \n"
    "\tcallcenter_config agent reload [name] | \n"
    "\tcallcenter_config agent set status [agent_name] [status] | \n"
    "\tcallcenter_config agent set state [agent_name] [state] | \n"
    "\tcallcenter_config agent set contact [agent_name] [contact] | \n"
    "\tcallcenter_config agent set ready_time [agent_name] [wait till epoch] | \n"
    "\tcallcenter_config agent set reject_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent set busy_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent set no_answer_delay_time [agent_name] [wait second] | \n"
    "\tcallcenter_config agent get status [agent_name] | \n"
    "\tcallcenter_config agent get state [agent_name] | \n"
    "\tcallcenter_config agent get uuid [agent_name] | \n"
    "\tcallcenter_config agent list [[agent_name]] | \n"
    "\tcallcenter_config tier add [queue_name] [agent_name] [[level]] [[position]] | \n"
    "\tcallcenter_config tier set state [queue_name] [agent_name] [state] | \n"
    "\tcallcenter_config tier set level [queue_name] [agent_name] [level] | \n"
    "\tcallcenter_config tier set position [queue_name] [agent_name] [position] | \n"
    "\tcallcenter_config tier del [queue_name] [agent_name] | \n"
    "\tcallcenter_config tier reload [queue_name] [agent_name] | \n"
    "\tcallcenter_config tier list | \n"
    "\tcallcenter_config queue load [queue_name] | \n"
    "\tcallcenter_config queue unload [queue_name] | \n"
    "\tcallcenter_config queue reload [queue_name] | \n"
    "\tcallcenter_config queue list | \n"
    "\tcallcenter_config queue list agents [queue_name] [status] [state] | \n"
    "\tcallcenter_config queue list members [queue_name] | \n"
    "\tcallcenter_config queue list tiers [queue_name] | \n"
    "\tcallcenter_config queue count | \n"
    "\tcallcenter_config queue count agents [queue_name] [status] [state] | \n"
    "\tcallcenter_config queue count members [queue_name] | \n"
    "\tcallcenter_config queue count tiers [queue_name]"
)
AGENT_SET_ERRORS = {
    core.INVALID_STATUS: "-ERR Invalid Agent Status!\n",
    core.INVALID_STATE: "-ERR Invalid Agent State!\n",
    core.INVALID_TYPE: "-ERR Invalid Agent Type!\n",
    core.INVALID_KEY: "-ERR Invalid Agent Update KEY!\n",
    core.AGENT_NOT_FOUND: "-ERR Agent not found!\n",
}
TIER_ADD_ERRORS = {
    core.QUEUE_NOT_FOUND: "-ERR Queue not found!\n",
    core.TIER_INVALID_STATE: "-ERR Invalid Tier State!\n",
    core.AGENT_NOT_FOUND: "-ERR Agent not found!\n",
    core.TIER_EXISTS: "-ERR Tier already exist!\n",
}
TIER_SET_ERRORS = {
    core.TIER_INVALID_STATE: "-ERR Invalid Tier State!\n",
    core.INVALID_KEY: "-ERR Invalid Tier Update KEY!\n",
    core.AGENT_NOT_FOUND: "-ERR Agent not found!\n",
    core.QUEUE_NOT_FOUND: "-ERR Agent not found!\n",  # sic: the module's text for a missing queue
}


def separate(text: str, limit: int = 8) -> list[str]:
    """switch_separate_string(buf, ' ', argv, limit): blank-separated words (the last one takes the
    rest of the text), single quotes keep blanks and are removed, a backslash escapes."""
    starts: list[int] = []
    ends: list[int] = []
    state, quoted, i = "start", False, 0
    while i < len(text) and len(starts) < limit:
        c = text[i]
        if state == "start":
            starts.append(i)
            state = "skip_initial"
        elif state == "skip_initial":
            if c == " ":
                i += 1
            else:
                state = "find"
        elif state == "find":
            if c == "\\":
                i += 1
            elif c == "'":
                quoted = not quoted
            elif c == " " and not quoted:
                ends.append(i)
                state = "skip_ending"
            i += 1
        elif c == " ":
            i += 1
        else:
            state = "start"
    ends += [len(text)] * (len(starts) - len(ends))
    return [_cleanup(text[a:b]) for a, b in zip(starts, ends, strict=True)]


def _cleanup(word: str) -> str:
    """cleanup_separated_string: leading blanks, quotes, escapes and trailing blanks removed."""
    word = word.lstrip(" ")
    out: list[str] = []
    end = 0
    quoted = False
    i = 0
    while i < len(word):
        c = word[i]
        if c == "\\" and i + 1 < len(word) and word[i + 1] in "'\"\\":
            out.append(word[i + 1])
            end = len(out)
            i += 2
            continue
        if c == "'" and (quoted or "'" in word[i + 1 :]):
            quoted = not quoted
            if quoted:
                end = len(out)
        else:
            out.append(c)
            if c != " " or quoted:
                end = len(out)
        i += 1
    return "".join(out[:end])


def execute(cc: CallCenter, cmd: str, reply: Reply) -> None:
    """Run ``callcenter_config <cmd>``; ``reply`` gets the api's body (at once, or once a queue loaded)."""
    if not cmd.strip():
        reply(f"-USAGE: \n{SYNTAX}\n")
        return
    argv = separate(cmd)
    if len(argv) < 2:
        reply(INVALID)
        return
    section, action, args = argv[0].lower(), argv[1].lower(), argv[2:]
    handler = {"agent": _agent, "tier": _tier, "queue": _queue}.get(section)
    if handler is None:
        reply("")  # an unknown section prints nothing
        return
    handler(cc, action, args, reply)


def _agent(cc: CallCenter, action: str, args: list[str], reply: Reply) -> None:
    if action == "add":
        if len(args) < 2:
            return reply(INVALID)
        result = cc.add_agent(args[0], args[1])
        return reply(
            {core.OK: "+OK\n", core.AGENT_EXISTS: "-ERR Agent already exist!\n"}.get(
                result, "-ERR Agent type invalid!\n" if result == core.INVALID_TYPE else UNKNOWN
            )
        )
    if action == "del":
        if len(args) < 1:
            return reply(INVALID)
        cc.delete_agent(args[0])
        return reply("+OK\n")
    if action == "reload":
        if len(args) < 1:
            return reply(INVALID)
        return _reload_agent(cc, args[0], reply)
    if action == "set":
        if len(args) < 3:
            return reply(INVALID)
        result = cc.update_agent(args[0], args[2], args[1])
        return reply("+OK\n" if result == core.OK else AGENT_SET_ERRORS.get(result, UNKNOWN))
    if action == "get":
        if len(args) < 2:
            return reply(INVALID)
        result, value = cc.get_agent(args[0], args[1])
        if result == core.OK:
            return reply(value[:63])  # char ret[64], no newline
        return reply(AGENT_SET_ERRORS.get(result, UNKNOWN))
    if action == "list":
        if len(args) > 1:
            return reply(INVALID)
        agents = list(cc.tables.agents.values())
        return reply(listing.agents([a for a in agents if not args or a.name == args[0]]))
    return reply("")


def _reload_agent(cc: CallCenter, name: str, reply: Reply) -> None:
    """load_agent(name) from the configuration, asked without parameters."""

    def run() -> None:
        conf = cc.configuration(None)
        if conf is None:
            return reply(UNKNOWN)  # "Open of callcenter.conf failed"
        for attrs in conf.agents:
            if (attrs.get("name") or "").lower() == name.lower():
                cc.load_agent({**attrs, "name": name})
                break
        reply("+OK\n")

    cc.in_background(run)


def _tier(cc: CallCenter, action: str, args: list[str], reply: Reply) -> None:
    if action == "add":
        if len(args) < 2:
            return reply(INVALID)
        queue_name, agent = args[0], args[1]
        level = atoi(args[2]) if len(args) > 2 and args[2] else 1
        position = atoi(args[3]) if len(args) > 3 and args[3] else 1

        def added(queue: Queue | None) -> None:
            result = core.QUEUE_NOT_FOUND if queue is None else cc.add_tier(queue_name, agent, "Ready", level, position)
            reply("+OK\n" if result == core.OK else TIER_ADD_ERRORS.get(result, UNKNOWN))

        return cc.get_queue(queue_name, added)
    if action == "set":
        if len(args) < 4:
            return reply(INVALID)
        key, queue_name, agent, value = args[0], args[1], args[2], args[3]
        if cc.tables.tier(queue_name, agent) is None:
            return reply(UNKNOWN)  # CC_STATUS_TIER_NOT_FOUND has no text of its own
        if agent not in cc.tables.agents:
            return reply(TIER_SET_ERRORS[core.AGENT_NOT_FOUND])

        def updated(queue: Queue | None) -> None:
            result = core.QUEUE_NOT_FOUND if queue is None else cc.update_tier(key, value, queue_name, agent)
            reply("+OK\n" if result == core.OK else TIER_SET_ERRORS.get(result, UNKNOWN))

        return cc.get_queue(queue_name, updated)
    if action == "del":
        if len(args) < 2:
            return reply(INVALID)
        cc.tables.tiers = [t for t in cc.tables.tiers if not (t.queue == args[0] and t.agent == args[1])]
        return reply("+OK\n")
    if action == "reload":
        if len(args) < 1:
            return reply(INVALID)
        return _reload_tiers(cc, args[0], args[1] if len(args) > 1 else "", reply)
    if action == "list":
        return reply(listing.tiers(sorted(cc.tables.tiers, key=lambda t: (t.level, t.position))))
    return reply("")


def _reload_tiers(cc: CallCenter, queue_name: str, agent: str, reply: Reply) -> None:
    """load_tiers: the configuration's tiers of the queue (``all``: every tier), of the agent if named."""

    def run() -> None:
        conf = cc.configuration(None)
        matched = False
        for t in conf.tiers if conf is not None else []:
            q, a = t.get("queue", ""), t.get("agent", "")
            everything = queue_name.lower() == "all"
            if everything or (q.lower() == queue_name.lower() and (not agent or a.lower() == agent.lower())):
                cc.load_tier(q, a, t.get("level"), t.get("position"))
                matched = True
        reply("+OK\n" if matched else UNKNOWN)

    cc.in_background(run)


def _queue(cc: CallCenter, action: str, args: list[str], reply: Reply) -> None:
    if action in ("load", "reload"):
        if len(args) < 1:
            return reply(INVALID)
        if action == "reload":
            cc.destroy_queue(args[0])
        done = lambda queue: reply("+OK\n" if queue is not None else "-ERR Invalid Queue not found!\n")  # noqa: E731
        return cc.load_queue(args[0], done, agents_and_tiers=True)
    if action == "unload":
        if len(args) < 1:
            return reply(INVALID)
        cc.destroy_queue(args[0])
        return reply("+OK\n")
    if action == "list":
        if not args:
            return reply(listing.QUEUE_LIST_HEADER + "".join(map(listing.queue_line, cc.queues.values())) + "+OK\n")
        return reply(_list(cc, args))
    if action == "count":
        if not args:
            return reply(f"{len(cc.queues)}\n")
        counted = _count(cc, args)
        return reply(INVALID if counted is None else f"{counted}\n")
    return reply("")


def _agents_of(cc: CallCenter, args: list[str]) -> list:
    """``agents,tiers WHERE tiers.agent = agents.name AND tiers.queue = q [AND status = s [AND state = t]]``."""
    queue = args[1] if len(args) > 1 else None
    status = args[2] if len(args) > 2 else None
    state = args[3] if len(args) > 3 else None
    return [
        a
        for t in cc.tables.tiers
        if t.queue == queue
        for a in [cc.tables.agents.get(t.agent)]
        if a is not None and (status is None or a.status == status) and (state is None or a.state == state)
    ]


def _list(cc: CallCenter, args: list[str]) -> str:
    sub = args[0].lower()
    if sub == "agents":
        return listing.agents(_agents_of(cc, args))
    if sub == "members":
        return listing.members(listing.by_score(cc.tables, args[1] if len(args) > 1 else None), cc.epoch())
    if sub == "tiers":
        queue = args[1] if len(args) > 1 else None
        return listing.tiers([t for t in cc.tables.tiers if t.queue == queue])
    return INVALID


def _count(cc: CallCenter, args: list[str]) -> int | None:
    sub = args[0].lower()
    queue = args[1] if len(args) > 1 else None
    if sub == "agents":
        return len(_agents_of(cc, args))
    if sub == "members":
        return sum(1 for m in cc.tables.members.values() if m.queue == queue)
    if sub == "tiers":
        return sum(1 for t in cc.tables.tiers if t.queue == queue)
    return None
