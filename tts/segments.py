"""A template's message as segments: free text, the number reader's words, recorded phrases.

:func:`render_segments` is :func:`tts.template.render` cut where a recorded
prompt set may take over: the words the reading rules produced for numbers,
dates and digit strings (each one in :data:`tts.prompt_keys.KEY_OF_WORD`) and
the template's ``[[name]]`` phrases. Everything else is free text for the TTS
engine — a "một" the template or a lead's name spells out stays text. Joined
with spaces, the texts of the segments are what :func:`~tts.template.render`
returns (for a template without ``[[name]]`` slots).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from tts.prompt_keys import PHRASE_NAME
from tts.template import NUMBER_END, NUMBER_START, PHRASE_END, PHRASE_START, TextRefused, render_marked

Kind = Literal["text", "number", "phrase"]
_PIECES = re.compile(f"{NUMBER_START}([^{NUMBER_END}]*){NUMBER_END}|{PHRASE_START}([^{PHRASE_END}]*){PHRASE_END}")


@dataclass(frozen=True)
class Segment:
    """``text``: words for the engine; ``number``: one word the number reader said;
    ``phrase``: the name of a ``[[name]]`` recorded phrase."""

    kind: Kind
    text: str


def render_segments(text: str, fields: dict[str, Any]) -> list[Segment]:
    """The message of ``text`` for ``fields`` as segments, in order (errors as :func:`tts.template.render`;
    :class:`~tts.template.TextRefused` for a ``[[slot]]`` whose name is not a phrase name)."""
    marked = render_marked(text, fields)
    segments: list[Segment] = []

    def free(words: str) -> None:
        words = " ".join(words.split())
        if words:
            segments.append(Segment("text", words))

    at = 0
    for m in _PIECES.finditer(marked):
        free(marked[at : m.start()])
        at = m.end()
        number, phrase = m.group(1), m.group(2)
        if phrase is None:
            segments += [Segment("number", w) for w in number.split()]
        elif PHRASE_NAME.fullmatch(phrase):
            segments.append(Segment("phrase", phrase))
        else:
            raise TextRefused(f"[[{phrase}]] is not a recorded phrase name (a-z, 0-9, _ and -, at most 40)")
    free(marked[at:])
    return segments


_OPENING = tuple("([\"'“‘")  # what may come right before a number the reader read (tts.reading._TOKEN)
_CLOSING = tuple(".,;:!?)]\"'”’…")  # and right after it


def spoken(segments: list[Segment]) -> str:
    """The segments' words as one text (a phrase as ``[[name]]``): :func:`tts.template.render`'s result."""
    out = ""
    for s in segments:
        words = f"[[{s.text}]]" if s.kind == "phrase" else s.text
        glued = not out or out.endswith(_OPENING) or words.startswith(_CLOSING)
        out += words if glued else f" {words}"
    return out
