"""A queue push or VBot create body validated a slice at a time says exactly what the whole-body path
said (issue 17): the same model, or the same refusal (each error's text, place and order, in the
dialect's own shape), on many good and bad bodies; and it gives the hub back between slices.

``body_validation.whole`` is the path every body took before (repeated keys refused, then pydantic's
``model_validate_json``); ``body_validation.sliced`` is the new one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import random
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from dialer.api import body_validation, json_agreement
from dialer.api.app import Api, all_routes
from dialer.api.queue.models import DncBody, PushBody
from dialer.api.vbot.models import CreateCampaign
from dialer.service.errors import BadRequest, Invalid
from tests.api_fixtures import TOKEN, Client

QUEUE = {
    "queue_code": "Autocall-Q1",
    "template": "IVR-1",
    "concurrent_call": 5,
    "max_recall_count": 3,
    "min_recall_duration": 3,
    "mode_call": "serial",
    "customers": [
        {"id": "TEL4VN_Test", "mobiles": ["0982596021"], "contract_number": "HD123456", "upcoming_amount": 5000000},
        {"id": 1234, "mobiles": ["0982596022", "0982596023"], "note": {"a": [1, 2.5, None]}, "vip": True},
        {"id": "kh-3", "mobiles": None, "due": "2021-07-13", "n": -1.5e3},
        {"id": 5.0, "mobiles": [], "x": "Nguyễn Văn x"},
    ],
}
VBOT = {
    "vbotId": "44634xxxx",
    "groupCode": "PR20230307144xxxxx",
    "campaignId": 2932,
    "name": "campaign_name_new",
    "phones": [
        {"fields": [{"key": "phone", "value": "0366255123"}, {"key": "name", "value": "Nguyễn Văn x"}]},
        {"fields": [{"key": "phone", "value": "0366255124"}, {"key": "numberCall", "value": 3.0}]},
        {"fields": [{"key": "phone", "value": 366255125}, {"key": "vip", "value": True}, {"key": "n", "value": None}]},
        {"fields": []},
    ],
}
DNC = {"queue_code": "Autocall-Q1", "customers": [{"id": "a"}, {"id": 7, "other": [1]}, {"id": "c"}]}
BODIES = [(PushBody, "customers", QUEUE), (CreateCampaign, "phones", VBOT), (DncBody, "customers", DNC)]
PALETTE: list[Any] = [None, True, False, 0, 1, -7, 2.0, 1.5, 1e300, "", "x", "0982596021", "x" * 300, [], {}]
PALETTE += [[1, "a"], {"a": 1}, {"key": "phone"}, {"id": "z"}, "\u0000", "bad\u2028name", 10**30, [[[]]]]


class Item(BaseModel):
    model_config = ConfigDict(strict=True, extra="allow")
    id: str = Field(min_length=1)


class Small(BaseModel):
    """A bulk body whose list is short enough to test its length bound."""

    model_config = ConfigDict(strict=True, extra="forbid")
    name: str
    size: int = 0
    items: list[Item] = Field(min_length=1, max_length=3)


def answer(parse) -> tuple[Any, ...]:
    try:
        body = parse()
    except Invalid as exc:
        return "invalid", exc.errors
    except BadRequest as exc:
        return "bad request", exc.message
    fields = {name: getattr(body, name) for name in type(body).model_fields}
    return "body", fields, body.model_fields_set, body.model_extra


def same(model: type[BaseModel], field: str, raw: bytes) -> tuple[Any, ...]:
    """The whole-body answer, after checking the sliced one is the same."""
    want = answer(lambda: body_validation.whole(model, raw))
    got = answer(lambda: body_validation.sliced(model, field, raw))
    assert _nan_safe(got) == _nan_safe(want), raw[:300]
    return want


def _nan_safe(value: Any) -> str:
    return repr(value)  # NaN != NaN: compare the texts (the models' reprs name every field and extra)


def paths(value: Any, at: tuple = ()) -> list[tuple]:
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*at, i))
    return out


def variants(rng: random.Random, body: dict[str, Any], count: int):
    """The body with one to three values replaced, keys dropped or added, list items repeated."""
    for _ in range(count):
        doc = copy.deepcopy(body)
        for _ in range(rng.randint(1, 3)):
            where = rng.choice(paths(doc))
            if not where:
                continue
            parent = doc
            for step in where[:-1]:
                parent = parent[step]
            key, op = where[-1], rng.random()
            if op < 0.6:
                parent[key] = copy.deepcopy(rng.choice(PALETTE))
            elif op < 0.75 and isinstance(parent, dict):
                del parent[key]
            elif op < 0.85 and isinstance(parent, dict):
                parent[rng.choice(["extra", "vbot_id", "campaignID", "key", "value", "fields", "id"])] = 1
            elif isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
        yield doc


@pytest.fixture(params=[1, 2, 200])
def slice_items(request, monkeypatch):
    """Slices of one, two and the usual number of items: an item's index is the whole list's."""
    monkeypatch.setattr(body_validation, "SLICE_ITEMS", request.param)
    return request.param


@pytest.mark.parametrize(("model", "field", "body"), BODIES, ids=["queue push", "vbot create", "queue dnc"])
def test_good_and_bad_bodies_get_the_whole_body_answer(model, field, body, slice_items):
    rng = random.Random(17)
    assert same(model, field, json.dumps(body).encode())[0] == "body"
    kinds = set()
    for doc in variants(rng, body, 400):
        kinds.add(same(model, field, json.dumps(doc, ensure_ascii=rng.random() < 0.5).encode())[0])
    assert kinds == {"body", "invalid"}


@pytest.mark.parametrize(("model", "field", "body"), BODIES, ids=["queue push", "vbot create", "queue dnc"])
def test_broken_json_gets_the_whole_body_answer(model, field, body):
    rng = random.Random(18)
    text = json.dumps(body, indent=1, ensure_ascii=False)
    noise = list('[]{},:" \n0123456789.eE-+truefalsnul\\uéễ')
    kinds = set()
    for _ in range(300):
        chars = list(text)
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(chars) + 1)
            if rng.random() < 0.5 and chars:
                del chars[min(at, len(chars) - 1)]
            else:
                chars.insert(at, rng.choice(noise))
        kinds.add(same(model, field, "".join(chars).encode())[0])
    assert "bad request" in kinds and "invalid" in kinds


def test_bodies_the_two_json_parsers_read_differently_get_the_whole_body_answer():
    """What pydantic's parser refuses and the standard library reads (json_agreement.py), and the
    look-alikes both read, at the top level, in an item and deep in an item's field."""
    deep = lambda n: "[" * n + "]" * n  # noqa: E731
    values = [
        '"\\ud800"',
        '"\\udc00"',
        '"\\ud83d\\ude00"',
        '"\\uD83D\\uDE00 and \\ud83d"',
        '"\\ud83d\\ud83d\\ude00"',
        '"\\ud83d\\u0041"',
        '"\\\\ud800"',
        '"\\\\\\ud800"',
        '"\\\\\\\\ud83d\\udc00"',
        '"a\\\\"',
        "NaN",
        "-Infinity",
        "1e400",
        "1" * 4300,
        "1" * 4301,
        "-0",
        deep(197),
        deep(198),
        deep(199),
        deep(200),
        deep(201),
        deep(1200),
    ]
    for model, field, body in BODIES:
        for value in values:
            for where in ("top", "item", "list", "extra"):
                doc = copy.deepcopy(body)
                if where == "top":
                    doc["zz"] = "@@"
                elif where == "item":
                    doc[field][1] = "@@"
                elif where == "list":
                    doc[field] = "@@"
                else:
                    doc[field][0]["more"] = "@@"
                text = json.dumps(doc).replace('"@@"', value)
                same(model, field, text.encode())
    raw = json.dumps(QUEUE).encode()
    same(PushBody, "customers", raw.replace(b'"HD123456"', b'"HD\xed\xa0\x80"'))  # a surrogate as UTF-8 bytes
    same(PushBody, "customers", raw.replace(b'"HD123456"', b'"HD\xff"'))  # not UTF-8
    for encoding in ("utf-8-sig", "utf-16", "utf-32-le"):
        same(PushBody, "customers", json.dumps(QUEUE).encode(encoding))


