"""Message templates: plain text with ``{{ field }}`` placeholders, rendered in a sandbox.

Template text is user input. It may hold only text and plain ``{{ name }}``
placeholders: statements, filters, attribute or item access, calls and
constants are refused when the template is saved (:func:`check_text`), and
rendering runs in Jinja2's ``SandboxedEnvironment`` with ``StrictUndefined``
anyway (defence in depth). Each value goes through the Vietnamese reading
rules (:func:`tts.reading.speak_value`) as it is inserted: ``10410000`` is
spoken as an amount, ``30/01/2021`` as a date; numbers in the template's own
words follow the same rules (other words are left as written).

:func:`render_marked` is the same message with the number reader's words and
the ``[[name]]`` recorded phrases marked, for :mod:`tts.segments`.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, UndefinedError, nodes
from jinja2.sandbox import SandboxedEnvironment

from tts.prompt_keys import PHRASE_SLOT
from tts.reading import speak_value

MAX_TEXT = 4000  # characters of template text (the API's limit too)
MAX_SPOKEN = 10_000  # characters of rendered text handed to an engine
MAX_VALUE = 2000  # characters of one field value (the import's limit too): checked before it is read
_PLACEHOLDER = re.compile(r"{{-?\s*([^\W\d]\w*)\s*-?}}")


class TextRefused(ValueError):
    """A template text that is not plain text with ``{{ name }}`` placeholders."""


class MissingFields(ValueError):
    """The lead lacks fields the template names."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"the template needs {', '.join(names)}, which the lead does not have")
        self.names = names


# render_marked's marks: private-use characters, removed from the text and values first so input cannot forge them.
NUMBER_START, NUMBER_END, PHRASE_START, PHRASE_END = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKS = {ord(c): None for c in (NUMBER_START, NUMBER_END, PHRASE_START, PHRASE_END)}


def _speak(value: Any) -> str:
    return speak_value(value)


def _number(words: str) -> str:
    return f"{NUMBER_START}{words}{NUMBER_END}"


def _speak_marked(value: Any) -> str:
    return speak_value(value.translate(_MARKS) if isinstance(value, str) else value, mark=_number)


def _env(finalize: Any) -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, finalize=finalize, cache_size=1000, keep_trailing_newline=False
    )


_ENV = _env(_speak)
_MARKED_ENV = _env(_speak_marked)


# Names Jinja2 resolves itself (globals, the template's own objects): never a field.
_RESERVED = frozenset(_ENV.globals) | {"self", "loop", "super", "caller", "varargs", "kwargs"}


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Filter):
        return f"a filter (|{node.name})"
    if isinstance(node, nodes.Getattr):
        return f"attribute access (.{node.attr})"
    if isinstance(node, nodes.Getitem):
        return "item access ([...])"
    if isinstance(node, nodes.Call):
        return "a call (...())"
    if isinstance(node, nodes.Const):
        return f"a constant ({node.value!r})"
    if isinstance(node, nodes.Name):
        return f"a name used as {node.ctx}"
    return f"an expression ({type(node).__name__})"


def check_text(text: str) -> set[str]:
    """The placeholder names of ``text``; :class:`TextRefused` unless it is plain text
    and ``{{ name }}`` placeholders."""
    only = "only plain {{ field }} placeholders are allowed"
    if len(text) > MAX_TEXT:
        raise TextRefused(f"is {len(text)} characters long; at most {MAX_TEXT}")
    try:
        for lineno, kind, _ in _ENV.lex(text):
            if kind in ("block_begin", "raw_begin", "line_statement_begin"):
                raise TextRefused(f"line {lineno} has a {{% ... %}} statement; {only}")
        tree = _ENV.parse(text)
    except TemplateSyntaxError as exc:
        raise TextRefused(f"is not a valid template: {exc.message} (line {exc.lineno})") from None
    except RecursionError:
        raise TextRefused(f"is nested too deeply; {only}") from None
    names: set[str] = set()
    for top in tree.body:
        if not isinstance(top, nodes.Output):  # the lexer check above makes this unreachable
            raise TextRefused(f"line {top.lineno} has a {{% ... %}} statement; {only}")
        for node in top.nodes:
            if isinstance(node, nodes.TemplateData):
                continue
            if isinstance(node, nodes.Name) and node.ctx == "load":
                if node.name in _RESERVED:
                    raise TextRefused(f"line {node.lineno} uses {node.name!r}, a name Jinja2 reserves: rename it")
                names.add(node.name)
                continue
            raise TextRefused(f"line {node.lineno} uses {_describe(node)}; {only}")
    return names


