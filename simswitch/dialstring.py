"""Parse an ``originate`` argument the way FreeSWITCH 1.10 does.

``originate <dial string> <&app(args) | exten [dialplan] [context]>
[cid_name] [cid_num] [timeout]``. The dial string is
``{global vars}[leg vars]endpoint`` legs joined by ``|`` (tried in turn) and
``,`` (rung together); ``:_:`` (enterprise) is treated as ``,``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

USAGE = (
    "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] "
    "[<cid_name>] [<cid_num>] [<timeout_sec>]\n"
)


class DialStringError(ValueError):
    pass


@dataclass(slots=True)
class Leg:
    endpoint: str
    variables: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Originate:
    global_vars: list[tuple[str, str]]
    groups: list[list[Leg]]  # serial groups, each a list of parallel legs
    app: str | None  # "&app(args)" destination ...
    app_data: str
    exten: str | None  # ... or a dialplan extension
    dialplan: str
    context: str
    cid_name: str | None
    cid_num: str | None
    timeout: int | None

    def leg_vars(self, leg: Leg) -> list[tuple[str, str]]:
        """Leg variables first, then global ones not overridden (FreeSWITCH's order)."""
        names = {k for k, _ in leg.variables}
        return leg.variables + [(k, v) for k, v in self.global_vars if k not in names]


_BLOCK_CHARS = "\\'{[<}]>"
# the characters split_top acts on, per one-character separator: the rest are skipped in C
_SPLIT_SCAN = {sep: re.compile("[" + re.escape(_BLOCK_CHARS + sep) + "]") for sep in (" ", "|", ",")}
_BRACKET_CHARS = frozenset("{}[]<>")
_TAKE_SCAN = {"{": re.compile(r"['{}]"), "[": re.compile(r"['\[\]]")}


def split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside ``{}``/``[]``/``<>`` blocks and quotes."""
    scan = _SPLIT_SCAN.get(sep)
    if scan is None:
        return _split_top_by_char(text, sep)
    if "'" not in text and "\\" not in text:
        return _split_unquoted(text, sep)
    out, depth, quote, start, skip = [], 0, False, 0, -1
    for m in scan.finditer(text):  # the same decisions as _split_top_by_char, at the characters that matter
        i = m.start()
        if i == skip:
            continue
        c = text[i]
        if c == "\\":
            skip = i + 1
        elif c == "'":
            quote = not quote
        elif quote:
            continue
        elif c in "{[<":
            depth += 1
        elif c in "}]>":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    return out


def _split_unquoted(text: str, sep: str) -> list[str]:
    """split_top of a text without quotes or escapes: split at every ``sep``, then join back the
    pieces inside a block, the block depth counted per piece in C (bracket by bracket only for a
    piece that may close more blocks than are open: the depth is clamped at 0 there)."""
    pieces = text.split(sep)
    out, depth, start, pos = [], 0, 0, 0
    for piece in pieces[:-1]:
        if not _BRACKET_CHARS.isdisjoint(piece):  # (most pieces are words outside any block)
            closes = piece.count("}") + piece.count("]") + piece.count(">")
            if closes <= depth:
                depth += piece.count("{") + piece.count("[") + piece.count("<") - closes
            else:
                for _, c in _brackets(piece):
                    depth = depth + 1 if c in "{[<" else max(0, depth - 1)
        pos += len(piece)
        if depth == 0:
            out.append(text[start:pos])
            start = pos + 1
        pos += 1
    out.append(text[start:])
    return out


def _brackets(text: str) -> list[tuple[int, str]]:
    """(position, bracket) of every ``{}[]<>`` in ``text``, in order: found with str.find (a
    dial string has a handful among hundreds of characters)."""
    found = []
    for c in "{}[]<>":
        i = text.find(c)
        while i >= 0:
            found.append((i, c))
            i = text.find(c, i + 1)
    found.sort()
    return found


def _split_top_by_char(text: str, sep: str) -> list[str]:
    out, depth, quote, start, i = [], 0, False, 0, 0
    n = len(sep)
    while i < len(text):
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            quote = not quote
        elif not quote and c in "{[<":
            depth += 1
        elif not quote and c in "}]>":
            depth = max(0, depth - 1)
        elif not quote and depth == 0 and text.startswith(sep, i):
            out.append(text[start:i])
            i += n
            start = i
            continue
        i += 1
    out.append(text[start:])
    return out


def parse_vars(block: str) -> list[tuple[str, str]]:
    """``a=1,b='x,y'`` (or ``^^:a=1:b=2``) -> ordered pairs; quotes stripped."""
    sep = ","
    if block.startswith("^^") and len(block) > 2:
        sep, block = block[2], block[3:]
    pairs = []
    for item in _split_vars(block, sep):
        if not item:
            continue
        name, eq, value = item.partition("=")
        if not eq:
            raise DialStringError(f"variable without '=': {item!r}")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == "'":
            value = value[1:-1]
        pairs.append((name.strip(), value))
    return pairs


def _split_vars(block: str, sep: str) -> list[str]:
    if "\\" not in block and "'" not in block:
        return block.split(sep)  # nothing escaped or quoted: every separator splits
    return _split_vars_by_char(block, sep)


def _split_vars_by_char(block: str, sep: str) -> list[str]:
    out, buf, quote, i = [], [], False, 0
    while i < len(block):
        c = block[i]
        if c == "\\" and i + 1 < len(block):
            buf.append(block[i + 1])
            i += 2
            continue
        if c == "'":
            quote = not quote
        if c == sep and not quote:
            out.append("".join(buf))
            buf = []
        else:
            buf.append(c)
        i += 1
    out.append("".join(buf))
    return out


def _take_block(text: str, open_c: str, close_c: str) -> tuple[str | None, str]:
    if not text.startswith(open_c):
        return None, text
    close = text.find(close_c)
    if close > 0 and "'" not in text[:close] and text.count(open_c, 0, close) == 1:
        return text[1:close], text[close + 1 :]  # one block, nothing quoted before its end
    scan = _TAKE_SCAN.get(open_c)
    matches = ((m.start(), m.group()) for m in scan.finditer(text)) if scan is not None else enumerate(text)
    depth, quote = 0, False
    for i, c in matches:
        if c == "'":
            quote = not quote
        elif not quote and c == open_c:
            depth += 1
        elif not quote and c == close_c:
            depth -= 1
            if depth == 0:
                return text[1:i], text[i + 1 :]
    raise DialStringError(f"unterminated {open_c}")


def split_args(arg: str) -> list[str]:
    """Whitespace split that keeps ``{...}``/``[...]`` blocks and quotes whole."""
    return [a for a in split_top(arg.strip(), " ") if a]


def parse_originate(arg: str) -> Originate:
    args = split_args(arg)
    if len(args) < 2:
        raise DialStringError(USAGE)
    dial, dest, rest = args[0], args[1], args[2:]
    global_block, dial = _take_block(dial, "{", "}")
    global_vars = parse_vars(global_block) if global_block is not None else []
    groups: list[list[Leg]] = []
    for serial in split_top(dial, "|"):
        group = []
        for part in split_top(serial.replace(":_:", ","), ","):
            leg_block, endpoint = _take_block(part, "[", "]")
            group.append(Leg(endpoint, parse_vars(leg_block) if leg_block is not None else []))
        groups.append(group)
    app = exten = None
    app_data = ""
    dialplan, context = "XML", "default"
    if dest.startswith("&") and len(dest) > 1:
        # mod_commands: the app's arguments end at the FIRST ')', as in
        # FreeSWITCH: "&playback(tone_stream://%(1000,0,440);loops=3)" runs
        # playback with "tone_stream://%(1000,0,440".
        name = dest[1:]
        close = name.find(")")
        if close >= 0:
            name = name[:close]
        app, _, app_data = name.partition("(")
    else:
        exten = dest
        if rest:
            dialplan = rest.pop(0)
        if rest:
            context = rest.pop(0)
    cid_name = rest[0] if len(rest) > 0 else None
    cid_num = rest[1] if len(rest) > 1 else None
    timeout = int(rest[2]) if len(rest) > 2 and rest[2].isdigit() else None
    return Originate(global_vars, groups, app, app_data, exten, dialplan, context, cid_name, cid_num, timeout)


@dataclass(slots=True)
class Endpoint:
    kind: str  # sofia | loopback | null | error | unknown
    profile: str = ""
    gateway: str = ""
    user: str = ""  # the dialled number: what scenario rules match
    host: str = "127.0.0.1"
    port: str = "5060"
    raw: str = ""

    @property
    def channel_name(self) -> str:
        if self.kind == "sofia" and self.gateway:  # a gateway call is named after its profile (batch2)
            return f"sofia/{self.profile}/{self.user}"
        if self.kind == "sofia":
            return f"sofia/{self.profile}/{self.user}@{self.host}:{self.port}"
        return self.raw


def parse_endpoint(text: str) -> Endpoint:
    tech, _, rest = text.partition("/")
    if tech == "sofia":
        profile, _, target = rest.partition("/")
        if profile == "gateway":
            gw, _, number = target.partition("/")
            return Endpoint("sofia", profile="external", gateway=gw, user=number, raw=text)
        user, _, hostport = target.partition("@")
        host, _, port = hostport.partition(":")
        return Endpoint("sofia", profile=profile, user=user, host=host or "127.0.0.1", port=port or "5060", raw=text)
    if tech == "user":  # a directory user: FreeSWITCH dials its registered contact on the internal profile
        user, _, _domain = rest.partition("@")
        return Endpoint("sofia", profile="internal", user=user, raw=text)
    if tech == "loopback":
        exten, _, context = rest.partition("/")
        return Endpoint("loopback", user=exten, profile=context or "default", raw=text)
    if tech == "error":
        return Endpoint("error", user=rest, raw=text)
    if tech == "null":  # mod_loopback's null endpoint: answers at once, no media, no network
        return Endpoint("null", user=rest, raw=text)
    return Endpoint("unknown", user=rest, raw=text)
