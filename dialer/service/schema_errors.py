"""pydantic validation errors, told the way the v3 service tells them.

It lives in the service layer, not the API, because the services validate
their inputs too (a campaign's merged fields, a queue's settings) and the API
sits above them.

The seed's validation errors are gojsonschema's (a Go JSON-schema library):
a list of ``{field: description}`` with field ``(root)`` for the body itself,
e.g. ``{"(root)": "phone_number is required"}`` and
``{"type": "type must be one of the following: \\"autodialer\\", ..."}``.
Clients may match on these texts, so the vocabulary below follows
gojsonschema's English locale for every error the request models can raise.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

_JSON_TYPE = {
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    list: "array",
    dict: "object",
    type(None): "null",
}
_EXPECTED = {
    "int": "integer",
    "string": "string",
    "bool": "boolean",
    "float": "number",
    "list": "array",
    "dict": "object",
    "model": "object",
    "uuid": "string",
    "datetime": "string",
    "url": "string",
}


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "(root)"


def _given(value: Any) -> str:
    return _JSON_TYPE.get(type(value), "object")


def describe(err: ErrorDetails) -> tuple[str, str]:
    """One pydantic error → (field, description) in gojsonschema's words."""
    loc, kind, ctx = tuple(err["loc"]), err["type"], err.get("ctx") or {}
    field = _field(loc)
    if kind == "missing":
        return _field(loc[:-1]), f"{loc[-1]} is required"
    if kind == "extra_forbidden":
        return _field(loc[:-1]), f"Additional property {loc[-1]} is not allowed"
    if kind in ("enum", "literal_error"):
        allowed = ", ".join(f'"{v}"' for v in re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
        return field, f"{field} must be one of the following: {allowed}"
    if kind in ("greater_than_equal", "greater_than"):
        word = "or equal to " if kind.endswith("equal") else ""
        return field, f"Must be greater than {word}{ctx.get('ge', ctx.get('gt'))}"
    if kind in ("less_than_equal", "less_than"):
        word = "or equal to " if kind.endswith("equal") else ""
        return field, f"Must be less than {word}{ctx.get('le', ctx.get('lt'))}"
    if kind == "string_too_long":
        return field, f"String length must be less than or equal to {ctx.get('max_length')}"
    if kind == "string_too_short":
        return field, f"String length must be greater than or equal to {ctx.get('min_length')}"
    if kind == "too_long":
        return field, f"Array must have at most {ctx.get('max_length')} items"
    if kind == "too_short":
        return field, f"Array must have at least {ctx.get('min_length')} items"
    if kind == "string_pattern_mismatch":
        return field, f"Does not match pattern '{ctx.get('pattern')}'"
    if kind == "json_invalid":
        return "(root)", f"invalid JSON: {ctx.get('error', err.get('msg'))}"
    if kind.endswith("_type") or kind.endswith("_parsing") or kind in ("int_from_float", "model_attributes_type"):
        expected = _EXPECTED.get(kind.split("_")[0], kind.split("_")[0])
        if kind == "model_type" or kind == "dict_type":
            expected = "object"
        return field, f"Invalid type. Expected: {expected}, given: {_given(err.get('input'))}"
    if kind == "value_error":
        return field, str(err.get("msg", "")).removeprefix("Value error, ")
    return field, str(err.get("msg", kind))


def schema_errors(exc: ValidationError) -> list[tuple[str, str]]:
    return [describe(e) for e in exc.errors(include_url=False)]