def placeholders(text: str) -> set[str]:
    """The field names ``text`` uses. Never raises: for a text that was never checked
    (written to Redis by hand) the plain ``{{ name }}`` placeholders found in it."""
    try:
        return check_text(text)
    except TextRefused:
        return set(_PLACEHOLDER.findall(text))


def _read_literal(data: str) -> str:
    if not any(c.isdigit() for c in data):
        return data
    core = data.strip()
    return data[: len(data) - len(data.lstrip())] + speak_value(core) + data[len(data.rstrip()) :]


def _read_literal_marked(data: str) -> str:
    """A literal run with its ``[[name]]`` slots marked as phrases (never read as numbers: ``[[2]]``)
    and the text between them read with the number reader's words marked."""
    parts = PHRASE_SLOT.split(data.translate(_MARKS))  # text, name, text, name, ..., text
    out = []
    for i, part in enumerate(parts):
        if i % 2:
            out.append(f" {PHRASE_START}{part}{PHRASE_END} ")
        elif any(c.isdigit() for c in part):
            core = part.strip()
            lead, tail = part[: len(part) - len(part.lstrip())], part[len(part.rstrip()) :]
            out.append(lead + speak_value(core, mark=_number) + tail)
        else:
            out.append(part)
    return "".join(out)


def render(text: str, fields: dict[str, Any]) -> str:
    """The words to speak: ``text`` with each placeholder replaced by its field's value,
    read by the Vietnamese reading rules. :class:`TextRefused` for a text that is not
    plain placeholders, :class:`MissingFields` when the lead lacks one."""
    return _render(text, fields, marked=False)


def render_marked(text: str, fields: dict[str, Any]) -> str:
    """:func:`render`'s message with each run of words the number reader said between
    :data:`NUMBER_START` and :data:`NUMBER_END`, and each ``[[name]]`` slot of the
    template's own text as the name between :data:`PHRASE_START` and :data:`PHRASE_END`
    (a space either side). Whitespace is left as rendered (:mod:`tts.segments` collapses it)."""
    return _render(text, fields, marked=True)


def _render(text: str, fields: dict[str, Any], *, marked: bool) -> str:
    names = check_text(text)
    missing = sorted(n for n in names if fields.get(n) is None)
    if missing:
        raise MissingFields(missing)
    for n in names:
        if len(str(fields[n])) > MAX_VALUE:  # reading a megabyte of digits would hold the hub
            raise TextRefused(f"field {n} is {len(str(fields[n]))} characters long; at most {MAX_VALUE}")
    # The template's own words follow the same rules as the values ("ngày 15" is "ngày mười
    # lăm", never espeak's own digit reading): each literal run is read, its edges kept.
    env, read_literal = (_MARKED_ENV, _read_literal_marked) if marked else (_ENV, _read_literal)
    tree = env.parse(text)
    for node in tree.find_all(nodes.TemplateData):
        node.data = read_literal(node.data)
    try:
        spoken = env.from_string(tree).render({n: fields[n] for n in names})
    except UndefinedError as exc:  # unreachable after the check above; kept as the sandbox's own guard
        raise MissingFields([str(exc)]) from None
    spoken = " ".join(spoken.split())  # newlines and runs of spaces: one space
    size = len(spoken.translate(_MARKS)) if marked else len(spoken)
    if size > MAX_SPOKEN:
        raise TextRefused(f"renders to {size} characters; at most {MAX_SPOKEN}")
    return spoken
