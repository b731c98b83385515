"""The vocabulary every dialect uses: a Dialect (its error shapes), a Route
(method, path, models, handler) and the Call a handler receives.

Handlers are plain functions ``handler(call) -> body``; they never see Falcon,
which keeps them testable and lets ``openapi.py`` describe them from the
same table the app is built from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from dialer.service.context import Services

DEFAULT_MAX_BODY = 1 << 20  # 1 MiB: every JSON body but bulk imports and uploads


class Dialect:
    """One API family's error shapes. Subclasses say how an error looks."""

    name = "base"
    prefixes: tuple[str, ...] = ()

    def error(self, status: int, message: str) -> dict[str, Any]:
        return {"error": message}

    def invalid(self, errors: list[tuple[str, str]]) -> dict[str, Any]:
        return {"error": [{f: m} for f, m in errors]}

    def http_status(self, status: int) -> int:
        """The HTTP status an error is sent with (VBot answers refusals with 500)."""
        return status

    def error_text(self, status: int) -> str | None:
        """How the OpenAPI document describes an error answer (None: the usual text for the status)."""
        return None

    def error_schema(self) -> dict[str, Any]:
        """The JSON schema of this dialect's error body, for the OpenAPI document."""
        return {"type": "object", "properties": {"error": {}}, "required": ["error"]}


@dataclass(slots=True)
class Reply:
    """A non-default answer: another status, content type, headers, or a streamed body."""

    body: Any = None
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    stream: Iterable[bytes] | None = None


@dataclass(slots=True)
class Call:
    """What a handler gets: the services, parsed inputs and the raw request bits it may need."""

    services: Services
    params: dict[str, str]
    body: Any = None  # the parsed body model, when the route has one
    query: Any = None  # the parsed query model, when the route has one
    raw: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Route:
    method: str
    path: str  # Falcon template, e.g. /v3/campaign/{campaign_uuid}
    handler: Callable[[Call], Any]
    dialect: Dialect
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    max_body: int = DEFAULT_MAX_BODY
    raw_body: bool = False  # the handler parses the body itself (CSV, uploads)
    bulk: bool = False  # body limit is AUTOCALL_MAX_IMPORT_BYTES instead of max_body
    sliced: str = ""  # the body's last field, a long list: validated a slice at a time (body_validation.py)
    body_optional: bool = False  # an empty body is accepted (call.body is None)
    idempotent: bool = False  # takes an Idempotency-Key header (dialer/api/idempotency.py)
    response_type: str = "application/json"  # documented content type of a success
    body_types: tuple[str, ...] = ("application/json",)  # documented request content types
    tag: str = ""
    public: bool = False  # no bearer token (the health check only)
    docs: bool = False  # /openapi.json, /docs: the bearer token unless AUTOCALL_PUBLIC_DOCS (not documented)
    errors: tuple[int, ...] = (400, 401)


class Routes:
    """A dialect's route table, filled by the ``route`` decorator."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.table: list[Route] = []

    def route(self, method: str, path: str, summary: str, **options: Any) -> Callable[[Callable], Callable]:
        def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
            self.table.append(Route(method.upper(), path, handler, self.dialect, summary, **options))
            return handler

        return register
