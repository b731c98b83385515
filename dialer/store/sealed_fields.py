"""enable_encrypt campaigns: which are sealed, and the sealing and opening of the fields that carry
phone numbers (docs/redis-keys.md, "Sealed fields"). The cipher itself is dialer/store/sealing.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import redis

from dialer.domain.cdr import CallRecord
from dialer.store.keys import Keys
from dialer.store.records import Finish
from dialer.store.replies import text
from dialer.store.sealing import NoKey, Sealer, SealError

log = logging.getLogger("autocall.store")
# the fields sealed in a lead hash and in a CDR
LEAD_SEALED = ("numbers", "fields")
CDR_SEALED = ("numbers", "answered_number", "reason")
# What a lead that cannot be opened reads as: one empty number (it routes nowhere: dialling it
# fails as an invalid number, never divides by zero) and no fields; ``unreadable`` says why.
UNREADABLE_NUMBERS = '[""]'


class SealedFields:
    def __init__(self, client: redis.Redis, keys: Keys, sealer: Sealer) -> None:
        self.r = client
        self.keys = keys
        self.sealer = sealer
        # campaign -> enable_encrypt as last seen, for finishing attempts: finish.lua checks it
        # against the campaign hash and refuses a batch sealed wrong (then :meth:`learn`), so a stale
        # entry costs one more round trip, never a result written in the clear.
        self._known: dict[str, bool] = {}

    def campaigns(self, uuids: Iterable[str]) -> set[str]:
        """Which of these campaigns have ``enable_encrypt`` on (one round trip)."""
        unique = list(dict.fromkeys(uuids))
        if not unique:
            return set()
        pipe = self.r.pipeline(transaction=False)
        for uuid in unique:
            pipe.hget(self.keys.campaign(uuid), "enable_encrypt")
        return {u for u, flag in zip(unique, pipe.execute(), strict=True) if text(flag) == "true"}

    def as_known(self, uuids: Iterable[str]) -> dict[str, bool]:
        """Whether each of these campaigns has ``enable_encrypt`` on, as last seen here: only the
        ones never seen are read (one round trip). For writes that check it themselves (finish.lua)."""
        unique = dict.fromkeys(uuids)
        unseen = [u for u in unique if u not in self._known]
        if unseen:
            sealed = self.campaigns(unseen)
            for uuid in unseen:
                self._known[uuid] = uuid in sealed
        return {u: self._known[u] for u in unique}

    def learn(self, flags: dict[str, bool]) -> None:
        """``enable_encrypt`` as a script found it (it changed since :meth:`as_known` last saw it)."""
        self._known.update(flags)

    def need_key(self, sealed: set[str]) -> None:
        """NoKey when leads of these sealed campaigns are to be stored and there is no key."""
        if sealed and not self.sealer.ready:
            raise NoKey("AUTOCALL_ENCRYPTION_KEY is not set: leads of an enable_encrypt campaign cannot be stored")

    # -- opening --------------------------------------------------------------------
    def open_lead(self, uuid: str, data: dict[str, str]) -> dict[str, str]:
        """A lead hash with ``numbers`` and ``fields`` opened. One that cannot be opened reads as
        ``UNREADABLE_NUMBERS`` and ``{}``, with ``unreadable`` saying why (logged)."""
        if not any(data.get(name, "").startswith("enc:") for name in LEAD_SEALED):
            return data
        out = dict(data)
        try:
            for name in LEAD_SEALED:
                if name in out:
                    out[name] = self.sealer.open(out[name], f"lead:{uuid}:{name}")
        except SealError as exc:
            log.error("lead cannot be opened", extra={"lead": uuid, "error": str(exc)})
            out.update(numbers=UNREADABLE_NUMBERS, fields="{}", unreadable=str(exc))
        return out

    def open_cdr(self, call_uuid: str, data: dict[str, str]) -> dict[str, str]:
        """A call hash (CDR) with its sealed fields opened; a field that cannot be opened is
        left sealed (shown as it is stored, never altered) and ``unreadable`` says why."""
        if not any(data.get(name, "").startswith("enc:") for name in CDR_SEALED):
            return data
        out = dict(data)
        for name in CDR_SEALED:
            if name in out:
                try:
                    out[name] = self.sealer.open(out[name], f"call:{call_uuid}:{name}")
                except SealError as exc:
                    out["unreadable"] = str(exc)
        return out

    def open_webhook_body(self, data: dict[str, str]) -> str:
        """The body of a webhook delivery hash, opened; :class:`SealError` if it cannot be."""
        return self.sealer.open(data.get("body", ""), f"webhook:{data.get('campaign', '')}:body")

    # -- sealing --------------------------------------------------------------------
    def seal_lead(self, row: dict[str, Any]) -> dict[str, Any]:
        """add_leads.lua's row with its numbers and fields sealed."""
        for name in LEAD_SEALED:
            row[name] = self.sealer.seal(row[name], f"lead:{row['lead']}:{name}")
        return row

    def seal_finish(self, f: Finish) -> Finish:
        """The finish with its CDR's number-bearing fields and its webhook bodies sealed (the record's
        fields replaced by their ciphertext).

        Without a key (only a call reaped or adopted by an engine that lacks it: such an engine
        claims nothing of an enable_encrypt campaign) they are dropped, never written in the clear.
        """
        record = f.cdr
        sealed: dict[str, str] = {}
        try:
            for name in CDR_SEALED:
                value = getattr(record, name, None)
                if value is None or value == "":
                    continue
                plain = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                sealed[name] = self.sealer.seal(plain, f"call:{f.call_uuid}:{name}")
            hooks = [(url, self.sealer.seal(body, f"webhook:{f.campaign_uuid}:body")) for url, body in f.webhooks]
        except NoKey as exc:
            log.error(
                "result of an enable_encrypt campaign written without its numbers and webhooks",
                extra={"campaign": f.campaign_uuid, "call": f.call_uuid, "error": str(exc)},
            )
            sealed = {name: "" for name in CDR_SEALED if hasattr(record, name)}
            hooks = []
        if isinstance(record, CallRecord) and sealed:  # a RetryRecord carries no number
            record = replace(
                record,
                numbers=sealed.get("numbers", record.numbers),
                answered_number=sealed.get("answered_number", record.answered_number),
                reason=sealed.get("reason", record.reason),
            )
        return replace(f, cdr=record, webhooks=hooks)

    def seal_webhooks(self, hooks: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """Webhooks (url, body, campaign) with the bodies of sealed campaigns sealed; without a key
        those are dropped (logged), never queued in the clear."""
        sealed = self.campaigns(campaign for _, _, campaign in hooks)
        if not sealed:
            return hooks
        kept = []
        for url, body, campaign in hooks:
            if campaign in sealed:
                try:
                    body = self.sealer.seal(body, f"webhook:{campaign}:body")
                except NoKey as exc:
                    log.error(
                        "webhook of an enable_encrypt campaign dropped", extra={"campaign": campaign, "error": str(exc)}
                    )
                    continue
            kept.append((url, body, campaign))
        return kept
