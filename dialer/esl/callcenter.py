"""``callcenter_config``: the api commands autocall sends mod_callcenter, and their replies.

Every fact here is FreeSWITCH 1.10.12's mod_callcenter.c (``cc_config_api_function``):

* The command line is split on spaces by ``switch_separate_string`` into at most 8 words; a pair
  of single quotes groups words (``'On Break'``) and a backslash escapes. So a name or value
  holding a space, a quote, a backslash or a line break would become other arguments (or, in the
  ESL ``api`` line, another command): such values are refused here with a clear
  :class:`BadArgument`, never sent. A status with a space is sent in single quotes.
* Replies are ``+OK`` or ``-ERR <reason>`` (``-ERR Agent already exist!``), one line each;
  ``agent list``, ``tier list`` and ``queue list agents <queue>`` answer a table: a header of the
  SQL columns joined by ``|``, one row per line, then ``+OK`` (no header at all when there is no
  row). A NULL column prints as nothing (FreeSWITCH's sqlite-derived printf). An action
  callcenter_config does not know writes nothing, and mod_event_socket answers ``-ERR no reply``
  (tests/captures/batch5, cc-config).

The builders return the command as the ESL layer sends it after ``api `` or ``bgapi ``
(``ESLConnection.api(command)``, as dialer/esl/checks.py does). Parsing is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any, TypeVar

__all__ = [
    "AGENT_STATES",
    "AGENT_STATUSES",
    "AGENT_TYPE",
    "STRATEGIES",
    "TIER_STATES",
    "AgentRow",
    "BadArgument",
    "CallcenterError",
    "TierRow",
    "agent_add",
    "agent_del",
    "agent_list",
    "agent_set_contact",
    "agent_set_number",
    "agent_set_status",
    "check_name",
    "expect_ok",
    "parse_agents",
    "parse_table",
    "parse_tiers",
    "queue_list_agents",
    "queue_load",
    "queue_reload",
    "queue_unload",
    "tier_add",
    "tier_del",
    "tier_list",
    "tier_set_state",
]

COMMAND = "callcenter_config"
# CC_AGENT_TYPE_CALLBACK ("Callback", compared case-insensitively, stored as sent): mod_callcenter
# originates to the agent's contact
AGENT_TYPE = "callback"
# AGENT_STATUS_CHART, AGENT_STATE_CHART, STATE_CHART (tiers) without "Unknown" (what a bad name maps to)
AGENT_STATUSES = ("Logged Out", "Available", "Available (On Demand)", "On Break")
AGENT_STATES = ("Waiting", "Receiving", "In a queue call", "Idle", "Reserved")
TIER_STATES = ("No Answer", "Ready", "Offering", "Active Inbound", "Standby")
# The strategies members_callback knows; any other name silently orders agents by level, position
# and last offered call, so autocall refuses it instead (dialer/service/campaigns.py).
STRATEGIES = (
    "ring-all",
    "ring-progressively",
    "longest-idle-agent",
    "round-robin",
    "top-down",
    "agent-with-least-talk-time",
    "agent-with-fewest-calls",
    "sequentially-by-agent-order",
    "random",
)
# The numeric agent settings `agent set` takes (atoi/atol into INTEGER columns).
AGENT_NUMBERS = ("max_no_answer", "wrap_up_time", "reject_delay_time", "busy_delay_time", "no_answer_delay_time")
MAX_INT = 2**31 - 1  # a C int

# Agent and queue names: VARCHAR(255) in mod_callcenter's tables, one argument on the api line.
NAME = re.compile(r"[A-Za-z0-9_.@+-]{1,255}")
# A contact is a dial string (user/1001, {originate_timeout=20}sofia/gateway/gw/0901...,
# a|b for one after the other): anything printable but what the splitter interprets.
CONTACT = re.compile(r"[!#-&(-\[\]-~]{1,1024}")


class BadArgument(ValueError):
    """A name or value that cannot be sent as one ``callcenter_config`` argument."""


def check_name(what: str, name: str) -> str:
    """``name`` if it can be an agent or queue name on the api line, else :class:`BadArgument`."""
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise BadArgument(
            f"{what} {name!r} cannot be a mod_callcenter name: 1 to 255 of letters, digits and . _ @ + - "
            "(a space, quote, backslash or line break would split or end callcenter_config's arguments)"
        )
    return name


def _check_number(what: str, value: int) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_INT:
        raise BadArgument(f"{what} must be a whole number from 0 to {MAX_INT}, not {value!r}")
    return str(value)


def _one_of(what: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise BadArgument(f"{what} {value!r} is not one of mod_callcenter's: {', '.join(choices)}")
    return f"'{value}'" if " " in value else value  # quotes group the words (switch_separate_string)


def _command(*words: str) -> str:
    return " ".join((COMMAND, *words))


# -- agents -----------------------------------------------------------------------------------
def agent_add(name: str) -> str:
    """A new agent of type callback (mod_callcenter starts it Logged Out, Waiting)."""
    return _command("agent", "add", check_name("agent", name), AGENT_TYPE)


def agent_del(name: str) -> str:
    """Removes the agent and every tier of it (always ``+OK``, even for no such agent)."""
    return _command("agent", "del", check_name("agent", name))


def agent_set_contact(name: str, contact: str) -> str:
    """The dial string mod_callcenter originates to when it offers a call to the agent."""
    if not isinstance(contact, str) or not CONTACT.fullmatch(contact):
        raise BadArgument(
            f"contact {contact!r} cannot be sent to mod_callcenter: 1 to 1024 printable characters "
            "without spaces, quotes or backslashes (a dial string such as user/1001)"
        )
    return _command("agent", "set", "contact", check_name("agent", name), contact)


def agent_set_status(name: str, status: str) -> str:
    """``Available``, ``On Break``, ``Logged Out`` or ``Available (On Demand)``."""
    return _command("agent", "set", "status", check_name("agent", name), _one_of("status", status, AGENT_STATUSES))


def agent_set_number(key: str, name: str, value: int) -> str:
    """One of :data:`AGENT_NUMBERS` (seconds, or a count for ``max_no_answer``; 0: off)."""
    if key not in AGENT_NUMBERS:
        raise BadArgument(f"agent setting {key!r} is not one of {', '.join(AGENT_NUMBERS)}")
    return _command("agent", "set", key, check_name("agent", name), _check_number(key, value))


def agent_list(name: str = "") -> str:
    """Every agent (or the one named): a table, :func:`parse_agents`."""
    return _command("agent", "list", *((check_name("agent", name),) if name else ()))


# -- tiers ------------------------------------------------------------------------------------
def tier_add(queue: str, agent: str, level: int = 1, position: int = 1) -> str:
    """The agent serves the queue (state Ready). mod_callcenter loads the queue first if it does not
    know it (``get_queue``: the configuration is asked, dialer/service/callcenter_queues.py)."""
    return _command(
        "tier",
        "add",
        check_name("queue", queue),
        check_name("agent", agent),
        _check_number("level", level),
        _check_number("position", position),
    )


def tier_del(queue: str, agent: str) -> str:
    return _command("tier", "del", check_name("queue", queue), check_name("agent", agent))


def tier_set_state(queue: str, agent: str, state: str) -> str:
    """Note ``tier set``'s order: key, queue, agent, value."""
    return _command(
        "tier",
        "set",
        "state",
        check_name("queue", queue),
        check_name("agent", agent),
        _one_of("tier state", state, TIER_STATES),
    )


