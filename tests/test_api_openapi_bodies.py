"""The documented request bodies are the ones the server takes (issue 15): asked of the real server.

For every JSON request body of /openapi.json, starting from a body the server parses, each property
(at any depth the base body reaches) is probed over HTTP:

* left out: the document requires it exactly when the server answers "<name> is required/missing";
* given a value of each JSON type (string, integer, number, boolean, null, array, object): the
  document allows the type exactly when the server does not refuse it as "Invalid type";
* an unknown property beside it: refused by both, or by neither.

Value rules (a uuid's shape, a phone number) are not this test's subject: a type the document
allows may still be refused for its value, and that is the field's own spec. A route with a JSON
body that has no base body here fails the test, so a new route cannot go unchecked.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dialer.api.app import all_routes

PROBES: dict[str, Any] = {
    "string": "x",
    "integer": 7,
    "number": 1.5,
    "boolean": True,
    "null": None,
    "array": [],
    "object": {},
}
QUEUE = {"queue_code": "probe-queue"}
# A body the server parses (it may still refuse it for its values or state: that comes after parsing).
BASES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v3/campaign"): {"campaign_name": "probe", "type": "autocall"},
    ("PUT", "/v3/campaign/{campaign_uuid}"): {"campaign_name": "probe", "type": "autocall"},
    ("PATCH", "/v3/campaign/{campaign_uuid}/active"): {"active": False},
    ("POST", "/v1/campaign/{campaign_uuid}/run/start"): {},
    ("POST", "/v1/campaign/{campaign_uuid}/run/pause"): {},
    ("POST", "/v1/campaign/{campaign_uuid}/run/stop"): {},
    ("POST", "/v3/carrier"): {"carrier_name": "probe", "gateways": {"offnet": "gw1"}},
    ("PUT", "/v3/carrier/{carrier_uuid}"): {"carrier_name": "probe", "gateways": {"offnet": "gw1"}},
    ("POST", "/v3/autocall/import"): {
        "campaign_uuid": str(uuid.uuid4()),
        "phone_number": "0982596021",
        "param": {"ten": "An"},
        "external_id": "kh-1",
    },
    ("POST", "/v3/template"): {"template_name": "probe", "text": "Xin chào {{ ten }}"},
    ("PUT", "/v3/template/{template_uuid}"): {"template_name": "probe"},
    ("POST", "/v3/prompt-set"): {"prompt_set_name": "probe"},
    ("PUT", "/v3/prompt-set/{prompt_set_uuid}"): {"prompt_set_name": "probe"},
    ("POST", "/v3/agent"): {"extension": "1001"},
    ("PUT", "/v3/agent/{agent_uuid}"): {"name": "probe"},
    ("POST", "/v3/agent/{agent_uuid}/login"): {},
    ("POST", "/v3/agent/{agent_uuid}/logout"): {},
    ("PUT", "/v3/agent/{agent_uuid}/status"): {"status": "On Break"},
    ("POST", "/v3/webhook/dead/retry"): {},
    ("POST", "/v3/webhook/dead/{delivery_id}/retry"): {},
    ("POST", "/v2/autocall/queue"): {
        **QUEUE,
        "template": "probe",
        "concurrent_call": 1,
        "customers": [{"id": "c1", "mobiles": ["0982596021"], "ten": "An"}],
    },
    ("POST", "/v2/autocall/queue/dnc"): {**QUEUE, "customers": [{"id": "c1"}]},
    ("POST", "/v2/autocall/queue/stop"): QUEUE,
    ("POST", "/v2/autocall/queue/start"): QUEUE,
    ("POST", "/v2/autocall/queue/delete"): QUEUE,
    ("POST", "/api/campaign/create"): {
        "vbotId": "44634",
        "groupCode": "PR1",
        "campaignId": 999_999,
        "name": "probe",
        "phones": [{"fields": [{"key": "phone", "value": "0982596021"}]}],
    },
}
# More bodies of a route: the other spellings of VBot's fields (seed 003's table).
MORE_BASES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", "/api/campaign/create"): [
        {
            "vbot_id": 44634,
            "project_code": "PR1",
            "campaignID": "999999",
            "name": "probe",
            "phones": [{"fields": [{"key": "phone", "value": 1}]}],
        }
    ],
}
JSON_BODIES = [r for r in all_routes() if r.body is not None and not r.raw_body]
CASES = [
    (r, base) for r in JSON_BODIES for base in [BASES[(r.method, r.path)], *MORE_BASES.get((r.method, r.path), [])]
]


def test_every_json_body_route_has_a_base_body_here():
    assert sorted((r.method, r.path) for r in JSON_BODIES) == sorted(BASES)
    assert set(MORE_BASES) <= set(BASES)


# -- the document's side ---------------------------------------------------------------------------
class Doc:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            schema = {
                **self.document["components"]["schemas"][name],
                **{k: v for k, v in schema.items() if k != "$ref"},
            }
        return schema

    def types(self, schema: dict[str, Any]) -> set[str]:
        """The JSON types a schema allows, whatever else it says of the value."""
        schema = self.resolve(schema)
        branches = schema.get("anyOf") or schema.get("oneOf")
        if branches:
            return set().union(*(self.types(b) for b in branches))
        if "type" in schema:
            kinds = {schema["type"]} if isinstance(schema["type"], str) else set(schema["type"])
            return kinds | ({"integer"} if "number" in kinds else set())
        if "enum" in schema or "const" in schema:
            values = schema.get("enum", [schema.get("const")])
            return {
                next(k for k, p in PROBES.items() if type(p) is type(v) or (v is None and p is None)) for v in values
            }
        return set(PROBES)  # {}: anything

    def object_schema(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        """The object branch of a schema (``anyOf: [object, null]`` → the object), or None."""
        schema = self.resolve(schema)
        if schema.get("type") == "object" or "properties" in schema:
            return schema
        for branch in schema.get("anyOf") or schema.get("oneOf") or []:
            found = self.object_schema(branch)
            if found is not None:
                return found
        return None

    def items_schema(self, schema: dict[str, Any]) -> dict[str, Any] | None:
        schema = self.resolve(schema)
        if schema.get("type") == "array":
            return schema.get("items", {})
        for branch in schema.get("anyOf") or schema.get("oneOf") or []:
            found = self.items_schema(branch)
            if found is not None:
                return found
        return None


def probes(doc: Doc, schema: dict[str, Any], value: Any, path: tuple[Any, ...] = ()) -> list[tuple]:
    """Every (path to an object, its schema) the base body reaches, the body's own first."""
    out = []
    obj = doc.object_schema(schema)
    if obj is not None and isinstance(value, dict):
        out.append((path, obj))
        for name, prop in obj.get("properties", {}).items():
            if name in value:
                out += probes(doc, prop, value[name], (*path, name))
    items = doc.items_schema(schema)
    if items is not None and isinstance(value, list) and value:
        out += probes(doc, items, value[0], (*path, 0))
    return out


