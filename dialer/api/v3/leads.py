"""``POST /v3/autocall/import`` (seed 001) and ``POST /v3/autocall/import/bulk`` (CSV or JSON)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter, ValidationError

from dialer.api import idempotency, json_body, json_slices
from dialer.api.routes import Call, Reply
from dialer.api.v3.dialect import routes
from dialer.api.v3.lead_models import BulkBody, BulkImported, BulkQuery, BulkRow, ImportBody, Imported
from dialer.service import answer_json, leads
from dialer.service.errors import BadRequest, Invalid
from dialer.service.leads import Row, checkpoint, release
from dialer.service.schema_errors import schema_errors

TAG = "leads"
MAX_ROWS = 1_000_000
MAX_ERRORS_SHOWN = 1000
PHONE_COLUMNS = ("phone_number", "phone_numbers", "phone", "sdt", "so_dien_thoai", "mobile", "mobiles")
EXTERNAL_COLUMNS = ("external_id", "customer_id")
_row = TypeAdapter(BulkRow)
CSV_PIECE_BYTES = 1 << 20  # CSV bytes decoded per slice


IMPORT_ONE = "/v3/autocall/import"
IMPORT_BULK = "/v3/autocall/import/bulk"


@routes.route(
    "POST",
    IMPORT_ONE,
    "Import one lead and dial it as soon as the campaign allows",
    body=ImportBody,
    response=Imported,
    tag=TAG,
    errors=(400, 401, 404, 409),
    idempotent=True,
)
def import_one(call: Call) -> Any:
    b: ImportBody = call.body
    remember = idempotency.requested(call, IMPORT_ONE)
    if (prior := idempotency.prior(call, remember)) is not None:
        return prior
    if remember is not None:
        remember.render = lambda result: (200, _imported(result).model_dump())
    result = leads.import_one(call.services, b.campaign_uuid, Row([b.phone_number], b.param, b.external_id), remember)
    if result.replayed is not None:
        return idempotency.replay(result.replayed)
    return _imported(result)


def _imported(result: leads.ImportResult) -> Imported:
    lead = result.imported[0][1]
    return Imported(call_id=lead.call_id, lead_uuid=lead.lead_uuid)


@routes.route(
    "POST",
    IMPORT_BULK,
    "Import many leads, all of them or none: JSON {campaign_uuid, leads: [...]} or a "
    "CSV (?campaign_uuid=; a phone_number column, optional external_id, every other column is a param)",
    query=BulkQuery,
    response=BulkImported,
    tag=TAG,
    raw_body=True,
    bulk=True,
    idempotent=True,
    body_types=("application/json", "text/csv"),
    errors=(400, 401, 404, 409, 413),
)
def import_bulk(call: Call) -> Any:
    remember = idempotency.requested(call, IMPORT_BULK)
    if (prior := idempotency.prior(call, remember)) is not None:
        return prior
    with leads.cyclic_gc_paused():
        return _import_bulk(call, remember)


def _import_bulk(call: Call, remember: leads.Remember | None) -> Any:
    q: BulkQuery = call.query
    if "csv" in call.content_type.lower():
        campaign_uuid, rows = q.campaign_uuid, _csv_rows(call.raw)
    else:
        campaign_uuid, rows = _json_rows(call.raw, q.campaign_uuid)
    total = len(rows)
    try:
        if not campaign_uuid:
            raise Invalid.one("(root)", "campaign_uuid is required")
        campaign = leads.campaign_for_import(call.services, campaign_uuid)

        def render(result: leads.ImportResult) -> tuple[int, dict[str, Any]]:
            return 200, _bulk_answer(campaign_uuid, total, result, q.with_leads)

        if remember is not None:
            remember.render = render
        result = leads.import_many(call.services, campaign, rows, remember=remember)
        try:
            if result.replayed is not None:
                return idempotency.replay(result.replayed)
            # The text the app would write for this body, encoded here a slice at a time (with_leads).
            text = answer_json.dumps(render(result)[1], checkpoint)
            return Reply(text.encode(), status=200, content_type="application/json; charset=utf-8")
        finally:
            release(result.imported)  # the rows' leads, a slice at a time
    finally:
        release(rows)


def _bulk_answer(campaign_uuid: str, total: int, result: leads.ImportResult, with_leads: bool) -> dict[str, Any]:
    errors = sorted(result.errors)
    duplicates = []
    for d in result.duplicates:
        checkpoint()
        duplicates.append(_duplicate(d))
    body: dict[str, Any] = {
        "campaign_uuid": campaign_uuid,
        "total": total,
        "imported": len(result.imported),
        "duplicates": duplicates,
        "errors": [{"row": i + 1, "error": [{f: m} for f, m in errs]} for i, errs in errors[:MAX_ERRORS_SHOWN]],
        "errors_total": len(errors),
        "message": "success" if not errors else "partial",
    }
    if with_leads:
        answered = []
        for i, x in result.imported:
            checkpoint()
            answered.append({"row": i + 1, "lead_uuid": x.lead_uuid, "call_id": x.call_id})
        body["leads"] = answered
    return body


def _duplicate(d: leads.Duplicate) -> dict[str, Any]:
    out = {"row": d.row + 1, "external_id": d.external_id, "lead_uuid": d.lead_uuid}
    if d.phone_number:
        out["phone_number"] = d.phone_number
    return out


def _json_rows(raw: bytes, campaign_uuid: str | None) -> tuple[str | None, list[Row | list[tuple[str, str]]]]:
    try:
        data = json_slices.loads(raw, checkpoint)  # json_body.loads, a slice at a time
    except json_body.DuplicateKey as exc:
        raise exc.refusal() from None
    except ValueError as exc:
        raise BadRequest(f"request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise BadRequest("request body is nested too deeply") from None
    if isinstance(data, list):  # a bare list of rows, campaign in the query
        data = {"leads": data}
    try:
        body = BulkBody.model_validate(data)
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None
    del data  # each parsed row is let go once it became a Row (not all at once at the end)
    items = body.leads
    rows: list[Row | list[tuple[str, str]]] = []
    for n, item in enumerate(items):
        checkpoint()
        items[n] = None
        try:
            r = _row.validate_python(item, strict=True)
        except ValidationError as exc:
            rows.append(schema_errors(exc))
            continue
        numbers = list(r.phone_numbers or []) + ([r.phone_number] if r.phone_number else [])
        rows.append(Row(numbers, r.param, r.external_id))
    return body.campaign_uuid or campaign_uuid, rows


def _csv_rows(raw: bytes) -> list[Row | list[tuple[str, str]]]:
    reader = csv.reader(_csv_lines(raw))
    header = next(reader, None)
    if not header:
        raise BadRequest("the CSV is empty: a header row is expected (phone_number,...)")
    names = [h.strip() for h in header]
    lowered = [h.lower() for h in names]
    if len(set(lowered)) != len(lowered):
        raise Invalid.one("(root)", "the CSV header names a column twice")
    phone_col = next((lowered.index(c) for c in PHONE_COLUMNS if c in lowered), None)
    if phone_col is None:
        raise Invalid.one("(root)", "the CSV needs a phone_number column (or phone, sdt, mobile)")
    ext_col = next((lowered.index(c) for c in EXTERNAL_COLUMNS if c in lowered), None)
    params = [(i, n) for i, n in enumerate(names) if i not in (phone_col, ext_col) and n]
    rows: list[Row | list[tuple[str, str]]] = []
    try:
        for cells in reader:
            checkpoint()
            if not any(c.strip() for c in cells):
                continue  # blank lines are not rows
            if len(rows) >= MAX_ROWS:
                raise BadRequest(f"at most {MAX_ROWS} rows per import")
            if len(cells) != len(names):
                rows.append([("(root)", f"the row has {len(cells)} cells; the header has {len(names)}")])
                continue
            numbers = [n for n in (x.strip() for x in cells[phone_col].split(";")) if n]
            rows.append(
                Row(numbers, {n: cells[i] for i, n in params}, cells[ext_col].strip() if ext_col is not None else "")
            )
    except csv.Error as exc:
        raise BadRequest(f"the CSV cannot be read at line {reader.line_num}: {exc}") from None
    return rows


def _csv_lines(raw: bytes) -> Iterator[str]:
    """The lines ``io.StringIO(raw.decode("utf-8-sig"), newline="")`` gives, decoded a slice at a time
    (all of it first: a body that is not UTF-8 is refused before anything else is said of it). A line
    cut by a slice, or ending in a lone "\\r" that a "\\n" may follow, waits for the next slice."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    view, pieces = memoryview(raw), []
    try:
        for at in range(0, max(len(raw), 1), CSV_PIECE_BYTES):
            pieces.append(decoder.decode(view[at : at + CSV_PIECE_BYTES], at + CSV_PIECE_BYTES >= len(raw)))
            checkpoint()
    except UnicodeDecodeError:
        raise BadRequest("the CSV must be UTF-8 text (Excel: Save As 'CSV UTF-8')") from None
    return _lines(pieces)


def _lines(pieces: list[str]) -> Iterator[str]:
    carry = ""
    pieces.reverse()
    while pieces:
        lines = io.StringIO(carry + pieces.pop(), newline="").readlines()
        carry = lines.pop() if pieces and lines and not lines[-1].endswith("\n") else ""
        checkpoint()
        yield from lines
