"""Carriers and templates: objects a campaign names, each kept as one hash plus an entry in its
registry (a ZSET uuid -> creation ms), both through one generic :class:`HashRecords`.

A carrier's hash holds its JSON under ``json``; a template's holds one field per model field
(docs/redis-keys.md). That layout is all that differs between the two, so it is what a
:class:`HashRecords` is given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import redis

from dialer.domain.models import Carrier, Template
from dialer.store.campaigns import Campaigns
from dialer.store.errors import InUse, MissingReference
from dialer.store.keys import Keys
from dialer.store.replies import fields, record, texts

T = TypeVar("T")
WATCH_RETRIES = 20  # WATCH conflicts in a row before giving up (each one means another client wrote)


class HashRecords(Generic[T]):
    """One kind of object kept as a hash ``key(uuid)`` indexed in the registry ``index``."""

    def __init__(
        self,
        client: redis.Redis,
        campaigns: Campaigns,
        *,
        key: Callable[[str], str],
        index: str,
        uuid_of: Callable[[T], str],
        to_hash: Callable[[T], dict[str, str]],
        from_hash: Callable[[dict[str, str]], T],
        used_by: str,
        refers: Callable[[T], dict[str, str]] | None = None,
    ) -> None:
        self.r = client
        self.campaigns = campaigns
        self.key = key
        self.index = index
        self.uuid_of = uuid_of
        self.to_hash = to_hash
        self.from_hash = from_hash
        self.used_by = used_by  # the campaign field that names one of these
        # field -> key of the object it names (a template's prompt set): it must exist when written
        self.refers = refers or (lambda obj: {})

    def _check_refers(self, pipe: redis.client.Pipeline, obj: T) -> None:
        """Watch what ``obj`` names and check it exists: a delete of it meanwhile makes the write retry.
        :class:`MissingReference` (the field) if one does not exist."""
        refers = self.refers(obj)
        if not refers:
            return
        pipe.watch(*refers.values())
        for field, key in refers.items():
            if not pipe.exists(key):
                raise MissingReference(field)

    # -- reads ----------------------------------------------------------------------
    def get(self, uuid: str) -> T | None:
        data = record(self.r.hgetall(self.key(uuid)))
        return self.from_hash(data) if data else None

    def get_many(self, uuids: list[str]) -> list[T]:
        """Several objects in one round trip (missing ones left out)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hgetall(self.key(uuid))
        return [self.from_hash(data) for data in pipe.execute() if data]

    def uuids(self) -> list[str]:
        """Every one, in creation order."""
        return texts(self.r.zrange(self.index, 0, -1))

    def all(self) -> list[T]:
        return self.get_many(self.uuids())

    # -- writes ---------------------------------------------------------------------
    def put(self, obj: T, now_ms: int = 0) -> None:
        """Write it whole (seeding: tests, benchmarks, the demo); the API goes through :meth:`create`."""
        uuid = self.uuid_of(obj)
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.key(uuid), mapping=fields(self.to_hash(obj)))
        pipe.zadd(self.index, {uuid: now_ms}, nx=True)
        pipe.execute()

    def create(self, obj: T, now_ms: int) -> bool:
        """Write it and index it unless its uuid exists; False if it does (:class:`MissingReference`
        if what it names does not exist)."""
        uuid = self.uuid_of(obj)
        key = self.key(uuid)
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    if pipe.exists(key):
                        return False
                    self._check_refers(pipe, obj)
                    pipe.multi()
                    pipe.hset(key, mapping=fields(self.to_hash(obj)))
                    pipe.zadd(self.index, {uuid: now_ms}, nx=True)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def rewrite(self, uuid: str, change: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Replace the existing hash with ``change(current)`` in one transaction.

        KeyError if it does not exist (a deleted object is never resurrected);
        whatever ``change`` raises (validation) writes nothing, nor does :class:`MissingReference`.
        """
        key = self.key(uuid)
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key)
                    current = record(pipe.hgetall(key))
                    if not current:
                        raise KeyError(key)
                    new = change(current)
                    self._check_refers(pipe, self.from_hash(new))
                    pipe.multi()
                    pipe.delete(key)
                    pipe.hset(key, mapping=fields(new))
                    pipe.execute()
                    return new
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")

    def delete(self, uuid: str) -> bool:
        """Delete it, used or not (tests); False if it did not exist."""
        pipe = self.r.pipeline(transaction=True)
        pipe.delete(self.key(uuid))
        pipe.zrem(self.index, uuid)
        return bool(pipe.execute()[0])

    def delete_unused(self, uuid: str) -> None:
        """Delete it and its index entry unless a campaign names it.

        The campaign registry and every campaign hash are watched, so a campaign
        created or changed to use the object meanwhile makes the transaction
        retry. KeyError if it does not exist; :class:`InUse` if a campaign uses it.
        """
        key, keys = self.key(uuid), self.campaigns.keys
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, keys.campaigns)
                    if not pipe.exists(key):
                        raise KeyError(key)
                    uuids = texts(pipe.zrange(keys.campaigns, 0, -1))
                    if uuids:
                        pipe.watch(*[keys.campaign(u) for u in uuids])
                    for campaign in self.campaigns.get_many(uuids):
                        if getattr(campaign, self.used_by) == uuid:
                            raise InUse(campaign.campaign_name)
                    pipe.multi()
                    pipe.delete(key)
                    pipe.zrem(self.index, uuid)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")


def _carrier_hash(carrier: Carrier) -> dict[str, str]:
    return {"json": carrier.model_dump_json()}


def _carrier(data: dict[str, str]) -> Carrier:
    return Carrier.model_validate_json(data["json"])


class Catalog:
    """The carriers and the templates."""

    def __init__(self, client: redis.Redis, keys: Keys, campaigns: Campaigns) -> None:
        self.carriers: HashRecords[Carrier] = HashRecords(
            client,
            campaigns,
            key=keys.carrier,
            index=keys.carriers,
            uuid_of=lambda c: c.carrier_uuid,
            to_hash=_carrier_hash,
            from_hash=_carrier,
            used_by="carrier_uuid",
        )
        self.templates: HashRecords[Template] = HashRecords(
            client,
            campaigns,
            key=keys.template,
            index=keys.templates,
            uuid_of=lambda t: t.template_uuid,
            to_hash=Template.to_redis,
            from_hash=Template.from_redis,
            used_by="template_uuid",
            refers=lambda t: {"prompt_set_uuid": keys.prompt_set(t.prompt_set_uuid)} if t.prompt_set_uuid else {},
        )
