"""A bulk import's JSON body parsed a slice at a time, so the hub never waits on the whole document.

``json_body.loads`` of a 100,000-row body is one C call that held the hub ~300 ms. Here the body is
decoded ~1 MiB at a time, and each element of a top-level array (a bare list of rows, or a member
of the top-level object such as ``leads``) is parsed on its own by the standard library's scanner,
with the same hook (a repeated key is refused); ``pause`` runs between two slices. The value, and
every error (its text, line, column and char), are those of ``json_body.loads(raw)``:
tests/test_json_slices.py compares the two on many broken documents, in tiny slices.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from json import JSONDecodeError
from typing import Any

from dialer.api.json_body import unique

PIECE_BYTES = 1 << 20  # bytes decoded per slice (~1-2 ms of work)
_WS = re.compile(r"[ \t\n\r]*")
_BLANKS = " \t\n\r"
_scan = json.JSONDecoder(object_pairs_hook=unique).scan_once  # type: ignore[attr-defined]
_string = json.decoder.scanstring  # type: ignore[attr-defined]


class _NeedMore(Exception):
    """The window ends before this step could tell: take more text and run the step again."""


class _Text:
    """The decoded document, held as a window ``buf`` that starts at char ``base``."""

    def __init__(self, raw: bytes, piece_bytes: int, pause: Callable[[], None]) -> None:
        encoding = json.detect_encoding(raw)
        decoder = codecs.getincrementaldecoder(encoding)("surrogatepass")
        view, self.pieces = memoryview(raw), []
        try:
            for at in range(0, max(len(raw), 1), piece_bytes):
                self.pieces.append(decoder.decode(view[at : at + piece_bytes], at + piece_bytes >= len(raw)))
                pause()
        except UnicodeDecodeError:
            raw.decode(encoding, "surrogatepass")  # the whole body's own error (its byte position)
            raise
        self.pieces.reverse()  # popped from the end
        self.buf = self.pieces.pop() if self.pieces else ""
        self.base = 0  # the document's char index of buf[0]
        self.lines = 0  # newlines before buf
        self.last_newline = -1  # the document's char index of the last newline before buf
        self.pause = pause

    @property
    def end(self) -> bool:
        return not self.pieces

    def more(self, keep_from: int, everything: bool) -> None:
        """Drop ``buf[:keep_from]``; append the next piece, or every piece left."""
        dropped = self.buf[:keep_from]
        newlines = dropped.count("\n")
        if newlines:
            self.lines += newlines
            self.last_newline = self.base + dropped.rfind("\n")
        self.base += keep_from
        parts = [self.buf[keep_from:], self.pieces.pop()]
        while everything and self.pieces:
            parts.append(self.pieces.pop())
        self.buf = "".join(parts)

    def error(self, msg: str, pos: int) -> JSONDecodeError:
        """The error json.loads gives for ``msg`` at ``buf[pos]``: its place in the whole document."""
        at = self.base + pos
        newline = self.buf.rfind("\n", 0, pos)
        line = self.lines + self.buf.count("\n", 0, pos) + 1
        column = pos - newline if newline >= 0 else at - self.last_newline
        err = JSONDecodeError.__new__(JSONDecodeError)
        ValueError.__init__(err, f"{msg}: line {line} column {column} (char {at})")
        err.msg, err.doc, err.pos, err.lineno, err.colno = msg, "", at, line, column
        return err


class _Parser:
    def __init__(self, text: _Text) -> None:
        self.t = text

    # -- steps: each runs on the window from ``i``; run again with more text when it cannot tell --
    def run(self, step: Callable[[int], Any], i: int) -> Any:
        tries = 0
        while True:
            try:
                return step(i)
            except _NeedMore:
                pass
            except StopIteration as stop:  # the scanner's "no value here"
                if self.t.end:
                    raise self.t.error("Expecting value", stop.value) from None
            except JSONDecodeError as exc:
                if self.t.end:
                    raise self.t.error(exc.msg, exc.pos) from None
            tries += 1
            self.t.more(i, everything=tries > 1)  # an element longer than a piece, or a broken one: all of it
            i = 0

    def fail(self, msg: str, pos: int) -> JSONDecodeError:
        if not self.t.end:
            raise _NeedMore
        return JSONDecodeError(msg, self.t.buf, pos)

    def ws(self, i: int) -> int:
        return _WS.match(self.t.buf, i).end()  # type: ignore[union-attr]

    def peek(self, i: int) -> str:
        """The char at ``i`` ("" at the document's end)."""
        if i < len(self.t.buf):
            return self.t.buf[i]
        if not self.t.end:
            raise _NeedMore
        return ""

    # -- the grammar (as CPython's _json.c walks it) ------------------------------------------
    def document(self) -> Any:
        first, i = self.run(lambda i: (self.peek(j := self.ws(i)), j), 0)
        if first == "[":
            value, i = self.array(i)
        elif first == "{":
            value, i = self.object(i)
        else:  # a number, a string...: what follows it is checked in the same step (a number may go on)
            return self.run(lambda i: self.extra(_scan(self.t.buf, i)), i)
        self.run(lambda i: self.extra((value, i)), i)
        return value

    def extra(self, scanned: tuple[Any, int]) -> Any:
        value, i = scanned
        j = self.ws(i)
        if self.peek(j) != "":
            raise JSONDecodeError("Extra data", self.t.buf, j)
        return value

    def array(self, i: int) -> tuple[list[Any], int]:
        """The array opening at ``i``, an element per step."""
        items: list[Any] = []

        def opening(i: int) -> tuple[bool, int]:
            j = self.ws(i + 1)
            return self.peek(j) == "]", j

        def element(i: int) -> tuple[Any, bool, int]:
            value, j = _scan(self.t.buf, self.ws(i))  # (the blanks after a comma may go on into this window)
            j = self.ws(j)
            c = self.peek(j)
            if c == "]":
                return value, True, j + 1
            if c != ",":
                raise self.fail("Expecting ',' delimiter", j)
            return value, False, self.ws(j + 1)

        empty, i = self.run(opening, i)
        if empty:
            return items, i + 1
        ws, pause = _WS.match, self.t.pause
        while True:
            # The usual element, inline; at a window's end or on an error, the step (which retries).
            buf = self.t.buf
            try:
                if buf[i] in _BLANKS:
                    i = ws(buf, i).end()  # type: ignore[union-attr]
                value, j = _scan(buf, i)
                c = buf[j]
                if c in _BLANKS:
                    j = ws(buf, j).end()  # type: ignore[union-attr]
                    c = buf[j]
            except (StopIteration, JSONDecodeError, IndexError):
                c = ""
            if c == "," or c == "]":
                closed, i = c == "]", j + 1
            else:
                value, closed, i = self.run(element, i)
            items.append(value)
            if closed:
                return items, i
            pause()

    def object(self, i: int) -> tuple[Any, int]:
        """The top-level object opening at ``i``: a member per step, an array value an element per step."""
        pairs: list[tuple[str, Any]] = []

        def opening(i: int) -> tuple[bool, int]:
            j = self.ws(i + 1)
            return self.peek(j) == "}", j

        def name(i: int) -> tuple[str, bool, int]:
            i = self.ws(i)
            if self.peek(i) != '"':
                raise self.fail("Expecting property name enclosed in double quotes", i)
            key, j = _string(self.t.buf, i + 1, True)
            j = self.ws(j)
            if self.peek(j) != ":":
                raise self.fail("Expecting ':' delimiter", j)
            j = self.ws(j + 1)
            return key, self.peek(j) == "[", j

        def after(i: int) -> tuple[bool, int]:
            j = self.ws(i)
            c = self.peek(j)
            if c == "}":
                return True, j + 1
            if c != ",":
                raise self.fail("Expecting ',' delimiter", j)
            return False, self.ws(j + 1)

        def scalar(i: int) -> tuple[Any, bool, int]:
            value, j = _scan(self.t.buf, i)
            return (value, *after(j))

        empty, i = self.run(opening, i)
        if empty:
            return unique(pairs), i + 1
        while True:
            key, is_array, i = self.run(name, i)
            if is_array:
                value, i = self.array(i)
                closed, i = self.run(after, i)
            else:  # the value and what follows it in one step (a number may go on in the next window)
                value, closed, i = self.run(scalar, i)
            pairs.append((key, value))
            if closed:
                return unique(pairs), i


def loads(raw: bytes, pause: Callable[[], None], piece_bytes: int = PIECE_BYTES) -> Any:
    """``json_body.loads(raw)`` (the same value, the same errors), calling ``pause`` between slices."""
    return _Parser(_Text(raw, piece_bytes, pause)).document()
