"""mod_callcenter's queues: their parameters (``queue_set_config``) and the ``callcenter.conf``
configuration they are read from.

A queue exists in the module once loaded: at module load from the configuration's ``<queues>``,
by ``callcenter_config queue load|reload``, or the first time something names it (``get_queue``
→ ``load_queue``: the ``callcenter`` application, ``tier add``, ...), which asks the XML bindings
(mod_xml_curl first, then the files) for ``callcenter.conf`` with a ``CC-Queue`` parameter and
keeps the ``<queue name>`` found there, if any. Parameters follow switch_xml_config: an integer
that is not a number, or outside 0..86400, takes its default; so does a boolean that is neither
true nor false.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from simswitch.callcenter.model import AGENT_STATUSES, ON_BREAK, lookup

TRUE = ("yes", "on", "true", "t", "enabled", "active", "allow")
FALSE = ("no", "off", "false", "f", "disabled", "inactive", "disallow")


def is_number(text: str) -> bool:
    """switch_is_number: an optional sign, then digits and dots only ("" is a number)."""
    body = text[1:] if text[:1] in "+-" else text
    return all(c == "." or c.isdigit() for c in body)


def atoi(text: str) -> int:
    """C's atoi: leading blanks, a sign, digits; 0 when there are none."""
    s = text.lstrip()
    sign, s = (-1, s[1:]) if s[:1] == "-" else (1, s[1:] if s[:1] == "+" else s)
    digits = ""
    for c in s:
        if not c.isdigit():
            break
        digits += c
    return sign * int(digits) if digits else 0


def switch_true(text: str) -> bool:
    t = text.strip().lower()
    return t in TRUE or (is_number(t) and t != "" and atoi(t) != 0)


def switch_false(text: str) -> bool:
    t = text.strip().lower()
    return t in FALSE or (is_number(t) and t != "" and atoi(t) == 0)


# queue_set_config: (parameter, type, default), in its order
PARAMS: tuple[tuple[str, str, object], ...] = (
    ("strategy", "str", "longest-idle-agent"),
    ("moh-sound", "str", None),
    ("announce-sound", "str", None),
    ("announce-frequency", "int", 0),
    ("record-template", "str", None),
    ("time-base-score", "str", "queue"),
    ("ring-progressively-delay", "int", 0),
    ("tier-rules-apply", "bool", False),
    ("tier-rule-wait-second", "int", 0),
    ("tier-rule-wait-multiply-level", "bool", False),
    ("tier-rule-no-agent-no-wait", "bool", True),
    ("discard-abandoned-after", "int", 60),
    ("abandoned-resume-allowed", "bool", False),
    ("max-wait-time", "int", 0),
    ("max-wait-time-with-no-agent", "int", 0),
    ("max-wait-time-with-no-agent-time-reached", "int", 5),
    ("agent-no-answer-status", "str", ON_BREAK),
    ("skip-agents-with-external-calls", "bool", True),
)


@dataclass
class Queue:
    """A loaded queue (cc_queue_t): its parameters, counters, and when an agent was last seen."""

    name: str
    params: dict[str, object]
    calls_answered: int = 0
    calls_abandoned: int = 0
    last_agent_exist: int = 0
    last_agent_exist_check: int = 0
    timers: list[object] = field(default_factory=list, repr=False)

    def __getitem__(self, key: str) -> object:
        return self.params[key]

    def text(self, key: str) -> str | None:
        value = self.params[key]
        return None if value is None else str(value)

    def number(self, key: str) -> int:
        value = self.params[key]
        return value if isinstance(value, int) else 0

    def flag(self, key: str) -> bool:
        return bool(self.params[key])

    @property
    def strategy(self) -> str:
        return str(self.params["strategy"])


def parse_params(pairs: list[tuple[str, str]]) -> dict[str, object]:
    """switch_xml_config_parse_event of a ``<queue>``'s ``<param name value>`` s."""
    given: dict[str, str] = {}
    for name, value in pairs:
        given.setdefault(name.lower(), value)  # switch_event_get_header: the first, any case
    out: dict[str, object] = {}
    for key, kind, default in PARAMS:
        text = given.get(key)
        if text is None:
            out[key] = default
        elif kind == "int":
            n = atoi(text) if is_number(text) else default
            out[key] = n if isinstance(n, int) and 0 <= n <= 86400 else default
        elif kind == "bool":
            out[key] = True if switch_true(text) else False if switch_false(text) else default
        else:
            out[key] = text
    if lookup(AGENT_STATUSES, str(out["agent-no-answer-status"])) is None:
        out["agent-no-answer-status"] = ON_BREAK  # "has invalid agent-no-answer-status, setting to On Break"
    return out


@dataclass
class CallcenterConf:
    """The parts of a ``callcenter.conf`` document mod_callcenter reads."""

    queues: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # name -> its params, in order
    agents: list[dict[str, str]] = field(default_factory=list)  # each <agent>'s attributes
    tiers: list[dict[str, str]] = field(default_factory=list)

    def queue(self, name: str) -> list[tuple[str, str]] | None:
        """switch_xml_find_child(queues, "queue", "name", name): the first whose name matches ignoring case."""
        return next((params for q, params in self.queues.items() if q.lower() == name.lower()), None)


def parse_conf(text: str | bytes) -> CallcenterConf | None:
    """The ``<configuration name="callcenter.conf">`` of a document (a mod_xml_curl answer, with its
    ``<document><section name="configuration">``, or a conf file); None when it has none."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    found = [root] if _is_callcenter(root) else [c for c in root.iter("configuration") if _is_callcenter(c)]
    if not found:
        return None
    cfg, conf = found[0], CallcenterConf()
    for queues in cfg.findall("queues"):
        for q in queues.findall("queue"):
            name = q.get("name")
            if name is not None and name not in conf.queues:
                conf.queues[name] = [(p.get("name", ""), p.get("value", "")) for p in q.findall("param")]
        break  # switch_xml_child: the first <queues>
    for agents in cfg.findall("agents")[:1]:
        conf.agents = [dict(a.attrib) for a in agents.findall("agent")]
    for tiers in cfg.findall("tiers")[:1]:
        conf.tiers = [dict(t.attrib) for t in tiers.findall("tier")]
    return conf


def _is_callcenter(node: ET.Element) -> bool:
    return node.tag == "configuration" and (node.get("name") or "").lower() == "callcenter.conf"