@pytest.mark.parametrize("raw", [b"", b" ", b"[]", b"{}", b"null", b"3", b'"x"', b"[1,2]", b'{"a":1,"a":2}'])
def test_bodies_with_nothing_to_slice(raw):
    for model, field, _ in BODIES:
        same(model, field, raw)


def test_repeated_keys_are_refused_as_before_wherever_they_are():
    raw = json.dumps(QUEUE)
    for text in (
        raw.replace('"template"', '"queue_code"'),
        raw.replace('"contract_number"', '"id"'),
        raw.replace('"a": [1', '"a": {"b": 1, "b": 2}, "c": [1'),
        raw.replace('"customers": [', '"customers": [], "customers": ['),
    ):
        assert same(PushBody, "customers", text.encode())[0] == "invalid"


def test_a_repeated_key_deep_down_is_told_as_the_whole_body_parse_told_it():
    """Nested near the standard library's recursion limit, json.loads over the whole body may give up
    before it reaches the repeated key (then pydantic answers): the sliced parse must not say more."""
    for depth in range(880, 1000, 6):
        value = "[" * depth + '{"a": 1, "a": 2}' + "]" * depth
        text = json.dumps(QUEUE).replace('"HD123456"', value)
        same(PushBody, "customers", text.encode())


def test_a_list_over_its_bound_is_refused_for_its_length_not_for_its_items(slice_items):
    good = {"id": "a"}
    for items in ([], [good] * 3, [good] * 4, [1, good, 2, good], [good, 1, {"id": ""}], "no", None):
        for doc in ({"name": "n", "items": items}, {"zz": 1, "name": 2, "items": items, "size": "x", "b": 3}):
            same(Small, "items", json.dumps(doc).encode())
    for doc in ({"name": "n"}, {"items": [1], "size": 1.5}, {"name": "n", "items": [{"id": 1}], "zz": 1}):
        same(Small, "items", json.dumps(doc).encode())


