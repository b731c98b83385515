"""mod_event_socket's ``filter`` command: which events a listener with filters is sent.

As FreeSWITCH 1.10.12 does it (mod_event_socket.c, event_handler and the ``filter`` command;
recorded in tests/captures/batch4): a listener with no filter gets every event it subscribed
to. Once it has one, an event passes when a positive filter matches it and no negative one
does; with only negative filters nothing passes. A filter matches when the event has its header
(the name compared case-insensitively) and the value is equal case-insensitively, or, for a
value written ``/regex/`` (flags ``i``, ``s`` after the last slash), the regex finds it. A value
prefixed ``-`` is negative, ``+`` (or nothing) positive; a negative value is never a regex.
``filter delete <header> [value]`` removes every filter of that header (with that exact
value), ``filter delete all`` every one; ``filter add <header> <value>`` is ``filter <header> <value>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class _Rule:
    header: str  # as given (FreeSWITCH echoes it)
    value: str  # as given: what ``filter delete`` compares
    key: str  # the header name, lower-cased (header names are case-insensitive)
    positive: bool
    compare: str  # the value without its +/- prefix, lower-cased (for equality)
    regex: re.Pattern[str] | None


def _rule(header: str, value: str) -> _Rule:
    text, positive = value, True
    while text and text[0] in "+- ":  # FreeSWITCH skips any run of them; the last sign wins
        if text[0] != " ":
            positive = text[0] == "+"
        text = text[1:]
    regex = None
    if value.startswith("/"):  # on the raw value: "-/x/" is compared as text
        body, slash, flags = text[1:].rpartition("/")
        if slash:
            mode = (re.IGNORECASE if "i" in flags else 0) | (re.DOTALL if "s" in flags else 0)
            try:
                regex = re.compile(body, mode)
            except re.error:
                regex = re.compile(r"(?!)")  # PCRE refuses it: it never matches
        else:
            regex = re.compile(r"(?!)")  # "missing ending '/' delimeter": never matches
    return _Rule(header, value, header.lower(), positive, text.lower(), regex)


class EventFilter:
    """One listener's filters (in the order added; duplicates kept, as FreeSWITCH keeps them)."""

    __slots__ = ("rules",)

    def __init__(self) -> None:
        self.rules: list[_Rule] = []

    def __bool__(self) -> bool:
        return bool(self.rules)

    def command(self, arg: str) -> str:
        """``filter <arg>``: change the filters; the reply text FreeSWITCH gives."""
        header, _, value = arg.lstrip(" ").partition(" ")
        if header.lower() == "delete" and value:
            header, _, value = value.partition(" ")
            if header.lower() == "all":
                self.rules = []
            else:
                self.rules = [
                    r for r in self.rules if not (r.key == header.lower() and (not value or r.value == value))
                ]
            return f"+OK filter deleted. [{header}][{value}]"
        if not value:
            return "-ERR invalid syntax"
        if header.lower() == "add":
            header, _, value = value.partition(" ")
        self.rules.append(_rule(header, value))
        return f"+OK filter added. [{header}]=[{value}]"

    def passes(self, header: Callable[[str], str | None]) -> bool:
        """Whether an event is sent; ``header(name)``: its first value of that header (the name
        lower-cased), None if it has none."""
        if not self.rules:
            return True
        send = False
        for rule in self.rules:
            value = header(rule.key)
            if value is None or (send and rule.positive):
                continue
            if rule.regex is not None:
                hit = rule.regex.search(value) is not None
            else:
                hit = value.lower() == rule.compare
            if hit:
                if not rule.positive:
                    return False
                send = True
        return send
