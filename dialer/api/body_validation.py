"""A JSON request body validated against its route's model: whole, or its big list a slice at a time.

:func:`whole` is how every body is read: repeated keys refused (dialer/api/json_body.py), then
pydantic's ``model_validate_json``. For 100,000 queue customers or VBot phones that is one ~0.7 s
step the hub waits on. :func:`sliced` gives the same model, or the same refusal (each error's text,
place and order), in steps of a few milliseconds: the standard library parses the body an element
at a time (dialer/api/json_slices.py), the model's other fields are
validated with the list as a plain list (its length bounds kept), and the list's items
:data:`SLICE_ITEMS` at a time, their errors put where pydantic puts them: after the errors of the
fields before the list (the last field), before the unknown keys'. Where pydantic's JSON parser and
the standard library's disagree (dialer/api/json_agreement.py), or the standard library refuses the
body (not JSON, a key named twice), :func:`whole` answers: only a bad or odd body takes the slow way.
tests/test_body_validation.py compares the two on many good and bad bodies.
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar, get_args

from pydantic import BaseModel, TypeAdapter, ValidationError, create_model
from pydantic_core import ErrorDetails

from dialer.api import json_body, json_slices
from dialer.api.json_agreement import MAX_DEPTH, nests_deeper, same_text
from dialer.service.errors import BadRequest, Invalid, ServiceError
from dialer.service.hub import checkpoint, release
from dialer.service.schema_errors import describe, schema_errors

M = TypeVar("M", bound=BaseModel)
SLICE_ITEMS = 200  # items validated between two checkpoints (a VBot phone takes ~8 µs)


def whole(model: type[M], raw: bytes) -> M:
    """The body in one step (every route but the bulk ones, and :func:`sliced`'s fallback)."""
    json_body.refuse_duplicate_keys(raw)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        raise _refusal(schema_errors(exc)) from None


def _refusal(errors: list[tuple[str, str]]) -> ServiceError:
    if errors and errors[0][1].startswith("invalid JSON"):
        return BadRequest(f"request body is not valid JSON: {errors[0][1][14:]}")
    return Invalid(errors)


def sliced(model: type[M], field: str, raw: bytes) -> M:
    """:func:`whole`'s answer for a body whose last field ``field`` is a long list, in slices."""
    if not same_text(raw, checkpoint):
        return whole(model, raw)
    try:
        data = json_slices.loads(raw, checkpoint)
    except (ValueError, RecursionError):
        # Not JSON to the standard library (pydantic's own words), or a key named twice: the whole
        # body's json.loads may have stopped earlier, nested too deep for it (and said nothing).
        return whole(model, raw)
    try:
        body = _checked(model, field, data)
    except BaseException:
        _let_go(data, field)  # a refused body's rows, a slice at a time
        raise
    if body is None:
        _let_go(data, field)
        return whole(model, raw)
    return body


def _checked(model: type[M], field: str, data: Any) -> M | None:
    """The body of ``data`` (the parsed JSON); :class:`Invalid` as :func:`whole` says it; None when
    pydantic's parser would refuse what the standard library read (nested too deep)."""
    items = data.get(field) if isinstance(data, dict) else None
    outer = {**data, field: []} if isinstance(items, list) else data  # what is walked whole
    if nests_deeper(outer, MAX_DEPTH):
        return None
    try:
        body: M | None = _shell(model, field).model_validate(data)  # type: ignore[assignment]
        getattr(body, field).clear()  # its copy of the list: each parsed item is then freed with its slice
        errors: list[ErrorDetails] = []
    except ValidationError as exc:
        body, errors = None, exc.errors(include_url=False)
    list_refused = any(e["loc"][:1] == (field,) for e in errors)  # too long, not a list: its items unread
    cut = next((n for n, e in enumerate(errors) if e["type"] == "extra_forbidden"), len(errors))
    found = [describe(e) for e in errors]
    problems: list[tuple[str, str]] = []
    if isinstance(items, list):
        validate = _items(model, field).validate_python
        for start in range(0, len(items), SLICE_ITEMS):
            part = items[start : start + SLICE_ITEMS]
            if nests_deeper(part, MAX_DEPTH - 1):  # (the list sits one level down)
                return None
            if not list_refused:
                try:
                    items[start : start + SLICE_ITEMS] = validate(part)
                except ValidationError as exc:
                    for e in exc.errors(include_url=False):
                        e["loc"] = (field, start + int(e["loc"][0]), *e["loc"][1:])
                        problems.append(describe(e))
            checkpoint()
    found[cut:cut] = problems
    if found or body is None:
        raise _refusal(found)
    setattr(body, field, items)
    return body


def _let_go(data: Any, field: str) -> None:
    items = data.get(field) if isinstance(data, dict) else data
    if isinstance(items, list):
        release(items)


def prepare(model: type[BaseModel], field: str) -> None:
    """Build what :func:`sliced` validates with (~15 ms of pydantic schema building): at start-up, not
    in the first request."""
    _shell(model, field)
    _items(model, field)


@cache
def _shell(model: type[BaseModel], field: str) -> type[BaseModel]:
    """``model`` with ``field`` a plain list (the same bounds): its other fields' errors, as pydantic gives them."""
    fields = list(model.model_fields)
    assert fields[-1] == field and not model.__pydantic_decorators__.model_validators, model
    info = model.model_fields[field]
    return create_model(model.__name__, __base__=model, **{field: (list[Any], info)})  # type: ignore[call-overload]


@cache
def _items(model: type[BaseModel], field: str) -> TypeAdapter[list[Any]]:
    (item,) = get_args(model.model_fields[field].annotation)
    return TypeAdapter(list[item])  # type: ignore[valid-type]
