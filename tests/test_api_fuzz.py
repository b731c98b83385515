"""Every operation of /openapi.json, fuzzed by schemathesis: never a 5xx, every refusal in its
dialect's error shape, every answer as the document describes it, and a refused request writes
nothing (to Redis or the audio directory).

Bounded and deterministic (``derandomize``): the same cases on every run. Per operation that is
schemathesis' coverage phase (boundary and wrong-type values, unexpected methods, missing auth)
and ``EXAMPLES`` generated cases (valid and invalid). Real objects exist first (a campaign,
template, carrier, prompt set, dead webhook), and about half the ids and phone numbers in a case are swapped
for real ones, so requests get past "no such object". ``FUZZ_EXAMPLES=500`` runs a deeper,
randomised fuzz locally.
"""

from __future__ import annotations

import json
import os
import zlib
from pathlib import Path
from typing import Any

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dialer.api.app import all_routes, build_app
from dialer.service.context import Services
from dialer.store.store import Store
from tests.api_fixtures import AUTH, TOKEN

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]

# The document as the app serves it. Serving it touches no Redis; were anything to call this app instead of
# the fixture's, its client can connect nowhere (never a default port's Redis).
_NOWHERE = Store(redis.Redis(unix_socket_path=os.devnull))
SCHEMA = schemathesis.openapi.from_wsgi(
    "/openapi.json", build_app(Services(_NOWHERE, Path(".")), [TOKEN]), headers=AUTH
)
# The audio upload takes the WAV bytes as they are (the generated bodies are garbage WAVs).
schemathesis.serializer.alias("audio/wav", "application/octet-stream")


# -- each dialect's error shape -----------------------------------------------------------
def _field_errors(value: Any) -> bool:
    """gojsonschema's ``[{"field": "message"}, ...]``."""
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(e, dict) and len(e) == 1 and all(isinstance(m, str) for m in e.values()) for e in value)
    )


def v3_error(status: int, body: Any) -> bool:
    """``{"error": "Not Found"}`` or ``{"error": [{"field": "message"}]}``."""
    return (
        isinstance(body, dict)
        and set(body) == {"error"}
        and ((isinstance(body["error"], str) and body["error"] != "") or _field_errors(body["error"]))
    )


def queue_error(status: int, body: Any) -> bool:
    """``{"code": <the HTTP status>, "content": "why"}``; validation adds ``errors``, and validation and
    ``import fail`` add the push answer's ``data`` (``fail``, ``success``, perhaps ``reasons``, ``warnings``)."""
    if not isinstance(body, dict) or body.get("code") != status or not isinstance(body.get("content"), str):
        return False
    if not set(body) <= {"code", "content", "errors", "data"} or body["content"] == "":
        return False
    if "errors" in body and not _field_errors(body["errors"]):
        return False
    data = body.get("data", {"fail": [], "success": []})
    return (
        isinstance(data, dict)
        and {"fail", "success"} <= set(data) <= {"fail", "success", "reasons", "warnings"}
        and all(isinstance(data[k], list) for k in ("fail", "success"))
        and data["success"] == []
    )


def vbot_error(status: int, body: Any) -> bool:
    """``{"status": 0, "error": 201, "msg": "why", "data": "-1"}``: HTTP 500 for a refusal (seed 003's error
    status); 401, 405 and 503 as such."""
    return (
        isinstance(body, dict)
        and set(body) == {"status", "error", "msg", "data"}
        and body["status"] == 0
        and isinstance(body["error"], int)
        and isinstance(body["msg"], str)
        and body["msg"] != ""
        and body["data"] == "-1"
        and (status in (401, 405) or status >= 500)
    )


# The meta routes (/metrics) answer errors as v3 does.
SHAPES = {"v3": v3_error, "queue": queue_error, "vbot": vbot_error, "base": v3_error}
DIALECTS = {route.path: route.dialect.name for route in all_routes()}  # every method of a path has one dialect


