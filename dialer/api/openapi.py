"""``/openapi.json`` (OpenAPI 3.1) and ``/docs``, built from the route table and its pydantic models.

The same Route objects build the app, so the document cannot drift from
what is served. ``/healthz`` lives here too: it is the only route without a
bearer token (a liveness probe carries none; it answers ``{"status": "ok"}``
or a 503, nothing else). The document and the page need the token unless
``AUTOCALL_PUBLIC_DOCS`` is true.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from dialer.api.routes import Call, Dialect, Reply, Route, Routes
from dialer.domain.cdr import AnswerEvent, Cdr
from dialer.service import health

META = Dialect()  # one dialect object for these routes, however often routes() is called
REF = "#/components/schemas/{model}"
_IDEMPOTENCY = (
    "a key of yours (e.g. a UUID): a retry with it is answered what the first request was answered, "
    "and writes nothing (docs/api-v3.md, 'Retrying an import')"
)


# What autocall POSTs to a campaign's URLs with the native webhook_format (VBot's: docs/webhooks-vbot.md).
WEBHOOKS: tuple[tuple[str, type[BaseModel], str, str], ...] = (
    (
        "cdr",
        Cdr,
        "A call ended: its CDR, POSTed to the campaign's callback_url",
        "The very object GET /v3/autocall/cdr shows for this call. Campaigns with webhook_format vbot or vbot_call "
        "get VBot's bodies instead (docs/webhooks-vbot.md).",
    ),
    (
        "answer",
        AnswerEvent,
        "A call was answered, POSTed to the campaign's answer_callback_url",
        "The CDR's fields known at the answer, under the CDR's names.",
    ),
)
_WEBHOOK_HEADERS = [
    {
        "name": "X-Autocall-Delivery",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "the delivery id, the same on every retry (drop duplicates by it)",
    },
    {
        "name": "X-Autocall-Signature",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">, when AUTOCALL_WEBHOOK_SECRET is set',
    },
]


def _webhooks(keyed: dict[Any, dict[str, Any]]) -> dict[str, Any]:
    """OpenAPI 3.1 ``webhooks``: the native bodies autocall POSTs (docs/api-cdrs-webhooks.md)."""
    return {
        name: {
            "post": {
                "summary": summary,
                "description": text,
                "operationId": f"webhook_{name}",
                "tags": ["webhooks"],
                "parameters": _WEBHOOK_HEADERS,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": keyed[(model, "validation")]}},
                },
                "responses": {
                    "2XX": {
                        "description": "delivered; any other answer, or none within 10 s, is retried with "
                        "back-off (15 tries, then the dead list)"
                    }
                },
            }
        }
        for name, model, summary, text in WEBHOOKS
    }


def _models(routes: list[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    seen: dict[type[BaseModel], JsonSchemaMode] = {model: "validation" for _, model, _, _ in WEBHOOKS}
    for r in routes:
        if r.body is not None:
            seen.setdefault(r.body, "validation")
        if r.response is not None:
            seen.setdefault(r.response, "serialization")
    return list(seen.items())


def _parameters(route: Route, schemas: dict[str, Any]) -> list[dict[str, Any]]:
    params = [
        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
        for n in re.findall(r"{(\w+)}", route.path)
    ]
    if route.query is not None:
        schema = route.query.model_json_schema(ref_template=REF)
        schemas.update(schema.get("$defs", {}))
        for name, prop in schema.get("properties", {}).items():
            params.append(
                {
                    "name": name,
                    "in": "query",
                    "required": name in schema.get("required", []),
                    "schema": {k: v for k, v in prop.items() if k != "title"},
                }
            )
    if route.idempotent:
        key = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"}
        params.append(
            {"name": "Idempotency-Key", "in": "header", "required": False, "description": _IDEMPOTENCY, "schema": key}
        )
    return params


def document(routes: list[Route]) -> dict[str, Any]:
    keyed, defs = models_json_schema(_models(routes), ref_template=REF)
    schemas = dict(defs.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    for r in routes:
        if r.public or r.docs:
            continue
        op: dict[str, Any] = {
            "summary": r.summary,
            "tags": [r.tag or r.dialect.name],
            "operationId": f"{r.method.lower()}_{re.sub(r'[^a-z0-9]+', '_', r.path.lower())}",
            "parameters": _parameters(r, schemas),
            "security": [{"bearer": []}],
        }
        if r.body is not None:
            body_schema = keyed[(r.body, "validation")]
            op["requestBody"] = {
                "required": not r.body_optional,  # /run/*: {} or no body at all
                "content": {t: {"schema": body_schema} for t in r.body_types},
            }
        elif r.raw_body:
            op["requestBody"] = {"required": True, "content": {t: {"schema": {}} for t in r.body_types}}
        ok: dict[str, Any] = {"description": "success"}
        error_name = f"{r.dialect.name}_error"
        if r.response is not None:
            ok["content"] = {r.response_type: {"schema": keyed[(r.response, "serialization")]}}
        elif r.response_type != "application/json":
            ok["content"] = {r.response_type: {"schema": {"type": "string"}}}
        responses: dict[str, Any] = {str(r.status): ok}
        error_ref = {"application/json": {"schema": {"$ref": REF.format(model=error_name)}}}
        schemas.setdefault(error_name, r.dialect.error_schema())
        for status in r.errors:  # as sent: VBot answers a refusal with HTTP 500
            text = r.dialect.error_text(status) or _ERROR_TEXT.get(status, "error")
            responses.setdefault(str(r.dialect.http_status(status)), {"description": text, "content": error_ref})
        op["responses"] = responses
        paths.setdefault(r.path, {})[r.method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "autocall",
            "version": "1",
            "description": "Outbound voice campaigns on FreeSWITCH. "
            "Three dialects of one API: v3 (/v3, /v1), VBot (/api) and the queue API (/v2).",
        },
        "paths": paths,
        "webhooks": _webhooks(keyed),
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


_ERROR_TEXT = {
    400: "invalid request (nothing was written)",
    401: "missing or wrong bearer token",
    404: "no such object",
    409: "refused in the current state",
    413: "body too large",
}


_PAGE = jinja2.Environment(autoescape=True).from_string("""<!doctype html>
<html><head><meta charset="utf-8"><title>autocall API</title>
<style>body{font:15px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
code,pre{background:#f4f4f4;padding:.1em .3em}h2{margin-top:2em}.m{font-weight:bold;width:5em;display:inline-block}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}</style></head>
<body><h1>{{ doc.info.title }} API</h1><p>{{ doc.info.description }}</p>
<p>Every endpoint below needs <code>Authorization: Bearer &lt;token&gt;</code>.
The machine-readable document is <a href="/openapi.json">/openapi.json</a>.</p>
{% for tag, ops in groups.items() %}<h2>{{ tag }}</h2>
{% for path, method, op in ops %}<h3><span class="m">{{ method|upper }}</span><code>{{ path }}</code></h3>
<p>{{ op.summary }}</p>{% if op.parameters %}<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>
{% for p in op.parameters %}<tr><td>{{ p.name }}</td><td>{{ p.in }}</td><td><code>{{ p.schema|tojson }}</code></td></tr>
{% endfor %}</table>{% endif %}
<p>Answers: {% for status, r in op.responses.items() %}<code>{{ status }}</code> {{ r.description }}{% if not loop.last %}, {% endif %}{% endfor %}</p>
{% endfor %}{% endfor %}</body></html>""")  # noqa: E501


def routes(table: list[Route]) -> list[Route]:
    """``/openapi.json`` and ``/docs``, describing ``table`` (the routes the app serves: dialer/api/app.py
    hands them in, so this module never imports the app), and ``/healthz``. The document is built at its
    first request, once."""
    described = functools.cache(lambda: document(table))

    def openapi_json(call: Call) -> dict[str, Any]:
        return described()

    def docs_page(call: Call) -> Reply:
        doc = described()
        groups: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
        for path, methods in doc["paths"].items():
            for method, op in methods.items():
                groups.setdefault(op["tags"][0], []).append((path, method, op))
        return Reply(body=_PAGE.render(doc=doc, groups=groups), content_type="text/html; charset=utf-8")

    meta = Routes(META)
    meta.route("GET", "/openapi.json", "The OpenAPI document", docs=True, errors=())(openapi_json)
    meta.route("GET", "/docs", "This API, as a page", docs=True, errors=())(docs_page)
    meta.route("GET", "/healthz", "Liveness: Redis answers", public=True, errors=())(healthz)
    return meta.table


def healthz(call: Call) -> dict[str, Any]:
    health.alive(call.services)  # a StoreError is answered 503 by the app
    return {"status": "ok"}