def test_vbot_phones_over_100000_are_refused_as_before():
    body = {**VBOT, "phones": [{"fields": [{"key": "phone", "value": "0366255123"}]}] * 100_001}
    raw = json.dumps(body).encode()
    assert same(CreateCampaign, "phones", raw) == ("invalid", [("phones", "Array must have at most 100000 items")])


def test_the_sliced_body_is_the_models_type_with_its_items_validated():
    body = body_validation.sliced(PushBody, "customers", json.dumps(QUEUE).encode())
    assert isinstance(body, PushBody)
    assert [c.id for c in body.customers] == ["TEL4VN_Test", "1234", "kh-3", "5"]
    assert body.customers[1].model_extra == {"note": {"a": [1, 2.5, None]}, "vip": True}


def test_sliced_validation_gives_the_hub_back_between_slices(monkeypatch):
    pauses = []
    monkeypatch.setattr(body_validation, "checkpoint", lambda: pauses.append(1))
    monkeypatch.setattr(body_validation, "SLICE_ITEMS", 10)
    customers = [{"id": f"kh{i}", "mobiles": [f"098{i:07d}"]} for i in range(100)]
    body_validation.sliced(PushBody, "customers", json.dumps({**QUEUE, "customers": customers}).encode())
    assert len(pauses) >= 100 // 10 + 100  # each slice validated, and each element parsed (json_slices)


def test_the_sliced_list_must_be_the_models_last_field():
    with pytest.raises(AssertionError):
        body_validation.sliced(Small, "name", b'{"name": "x", "items": [{"id": "a"}]}')


# -- what pydantic's JSON parser refuses that the standard library reads --------------------------------


def _jiter_reads(raw: bytes) -> bool:
    try:
        TypeAdapter(Any).validate_json(raw)
    except ValidationError:
        return False
    return True


def test_same_text_tells_exactly_which_escapes_pydantic_refuses():
    """Random runs of escapes in a string: ``same_text`` is False exactly when pydantic refuses what the
    standard library reads, whatever the pieces the body is searched in."""
    rng = random.Random(19)
    tokens = ["\\ud83d", "\\ude00", "\\uDBFF", "\\uDC00", "\\\\", "\\", "a", "\\u0041", "u", "d8", "\\n", "\\ud"]
    checked = 0
    for _ in range(3000):
        text = '["' + "".join(rng.choice(tokens) for _ in range(rng.randint(1, 8))) + '"]'
        raw = text.encode()
        try:
            json.loads(raw)
        except ValueError:
            continue
        checked += 1
        want = _jiter_reads(raw)
        for piece in (1, 2, 3, 7, 1 << 20):
            assert json_agreement.same_text(raw, lambda: None, piece) is want, (text, piece)
    assert checked > 1000


def test_jiter_reads_nesting_to_its_depth_only():
    for depth in (json_agreement.MAX_DEPTH, json_agreement.MAX_DEPTH + 1):
        raw = ("[" * depth + "]" * depth).encode()
        assert _jiter_reads(raw) is (depth <= json_agreement.MAX_DEPTH)
        assert json_agreement.nests_deeper(json.loads(raw), json_agreement.MAX_DEPTH) is (
            depth > json_agreement.MAX_DEPTH
        )
    assert not json_agreement.nests_deeper({"a": [1, {"b": []}]}, 4)
    assert json_agreement.nests_deeper({"a": [1, {"b": []}]}, 3)
    assert not json_agreement.nests_deeper(math.nan, 0)


# -- the dialects' answers over HTTP ------------------------------------------------------------------


def test_the_dialects_answer_bad_bodies_as_before(services):
    """The app with the sliced routes and the app with every body validated whole give the same answer
    (status and body, in the queue and VBot shapes) to bad bodies."""
    whole_routes = [dataclasses.replace(r, sliced="") for r in all_routes()]
    assert any(r.sliced for r in all_routes())
    new, old = Client(Api(services, [TOKEN]).app), Client(Api(services, [TOKEN], whole_routes).app)
    rng = random.Random(20)
    paths = {"customers": "/v2/autocall/queue", "phones": "/api/campaign/create"}
    for model, field, body in BODIES[:2]:
        sent = 0
        for doc in variants(rng, body, 200):
            raw = json.dumps(doc).encode()
            try:
                model.model_validate_json(raw)
                continue  # a good body would be written: not this spec's
            except ValidationError:
                pass
            a, b = new("POST", paths[field], body=raw), old("POST", paths[field], body=raw)
            assert (a.status_code, a.json) == (b.status_code, b.json), raw
            sent += 1
        for raw in (b"{", b'{"a":1,"a":2}', b"[]", json.dumps(body).encode("utf-16")):
            a, b = new("POST", paths[field], body=raw), old("POST", paths[field], body=raw)
            assert (a.status_code, a.json) == (b.status_code, b.json), raw
        assert sent > 50


def test_same_text_gives_the_hub_back_between_escapes():
    pauses = []
    raw = json.dumps({"customers": [{"id": "\U0001f642"}] * 50}).encode()  # each emoji a pair of escapes
    assert json_agreement.same_text(raw, lambda: pauses.append(1))
    assert len(pauses) >= 100
