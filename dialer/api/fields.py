"""Field types every dialect's request models share.

* :class:`Integral` / :data:`Integer`: an integer as JSON Schema (and the
  seed's gojsonschema) counts one: ``2`` and ``2.0`` are the integer 2,
  ``2.5``, ``"2"`` and ``true`` are not. The models are strict, and pydantic's
  strict int refuses every float; the before-validator turns an integral float
  into its int first. A bounded one is ``Annotated[int, Integral(ge=1, le=5)]``
  (a type checker reads it as ``int``; :func:`Int` is the older spelling).
* :data:`Name`: a name (campaign, template, carrier, queue): 1–255 characters
  and no control character (NUL, C0/C1 controls, DEL, line and paragraph
  separators). A name ends up in logs, CSV exports, the live page and
  FreeSWITCH variables, where such characters break lines or strings.
* :data:`Text`: free text (a description, a TTS text): tab, CR and LF are
  allowed, every other control character is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

import annotated_types
from pydantic import AfterValidator, BeforeValidator, Field

_NAME_CONTROLS = r"\x00-\x1f\x7f-\x9f\u2028\u2029"
_TEXT_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"


def integral(value: Any) -> Any:
    """``2.0`` → ``2``; anything else unchanged (the strict int then judges it)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass(frozen=True, slots=True)
class Integral(annotated_types.GroupedMetadata):
    """The metadata of an integer field: its bounds, then :func:`integral`. The bounds come before
    the validator, so pydantic puts them on the integer schema (OpenAPI ``minimum``/``maximum``)."""

    ge: int | None = None
    le: int | None = None

    def __iter__(self) -> Iterator[object]:
        if self.ge is not None:
            yield annotated_types.Ge(self.ge)
        if self.le is not None:
            yield annotated_types.Le(self.le)
        yield BeforeValidator(integral)


Integer = Annotated[int, Integral()]


def Int(ge: int | None = None, le: int | None = None) -> Any:  # a type factory: reads as a type
    """``Annotated[int, Integral(ge, le)]`` built at run time (a type checker cannot read a call as a
    type: new models write the ``Annotated`` form)."""
    return Annotated[int, Integral(ge, le)]


# ``Annotated[int, Field(ge=1, le=5), INTEGRAL]`` is the other spelling type checkers accept.
INTEGRAL = BeforeValidator(integral)


def _no_controls(controls: str, what: str) -> tuple[Any, AfterValidator]:
    """The metadata refusing a string holding one of ``controls`` (a regex class body), naming the
    first; the OpenAPI document says the same as a ``pattern``."""
    found = re.compile(f"[{controls}]").search

    def check(value: str) -> str:
        bad = found(value)
        if bad:
            raise ValueError(f"control character U+{ord(bad.group()):04X} is not allowed in {what}")
        return value

    return Field(json_schema_extra={"pattern": f"^[^{controls}]*$"}), AfterValidator(check)


_NAME_PATTERN, _NAME_CHECK = _no_controls(_NAME_CONTROLS, "a name")
_TEXT_PATTERN, _TEXT_CHECK = _no_controls(_TEXT_CONTROLS, "a text (tab and newlines are)")
# Annotated aliases, not built by a function, so type checkers read them as str.
Name = Annotated[str, _NAME_PATTERN, _NAME_CHECK, Field(min_length=1, max_length=255)]
Text = Annotated[str, _TEXT_PATTERN, _TEXT_CHECK, Field(max_length=4000)]
