"""A bulk import gives the hub back while it parses (issue 17), and says exactly what it said before.

The JSON body is parsed a slice at a time (dialer/api/json_slices.py) and the CSV decoded a slice
at a time (dialer/api/v3/leads.py): each must give the value and the error the whole-document
parse gives, at every cut of the body (tiny slices put a cut everywhere).
"""

from __future__ import annotations

import csv
import io
import json
import random

import pytest

from dialer.api import json_body, json_slices
from dialer.api.v3 import leads as v3_leads
from dialer.service import answer_json, hub
from dialer.service.errors import BadRequest

SEEDS = [
    json.dumps(
        {
            "campaign_uuid": "abc",
            "leads": [
                {"phone_number": "0981234567", "param": {"a": 1.5, "b": [1, 2, None, True]}, "external_id": "k\u00e9"},
                {"phone_number": "09", "param": {}},
                12,
                -3.5e2,
                "x\n",
            ],
            "z": 123,
        },
        indent=1,
        ensure_ascii=False,
    ),
    json.dumps([{"a": 1}, {"b": [1, 2]}, 3]),
    '{"a": [], "b": {}}',
    "[]",
    "{}",
    '"x"',
    "12",
    "[1,2] ",
    '{"a":1,"a":2}',
    '[{"a":1,"a":2}]',
    '{"leads":[1],"leads":[2]}',
    "\ufeff[1]",
    " [1e5, 2E-3, NaN, Infinity, -Infinity]",
    "",
]
NOISE = list('[]{},:" \n\t0123456789.eE-+truefalsnul\\uéễ')


def outcome(parse, raw: bytes):
    try:
        return "value", parse(raw)
    except json_body.DuplicateKey as exc:
        return "duplicate", exc.key
    except RecursionError:
        return "too deep", None
    except ValueError as exc:
        return type(exc).__name__, str(exc)


def mutations(rng: random.Random, text: str, count: int):
    for _ in range(count):
        chars = list(text)
        for _ in range(rng.randint(0, 3)):
            op, at = rng.random(), rng.randrange(len(chars) + 1)
            if op < 0.4 and chars:
                del chars[min(at, len(chars) - 1)]
            elif op < 0.8:
                chars.insert(at, rng.choice(NOISE))
            else:
                chars = chars[:at]
        yield "".join(chars)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16"])
def test_json_slices_give_the_value_and_the_error_of_the_whole_document(encoding):
    rng = random.Random(17)
    for seed in SEEDS:
        for text in [seed, *mutations(rng, seed, 60)]:
            raw = text.encode(encoding, "surrogatepass")
            if rng.random() < 0.05:  # not text in its encoding at all
                at = rng.randrange(len(raw) + 1)
                raw = raw[:at] + b"\xff" + raw[at:]
            want = outcome(json_body.loads, raw)
            for piece in (1, 2, 3, 5, 64):
                got = outcome(lambda raw, piece=piece: json_slices.loads(raw, lambda: None, piece), raw)
                assert got == want, (raw, piece)


def test_json_slices_pause_between_elements_and_pieces():
    rows = [{"phone_number": f"098{i:07d}", "param": {"n": str(i)}} for i in range(50)]
    raw = json.dumps({"leads": rows}).encode()
    pauses = []
    assert json_slices.loads(raw, lambda: pauses.append(1), piece_bytes=100) == {"leads": rows}
    assert len(pauses) >= len(rows) - 1 + len(raw) // 100


def test_json_slices_keep_the_error_place_of_a_late_broken_row():
    rows = ",\n".join(json.dumps({"phone_number": f"098{i:07d}"}) for i in range(200))
    raw = f'{{"leads": [\n{rows},\n{{"phone_number": 1,}}]}}'.encode()
    want = outcome(json_body.loads, raw)
    assert want[0] == "JSONDecodeError" and "line 202" in want[1]
    assert outcome(lambda raw: json_slices.loads(raw, lambda: None, 37), raw) == want


def old_csv(raw: bytes):
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not utf-8"
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return "csv error", str(exc)


def sliced_csv(raw: bytes):
    try:
        reader = csv.reader(v3_leads._csv_lines(raw))
    except BadRequest:
        return "not utf-8"
    try:
        return list(reader)
    except csv.Error as exc:
        return "csv error", str(exc)


def test_csv_slices_give_the_rows_of_the_whole_document(monkeypatch):
    rng = random.Random(17)
    alphabet = list('ab,"\r\n é;x1')
    for _ in range(600):
        raw = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))).encode()
        if rng.random() < 0.3:
            raw = b"\xef\xbb\xbf" + raw
        if rng.random() < 0.05:
            raw = raw[:5] + b"\xff" + raw[5:]
        want = old_csv(raw)
        for piece in (1, 2, 3, 7):
            monkeypatch.setattr(v3_leads, "CSV_PIECE_BYTES", piece)
            assert sliced_csv(raw) == want, (raw, piece)


def test_a_csv_that_is_not_utf8_is_refused_before_its_header_is_read(monkeypatch):
    monkeypatch.setattr(v3_leads, "CSV_PIECE_BYTES", 4)
    with pytest.raises(BadRequest, match="UTF-8"):
        v3_leads._csv_rows(b"no_phone_column\n" + b"x\n" * 10 + b"\xff\n")


def test_checkpoint_yields_only_once_a_slice_of_work_has_passed(monkeypatch):
    yields = []
    monkeypatch.setattr(hub.gevent, "idle", lambda: yields.append(1))
    clock = [100.0]
    monkeypatch.setattr(hub, "perf_counter", lambda: clock[0])
    hub.yield_to_io()
    yields.clear()
    hub.checkpoint()
    clock[0] += hub.SLICE_S / 2
    hub.checkpoint()
    assert yields == []
    clock[0] += hub.SLICE_S
    hub.checkpoint()
    hub.checkpoint()
    assert yields == [1]


def test_release_empties_a_list_a_slice_at_a_time(monkeypatch):
    sizes = []
    items = list(range(2 * hub.RELEASE_BATCH + 5))
    monkeypatch.setattr(hub, "checkpoint", lambda: sizes.append(len(items)))
    hub.release(items)
    assert items == [] and sizes == [hub.RELEASE_BATCH + 5, 5, 0]


def test_answer_json_is_json_dumps_byte_for_byte(monkeypatch):
    monkeypatch.setattr(answer_json, "ITEMS_PER_SLICE", 3)
    pauses = []
    rows = [{"row": i, "lead_uuid": f"l{i}", "call_id": "é"} for i in range(10)]
    for value in (
        {"campaign_uuid": "c", "total": 10, "duplicates": [], "leads": rows, "nested": {"leads": rows, 1: "x"}},
        {"request": "r", "status": 200, "body": {"errors": [[1, "ễ"]] * 7, "message": "partial"}},
        rows,
        rows[:3],
        [],
        {},
        "x",
        {1: [1, 2, 3, 4]},
    ):
        want = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        assert answer_json.dumps(value, lambda: pauses.append(1)) == want
    assert pauses
