"""The store: every read and atomic write the engine and the APIs make.

Single-key writes are plain commands; every multi-key change is one Lua
script (``lua/``) or one MULTI transaction, so greenlets and processes never
race on a read-modify-write.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from importlib import resources
from typing import Any

import redis

from dialer.domain.enums import CampaignStatus, ReportKey
from dialer.domain.models import Campaign, Carrier, Lead, Template
from dialer.domain.window import zone
from dialer.store.cdr_reads import CdrReads
from dialer.store.engine_listing import EngineListing
from dialer.store.external_ids import ExternalIds
from dialer.store.imports import LeadImports
from dialer.store.keys import Keys
from dialer.store.queue_counts import QueueCountReads
from dialer.store.sealing import NoKey, Sealer, SealError
from dialer.store.subscription import EventSubscriptions
from dialer.store.webhook_backlog import WebhookBacklog

log = logging.getLogger("autocall.store")
REPORT_FIELDS = ("total_calls", "total_duration", "total_billsec", "total_waitsec")
# enable_encrypt (docs/redis-keys.md, "Sealed fields"): the fields sealed in a lead hash and in a CDR
LEAD_SEALED = ("numbers", "fields")
CDR_SEALED = ("numbers", "answered_number", "reason")
# What a lead that cannot be opened reads as: one empty number (it routes nowhere: dialling it
# fails as an invalid number, never divides by zero) and no fields; ``unreadable`` says why.
UNREADABLE_NUMBERS = '[""]'


def memory_headroom(maxmemory: int) -> int:
    """Below this much room under ``maxmemory``, Redis is full for autocall (an attempt's writes are
    kilobytes): 1 MiB, or 1% of a large ``maxmemory``."""
    return max(1 << 20, maxmemory // 100)


def _script(client: redis.Redis, name: str) -> Any:
    source = resources.files("dialer.store").joinpath("lua", f"{name}.lua").read_text()
    return client.register_script(source)


@dataclass(slots=True)
class Claim:
    """A lead taken for dialling, with the slot it holds."""

    campaign_uuid: str
    lead_uuid: str
    call_uuid: str
    network: str
    number_idx: int
    numbers: list[str]
    fields: dict[str, Any]
    attempts: int  # attempts made before this one
    first_attempt_ms: int
    external_id: str
    max_attempts: int = 0  # this lead's own cap on attempts (VBot numberCall); 0 = the campaign's
    # Why the lead's sealed numbers and fields cannot be opened (wrong key, changed value); "" = readable
    unreadable: str = ""
    switch_cuts: int = 0  # the lead's last attempts in a row cut short by FreeSWITCH going away (not counted)


@dataclass(slots=True)
class Finish:
    """Everything finish.lua writes for one attempt."""

    campaign_uuid: str
    lead_uuid: str
    call_uuid: str
    network: str
    end_ms: int
    hour: str  # local YYYYMMDDHH bucket of the report counters
    cdr: dict[str, Any]
    lead_update: dict[str, Any]
    # False for an originate FreeSWITCH refused for its own limits: no call
    # happened, so it is neither in the report nor in the lead's history.
    reported: bool = True
    requeue: str | None = None  # "recalls" | "fresh" | None (lead done)
    due_ms: int = 0
    next_call: str = ""
    stats: dict[str, int] = field(default_factory=dict)
    webhooks: list[tuple[str, str]] = field(default_factory=list)

    def as_lua(self) -> dict[str, Any]:
        flat_cdr: list[str] = []
        for k, v in self.cdr.items():
            flat_cdr += [k, v if isinstance(v, str) else json.dumps(v) if isinstance(v, list | dict) else str(v)]
        flat_lead: list[str] = []
        for k, v in self.lead_update.items():
            flat_lead += [k, str(v)]
        stats: list[Any] = []
        for k, v in self.stats.items():
            stats += [k, v]
        return {
            "campaign": self.campaign_uuid, "lead": self.lead_uuid, "call": self.call_uuid,
            "network": self.network, "end_ms": self.end_ms, "hour": self.hour, "cdr": flat_cdr,
            "lead_update": flat_lead or ["updated_ms", str(self.end_ms)], "reported": self.reported,
            "requeue": self.requeue, "due_ms": self.due_ms, "next_call": self.next_call, "stats": stats,
            "webhooks": [list(w) for w in self.webhooks],
        }  # fmt: skip


class NameTaken(Exception):
    pass


class Taken(Exception):
    """A campaign's chosen ``campaign_uuid`` or ``campaign_id`` belongs to another (the field's name)."""


class MissingReference(Exception):
    """A campaign names a template or carrier that does not exist (the field's name)."""


class InUse(Exception):
    """An object a campaign still refers to."""

    def __init__(self, campaign_name: str) -> None:
        super().__init__(campaign_name)
        self.campaign_name = campaign_name


# Only a slot still held is released (and counted down once), as in finish.lua.
_RELEASE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 1 then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -1) < 0 then redis.call('HSET', KEYS[2], ARGV[2], 0) end
  redis.call('HSET', KEYS[3], 'state', 'released')