# -- the server's side -----------------------------------------------------------------------------
def field_errors(dialect: str, status: int, body: Any) -> list[tuple[str, str]]:
    """The (field, message) pairs of a refusal in the dialect's shape; [] when the body was parsed."""
    if dialect == "vbot":
        if status != 500 or body.get("error") != 201:
            return []
        out = []
        for part in body["msg"].split("; "):
            field, sep, message = part.partition(": ")
            out.append((field, message) if sep and re.fullmatch(r"[\w.]+", field) else ("(root)", part))
        return out
    if status != 400:
        return []
    if dialect == "queue":
        return [next(iter(e.items())) for e in body.get("errors", [])] or [("(root)", body["content"])]
    error = body["error"]
    return [next(iter(e.items())) for e in error] if isinstance(error, list) else [("(root)", error)]


def dotted(path: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in path) or "(root)"


def with_value(body: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(body)
    target = out
    for part in path[:-1]:
        target = target[part]
    if value is _ABSENT:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return out


_ABSENT = object()


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    from dialer.api.openapi import document as build

    return build(all_routes())


@pytest.mark.parametrize(("route", "base"), CASES, ids=[f"{r.method} {r.path} {sorted(b)[:3]}" for r, b in CASES])
def test_the_documented_body_is_the_one_the_server_takes(api, route, base, document):
    doc = Doc(api("GET", "/openapi.json").json)
    assert doc.document == document  # the served document is the one built from the table
    schema = doc.document["paths"][route.path][route.method.lower()]["requestBody"]["content"]["application/json"]
    schema = schema["schema"]
    whole = Draft202012Validator({**schema, "components": doc.document["components"]})
    assert whole.is_valid(base), list(whole.iter_errors(base))
    path = re.sub(r"{(\w+)}", lambda m: "1" if m.group(1) == "delivery_id" else str(uuid.uuid4()), route.path)
    dialect = route.dialect.name

    def errors(body: dict[str, Any]) -> list[tuple[str, str]]:
        res = api(route.method, path, json=body)
        return field_errors(dialect, res.status_code, res.json)

    assert not [e for e in errors(base) if e[1].startswith(("Invalid type", "Additional property"))]
    mismatches = []
    for at, obj in probes(doc, schema, base):
        parent = dotted(at)
        extra = errors(with_value(base, (*at, "zz_unknown"), 1))
        doc_extra = obj.get("additionalProperties", True) is not False
        server_extra = (parent, "Additional property zz_unknown is not allowed") not in extra
        if doc_extra != server_extra:
            mismatches.append(f"{parent}: unknown properties documented {doc_extra}, served {server_extra}")
        for name, prop in obj.get("properties", {}).items():
            field = (*at, name)
            if name in _value_at(base, at):
                without = with_value(base, field, _ABSENT)
                doc_required = not whole.is_valid(without)
                # A missing VBot field is named in the example's spelling.
                told = {f"{n} is {w}" for n in spellings(obj, name) for w in ("required", "missing")}
                server_required = any(f == parent and m in told for f, m in errors(without))
                if doc_required != server_required:
                    mismatches.append(f"{dotted(field)}: required documented {doc_required}, served {server_required}")
            allowed = doc.types(prop)
            if name not in _value_at(base, at) and conflicts(whole, base, field, allowed):
                continue  # another spelling of a field the base has (VBot): probed from the base that uses it
            for kind, value in PROBES.items():
                got = errors(with_value(base, field, value))
                # null stands for "left out" where a field is optional: a refusal says it is required/missing.
                # pydantic names a union's member after the field: "vbotId.str: Invalid type...".
                refused = [
                    m
                    for f, m in got
                    if f == dotted(field)
                    or f.startswith(f"{dotted(field)}.")
                    or (f == parent and m in (f"{name} is required", f"{name} is missing"))
                ]
                if kind not in allowed and not refused:
                    mismatches.append(f"{dotted(field)} = {value!r}: documented as refused, served")
                if kind in allowed and any(m.startswith("Invalid type") or m.endswith(" is missing") for m in refused):
                    mismatches.append(f"{dotted(field)} = {value!r}: documented as allowed, refused: {refused}")
    assert mismatches == [], "\n".join(mismatches)


def spellings(obj: dict[str, Any], name: str) -> set[str]:
    """The property and the other names a ``oneOf`` of ``required`` gives it (VBot's two spellings)."""
    for rule in obj.get("allOf", []):
        names = {n for branch in rule.get("oneOf", []) for n in branch.get("required", [])}
        if name in names:
            return names
    return {name}


def conflicts(whole: Draft202012Validator, base: dict[str, Any], field: tuple[Any, ...], allowed: set[str]) -> bool:
    """Whether the document refuses the property beside the base's others, whatever its value: it is
    one of a ``oneOf`` (VBot's ``vbotId`` or ``vbot_id``) whose other member the base has."""
    for kind in allowed:
        errors = list(whole.iter_errors(with_value(base, field, PROBES[kind])))
        if not any(e.validator in ("oneOf", "allOf") for e in errors):
            return False
    return bool(allowed)


def _value_at(body: dict[str, Any], path: tuple[Any, ...]) -> Any:
    for part in path:
        body = body[part]
    return body