def vbot_refusal(status: int, body: Any) -> bool:
    """VBot turns a request down with HTTP 500 and ``error`` 201 (invalid parameter); a crash is 500 with
    ``error`` 400 (dialer/api/vbot/dialect.py)."""
    return status == 500 and isinstance(body, dict) and body.get("status") == 0 and body.get("error") == 201


def crashed(dialect: str, status: int, body: Any) -> bool:
    """A 5xx that is not a VBot refusal: the server failed."""
    return status >= 500 and not (dialect == "vbot" and vbot_refusal(status, body))


def refused(dialect: str, status: int, body: Any) -> bool:
    """The request was turned down."""
    return status >= 400


def test_the_shape_checks_tell_each_dialect_apart():
    assert v3_error(404, {"error": "Not Found"}) and v3_error(400, {"error": [{"(root)": "x is required"}]})
    assert not v3_error(404, {"code": 404, "content": "Not Found"}) and not v3_error(400, {"error": []})
    assert queue_error(404, {"code": 404, "content": "queue not found"})
    import_fail = {"fail": ["1"], "success": [], "reasons": {"1": "no valid mobile"}, "warnings": {}}
    assert queue_error(400, {"code": 400, "content": "import fail", "data": import_fail})
    assert not queue_error(400, {"code": 404, "content": "queue not found"}) and not queue_error(404, {"error": "x"})
    assert vbot_error(500, {"status": 0, "error": 201, "msg": "phones is required", "data": "-1"})
    assert not vbot_error(400, {"status": 0, "error": 201, "msg": "phones is required", "data": "-1"})
    assert not vbot_error(200, {"status": 0, "error": 201, "msg": "phones is required", "data": "-1"})
    assert not vbot_error(200, {"status": 1, "error": 0, "msg": "success", "data": 7})


def test_a_vbot_refusal_is_not_a_crash_but_a_vbot_500_with_error_400_is():
    refusal = {"status": 0, "error": 201, "msg": "phones is required", "data": "-1"}
    crash = {
        "status": 0,
        "error": 400,
        "msg": "internal error (incident 0123456789ab); see the server log",
        "data": "-1",
    }
    assert not crashed("vbot", 500, refusal) and refused("vbot", 500, refusal)
    assert crashed("vbot", 500, crash) and crashed("v3", 500, {"error": "x"}) and crashed("v3", 500, refusal)
    assert not crashed("vbot", 200, {"status": 1, "error": 0, "msg": "success", "data": 7})


# -- real objects, and swapping them in -----------------------------------------------------
@pytest.fixture
def known(api_inproc, store) -> dict[str, Any]:
    """Objects made through the API (as a client would), by the name of the field that refers to them."""
    api = api_inproc
    template = api("POST", "/v3/template", json={"template_name": "fuzz-template", "text": "Xin chào {{ ten }}"})
    carrier = api("POST", "/v3/carrier", json={"carrier_name": "fuzz-carrier", "gateways": {"offnet": "gw1"}})
    prompt_set = api("POST", "/v3/prompt-set", json={"prompt_set_name": "fuzz-prompts"})
    campaign = api(
        "POST",
        "/v3/campaign",
        json={
            "campaign_name": "fuzz-queue",
            "type": "autocall",
            "template_uuid": template.json["template_uuid"],
            "carrier_uuid": carrier.json["carrier_uuid"],
        },
    )
    assert template.status_code == carrier.status_code == campaign.status_code == prompt_set.status_code == 200, (
        campaign.text
    )
    campaign_uuid = campaign.json["campaign_uuid"]
    store.r.hset(
        store.keys.webhook("42"),
        mapping={"url": "http://127.0.0.1:9/", "body": "{}", "tries": 9, "campaign": campaign_uuid},
    )
    store.r.lpush(store.keys.webhooks_dead, "42")
    return {
        "campaign_uuid": campaign_uuid,
        "template_uuid": template.json["template_uuid"],
        "carrier_uuid": carrier.json["carrier_uuid"],
        "prompt_set_uuid": prompt_set.json["prompt_set_uuid"],
        "delivery_id": "42",
        "campaignId": api("GET", f"/v3/campaign/{campaign_uuid}").json["campaign_id"],
        "queue_code": "fuzz-queue",
        "template": "fuzz-template",
        "phone_number": "0982596021",
        "mobiles": ["0982596021", "0909123456"],
    }