def tier_list() -> str:
    """Every tier, by level and position: a table, :func:`parse_tiers`."""
    return _command("tier", "list")


# -- queues -----------------------------------------------------------------------------------
def queue_load(queue: str) -> str:
    """Load the queue from the configuration (``-ERR Invalid Queue not found!`` when it has none)."""
    return _command("queue", "load", check_name("queue", queue))


def queue_reload(queue: str) -> str:
    """Drop the queue and load it again: a changed campaign's strategy or waits take effect."""
    return _command("queue", "reload", check_name("queue", queue))


def queue_unload(queue: str) -> str:
    return _command("queue", "unload", check_name("queue", queue))


def queue_list_agents(queue: str, status: str = "", state: str = "") -> str:
    """The agents with a tier in the queue (a table, :func:`parse_agents`); optionally only those of
    a status, and of a status and a state."""
    words = ["queue", "list", "agents", check_name("queue", queue)]
    if state and not status:
        raise BadArgument("queue list agents filters by state only together with a status")
    if status:
        words.append(_one_of("status", status, AGENT_STATUSES))
    if state:
        words.append(_one_of("state", state, AGENT_STATES))
    return _command(*words)


# -- replies ----------------------------------------------------------------------------------
class CallcenterError(Exception):
    """mod_callcenter (or FreeSWITCH's api layer) did not do it; ``reason`` is what it said."""

    def __init__(self, command: str, reason: str) -> None:
        super().__init__(f"'{command}' failed: {reason}" if command else reason)
        self.command = command
        self.reason = reason

    @property
    def exists(self) -> bool:
        """``agent add`` / ``tier add`` of one there already (its wording, typo included)."""
        return self.reason in ("Agent already exist!", "Tier already exist!")

    @property
    def missing(self) -> bool:
        """No such agent, tier or queue. (``tier set`` says ``Agent not found!`` for a queue it
        cannot load too.)"""
        return self.reason in ("Agent not found!", "Queue not found!", "Invalid Queue not found!", "Tier not found!")


