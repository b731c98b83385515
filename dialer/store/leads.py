"""Leads: seeding them (tests, benchmarks), reading one, and the do-not-call list. The API's imports,
which land whole or not at all, are dialer/store/imports.py."""

from __future__ import annotations

import json

import redis

from dialer.domain.models import Lead
from dialer.store.keys import Keys
from dialer.store.replies import record, text, texts
from dialer.store.scripts import Scripts
from dialer.store.sealed_fields import SealedFields


class Leads:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts, sealed: SealedFields) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts
        self.sealed = sealed

    def add(self, leads: list[Lead], now_ms: int, batch: int = 2000) -> dict[int, str]:
        """Queue fresh leads, ``batch`` per script call (each call atomic): the seeding used by tests
        and benchmarks. The API's imports land whole or not at all through ``Store.imports``
        (dialer/store/imports.py), which also keeps the duplicate index of numbers.

        Returns the duplicates: index in ``leads`` → the lead already queued
        for that customer id, which were not added again. KeyError if a
        campaign does not exist (or was deleted): that batch writes nothing.
        """
        duplicates: dict[int, str] = {}
        # enable_encrypt: numbers and fields are sealed here; the script stores them opaque.
        sealed = self.sealed.campaigns(x.campaign_uuid for x in leads)
        self.sealed.need_key(sealed)
        for base in range(0, len(leads), batch):
            chunk = [
                {
                    "lead": x.lead_uuid,
                    "campaign": x.campaign_uuid,
                    "ext": x.external_id,
                    "numbers": json.dumps(x.numbers),
                    "networks": json.dumps([n.value for n in x.networks]),
                    "fields": json.dumps(x.fields, ensure_ascii=False),
                    "call": x.call_id,
                    "max": x.max_attempts,
                }
                for x in leads[base : base + batch]
            ]
            if sealed:
                chunk = [self.sealed.seal_lead(row) if row["campaign"] in sealed else row for row in chunk]
            payload = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
            # Encoding a batch is CPU work in the hub; the script call below yields to it.
            added = self.scripts.add_leads(now_ms, payload)
            if added.missing is not None:
                raise KeyError(added.missing)  # deleted meanwhile: this batch wrote nothing
            for index, existing in added.duplicates:
                duplicates[base + index - 1] = existing
        return duplicates

    def get(self, uuid: str) -> dict[str, str]:
        """The lead hash, ``numbers`` and ``fields`` opened (see :meth:`SealedFields.open_lead`)."""
        return self.sealed.open_lead(uuid, record(self.r.hgetall(self.keys.lead(uuid))))

    # -- do-not-call and duplicates -------------------------------------------------
    def add_dnc(self, campaign_uuid: str, external_ids: list[str]) -> int:
        """Mark customers do-not-call. A lead not yet dialled is skipped; a call
        in progress is left alone and gets no recall. Returns leads marked."""
        if not external_ids:
            return 0
        return self.scripts.add_dnc(campaign_uuid, external_ids)

    def dnc_members(self, campaign_uuid: str, external_ids: list[str], chunk: int = 10_000) -> set[str]:
        """Which of these customer ids are on the campaign's do-not-call list."""
        out: set[str] = set()
        for base in range(0, len(external_ids), chunk):
            ids = external_ids[base : base + chunk]
            flags = self.r.smismember(self.keys.dnc(campaign_uuid), ids)
            out.update(x for x, on in zip(ids, flags, strict=True) if on)
        return out

    def queued_ids(self, campaign_uuid: str, external_ids: list[str], chunk: int = 10_000) -> set[str]:
        """Which of these customer ids the campaign holds a lead for that still has calls pending
        (state queued or dialing); a customer whose lead is done can be queued again."""
        out: set[str] = set()
        for base in range(0, len(external_ids), chunk):
            ids = external_ids[base : base + chunk]
            leads = self.r.hmget(self.keys.external(campaign_uuid), ids)
            found = [(x, lead) for x, lead in zip(ids, texts(leads), strict=True) if lead]
            pipe = self.r.pipeline(transaction=False)
            for _, lead in found:
                pipe.hget(self.keys.lead(lead), "state")
            states = pipe.execute() if found else []
            out.update(x for (x, _), state in zip(found, states, strict=True) if text(state) in ("queued", "dialing"))
        return out
