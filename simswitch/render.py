"""An event template compiled once per wire format: its text laid out once, the call's values slotted in.

``Template.render`` (templates.py) used to build a list of every header and ``json.dumps`` or
URL-encode each dynamic one, for every event. Here each template becomes, once per format, a
skeleton: FreeSWITCH's own headers already encoded, as literal text, around a named field for
each identity placeholder (``uuid``), each computed header (``r7``; a header a call may not
have is its whole ``,"Name":"value"`` or ``Name: value\n``, empty when absent) and the
originate's variables (``o1``). The computed headers of a template are one generated function
(``values_function``). Rendering an event is then escaping the call's values and one join:
the same bytes, a fraction of the work.

Both escapings are per character, so escaping the pieces is escaping the whole: JSON strings
as ``json.dumps(ensure_ascii=False)`` writes them, and ``switch_url_encode`` except for its
``%XX`` rule (an existing escape is kept), which looks across piece boundaries. A plain event
whose identity values contain ``%`` (and a template whose own text around a placeholder does)
is therefore rendered header by header, as before (``None`` from ``render_plain``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from dialer.esl.protocol import url_encode

Ctx = dict[str, Any]
Rule = Callable[[Ctx, str], str]

# json's own ESCAPE (json/encoder.py): the characters json.dumps writes as escapes
_JSON_ESCAPE = re.compile(r'[\x00-\x1f\\"\b\f\n\r\t]')
_OV = "o1"  # the field of the originate's variables (a digit: no placeholder is named so)
_KEYS: dict[str, str] = {}  # originate variable name -> its JSON key, as json.dumps writes it


def json_inner(value: str) -> str:
    """``json.dumps(value, ensure_ascii=False)`` without its quotes."""
    return json.dumps(value, ensure_ascii=False)[1:-1] if _JSON_ESCAPE.search(value) else value


def _json_key(name: str) -> str:
    key = _KEYS.get(name)
    if key is None:
        if len(_KEYS) > 10_000:  # names come from originates: keep the memo bounded
            _KEYS.clear()
        key = _KEYS[name] = json.dumps(f"variable_{name}")
    return key


class Compiled:
    """One template in one format: literal text around named fields, and what fills the fields."""

    __slots__ = (
        "escape",
        "escaped",
        "escaped_fields",
        "escaped_values",
        "fields",
        "integer_fields",
        "integer_values",
        "integers",
        "keys",
        "optional",
        "ov",
        "skeleton",
    )

    def __init__(self) -> None:
        self.skeleton: list[str | None] = []  # literal, None (a field), literal, None, ..., literal
        self.fields: list[str] = []  # the field of each None, in order
        self.keys: tuple[str, ...] = ()  # placeholders used
        self.escape: Callable[[str], str] = json_inner  # the format's escaping
        # computed headers every call has, their value in the field: (rule, captured value)
        self.integers: list[tuple[Rule, str]] = []  # ...that need no escaping
        self.integer_fields: list[str] = []
        self.escaped: list[tuple[Rule, str]] = []
        self.escaped_fields: list[str] = []
        self.integer_values: Callable[[Ctx], list[str]] = list  # set by compile_template
        self.escaped_values: Callable[[Ctx], list[str]] = list
        # ...and those a call may not have, the whole header in the field:
        # (field, rule, captured value, OPTIONAL's need, NON_EMPTY, escaping, head, tail)
        self.optional: list[tuple[str, Rule, str, str | None, bool, Callable[[str], str], str, str]] = []
        self.ov = False


def compile_template(items: list[tuple[Any, ...]], fmt: str) -> Compiled | None:
    """``items``: ("static", plain, json) | ("ph", name, pieces) | ("rule", name, rule, static,
    need, non_empty) | ("ov",), in header order. None: this format cannot be pre-rendered."""
    out = Compiled()
    out.escape = url_encode if fmt == "plain" else json_inner
    literal: list[str] = []  # the text since the last field
    keys: dict[str, None] = {}

    def field(name: str) -> None:
        out.skeleton += ["".join(literal), None]
        out.fields.append(name)
        literal.clear()

    for item in items:
        kind = item[0]
        if kind == "static":
            literal.append(item[1] if fmt == "plain" else "," + item[2])
        elif kind == "ph":
            name, pieces = item[1], item[2]
            texts, names = pieces[0::2], pieces[1::2]
            if fmt == "plain" and any("%" in text for text in texts):
                return None
            escape = url_encode if fmt == "plain" else json_inner
            literal.append(f"{name}: " if fmt == "plain" else f',{json.dumps(name)}:"')
            literal.append(escape(texts[0]))
            for k, text in zip(names, texts[1:], strict=True):
                field(k)
                literal.append(escape(text))
            literal.append("\n" if fmt == "plain" else '"')
            keys.update(dict.fromkeys(names))
        elif kind == "rule":
            _, name, rule, static, need, non_empty = item
            slot = f"r{len(out.fields)}"
            head, tail = (f"{name}: ", "\n") if fmt == "plain" else (f',{json.dumps(name)}:"', '"')
            enc = url_encode if fmt == "plain" else json_inner
            if need is not None or non_empty:
                out.optional.append((slot, rule, static, need, non_empty, enc, head, tail))
                field(slot)
                continue
            if getattr(rule, "digits", False):
                out.integers.append((rule, static))
                out.integer_fields.append(slot)
            else:
                out.escaped.append((rule, static))
                out.escaped_fields.append(slot)
            literal.append(head)
            field(slot)
            literal.append(tail)
        else:
            out.ov = True
            field(_OV)
    out.skeleton.append("".join(literal))
    out.keys = tuple(keys)
    out.integer_values = values_function(out.integers)
    out.escaped_values = values_function(out.escaped)
    return out


def values_function(rules: list[tuple[Rule, str]]) -> Callable[[Ctx], list[str]]:
    """One function computing ``[rule(ctx, captured value), ...]``: the rules that give their body
    as an expression (header_rules._inline) are written inline, the others called. One call per
    event instead of one per header."""
    env: dict[str, Any] = {}
    items = []
    for i, (rule, static) in enumerate(rules):
        env[f"s{i}"] = static
        inline = getattr(rule, "inline", None)
        if inline is None:
            env[f"f{i}"] = rule
            expression = f"f{i}(ctx, s{i})"
        else:
            text, names = inline
            env.update(names)
            expression = text.format(s=f"s{i}")
        items.append(f"        {expression},\n")
    source = "def values(ctx):\n    get = ctx.get\n    return [\n" + "".join(items) + "    ]\n"
    exec(compile(source, "<simswitch template rules>", "exec"), env)  # our own expressions
    return env["values"]


def _escaped(values: list[str], escape: Callable[[str], str]) -> list[str] | Iterator[str]:
    """``map(escape, values)``; for JSON, one look over all of them first (they rarely need any)."""
    if escape is json_inner and _JSON_ESCAPE.search("".join(values)) is None:
        return values
    return map(escape, values)


def _fill(c: Compiled, ctx: Ctx, view: dict[str, str]) -> str:
    view.update(zip(c.integer_fields, c.integer_values(ctx), strict=True))
    view.update(zip(c.escaped_fields, _escaped(c.escaped_values(ctx), c.escape), strict=True))
    replay = "replay" in ctx
    no_data = ctx.get("app_no_data")
    for slot, rule, static, need, non_empty, enc, head, tail in c.optional:
        if (non_empty and no_data) or (need is not None and need not in ctx and not replay):
            view[slot] = ""  # a header this call does not have (header_rules.OPTIONAL, NON_EMPTY)
        else:
            view[slot] = head + enc(rule(ctx, static)) + tail
    text = c.skeleton.copy()
    text[1::2] = map(view.__getitem__, c.fields)
    return "".join(text)  # type: ignore[arg-type]  # every None is filled


def render_json(c: Compiled, ctx: Ctx, body: str | None) -> bytes:
    view = dict(zip(c.keys, _escaped([str(ctx[k]) for k in c.keys], json_inner), strict=True))
    if c.ov:
        pairs = ctx.get("originate_vars", ())
        values = _escaped([v for _, v in pairs], json_inner)
        view[_OV] = "".join(f',{_json_key(k)}:"{v}"' for (k, _), v in zip(pairs, values, strict=True))
    text = _fill(c, ctx, view)
    if body is not None:
        text += f',"Content-Length":"{len(body.encode())}","_body":"{json_inner(body)}"'
    payload = ("{" + text[1:] + "}").encode()
    return b"Content-Length: %d\nContent-Type: text/event-json\n\n%b" % (len(payload), payload)


def render_plain(c: Compiled, ctx: Ctx, body: str | None) -> bytes | None:
    raw = [str(ctx[k]) for k in c.keys]
    if any("%" in v for v in raw):
        return None  # switch_url_encode's %XX rule spans pieces: the caller renders header by header
    view = dict(zip(c.keys, map(url_encode, raw), strict=True))
    if c.ov:
        view[_OV] = "".join(f"variable_{k}: {url_encode(v)}\n" for k, v in ctx.get("originate_vars", ()))
    text = _fill(c, ctx, view)
    if body is not None:
        data = body.encode()
        payload = (text + f"Content-Length: {len(data)}\n\n").encode() + data
    else:
        payload = (text + "\n").encode()
    return b"Content-Length: %d\nContent-Type: text/event-plain\n\n%b" % (len(payload), payload)
