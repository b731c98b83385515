"""Checked leads into the store whole or not at all, and once per Idempotency-Key.

A refused import writes nothing: a small one is a single script; a bigger one is staged
(hashes with a TTL that no engine can reach) and then committed in one script
(dialer/store/imports.py). A row the commit finds taken (its customer id, or a number of a
lead with calls pending) is reported as a duplicate and the rest committed again. A failure
on the way (Redis gone, ``maxmemory``) unlinks what was staged, or leaves it to expire.

With an Idempotency-Key the answer is rendered before the commit and written by it, in the
same step: a retry of a request that landed gets that answer back and writes nothing,
whichever moment the first one failed at.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dialer.domain.models import Lead
from dialer.service import answer_json
from dialer.service.context import Services
from dialer.service.errors import Conflict
from dialer.service.hub import checkpoint
from dialer.store.imports import STAGE_BATCH, Answer

OTHER_REQUEST = (
    "this Idempotency-Key was used for a different request (another body, path or query); "
    "use a new key for a new request"
)


@dataclass(slots=True)
class Duplicate:
    """A row not imported: the campaign already has this customer, or this person (a number)."""

    row: int  # index in the request's rows
    external_id: str
    lead_uuid: str  # the lead that has it (in the campaign, or earlier in the same request)
    phone_number: str = ""  # the number both share; "" = the customer id is the duplicate
    owner: str = ""  # the customer id of lead_uuid
    in_request: bool = False  # lead_uuid is an earlier row of the same request


@dataclass(slots=True)
class ImportResult:
    imported: list[tuple[int, Lead]] = field(default_factory=list)  # (row index, lead)
    duplicates: list[Duplicate] = field(default_factory=list)
    errors: list[tuple[int, list[tuple[str, str]]]] = field(default_factory=list)  # (row index, field errors)
    replayed: tuple[int, Any] | None = None  # (HTTP status, body) first given to this Idempotency-Key


@dataclass(slots=True)
class Remember:
    """A request's Idempotency-Key and how its answer looks (rendered before the commit)."""

    scope: str  # the key, scoped to its route (a hash: dialer/api/idempotency.py)
    request: str  # a fingerprint of the request: the same key with another request is refused
    render: Callable[[ImportResult], tuple[int, Any]] | None = None

    def answer(self, svc: Services, result: ImportResult) -> Answer:
        assert self.render is not None
        status, body = self.render(result)
        text = answer_json.dumps({"request": self.request, "status": status, "body": body}, checkpoint)
        return Answer(svc.store.keys.idempotency(self.scope), text, int(svc.idempotency_s * 1000))

    def replay(self, text: str) -> tuple[int, Any]:
        record = json.loads(text)
        if record.get("request") != self.request:
            raise Conflict(OTHER_REQUEST)
        return int(record["status"]), record["body"]


def prior_answer(svc: Services, remember: Remember) -> tuple[int, Any] | None:
    """The answer this Idempotency-Key already got, if any (checked before doing any work)."""
    text = svc.store.imports.remembered(svc.store.keys.idempotency(remember.scope))
    return None if text is None else remember.replay(text)


def land(
    svc: Services,
    campaign_uuid: str,
    valid: list[tuple[int, Lead]],
    result: ImportResult,
    *,
    pending_only: bool = False,
    whole: bool = False,
    remember: Remember | None = None,
    start: bool = False,
) -> None:
    """Commit ``valid`` (row index, lead) to the campaign, filling ``result``.

    ``pending_only``: a customer id is a duplicate only while its lead has calls pending (the
    queue API). ``whole``: one duplicate lands nothing (VBot). ``start``: the commit starts the
    campaign. KeyError when the campaign is gone; a RedisError lands nothing either.
    """
    if not valid and not start:
        return
    imports, now = svc.store.imports, svc.now_ms()
    leads = [lead for _, lead in valid]
    import_id = ""
    try:
        if len(leads) > STAGE_BATCH:
            ttl_ms = int(svc.import_staging_s * 1000)
            import_id = imports.begin(campaign_uuid, ttl_ms)
            imports.stage(import_id, leads, now, ttl_ms, pause=checkpoint)
        _commit(
            svc,
            campaign_uuid,
            valid,
            result,
            import_id,
            now,
            pending_only=pending_only,
            whole=whole,
            remember=remember,
            start=start,
        )
    except BaseException:
        if import_id:
            imports.abandon(import_id, leads)
        raise
    if import_id and not result.imported:
        imports.abandon(import_id, leads)  # replayed, or refused whole: nothing of it was committed


def _commit(
    svc: Services,
    campaign_uuid: str,
    valid: list[tuple[int, Lead]],
    result: ImportResult,
    import_id: str,
    now: int,
    *,
    pending_only: bool,
    whole: bool,
    remember: Remember | None,
    start: bool,
) -> None:
    keep = list(range(len(valid)))
    dropped: list[str] = []
    while True:
        result.imported = [valid[i] for i in keep]
        result.duplicates.sort(key=lambda d: d.row)
        # Nothing left to land: no answer is remembered (a refused request writes nothing, and a
        # retry once the clash is gone may land), the commit only drops what was staged.
        answer = remember.answer(svc, result) if remember and keep else None
        done = svc.store.imports.commit(
            campaign_uuid,
            [valid[i][1] for i in keep],
            now,
            import_id=import_id,
            pending_only=pending_only,
            drop=dropped,
            answer=answer,
            start=start,
            pause=checkpoint,
        )
        if done.replay is not None:
            assert remember is not None
            result.imported, result.replayed = [], remember.replay(done.replay)
            return
        if not done.clashes:
            return
        clashed: set[int] = set()
        for clash in done.clashes:
            checkpoint()
            i = keep[clash.position]
            if i in clashed:
                continue  # one report per row
            clashed.add(i)
            index, lead = valid[i]
            number = lead.numbers[clash.number] if clash.field == "phone_number" else ""
            result.duplicates.append(Duplicate(index, lead.external_id, clash.lead, number, clash.owner))
        if whole:
            result.imported = []
            result.duplicates.sort(key=lambda d: d.row)
            return
        keep = [i for i in keep if i not in clashed]
        if import_id:
            dropped += [valid[i][1].lead_uuid for i in clashed]
