r"""Build the argument of FreeSWITCH ``originate`` so no user value can change its shape.

The text after ``bgapi originate `` is always::

    {originate_timeout=T,ignore_early_media=true,<global vars>}LEG[SEP LEG ...] <destination>
    LEG = [origination_uuid=U,origination_caller_id_number=C,<leg vars>]sofia/gateway/G/N

with ``SEP`` ``|`` for serial (legs tried in turn) and ``,`` for parallel
(rung together); direct is a single leg. ``origination_uuid`` is always per
leg: with one uuid in ``{}`` the second leg fails with "Duplicate UUID!" and
failover silently stops (tests/captures, ``*-global-uuid``).

How FreeSWITCH 1.10 reads that text (mod_event_socket.c, mod_commands.c,
switch_ivr_originate.c, switch_event.c ``switch_event_create_brackets``,
switch_utils.c ``switch_separate_string`` / ``switch_find_end_paren``):

1. mod_event_socket: a command ends at LF. Whatever follows a newline is a
   header or a further command, so the result holds no CR or LF at all.
2. ``originate`` splits its argument on spaces outside ``'...'`` quotes
   (``switch_separate_string(cmd, ' ')``) and "cleans" each piece: quotes are
   removed and ``\\ \' \" \n \r \t \s`` unescaped; other backslashes
   stay. The dial string is the first piece.
3. A ``:_:`` anywhere in the dial string turns it into an enterprise
   originate, split on ``:_:`` with no regard for quotes or escapes.
4. Each leading ``{...}`` block ends where ``switch_find_end_paren`` says: it
   counts ``{`` and ``}`` and nothing else (no quotes, no escapes). The content
   is split on ``,`` outside quotes and not after ``\``; each piece is cleaned
   again (``\,`` -> ``,``), split at its first ``=`` and cleaned a third time,
   which drops leading and trailing spaces. ``name=`` sets nothing.
5. The rest is split on ``|`` (cleaned once more). In each part, commas inside
   ``[...]`` and not after ``\`` become an internal separator; the part is
   split on the remaining ``,`` into legs (cleaned: ``\,`` -> ``,``); each leading
   ``[...]`` block is then read as in 4 with the internal separator.
6. Values reach the channel through ``switch_channel_set_variable_var_check``:
   one containing ``${`` is dropped; one starting ``ARRAY::`` becomes an array.

So a ``{}`` value goes through 3 cleaning passes and a ``[]`` value through 5,
and :func:`escape_value` must produce one spelling that is right for both:

* ``,`` is written ``\,``. Both paths unescape it exactly once (4 for ``{}``,
  the leg split of 5 for ``[]``) and it is never a separator.
* A value holding a space is wrapped in ``'...'``. The quotes keep step 2 from
  splitting there and step 2 removes them, so later passes never see quotes.
* Refused with :class:`UnsafeValue`, because no single spelling survives both
  paths, or FreeSWITCH would not store the value as given:

  - control characters (CR, LF, NUL, TAB, DEL, C1) and U+2028/U+2029: CR/LF
    end the ESL command, ``\x01``/``\x02`` are originate's internal comma marks;
  - ``'``: toggles quoting in every pass, and the ``[]`` comma scan counts it
    even when escaped;
  - ``\``: an escape in every pass, so its meaning depends on the pass count;
  - ``{ } [ ]``: block ends are found by bracket counting that ignores quotes
    and escapes, so one would end the block early or never; this also rules
    out ``${...}`` variable and API expansion;
  - ``|``: the leg separator on the ``[]`` path only (``\|`` would be needed
    there but stays literal in ``{}``);
  - ``:_:`` (step 3), a leading or trailing space (stripped in step 4), a
    leading ``ARRAY::`` (step 6), and ``origination_nested_vars=true`` in
    any case: found anywhere in the dial string it switches off the ``${``
    check of step 6 for every value. (No value can hold ``${`` anyway.)

* Everything else is carried inert and arrives exactly as given: letters
  including Vietnamese (UTF-8 bytes of non-ASCII text are all >= 0x80 and never
  equal an ASCII delimiter), digits, inner spaces and
  ``. , ; : = & ^ " $ % ( ) < > ? ! @ # * + - / _ ~ `` and backtick.

Names, gateways, uuids, numbers and caller ids are validated against patterns
that contain none of the special characters, so they need no escaping. A name
may be set globally or per leg, never both: FreeSWITCH installs ``{}`` after
``[]`` unless ``local_var_clobber`` is set, a precedence nobody should rely on.
tests/test_routing_dialstring.py replays these passes on every string built.

:class:`OriginatePlan` is :func:`build_originate` for the many calls of one
campaign: the mode, timeout and destination are checked once, and a
variable whose value is the one last checked under its name (the campaign's
own, the audio file) is not checked again; the checks depend on the name and
the value alone, so this is exactly as strict. Each call's own values (lead,
call) are checked as they come.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from dialer.domain.enums import ModeCall

__all__ = ["Leg", "OriginatePlan", "UnsafeValue", "build_originate", "escape_value"]

_UUID: Final = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_GATEWAY: Final = re.compile(r"[A-Za-z0-9_.-]+")
_NUMBER: Final = re.compile(r"\+?[0-9]{3,20}")
_CALLER_ID: Final = re.compile(r"[0-9]{0,20}")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# One character class for everything escape_value refuses outright: C0 controls,
# DEL and C1 controls, lone surrogates, U+2028/U+2029, and ' \ { } [ ] |.
_FORBIDDEN: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff\u2028\u2029'\\{}\[\]|]")
_WHY_FORBIDDEN: Final[dict[str, str]] = {
    "'": "a quote toggles quoting at every parsing pass",
    "\\": "a backslash is an escape at every parsing pass",
    "{": "FreeSWITCH finds the end of a {} or [] block by counting brackets",
    "}": "it would end the {} variable block",
    "[": "FreeSWITCH finds the end of a {} or [] block by counting brackets",
    "]": "it would end the [] variable block",
    "|": "it separates serial legs",
}
_ENTERPRISE_DELIM: Final = ":_:"  # SWITCH_ENT_ORIGINATE_DELIM
_ARRAY_PREFIX: Final = "ARRAY::"  # switch_event_add_header turns such a value into an array
# switch_ivr_originate looks for this text anywhere in the dial string (case-insensitively).
_NESTED_VARS: Final = "origination_nested_vars=true"

# Set by build_originate itself; a caller may not set them at either level.
_RESERVED: Final = frozenset(
    {"origination_uuid", "origination_caller_id_number", "originate_timeout", "ignore_early_media"}
)
MAX_LEGS: Final = 128  # MAX_PEERS: FreeSWITCH stops splitting legs there
MAX_VARIABLES: Final = 1000  # a block is split into at most 1024 pieces; stay clear of it
MAX_TIMEOUT: Final = 3600
_NO_VARIABLES: Final[Mapping[str, str]] = MappingProxyType({})


class UnsafeValue(ValueError):
    """A value that cannot be placed in a dial string without changing its meaning."""


def escape_value(value: str) -> str:
    """Spell ``value`` for a ``{}`` or ``[]`` block so FreeSWITCH stores exactly ``value``.

    See the module docstring for the passes this survives. An empty value comes
    back empty; in a block, ``name=`` sets nothing (build_originate leaves it out).
    """
    if not isinstance(value, str):
        raise TypeError(f"a variable value must be str, got {type(value).__name__}")
    _check_value(value)
    escaped = value.replace(",", "\\,")
    # Quotes only protect spaces from the argument split; that split removes them.
    return f"'{escaped}'" if " " in value else escaped


def _check_value(value: str) -> None:
    bad = _FORBIDDEN.search(value)
    if bad is not None:
        char = bad.group()
        why = _WHY_FORBIDDEN.get(char, "control and line-separator characters cannot be carried")
        raise UnsafeValue(f"value contains {char!r}: {why}")
    if _ENTERPRISE_DELIM in value:
        raise UnsafeValue(f"value contains {_ENTERPRISE_DELIM!r}, which splits the whole originate")
    if _NESTED_VARS in value.lower():
        raise UnsafeValue(f"value contains {_NESTED_VARS!r}, which would switch off FreeSWITCH's check for ${{...}}")
    if value != value.strip(" "):
        raise UnsafeValue("value starts or ends with a space, which FreeSWITCH strips")
    if value.startswith(_ARRAY_PREFIX):
        raise UnsafeValue(f"value starts with {_ARRAY_PREFIX!r}, which FreeSWITCH turns into an array")


def _require(pattern: re.Pattern[str], value: object, what: str, rule: str) -> str:
    # fullmatch, not ^...$: "$" also matches before a trailing newline.
    if isinstance(value, str) and pattern.fullmatch(value) is not None:
        return value
    raise UnsafeValue(f"{what} {value!r} is invalid: {rule}")


def _check_name(value: object) -> str:
    name = _require(_NAME, value, "variable name", "letters, digits and '_', not starting with a digit")
    if name.lower() in _RESERVED:
        raise UnsafeValue(f"variable name {name!r} is set by build_originate itself")
    return name


@dataclass(frozen=True, slots=True)
class Leg:
    """One endpoint of an originate: ``sofia/gateway/<gateway>/<number>`` with its own uuid,
    or ``user/<number>`` (a user of FreeSWITCH's directory: ``autocall test-call``), or
    ``loopback/<number>/<loopback_context>`` (an extension of FreeSWITCH's own dialplan, such as the
    stock ``9196`` echo test: ``autocall agent-test``)."""

    uuid: str  # canonical lowercase UUID; becomes the leg's channel uuid
    gateway: str  # "" for a directory user
    number: str  # digits, optionally a leading '+'
    caller_id: str  # digits, may be empty (the gateway's default then applies)
    variables: Mapping[str, str] = field(default_factory=dict, hash=False)  # this leg only
    directory_user: bool = False
    loopback_context: str = ""  # a dialplan context: the leg is mod_loopback's, into that context

    def __post_init__(self) -> None:
        _require(_UUID, self.uuid, "uuid", "a canonical lowercase UUID (8-4-4-4-12 hex digits)")
        if self.loopback_context:
            _require(_GATEWAY, self.loopback_context, "loopback_context", "letters, digits, '_', '.' and '-' only")
            if self.gateway or self.directory_user:
                raise UnsafeValue("a loopback leg is dialled without a gateway and is not a directory user")
        elif self.directory_user:
            if self.gateway:
                raise UnsafeValue("a directory user is dialled without a gateway")
        else:
            _require(_GATEWAY, self.gateway, "gateway", "letters, digits, '_', '.' and '-' only")
        _require(_NUMBER, self.number, "number", "3 to 20 digits, optionally after a leading '+'")
        _require(_CALLER_ID, self.caller_id, "caller_id", "up to 20 digits")
        # A private read-only copy: the caller's dict may change after validation.
        copy = dict(self.variables)
        if copy:
            _check_variables(copy.items())
        object.__setattr__(self, "variables", MappingProxyType(copy) if copy else _NO_VARIABLES)


def _check_variables(pairs: Iterable[tuple[str, str]]) -> set[str]:
    """Validate names and values; return the lowercased names (FreeSWITCH names are case-insensitive)."""
    seen: set[str] = set()
    for name, value in pairs:
        key = _checked_variable(name, value)[2]
        if key in seen:
            raise UnsafeValue(f"variable name {name!r} is given twice (names are case-insensitive)")
        seen.add(key)
    if len(seen) > MAX_VARIABLES:
        raise UnsafeValue(f"{len(seen)} variables in one block, at most {MAX_VARIABLES}")
    return seen


def _checked_variable(name: str, value: str, key: str = "") -> tuple[str, str, str]:
    """(value, its ``name=value`` text or "" for an empty value, the lowercased name), once both are checked
    (the name only when its lowercased ``key`` is not given: it was checked before)."""
    key = key or _check_name(name).lower()
    try:
        spelled = escape_value(value)
    except UnsafeValue as exc:
        raise UnsafeValue(f"variable {name!r}: {exc}") from exc
    return value, f"{name}={spelled}" if value != "" else "", key


def build_originate(
    legs: Sequence[Leg],
    mode: ModeCall,
    *,
    timeout: int,
    global_vars: Mapping[str, str],
    destination: str,
) -> str:
    """The argument of ``originate``: dial string, one space, ``destination``.

    ``destination`` is the engine's own text (``&park()``, ``autocall XML autocall``).
    Raises :class:`UnsafeValue` for a value that cannot be carried and
    ``ValueError`` for a call that cannot be built (leg count, timeout).
    """
    mode = ModeCall(mode)
    legs = tuple(legs)
    _check_legs(legs, mode)
    return OriginatePlan(mode, timeout=timeout, destination=destination).build(legs, global_vars)


class OriginatePlan:
    """:func:`build_originate` for the calls of one campaign (module docstring): built once, ``build`` per call."""

    __slots__ = ("_checked", "_head", "_separator", "destination", "mode")

    def __init__(self, mode: ModeCall, *, timeout: int, destination: str) -> None:
        self.mode = ModeCall(mode)
        _check_timeout(timeout)
        _check_destination(destination)
        self.destination = destination
        self._separator = "|" if self.mode is ModeCall.SERIAL else ","
        self._head = f"{{originate_timeout={timeout},ignore_early_media=true"
        # name -> the last value checked under it (_checked_variable): one entry per name.
        self._checked: dict[str, tuple[str, str, str]] = {}

    def build(self, legs: Sequence[Leg], global_vars: Mapping[str, str]) -> str:
        """The argument of ``originate`` for these legs and variables (raises as :func:`build_originate`)."""
        legs = tuple(legs)
        _check_legs(legs, self.mode)
        checked = self._checked
        pieces = [self._head]
        global_names: set[str] = set()
        for name, value in global_vars.items():
            known = checked.get(name)
            if known is None or type(value) is not str or known[0] != value:
                exact = type(name) is str and type(value) is str
                known = _checked_variable(name, value, known[2] if known is not None and exact else "")
                # Only exact str are kept: a subclass may compare equal to anything.
                if exact:
                    checked[name] = known
            if known[2] in global_names:
                raise UnsafeValue(f"variable name {name!r} is given twice (names are case-insensitive)")
            global_names.add(known[2])
            if known[1]:  # empty values are left out: FreeSWITCH ignores "name=" (it sets nothing)
                pieces.append(known[1])
        if len(global_names) > MAX_VARIABLES:
            raise UnsafeValue(f"{len(global_names)} variables in one block, at most {MAX_VARIABLES}")
        pieces[-1] += "}"
        dial = ",".join(pieces) + self._separator.join([_leg_text(leg, global_names) for leg in legs])
        _check_result(dial)
        return f"{dial} {self.destination}"


def _check_legs(legs: tuple[Leg, ...], mode: ModeCall) -> None:
    if not legs:
        raise ValueError("an originate needs at least one leg")
    if mode is ModeCall.DIRECT and len(legs) != 1:
        raise ValueError(f"mode_call direct dials exactly one leg, got {len(legs)}")
    if len(legs) > MAX_LEGS:
        raise ValueError(f"{len(legs)} legs, FreeSWITCH dials at most {MAX_LEGS}")
    if not all(isinstance(leg, Leg) for leg in legs):
        raise TypeError("legs must be Leg instances")
    uuids = {leg.uuid for leg in legs}
    if len(uuids) != len(legs):
        raise ValueError("two legs share a uuid; FreeSWITCH would fail the second with 'Duplicate UUID!'")


def _check_timeout(timeout: int) -> None:
    # bool is an int subclass; True is not a timeout.
    if isinstance(timeout, bool) or not isinstance(timeout, int) or not 1 <= timeout <= MAX_TIMEOUT:
        raise ValueError(f"timeout must be an int from 1 to {MAX_TIMEOUT} seconds, got {timeout!r}")


def _check_destination(destination: str) -> None:
    if not isinstance(destination, str) or not destination.strip():
        raise ValueError("destination must be non-empty text")
    if any(c in destination for c in "\r\n\x00"):
        raise ValueError("destination must not contain CR, LF or NUL: it would end the ESL command")


def _leg_text(leg: Leg, global_names: set[str]) -> str:
    block = f"origination_uuid={leg.uuid}"
    if leg.caller_id:  # "origination_caller_id_number=" would be ignored anyway
        block += f",origination_caller_id_number={leg.caller_id}"
    if leg.variables:
        both = sorted(name for name in leg.variables if name.lower() in global_names)
        if both:
            raise UnsafeValue(f"variable {both[0]!r} is set both globally and on leg {leg.uuid}")
        # Empty values are left out: FreeSWITCH ignores "name=" (it sets nothing).
        for name, value in leg.variables.items():
            if value != "":
                block += f",{name}={escape_value(value)}"
    if leg.loopback_context:
        endpoint = f"loopback/{leg.number}/{leg.loopback_context}"
    elif leg.directory_user:
        endpoint = f"user/{leg.number}"
    else:
        endpoint = f"sofia/gateway/{leg.gateway}/{leg.number}"
    return f"[{block}]{endpoint}"


def _check_result(dial: str) -> None:
    """Whole-string invariants; they cannot fail if the checks above hold (defence in depth)."""
    if "\r" in dial or "\n" in dial or "\x00" in dial or _ENTERPRISE_DELIM in dial:
        raise UnsafeValue("internal error: the dial string would not parse as built")