def use_known(case: schemathesis.Case, known: dict[str, Any]) -> None:
    """Swap generated values for real ones (ids, a valid phone number), at any depth of the path, query and
    body, in about half the places: chosen by a hash of the case, so the run stays deterministic
    (``@schema.given`` would turn off schemathesis' coverage phase)."""
    seed = repr((case.method, case.path_parameters, case.query, case.body))

    def swap(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                swap(item)
        elif isinstance(value, dict):
            for name in sorted(value):
                if name in known and zlib.crc32(f"{name} {seed}".encode()) % 2:
                    value[name] = known[name]
                else:
                    swap(value[name])

    swap([case.path_parameters, case.query, case.body])


# -- the fuzz -----------------------------------------------------------------------------
READ = {
    "hash": lambda p, k: p.hgetall(k),
    "set": lambda p, k: p.smembers(k),
    "string": lambda p, k: p.get(k),
    "list": lambda p, k: p.lrange(k, 0, -1),
    "zset": lambda p, k: p.zrange(k, 0, -1, withscores=True),
}


def state(redis_client, services: Services) -> tuple[dict[str, Any], list[tuple[str, int]]]:
    """What a request could write: every Redis key and value (api_fixtures.snapshot's, in two round trips
    instead of two per key: it runs twice a case), and the audio directory (uploads)."""
    keys = list(redis_client.scan_iter(count=10_000))
    pipe = redis_client.pipeline(transaction=False)
    for key in keys:
        pipe.type(key)
    for key, kind in zip(keys, pipe.execute(), strict=True):
        READ[kind](pipe, key)
    files = sorted((p.name, p.stat().st_size) for p in services.audio_dir.rglob("*"))
    return dict(zip(keys, pipe.execute(), strict=True)), files


@SCHEMA.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize="FUZZ_EXAMPLES" not in os.environ,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_fuzz(case: schemathesis.Case, known, api_inproc, redis_client, services) -> None:
    use_known(case, known)
    before = state(redis_client, services)
    response = case.call(app=api_inproc.raw.app, headers=AUTH)
    status, dialect = response.status_code, DIALECTS[case.path]
    what = f"{case.method} {case.formatted_path} query={case.query} body={str(case.body)[:300]}"
    answer = f"{what} → {status} {response.text[:500]}"
    # No crash: no 5xx but VBot's refusal, a 500 whose body says error 201 (seed 003's error status).
    json_body = response.content and response.headers.get("content-type", [""])[0].startswith("application/json")
    assert not crashed(dialect, status, json.loads(response.content) if json_body else None), answer
    # Falcon's own OPTIONS answer is 200 with no body; every other JSON answer has one.
    json_answer = response.headers.get("content-type", [""])[0].startswith("application/json") and response.content
    assert json_answer or status < 400, answer
    body = json.loads(response.content) if json_answer else None
    if refused(dialect, status, body):
        assert SHAPES[dialect](status, body), answer
        assert state(redis_client, services) == before, f"{answer}: the refused request wrote something"
    case.validate_response(response, checks=CHECKS, headers=AUTH)


# -- what the fuzz found ----------------------------------------------------------------------
def test_a_vbot_refusal_is_the_documented_500_answer(api_inproc):
    """VBot refuses with HTTP 500 (seed 003's error status) in its error shape, as the document says
    (it once said 200 and only the success body). Found by response_schema_conformance on
    ``POST /api/campaign/create`` with no body."""
    case = SCHEMA["/api/campaign/create"]["POST"].Case(
        body={"vbotId": 1, "groupCode": "g", "campaignId": 999, "name": "n", "phones": [{"fields": []}]}
    )
    response = case.call(app=api_inproc.raw.app, headers=AUTH)
    assert response.status_code == 500 and response.json()["error"] == 201, response.text
    case.validate_response(response, checks=[response_schema_conformance, status_code_conformance], headers=AUTH)