def _lines(command: str, text: str) -> list[str]:
    lines = text.rstrip("\n").split("\n") if text.strip() else []
    if not lines:  # an action callcenter_config does not know writes nothing at all
        raise CallcenterError(command, "no answer (not a callcenter_config command mod_callcenter knows?)")
    if lines[-1].startswith("-ERR") or lines[0].startswith("-ERR"):
        bad = lines[-1] if lines[-1].startswith("-ERR") else lines[0]
        raise CallcenterError(command, bad.removeprefix("-ERR").strip())
    if lines[-1].strip() != "+OK":
        raise CallcenterError(command, f"unexpected answer {text.strip()[:200]!r}")
    return lines[:-1]


def expect_ok(text: str, command: str = "") -> None:
    """A plain command's reply: ``+OK`` returns, ``-ERR <reason>`` (or anything else) raises
    :class:`CallcenterError`."""
    if _lines(command, text):
        raise CallcenterError(command, f"unexpected answer {text.strip()[:200]!r}")


def parse_table(text: str, command: str = "", *, wide: str = "contact") -> list[dict[str, str]]:
    """A list reply's rows, each ``{column: value}``. A row with more cells than the header has a
    ``|`` in its ``wide`` column (a contact such as ``user/1001|user/1002``): the surplus is joined
    back into it; in any other table it raises :class:`CallcenterError`."""
    lines = _lines(command, text)
    if not lines:
        return []
    header = lines[0].split("|")
    rows = []
    for line in lines[1:]:
        cells = line.split("|")
        surplus = len(cells) - len(header)
        if surplus > 0 and wide in header:
            at = header.index(wide)
            cells[at : at + surplus + 1] = ["|".join(cells[at : at + surplus + 1])]
        if len(cells) != len(header):
            raise CallcenterError(
                command, f"a row of {len(cells)} cells under a header of {len(header)}: {line[:200]!r}"
            )
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0  # NULL (empty), as the table prints it


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One row of ``agent list`` / ``queue list agents``. Times are epoch seconds (0: never)."""

    name: str
    type: str = ""
    contact: str = ""
    status: str = ""
    state: str = ""
    uuid: str = ""  # the agent's channel while it talks to a member
    max_no_answer: int = 0
    wrap_up_time: int = 0
    reject_delay_time: int = 0
    busy_delay_time: int = 0
    no_answer_delay_time: int = 0
    last_bridge_start: int = 0
    last_bridge_end: int = 0
    last_offered_call: int = 0
    last_status_change: int = 0
    no_answer_count: int = 0
    calls_answered: int = 0
    talk_time: int = 0
    ready_time: int = 0  # not offered a call before this (after a reject, busy or no answer)
    external_calls_count: int = 0


@dataclass(frozen=True, slots=True)
class TierRow:
    queue: str
    agent: str
    state: str = ""
    level: int = 0
    position: int = 0


Row = TypeVar("Row", AgentRow, TierRow)


def _rows(cls: type[Row], rows: list[dict[str, str]]) -> list[Row]:
    names = {f.name: f.type == "int" for f in fields(cls)}  # annotations are text (postponed)
    out = []
    for row in rows:
        values: dict[str, Any] = {k: (_int(v) if names[k] else v) for k, v in row.items() if k in names}
        out.append(cls(**values))
    return out


def parse_agents(text: str, command: str = "") -> list[AgentRow]:
    """``agent list`` or ``queue list agents <queue>``; a column FreeSWITCH added later is ignored."""
    return _rows(AgentRow, parse_table(text, command))


def parse_tiers(text: str, command: str = "") -> list[TierRow]:
    return _rows(TierRow, parse_table(text, command))
