"""Imports that land whole or not at all (docs/api-v3.md, "Bulk import"; docs/redis-keys.md).

A small import is one script (``lua/commit_leads.lua``) that writes its leads and queues them.
A bigger one is *staged* first, :data:`STAGE_BATCH` leads per script call: each lead hash is
written with a TTL and reachable from no queue, so no engine can claim it (claim.lua only takes
what ``:fresh`` / ``:recalls`` / ``:hopper`` hold), under a marker key ``import:<id>`` that
expires before them. Then one script makes every row dialable at once, or none when a row turns
out to be a duplicate (the caller drops those rows and commits again). An import that fails on
the way unlinks what it staged (``lua/abandon_import.lua``); when Redis itself is away, the
staged hashes expire on their own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis

from dialer.domain.ids import new_uuid
from dialer.domain.models import Lead
from dialer.store.keys import Keys
from dialer.store.replies import text
from dialer.store.scripts import Scripts
from dialer.store.sealed_fields import SealedFields

log = logging.getLogger("autocall.store")
STAGE_BATCH = 2000  # leads per staging transaction, and the most a commit takes whole (unstaged)
INDEX_SLICE = 1000  # rows encoded for the commit between two pauses
ABANDON_BATCH = 1000  # staged hashes unlinked per script call


class StagingLost(redis.RedisError):
    """The staged rows expired (or were evicted) before the commit: nothing was written."""


@dataclass(slots=True, frozen=True)
class Clash:
    """A row the commit refused: its customer id or one of its numbers is taken."""

    position: int  # the row's index in the leads committed
    lead: str  # the lead that holds the customer or the number
    field: str  # "external_id" | "phone_number"
    number: int  # phone_number: which of the row's numbers
    owner: str  # the customer id of ``lead``


@dataclass(slots=True)
class Committed:
    count: int = 0  # rows made dialable
    clashes: list[Clash] = field(default_factory=list)  # nothing written: drop these rows, commit again
    replay: str | None = None  # the answer already given to this Idempotency-Key (nothing written)


@dataclass(slots=True, frozen=True)
class Answer:
    """The answer to remember under an Idempotency-Key, written by the commit itself."""

    key: str  # the Redis key (Keys.idempotency)
    text: str
    ttl_ms: int


class LeadImports:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts, sealed: SealedFields) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts
        self.sealed = sealed

    # -- rows ------------------------------------------------------------------------------
    def _sealed(self, campaign_uuid: str) -> bool:
        sealed = self.sealed.campaigns([campaign_uuid])
        self.sealed.need_key(sealed)
        return bool(sealed)

    def _row(self, lead: Lead, sealed: bool) -> list[Any]:
        """The lead hash's own values, in stage_leads.lua's order (numbers and fields sealed when asked)."""
        numbers, fields = json.dumps(lead.numbers), json.dumps(lead.fields, ensure_ascii=False)
        if sealed:
            numbers = self.sealed.sealer.seal(numbers, f"lead:{lead.lead_uuid}:numbers")
            fields = self.sealed.sealer.seal(fields, f"lead:{lead.lead_uuid}:fields")
        return [
            lead.lead_uuid,
            lead.external_id,
            numbers,
            json.dumps([n.value for n in lead.networks]),
            fields,
            lead.call_id,
            lead.max_attempts,
        ]

    def _index(self, lead: Lead, sealed: bool) -> str:
        """The lead's entries in the duplicate index, space-separated: its numbers, or their digests when sealed."""
        return " ".join(self.sealed.sealer.digest(n) for n in lead.numbers) if sealed else " ".join(lead.numbers)

    # -- staging ---------------------------------------------------------------------------
    def begin(self, campaign_uuid: str, ttl_ms: int) -> str:
        """A new import's id, its marker written (it expires before any lead staged after it)."""
        import_id = new_uuid()
        self.r.set(self.keys.staged(import_id), campaign_uuid, px=ttl_ms)
        return import_id

    def stage(
        self, import_id: str, leads: list[Lead], now_ms: int, ttl_ms: int, pause: Callable[[], None] | None = None
    ) -> None:
        """Write the lead hashes, each with a TTL, :data:`STAGE_BATCH` per script call; ``pause``
        runs between two calls (the API yields to its event loop there)."""
        if not leads:
            return
        campaign_uuid, sealed = leads[0].campaign_uuid, self._sealed(leads[0].campaign_uuid)
        for base in range(0, len(leads), STAGE_BATCH):
            rows = []
            for x in leads[base : base + STAGE_BATCH]:
                rows.append(self._row(x, sealed))  # three json.dumps, two seals: ~10 us a row
                if pause is not None:
                    pause()
            self.stage_batch(import_id, campaign_uuid, rows, now_ms, ttl_ms)

    def stage_batch(self, import_id: str, campaign_uuid: str, rows: list[list[Any]], now_ms: int, ttl_ms: int) -> None:
        """One script call: each lead hash is written with its TTL, or none of the batch."""
        if not self.scripts.stage_leads(import_id, ttl_ms, campaign_uuid, now_ms, rows):
            raise StagingLost(
                "the import's staging expired before all its rows were written "
                "(AUTOCALL_IMPORT_STAGING_SECONDS); nothing was written"
            )

    def abandon(self, import_id: str, leads: list[Lead]) -> None:
        """Unlink what an import staged, unless it was committed. Best effort: when Redis does
        not answer, the staged hashes expire by themselves."""
        uuids = [x.lead_uuid for x in leads]
        try:
            for base in range(0, max(len(uuids), 1), ABANDON_BATCH):
                last = base + ABANDON_BATCH >= len(uuids)
                self.scripts.abandon_import(import_id, last, uuids[base : base + ABANDON_BATCH])
        except redis.RedisError as exc:
            log.warning("staged leads left to expire", extra={"import": import_id, "error": str(exc)})

    # -- the commit ---------------------------------------------------------------------------
    def commit(
        self,
        campaign_uuid: str,
        leads: list[Lead],
        now_ms: int,
        *,
        import_id: str = "",
        pending_only: bool = False,
        drop: list[str] | None = None,
        answer: Answer | None = None,
        start: bool = False,
        pause: Callable[[], None] | None = None,
    ) -> Committed:
        """Make ``leads`` dialable in one step (see lua/commit_leads.lua). Without ``import_id``
        the leads are written here (at most :data:`STAGE_BATCH`); with it they were staged.
        ``pause`` runs between two slices of the encoding (the API yields to its event loop there).
        KeyError if the campaign is gone; :class:`StagingLost` if the staging expired."""
        sealed = self._sealed(campaign_uuid)
        hashes = "" if import_id else json.dumps([self._row(x, sealed) for x in leads], ensure_ascii=False)
        # One JSON argument, encoded a slice at a time: 3 arguments a row cost redis-py ~1 us each
        # to pack, 300,000 of them in one call for 100,000 rows.
        slices: list[str] = []
        for base in range(0, len(leads), INDEX_SLICE):
            flat: list[str] = []
            for x in leads[base : base + INDEX_SLICE]:
                flat += [x.lead_uuid, x.external_id, self._index(x, sealed)]
            slices.append(json.dumps(flat, ensure_ascii=False)[1:-1])
            if pause is not None:
                pause()
        rows = "[" + ",".join(slices) + "]"
        out = self.scripts.commit_leads(
            campaign_uuid,
            import_id,
            now_ms,
            pending_only=pending_only,
            count=len(leads),
            drop=drop or [],
            answer_key=answer.key if answer else "",
            answer=answer.text if answer else "",
            answer_ttl_ms=answer.ttl_ms if answer else 0,
            start=start,
            hashes=hashes,
            rows=rows,
        )
        if out.missing is not None:
            raise KeyError(out.missing)
        if out.expired is not None or out.lost is not None:
            raise StagingLost(
                "the staged rows expired before the commit (AUTOCALL_IMPORT_STAGING_SECONDS); nothing was written"
            )
        if out.replay is not None:
            return Committed(replay=out.replay)
        if out.clashes:
            return Committed(clashes=[Clash(*c) for c in out.clashes])
        return Committed(count=int(out.ok or 0))

    def remembered(self, key: str) -> str | None:
        """The answer kept under an Idempotency-Key (``Keys.idempotency``), if any."""
        return text(self.r.get(key))

    # -- VBot creations: a campaign made for an import, started by its commit ----------------------
    def mark_creating(self, name: str, campaign_uuid: str) -> None:
        self.r.hset(self.keys.creating, name, campaign_uuid)

    def reclaim(self, name: str, now_ms: int) -> str:
        """Delete the campaign of an unfinished creation under ``name`` (never started, never
        dialled) so the name is free again; its uuid, or "" when there is none."""
        return self.scripts.reclaim_creation(name, now_ms)