end
return 1
"""
WATCH_RETRIES = 20  # WATCH conflicts in a row before giving up (each one means another client wrote)


class Store:
    def __init__(self, client: redis.Redis, prefix: str = "autocall", sealer: Sealer | None = None) -> None:
        self.r = client
        self.keys = Keys(prefix)
        self.prefix = prefix
        self.sealer = sealer or Sealer()  # no key: plain campaigns only (enable_encrypt ones are refused)
        self._claim = _script(client, "claim")
        self._finish = _script(client, "finish")
        self._reap = _script(client, "reap")
        self._adopt = _script(client, "adopt")
        self._keep_hangups = _script(client, "keep_hangups")
        self._create_campaign = _script(client, "create_campaign")
        self._claim_webhooks = _script(client, "claim_webhooks")
        self._update_campaign = _script(client, "update_campaign")
        self._add_leads = _script(client, "add_leads")
        self._add_dnc = _script(client, "add_dnc")
        self._delete_campaign = _script(client, "delete_campaign")
        self.imports = LeadImports(self)
        # Reads and moves the services, status and metrics make (issue 16: only dialer/store touches Redis)
        self.cdr_reads = CdrReads(client, self.keys)
        self.webhook_backlog = WebhookBacklog(client, self.keys)
        self.queue_counts = QueueCountReads(client, self.keys)
        self.engine_listing = EngineListing(client, self.keys)
        self.subscriptions = EventSubscriptions(client, self.keys)
        self.external_ids = ExternalIds(client, self.keys)

    @classmethod
    def from_url(cls, url: str, prefix: str = "autocall", sealer: Sealer | None = None) -> Store:
        return cls(redis.Redis.from_url(url, decode_responses=True, health_check_interval=30), prefix, sealer)

    # -- sealing: enable_encrypt campaigns (dialer/store/sealing.py) ----------------
    def sealed_campaigns(self, uuids: Iterable[str]) -> set[str]:
        """Which of these campaigns have ``enable_encrypt`` on (one round trip)."""
        unique = list(dict.fromkeys(uuids))
        if not unique:
            return set()
        pipe = self.r.pipeline(transaction=False)
        for uuid in unique:
            pipe.hget(self.keys.campaign(uuid), "enable_encrypt")
        return {u for u, flag in zip(unique, pipe.execute(), strict=True) if flag == "true"}

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

    def _seal_lead(self, row: dict[str, Any]) -> dict[str, Any]:
        for name in LEAD_SEALED:
            row[name] = self.sealer.seal(row[name], f"lead:{row['lead']}:{name}")
        return row

    def _seal_finish(self, f: Finish) -> Finish:
        """The finish with its CDR's number-bearing fields and its webhook bodies sealed.

        Without a key (only a call reaped or adopted by an engine that lacks it: such an engine
        claims nothing of an enable_encrypt campaign) they are dropped, never written in the clear.
        """
        cdr = dict(f.cdr)
        try:
            for name in CDR_SEALED:
                value = cdr.get(name)
                if value is None or value == "":
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                cdr[name] = self.sealer.seal(text, f"call:{f.call_uuid}:{name}")
            hooks = [(url, self.sealer.seal(body, f"webhook:{f.campaign_uuid}:body")) for url, body in f.webhooks]
        except NoKey as exc:
            log.error("result of an enable_encrypt campaign written without its numbers and webhooks",
                      extra={"campaign": f.campaign_uuid, "call": f.call_uuid, "error": str(exc)})  # fmt: skip
            cdr.update({name: "" for name in CDR_SEALED if name in cdr})
            hooks = []
        return replace(f, cdr=cdr, webhooks=hooks)

    # -- campaigns ----------------------------------------------------------
    def create_campaign(self, campaign: Campaign) -> Campaign:
        now = datetime.now(zone(campaign.time_zone))
        campaign = campaign.model_copy(update={"created_at": campaign.created_at or now, "updated_at": now})
        fields = campaign.to_redis()
        fields.pop("campaign_id", None)
        # campaign_id 0: the script allocates one; else the client's own (unique).
        args: list[str] = [self.prefix, campaign.campaign_uuid, campaign.campaign_name, str(campaign.campaign_id)]
        for k, v in fields.items():
            args += [k, v]
        new_id = int(self._create_campaign(args=args))
        if new_id == 0:
            raise NameTaken(campaign.campaign_name)
        if new_id in (-1, -2):
            raise MissingReference("template_uuid" if new_id == -1 else "carrier_uuid")
        if new_id in (-3, -4):
            raise Taken("campaign_uuid" if new_id == -3 else "campaign_id")
        if campaign.status is CampaignStatus.START:
            self.r.sadd(self.keys.running, campaign.campaign_uuid)
        self.r.publish(self.keys.events, f"changed {campaign.campaign_uuid}")
        return campaign.model_copy(update={"campaign_id": new_id})

    def get_campaign(self, uuid: str, *, deleted_too: bool = False) -> Campaign | None:
        """The campaign; a deleted one only with ``deleted_too`` (its calls in flight
        still get recorded before the janitor purges it)."""
        data = self.r.hgetall(self.keys.campaign(uuid))
        if not data or (data.get("deleted") == "1" and not deleted_too):
            return None
        return Campaign.from_redis(data)

    def get_campaigns(self, uuids: list[str]) -> list[Campaign]:
        """Several campaigns in one round trip (deleted or missing ones left out)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hgetall(self.keys.campaign(uuid))
        return [Campaign.from_redis(d) for d in pipe.execute() if d and d.get("deleted") != "1"]

    def campaign_uuids(self) -> list[str]:
        return self.r.zrange(self.keys.campaigns, 0, -1)

    def campaigns_with_slots(self) -> list[str]:
        """The campaigns holding a slot now, deleted ones (not purged yet) included."""
        pipe = self.r.pipeline(transaction=False)
        pipe.zrange(self.keys.campaigns, 0, -1)
        pipe.zrange(self.keys.deleted, 0, -1)
        live, deleted = pipe.execute()
        uuids = list(dict.fromkeys(live + deleted))
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.zcard(self.keys.calls(uuid))
        return [u for u, n in zip(uuids, pipe.execute(), strict=True) if n]

    def release_slot(self, campaign_uuid: str, call: str, network: str) -> None:
        """Free a slot nothing can be recorded against (its lead or campaign is gone)."""
        self.r.eval(_RELEASE, 3, self.keys.calls(campaign_uuid), self.keys.busy(campaign_uuid), self.keys.call(call),
                    call, network)  # fmt: skip

    def update_campaign(self, uuid: str, fields: dict[str, str], new_name: str = "") -> None:
        """Write these campaign fields (and rename) in one step; wakes every engine."""
        args: list[str] = [self.prefix, uuid, new_name]
        for k, v in fields.items():
            args += [k, v]
        result = self._update_campaign(args=args)
        if result == "missing":
            raise KeyError(uuid)
        if result == "taken":
            raise NameTaken(new_name)
        if result in ("no-template", "no-carrier"):
            raise MissingReference("template_uuid" if result == "no-template" else "carrier_uuid")

    def delete_campaign(self, uuid: str, now_ms: int, rule: str = "inactive") -> str:
        """'ok', 'missing', 'active' (rule 'inactive': v3 needs active=false) or 'running'
        (rule 'stopped': the queue API needs a campaign that is not started).
        The data stays for :meth:`purge_deleted`."""
        return self._delete_campaign(args=[self.prefix, uuid, now_ms, rule])

    def campaign_uuid_by_name(self, name: str) -> str | None:
        return self.r.hget(self.keys.campaign_names, name)

    def campaign_uuid_by_id(self, campaign_id: int) -> str | None:
        return self.r.hget(self.keys.campaign_ids, str(campaign_id))

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
            found = [(x, lead) for x, lead in zip(ids, self.r.hmget(self.keys.external(campaign_uuid), ids),
                                                  strict=True) if lead]  # fmt: skip
            pipe = self.r.pipeline(transaction=False)
            for _, lead in found:
                pipe.hget(self.keys.lead(lead), "state")
            states = pipe.execute() if found else []
            out.update(x for (x, _), state in zip(found, states, strict=True) if state in ("queued", "dialing"))
        return out

    def purge_deleted(self, batch: int = 1000) -> int:
        """Unlink the data of deleted campaigns whose calls have all ended.

        Works in batches of ``batch`` leads so a campaign of millions never
        blocks Redis; returns how many keys were unlinked (0 = nothing to do).
        """
        k = self.keys
        removed = 0
        for uuid in self.r.zrange(k.deleted, 0, -1):
            if self.r.zcard(k.calls(uuid)):
                continue  # results still to be recorded: purge later
            leads = self.r.zrange(k.leads(uuid), 0, batch - 1)
            if leads:
                pipe = self.r.pipeline(transaction=False)
                for lead in leads:
                    pipe.lrange(k.lead_calls(lead), 0, -1)
                    pipe.hmget(k.lead(lead), "call", "next_call")  # also attempts never reported
                calls = {c for cs in pipe.execute() for c in cs if c}
                doomed = [k.lead(x) for x in leads] + [k.lead_calls(x) for x in leads]
                doomed += [k.call(c) for c in sorted(calls)]
                pipe = self.r.pipeline(transaction=True)
                pipe.unlink(*doomed)
                pipe.zrem(k.leads(uuid), *leads)
                pipe.execute()
                removed += len(doomed)
                continue
            stats = list(self.r.scan_iter(match=f"{k.campaign(uuid)}:stats:*", count=1000))
            doomed = [k.campaign(uuid), k.fresh(uuid), k.recalls(uuid), k.hopper(uuid), f"{k.hopper(uuid)}-seq",
                      k.calls(uuid), k.busy(uuid), k.cdrs(uuid), k.dnc(uuid), k.external(uuid), k.numbers(uuid),
                      *stats]  # fmt: skip
            pipe = self.r.pipeline(transaction=True)
            pipe.unlink(*doomed)
            pipe.zrem(k.deleted, uuid)
            pipe.execute()
            removed += len(doomed)
        return removed

    def running_campaigns(self) -> set[str]:
        return set(self.r.smembers(self.keys.running))

    def set_status(self, uuid: str, status: CampaignStatus) -> None:
        """start / pause / stop: one transaction, then a wake-up for every engine."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.campaign(uuid), mapping={"status": status.value})
        if status is CampaignStatus.START:
            pipe.sadd(self.keys.running, uuid)
        else:
            pipe.srem(self.keys.running, uuid)
        pipe.publish(self.keys.events, f"status {uuid} {status.value}")
        pipe.execute()

    def update_campaign_fields(self, uuid: str, **values: Any) -> None:
        campaign = self.get_campaign(uuid)
        if campaign is None:
            raise KeyError(uuid)
        updated = campaign.model_copy(update=values)
        Campaign.model_validate(updated.model_dump())
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.campaign(uuid), mapping=updated.to_redis())
        pipe.publish(self.keys.events, f"changed {uuid}")
        pipe.execute()

    def wake(self, uuid: str) -> None:
        self.r.publish(self.keys.events, f"wake {uuid}")

    def announce_changed(self, uuids: list[str]) -> None:
        """Tell every engine to reload these campaigns (their template or carrier changed)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.publish(self.keys.events, f"changed {uuid}")
        pipe.execute()

    # -- carriers, templates -------------------------------------------------
    def put_carrier(self, carrier: Carrier, now_ms: int = 0) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.carrier(carrier.carrier_uuid), mapping={"json": carrier.model_dump_json()})
        pipe.zadd(self.keys.carriers, {carrier.carrier_uuid: now_ms}, nx=True)
        pipe.execute()

    def carrier_uuids(self) -> list[str]:
        return self.r.zrange(self.keys.carriers, 0, -1)

    def delete_carrier(self, uuid: str) -> bool:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.carrier(uuid))
        pipe.zrem(self.keys.carriers, uuid)
        return bool(pipe.execute()[0])

    # -- objects kept as one hash plus a registry entry (templates, carriers) ----------
    def create_hash(self, key: str, index: str, uuid: str, mapping: dict[str, str], now_ms: int) -> bool:
        """Write the hash ``key`` and index ``uuid`` unless the key exists; False if it does."""
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        return False
                    pipe.multi()
                    pipe.hset(key, mapping=mapping)
                    pipe.zadd(index, {uuid: now_ms}, nx=True)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def rewrite_hash(self, key: str, change: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Replace the existing hash ``key`` with ``change(current)`` in one transaction.

        KeyError if it does not exist (a deleted object is never resurrected);
        whatever ``change`` raises (validation) writes nothing.
        """
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    current = pipe.hgetall(key)
                    if not current:
                        raise KeyError(key)
                    new = change(current)
                    pipe.multi()
                    pipe.delete(key)
                    pipe.hset(key, mapping=new)
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def delete_unused(self, key: str, index: str, uuid: str, field: str) -> None:
        """Delete ``key`` and its index entry unless a campaign's ``field`` is ``uuid``.

        The campaign registry and every campaign hash are watched, so a campaign
        created or changed to use the object meanwhile makes the transaction
        retry. KeyError if it does not exist; :class:`InUse` if a campaign uses it.
        """
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, self.keys.campaigns)
                    if not pipe.exists(key):
                        raise KeyError(key)
                    uuids = pipe.zrange(self.keys.campaigns, 0, -1)
                    if uuids:
                        pipe.watch(*[self.keys.campaign(u) for u in uuids])
                    for campaign in self.get_campaigns(uuids):
                        if getattr(campaign, field) == uuid:
                            raise InUse(campaign.campaign_name)
                    pipe.multi()
                    pipe.delete(key)
                    pipe.zrem(index, uuid)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def hashes(self, keys: list[str]) -> list[dict[str, str]]:
        """Several hashes in one round trip (missing ones come back empty)."""
        pipe = self.r.pipeline(transaction=False)
        for key in keys:
            pipe.hgetall(key)
        return pipe.execute()

    def template_uuids(self) -> list[str]:
        return self.r.zrange(self.keys.templates, 0, -1)

    def delete_template(self, uuid: str) -> bool:
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.template(uuid))
        pipe.zrem(self.keys.templates, uuid)
        return bool(pipe.execute()[0])

    def get_carrier(self, uuid: str) -> Carrier | None:
        raw = self.r.hget(self.keys.carrier(uuid), "json")
        return Carrier.model_validate_json(raw) if raw else None

    def put_template(self, template: Template, now_ms: int = 0) -> None:
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.template(template.template_uuid), mapping=template.to_redis())
        pipe.zadd(self.keys.templates, {template.template_uuid: now_ms}, nx=True)
        pipe.execute()

    def get_template(self, uuid: str) -> Template | None:
        data = self.r.hgetall(self.keys.template(uuid))
        return Template.from_redis(data) if data else None

    # -- leads ----------------------------------------------------------------
    def add_leads(self, leads: list[Lead], now_ms: int, batch: int = 2000) -> dict[int, str]:
        """Queue fresh leads, ``batch`` per script call (each call atomic): the seeding used by tests
        and benchmarks. The API's imports land whole or not at all through :attr:`imports`
        (dialer/store/imports.py), which also keeps the duplicate index of numbers.

        Returns the duplicates: index in ``leads`` → the lead already queued
        for that customer id, which were not added again. KeyError if a
        campaign does not exist (or was deleted): that batch writes nothing.
        """
        duplicates: dict[int, str] = {}
        # enable_encrypt: numbers and fields are sealed here; the script stores them opaque.
        sealed = self.sealed_campaigns(x.campaign_uuid for x in leads)
        if sealed and not self.sealer.ready:
            raise NoKey("AUTOCALL_ENCRYPTION_KEY is not set: leads of an enable_encrypt campaign cannot be stored")
        for base in range(0, len(leads), batch):
            chunk = [{"lead": x.lead_uuid, "campaign": x.campaign_uuid, "ext": x.external_id,
                      "numbers": json.dumps(x.numbers), "networks": json.dumps([n.value for n in x.networks]),
                      "fields": json.dumps(x.fields, ensure_ascii=False), "call": x.call_id, "max": x.max_attempts}
                     for x in leads[base : base + batch]]  # fmt: skip
            if sealed:
                chunk = [self._seal_lead(row) if row["campaign"] in sealed else row for row in chunk]
            payload = json.dumps(chunk, ensure_ascii=False, separators=(",", ":"))
            # Encoding a batch is CPU work in the hub; the script call below yields to it.
            answer = json.loads(self._add_leads(args=[self.prefix, now_ms, payload]))
            if isinstance(answer, dict) and "missing" in answer:
                raise KeyError(answer["missing"])  # deleted meanwhile: this batch wrote nothing
            for index, existing in answer:
                duplicates[base + index - 1] = existing
        return duplicates

    def get_lead(self, uuid: str) -> dict[str, str]:
        """The lead hash, ``numbers`` and ``fields`` opened (see :meth:`open_lead`)."""
        return self.open_lead(uuid, self.r.hgetall(self.keys.lead(uuid)))

    def add_dnc(self, campaign_uuid: str, external_ids: list[str]) -> int:
        """Mark customers do-not-call. A lead not yet dialled is skipped; a call
        in progress is left alone and gets no recall. Returns leads marked."""
        if not external_ids:
            return 0
        return int(self._add_dnc(args=[self.prefix, campaign_uuid, *external_ids]))

    # -- the dialling cycle ------------------------------------------------------
    def claim(self, campaign_uuid: str, want: int, node: str, now_ms: int, lease_ms: int,
              call_uuids: list[str], owner: str = "") -> tuple[list[Claim], dict[str, Any]]:  # fmt: skip
        raw = self._claim(args=[self.prefix, campaign_uuid, now_ms, want, node, lease_ms, json.dumps(call_uuids),
                                owner])  # fmt: skip
        out = json.loads(raw)
        claims = []
        for row in out.pop("claims") or []:
            lead, call, net, idx, numbers, fields, attempts, first_ms, ext, max_attempts, cuts = row
            unreadable = ""
            if numbers.startswith("enc:") or (fields or "").startswith("enc:"):
                opened = self.open_lead(lead, {"numbers": numbers, "fields": fields or "{}"})
                numbers, fields, unreadable = opened["numbers"], opened["fields"], opened.get("unreadable", "")
            claims.append(Claim(campaign_uuid, lead, call, net, int(idx), json.loads(numbers),
                                json.loads(fields) if fields else {}, int(attempts), int(first_ms), ext,
                                int(max_attempts), unreadable, int(cuts)))  # fmt: skip
        return claims, out

    def finish(self, batch: list[Finish], now_ms: int) -> list[str]:
        if not batch:
            return []
        sealed = self.sealed_campaigns(f.campaign_uuid for f in batch)
        if sealed:
            batch = [self._seal_finish(f) if f.campaign_uuid in sealed else f for f in batch]
        payload = json.dumps([f.as_lua() for f in batch], ensure_ascii=False, separators=(",", ":"))
        return self._finish(args=[self.prefix, now_ms, payload]) or []

    def queue_webhooks(self, hooks: list[tuple[str, str, str]], now_ms: int) -> None:
        """Queue webhook deliveries (url, body, campaign) in one transaction.

        Ids come from the same counter finish.lua uses (``seq:webhook``), so
        every delivery id is a decimal number.
        """
        if not hooks:
            return
        sealed = self.sealed_campaigns(campaign for _, _, campaign in hooks)
        if sealed:
            kept = []
            for url, body, campaign in hooks:
                if campaign in sealed:
                    try:
                        body = self.sealer.seal(body, f"webhook:{campaign}:body")
                    except NoKey as exc:
                        log.error("webhook of an enable_encrypt campaign dropped", extra={"campaign": campaign,
                                                                                        "error": str(exc)})  # fmt: skip
                        continue
                kept.append((url, body, campaign))
            hooks = kept
            if not hooks:
                return
        last = self.r.incrby(self.keys.seq("webhook"), len(hooks))
        pipe = self.r.pipeline(transaction=True)
        for n, (url, body, campaign_uuid) in enumerate(hooks):
            delivery = str(last - len(hooks) + 1 + n)
            pipe.hset(self.keys.webhook(delivery), mapping={"url": url, "body": body, "tries": 0,
                                                             "campaign": campaign_uuid})  # fmt: skip
            pipe.zadd(self.keys.webhooks, {delivery: now_ms})
        pipe.execute()

    def claim_webhooks(self, now_ms: int, lease_ms: int, limit: int) -> list[str]:
        """Up to ``limit`` due deliveries, leased until ``now_ms + lease_ms`` (no per-receiver cap)."""
        return [delivery for delivery, _ in self.claim_webhooks_capped(now_ms, lease_ms, limit)]

    def claim_webhooks_capped(self, now_ms: int, lease_ms: int, limit: int, *, per_host: int = 0,
                              busy: Mapping[str, int] | None = None,
                              scan: int = 100) -> list[tuple[str, str]]:  # fmt: skip
        """Up to ``limit`` due deliveries as (id, receiver ``host:port``), leased until ``now_ms + lease_ms``,
        at most ``per_host`` in flight per receiver counting ``busy`` (what the sender is sending now).

        Of the first ``scan`` due deliveries, one whose receiver is at its cap is not claimed but moved to
        the back of the due line (due ``now_ms``; no try counted), so the next claim sees the ones behind it.
        """
        if limit <= 0:
            return []
        args: list[Any] = [self.prefix, now_ms, now_ms + lease_ms, limit, per_host, max(scan, limit)]
        for host, n in (busy or {}).items():
            args += [host, n]
        flat = self._claim_webhooks(args=args) or []
        return list(zip(flat[::2], flat[1::2], strict=True))

    def webhook(self, delivery: str) -> dict[str, str]:
        """One delivery's hash (url, body, tries, last_error, campaign, call); {} if it is gone."""
        return self.r.hgetall(self.keys.webhook(delivery))

    def webhook_delivered(self, delivery: str) -> None:
        """Forget a delivery: it was delivered (or its hash is gone, so there is nothing to send)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.keys.webhook(delivery))
        pipe.zrem(self.keys.webhooks, delivery)
        pipe.execute()

    def webhook_failed(self, delivery: str, tries: int, error: str, retry_at_ms: int | None) -> None:
        """Record a failed try: ``tries`` and ``last_error``, then due again at ``retry_at_ms`` or,
        when that is None, moved to the dead list (one transaction)."""
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.webhook(delivery), mapping={"tries": tries, "last_error": error})
        if retry_at_ms is None:
            pipe.zrem(self.keys.webhooks, delivery)
            pipe.lpush(self.keys.webhooks_dead, delivery)
        else:
            pipe.zadd(self.keys.webhooks, {delivery: retry_at_ms})
        pipe.execute()

    def renew(self, campaign_uuid: str, calls: list[str], until_ms: int) -> None:
        if calls:
            # XX: never resurrect a slot that was finished or reaped meanwhile.
            self.r.zadd(self.keys.calls(campaign_uuid), dict.fromkeys(calls, until_ms), xx=True, gt=True)

    def expired(self, campaign_uuid: str, now_ms: int, limit: int = 100) -> list[tuple[str, str, str, str, int]]:
        return [tuple(row) for row in json.loads(self._reap(args=[self.prefix, campaign_uuid, now_ms, limit]))]

    # -- engines: liveness and adoption of a dead engine's calls ------------------------
    def beat(self, engine_id: str, ttl_ms: int, info: str = "") -> None:
        """This engine is alive for ``ttl_ms`` more (docs/engine.md, "Crashes")."""
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.engine(engine_id), info or "1", px=ttl_ms)
        pipe.sadd(self.keys.engines, engine_id)
        pipe.execute()

    def dead_engines(self) -> list[str]:
        """Engines that beat once and whose liveness key has expired since (their calls are orphans)."""
        ids = sorted(self.r.smembers(self.keys.engines))
        if not ids:
            return []
        pipe = self.r.pipeline(transaction=False)
        for engine_id in ids:
            pipe.exists(self.keys.engine(engine_id))
        return [e for e, alive in zip(ids, pipe.execute(), strict=True) if not alive]

    def bury_engines(self, engine_ids: list[str]) -> None:
        """Dead engines whose calls were taken over: no longer a reason to look for orphans."""
        if engine_ids:
            self.r.srem(self.keys.engines, *engine_ids)

    def forget_engine(self, engine_id: str) -> None:
        self.r.delete(self.keys.engine(engine_id))

    def adopt(self, campaign_uuid: str, now_ms: int, engine_id: str, lease_ms: int, nodes: list[str],
              limit: int = 1000) -> list[tuple[str, str, str, str, int, dict[str, dict[str, str]]]]:  # fmt: skip
        """Re-own (atomically) this campaign's slots on ``nodes`` whose engine died, with
        the hangups other engines kept for them (leg -> CDR fields)."""
        raw = self._adopt(args=[self.prefix, campaign_uuid, now_ms, engine_id, lease_ms, json.dumps(nodes), limit])
        return [(c, lead, net, node, int(start), {leg: json.loads(h) for leg, h in hangups.items()})
                for c, lead, net, node, start, hangups in json.loads(raw)]  # fmt: skip

    def keep_hangups(self, hangups: list[tuple[str, str, str, dict[str, str]]], client: Any = None) -> int:
        """Keep (campaign, call, leg, CDR fields) of untracked calls for their adopter. With a
        pipeline as ``client`` the script is only queued (its count comes with the pipeline's answers)."""
        if not hangups:
            return 0
        payload = json.dumps([[c, call, leg, json.dumps(h)] for c, call, leg, h in hangups])
        result = self._keep_hangups(args=[self.prefix, payload], client=client or self.r)
        return 0 if client is not None else int(result)

    def rebuild_claim(self, campaign_uuid: str, lead_uuid: str, call_uuid: str, network: str) -> Claim | None:
        """The claim of an attempt another process made (reaping, adoption), from the lead hash."""
        data = self.get_lead(lead_uuid)
        if not data:
            return None
        return Claim(campaign_uuid, lead_uuid, call_uuid, network, int(data.get("number_idx") or 0),
                     json.loads(data.get("numbers") or "[]"), json.loads(data.get("fields") or "{}"),
                     int(data.get("attempts") or 0), int(data.get("first_attempt_ms") or 0),
                     data.get("external_id", ""), int(data.get("max_attempts") or 0),
                     data.get("unreadable", ""), int(data.get("switch_cuts") or 0))  # fmt: skip

    # -- Redis itself: is it fit to hold autocall's state (docs/deploy.md, "Redis") ----------
    def ping(self) -> None:
        """Raises a RedisError unless Redis answers (a refused write does not matter here)."""
        self.r.ping()

    def write_refusal(self) -> str:
        """ "" when Redis takes writes; else why it does not, or soon will not:

        * it refused a write, as Redis says it (``OutOfMemoryError: command not allowed when used memory >
          'maxmemory'``, ``ReadOnlyError`` of a replica, a ``MISCONF`` failed snapshot...);
        * it has less than :func:`memory_headroom` left under ``maxmemory`` and evicts no lead to make room
          (any policy but ``allkeys-*``): Redis checks the limit before a command, so a tiny write still
          passes when the engine's next CDR is refused.

        One round trip: a SET of a 1-byte key that expires after 10 s (it never accumulates) and
        ``INFO memory`` (skipped when refused, as on some managed Redis). Raises a ConnectionError /
        TimeoutError when Redis does not answer at all."""
        pipe = self.r.pipeline(transaction=False)
        pipe.set(self.keys.probe, "1", px=10_000)
        pipe.info("memory")
        refused, memory = pipe.execute(raise_on_error=False)
        for result in (refused, memory):
            if isinstance(result, (redis.ConnectionError, redis.TimeoutError)):
                raise result
        if isinstance(refused, Exception):  # redis-py drops Redis's error code (OOM...): its class names it
            return f"refuses writes: {type(refused).__name__}: {refused}"
        if isinstance(memory, dict):
            limit, used = int(memory.get("maxmemory") or 0), int(memory.get("used_memory") or 0)
            policy = str(memory.get("maxmemory_policy") or "")
            if limit and not policy.startswith("allkeys-") and limit - used < memory_headroom(limit):
                return (f"full: {used} bytes used of maxmemory {limit} ({policy or 'policy unknown'}); "
                        "writes are refused or about to be")  # fmt: skip
        return ""

    def eviction_policy(self) -> str | None:
        """Redis's ``maxmemory-policy``, or None when this client may not read it (a managed Redis may
        refuse both ``INFO`` and ``CONFIG GET``, or rename them)."""
        try:
            policy = self.r.info("memory").get("maxmemory_policy")
            if policy:
                return str(policy)
        except (redis.ConnectionError, redis.TimeoutError):
            raise
        except redis.ResponseError:
            pass
        try:
            return str(self.r.config_get("maxmemory-policy").get("maxmemory-policy") or "") or None
        except (redis.ConnectionError, redis.TimeoutError):
            raise
        except redis.ResponseError:
            return None

    def in_flight(self, campaign_uuid: str) -> int:
        return self.r.zcard(self.keys.calls(campaign_uuid))

    def queue_sizes(self, campaign_uuid: str) -> dict[str, int]:
        k = self.keys
        pipe = self.r.pipeline(transaction=False)
        for key in (k.fresh(campaign_uuid), k.recalls(campaign_uuid), k.hopper(campaign_uuid), k.calls(campaign_uuid),
                    k.cdrs(campaign_uuid)):  # fmt: skip
            pipe.zcard(key)
        fresh, recalls, hopper, calls, cdrs = pipe.execute()
        return {"fresh": fresh, "recalls": recalls, "hopper": hopper, "in_flight": calls, "finished": cdrs}

    def call(self, uuid: str) -> dict[str, str]:
        """The call hash (the CDR once finished), its sealed fields opened (see :meth:`open_cdr`)."""
        return self.open_cdr(uuid, self.r.hgetall(self.keys.call(uuid)))

    # -- report ------------------------------------------------------------------
    def report(self, campaign: Campaign, start: datetime, end: datetime) -> dict[str, Any]:
        """Counters over [start, end) in the campaign's local time.

        Whole local hours are summed from the hourly counters; the partial
        hours at either edge are summed from the CDRs, so any range is fast.
        """
        tz = zone(campaign.time_zone)
        start = start.replace(tzinfo=tz) if start.tzinfo is None else start
        end = end.replace(tzinfo=tz) if end.tzinfo is None else end
        totals: dict[str, int] = dict.fromkeys([*REPORT_FIELDS, *(k.value for k in ReportKey)], 0)
        first_full = start.replace(minute=0, second=0, microsecond=0)
        if first_full < start:
            first_full += timedelta(hours=1)
        last_full = end.replace(minute=0, second=0, microsecond=0)
        hours: list[str] = []
        if first_full < last_full:
            edges = [(start, first_full), (last_full, end)]
            t = first_full
            while t < last_full:
                hours.append(t.astimezone(tz).strftime("%Y%m%d%H"))
                t += timedelta(hours=1)
        else:
            edges = [(start, end)]
        pipe = self.r.pipeline(transaction=False)
        for hour in hours:
            pipe.hgetall(self.keys.stats(campaign.campaign_uuid, hour))
        for bucket in pipe.execute() if hours else []:
            for k, v in bucket.items():
                totals[k] = totals.get(k, 0) + int(v)
        for lo, hi in edges:
            if lo >= hi:
                continue
            ids = self.r.zrange(self.keys.cdrs(campaign.campaign_uuid), int(lo.timestamp() * 1000),
                                f"({int(hi.timestamp() * 1000)}", byscore=True)  # fmt: skip
            pipe = self.r.pipeline(transaction=False)
            for call in ids:
                pipe.hmget(self.keys.call(call), "report_key", "recall_status", "duration", "billsec", "waitsec",
                           "reported")  # fmt: skip
            for key, rs, duration, billsec, waitsec, reported in pipe.execute() if ids else []:
                if reported == "0":
                    continue
                totals["total_calls"] += 1
                totals["total_duration"] += int(duration or 0)
                totals["total_billsec"] += int(billsec or 0)
                totals["total_waitsec"] += int(waitsec or 0)
                totals[key] = totals.get(key, 0) + 1
                totals[f"rs:{rs}"] = totals.get(f"rs:{rs}", 0) + 1
        return totals
