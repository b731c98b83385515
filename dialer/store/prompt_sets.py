"""Recorded prompt sets' records: one hash per set (its JSON) plus the registry, as carriers are kept.

What differs from a carrier is who may still name one: templates, not campaigns,
so a set is deleted only while no template names it (checked in the deleting
transaction, as :meth:`HashRecords.delete_unused` checks campaigns). The WAVs are
files the service writes (dialer/service/prompt_sets.py); Redis keeps what each
upload measured (docs/redis-keys.md).
"""

from __future__ import annotations

import redis

from dialer.domain.models import Template
from dialer.domain.prompt_sets import PromptSet
from dialer.store.campaigns import Campaigns
from dialer.store.catalog import WATCH_RETRIES, HashRecords
from dialer.store.errors import NamedByTemplates
from dialer.store.keys import Keys
from dialer.store.replies import texts


def _hash(prompt_set: PromptSet) -> dict[str, str]:
    return {"json": prompt_set.model_dump_json()}


def _prompt_set(data: dict[str, str]) -> PromptSet:
    return PromptSet.model_validate_json(data["json"])


class PromptSetRecords(HashRecords[PromptSet]):
    def __init__(self, client: redis.Redis, keys: Keys, campaigns: Campaigns, templates: HashRecords[Template]):
        super().__init__(
            client,
            campaigns,
            key=keys.prompt_set,
            index=keys.prompt_sets,
            uuid_of=lambda s: s.prompt_set_uuid,
            to_hash=_hash,
            from_hash=_prompt_set,
            used_by="",  # no campaign names a set: see delete_unused
        )
        self.templates = templates

    def named_by(self, uuid: str) -> list[Template]:
        """The templates naming the set, in creation order."""
        return [t for t in self.templates.all() if t.prompt_set_uuid == uuid]

    def delete_unused(self, uuid: str) -> None:
        """Delete it and its registry entry unless a template names it.

        The template registry and every template hash are watched, so a template
        created or changed to name the set meanwhile makes the transaction retry
        (and a template write watches the set: :meth:`HashRecords._check_refers`).
        KeyError if it does not exist; :class:`NamedByTemplates` naming every template that names it.
        """
        key, templates = self.key(uuid), self.templates
        with self.r.pipeline(transaction=True) as pipe:
            for _ in range(WATCH_RETRIES):
                try:
                    pipe.watch(key, templates.index)
                    if not pipe.exists(key):
                        raise KeyError(key)
                    uuids = texts(pipe.zrange(templates.index, 0, -1))
                    if uuids:
                        pipe.watch(*[templates.key(u) for u in uuids])
                    users = [t for t in templates.get_many(uuids) if t.prompt_set_uuid == uuid]
                    if users:
                        raise NamedByTemplates([t.template_name or t.template_uuid for t in users])
                    pipe.multi()
                    pipe.delete(key)
                    pipe.zrem(self.index, uuid)
                    pipe.execute()
                    return
                except redis.WatchError:
                    continue
        raise redis.RedisError(f"{key} kept changing; gave up after {WATCH_RETRIES} attempts")
