"""Build the WSGI app: every dialect's routes, bearer auth, body limits, and one
error path that always answers in the dialect's shape (never a bare 500 page)."""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import time
import uuid
from collections import defaultdict
from http import HTTPStatus
from typing import Any

import falcon
from pydantic import BaseModel, ValidationError

from dialer.api import body_validation, freeswitch, live, openapi, ops, queue, v3, vbot
from dialer.api.routes import Call, Dialect, Reply, Route
from dialer.api.v3.types import UUID_PATTERN
from dialer.service.context import Services
from dialer.service.errors import Invalid, NotFound, ServiceError, StoreError
from dialer.service.hub import checkpoint, cyclic_gc_paused
from dialer.service.schema_errors import schema_errors

log = logging.getLogger("autocall.api")
UUID = re.compile(UUID_PATTERN)
READ_PIECE = 1 << 20  # body bytes read between two checkpoints


class HttpError(Exception):
    """An answer decided before the handler runs (auth, size, parse)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def all_routes() -> list[Route]:
    """Every route the app serves; the OpenAPI routes are handed the others to describe."""
    dialects = [*v3.table(), *queue.table(), *vbot.table()]
    others = [*ops.routes(), *live.routes(), *freeswitch.routes()]
    return [*dialects, *openapi.routes([*dialects, *others]), *others]


def _dump(body: Any) -> bytes:
    if isinstance(body, BaseModel):
        body = body.model_dump(mode="json")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def _read(stream: Any, size: int) -> bytes:
    """``stream.read(size)`` a piece at a time: a 60 MiB body that has arrived is otherwise copied in
    one go, the hub waiting."""
    pieces = []
    while size > 0 and (piece := stream.read(min(size, READ_PIECE))):
        pieces.append(piece)
        size -= len(piece)
        checkpoint()
    return b"".join(pieces)


class Endpoint:
    """Falcon responder for one path: dispatches each method to its Route."""

    def __init__(self, api: Api, routes: dict[str, Route]) -> None:
        self.api = api
        self.routes = routes
        for method in routes:
            setattr(self, f"on_{method.lower()}", self.respond)

    def respond(self, req: falcon.Request, resp: falcon.Response, **params: str) -> None:
        self.api.serve(self.routes[req.method], req, resp, params)


class Api:
    def __init__(
        self, services: Services, tokens: list[str], routes: list[Route] | None = None, *, public_docs: bool = False
    ) -> None:
        self.services = services
        self.tokens = [t.encode() for t in tokens if t]
        self.public_docs = public_docs  # AUTOCALL_PUBLIC_DOCS: /openapi.json and /docs without a token
        self.routes = routes if routes is not None else all_routes()
        self.dialects: list[Dialect] = []
        for route in self.routes:
            if route.dialect not in self.dialects:
                self.dialects.append(route.dialect)
        self.app = falcon.App(request_type=falcon.Request, response_type=falcon.Response)
        self.app.req_options.strip_url_path_trailing_slash = True
        self.app.req_options.keep_blank_qs_values = False
        by_path: dict[str, dict[str, Route]] = defaultdict(dict)
        for route in self.routes:
            by_path[route.path][route.method] = route
            if route.sliced and route.body is not None:
                body_validation.prepare(route.body, route.sliced)
        for path, methods in by_path.items():
            self.app.add_route(path, Endpoint(self, methods))
        self.app.add_error_handler(falcon.HTTPError, self._falcon_error)
        self.document = openapi.document(self.routes)

    # -- dispatch ------------------------------------------------------------
    def dialect(self, path: str) -> Dialect:
        for dialect in self.dialects:
            if path.startswith(dialect.prefixes):
                return dialect
        return self.dialects[0] if self.dialects else Dialect()

    def serve(self, route: Route, req: falcon.Request, resp: falcon.Response, params: dict[str, str]) -> None:
        started = time.perf_counter()
        try:
            self._serve(route, req, resp, params)
        finally:
            # One structured line per change (reads at debug): who changed which campaign, and the answer.
            level = logging.DEBUG if req.method == "GET" else logging.INFO
            if log.isEnabledFor(level):
                campaign = params.get("campaign_uuid") or req.get_param("campaign_uuid") or None
                campaign = campaign if campaign and UUID.match(campaign) else None  # never a client's free text
                log.log(
                    level,
                    "api request",
                    extra={
                        "method": req.method,
                        "path": req.path,
                        "status": resp.status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                        "campaign": campaign,
                        "remote": req.remote_addr,
                    },
                )

    def _serve(self, route: Route, req: falcon.Request, resp: falcon.Response, params: dict[str, str]) -> None:
        dialect = route.dialect
        try:
            if not (route.public or (route.docs and self.public_docs)):
                self._authorize(req)
            # A sliced body's ~10^6 objects live until its handler lets them go: no cyclic GC pass meanwhile.
            with cyclic_gc_paused() if route.sliced else contextlib.nullcontext():
                call = self._call(route, req, params)
                result = route.handler(call)
                if req.method != "GET":  # a change is answered once a replica has it (Sentinel: engine.md)
                    self.services.replicated(f"{req.method} {route.path}")
                self._render(resp, route, result)
        except HttpError as exc:
            self._send(resp, dialect.http_status(exc.status), dialect.error(exc.status, exc.message), exc.headers)
        except Invalid as exc:
            self._send(resp, dialect.http_status(400), dialect.invalid(exc.errors))
        except ServiceError as exc:
            self._send(resp, dialect.http_status(exc.status), dialect.error(exc.status, exc.message))
        except falcon.HTTPError:
            raise  # falcon's own refusals (a malformed header): _falcon_error answers in the dialect's shape
        except StoreError as exc:
            log.error("storage unavailable", extra={"path": req.path, "error": str(exc)})
            self._send(resp, dialect.http_status(503), dialect.error(503, "storage unavailable; retry later"))
        except Exception:
            incident = uuid.uuid4().hex[:12]
            log.exception("request failed", extra={"path": req.path, "method": req.method, "incident": incident})
            message = f"internal error (incident {incident}); see the server log"
            self._send(resp, dialect.http_status(500), dialect.error(500, message))

    def _authorize(self, req: falcon.Request) -> None:
        """Only ``Authorization: Bearer <token>``: never a query parameter, another header or scheme."""
        scheme, _, token = (req.get_header("Authorization") or "").partition(" ")
        given = token.strip().encode()
        # Compare with every token, always: no early exit leaks which prefix matched.
        ok = False
        for known in self.tokens:
            ok |= hmac.compare_digest(given, known)
        if scheme.lower() != "bearer" or not given or not ok:
            raise HttpError(401, "Unauthorized", {"WWW-Authenticate": 'Bearer realm="autocall"'})

    def _call(self, route: Route, req: falcon.Request, params: dict[str, str]) -> Call:
        for name, value in params.items():
            # Ids become Redis key names: anything but a uuid names nothing.
            if name.endswith("_uuid") and not UUID.match(value):
                raise NotFound()
            params[name] = value.lower() if name.endswith("_uuid") else value
        raw = b""
        if req.method in ("POST", "PUT", "PATCH"):
            limit = self.services.max_import_bytes if route.bulk else route.max_body
            length = req.content_length
            if length is not None and length > limit:
                raise HttpError(413, f"request body is larger than {limit} bytes")
            # A chunked body has no length: it is read from the server's self-terminating input, to the limit.
            chunked = length is None and req.env.get("wsgi.input_terminated")
            try:
                raw = _read(req.stream if chunked else req.bounded_stream, limit + 1)
            except TimeoutError:  # dialer/api/server.py: the body came too slowly
                raise HttpError(408, "request body not received in time") from None
            except OSError:  # the client stopped sending, or a malformed chunked encoding
                raise HttpError(400, "request body ended early or is malformed") from None
            if len(raw) > limit:
                raise HttpError(413, f"request body is larger than {limit} bytes")
        call = Call(
            self.services,
            params,
            raw=raw,
            content_type=req.content_type or "",
            headers={k.lower(): v for k, v in req.headers.items()},
        )
        if route.query is not None:
            values = {k: v for k, v in req.params.items() if v != ""}
            try:
                call.query = route.query.model_validate(values)
            except ValidationError as exc:
                raise Invalid(schema_errors(exc)) from None
        if route.body is not None and not route.raw_body and not (route.body_optional and not raw.strip()):
            if not raw.strip():
                raise HttpError(400, "request body is empty; a JSON object is expected")
            if route.sliced:
                call.body = body_validation.sliced(route.body, route.sliced, raw)
            else:
                call.body = body_validation.whole(route.body, raw)
        return call

    # -- answers -------------------------------------------------------------
    def _render(self, resp: falcon.Response, route: Route, result: Any) -> None:
        if isinstance(result, Reply):
            resp.status = result.status
            resp.content_type = result.content_type
            for k, v in result.headers.items():
                resp.set_header(k, v)
            if result.stream is not None:
                resp.stream = result.stream
            elif isinstance(result.body, bytes | str):
                resp.data = result.body.encode() if isinstance(result.body, str) else result.body
            else:
                resp.data = _dump(result.body)
            return
        self._send(resp, route.status, result)

    @staticmethod
    def _send(resp: falcon.Response, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        resp.status = status
        resp.content_type = "application/json; charset=utf-8"
        for k, v in (headers or {}).items():
            resp.set_header(k, v)
        resp.data = _dump(body)

    def _falcon_error(self, req: falcon.Request, resp: falcon.Response, exc: falcon.HTTPError, params: Any) -> None:
        """Falcon's own refusals (no such path, method not allowed) in the dialect's shape."""
        status = exc.status_code if hasattr(exc, "status_code") else int(str(exc.status).split()[0])
        message = HTTPStatus(status).phrase
        headers = dict(exc.headers or {})
        dialect = self.dialect(req.path)
        self._send(resp, dialect.http_status(status), dialect.error(status, message), headers)


def build_app(services: Services, tokens: list[str], *, public_docs: bool = False) -> falcon.App:
    return Api(services, tokens, public_docs=public_docs).app
