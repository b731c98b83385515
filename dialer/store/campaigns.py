"""Campaigns: their hashes, the name and id indexes, status, the engines' wake-ups, and the purge of
deleted campaigns' data (the janitor)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import redis

from dialer.domain.enums import CampaignStatus, CampaignType
from dialer.domain.models import Campaign
from dialer.domain.window import zone
from dialer.store.errors import MissingReference, NameTaken, Taken
from dialer.store.keys import Keys
from dialer.store.replies import fields, record, text, texts
from dialer.store.script_results import CampaignUpdate, CreateRefusal, DeleteRule, Deletion
from dialer.store.scripts import Scripts


class Campaigns:
    def __init__(self, client: redis.Redis, keys: Keys, scripts: Scripts) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts

    # -- writes ---------------------------------------------------------------------
    def create(self, campaign: Campaign) -> Campaign:
        """Store a new campaign (create_campaign.lua); :class:`NameTaken`, :class:`Taken` or
        :class:`MissingReference` when refused (nothing written)."""
        now = datetime.now(zone(campaign.time_zone))
        campaign = campaign.model_copy(update={"created_at": campaign.created_at or now, "updated_at": now})
        values = campaign.to_redis()
        values.pop("campaign_id", None)
        created = self.scripts.create_campaign(
            campaign.campaign_uuid, campaign.campaign_name, campaign.campaign_id, values
        )
        match created.refusal:
            case CreateRefusal.NAME_TAKEN:
                raise NameTaken(campaign.campaign_name)
            case CreateRefusal.NO_TEMPLATE:
                raise MissingReference("template_uuid")
            case CreateRefusal.NO_CARRIER:
                raise MissingReference("carrier_uuid")
            case CreateRefusal.UUID_TAKEN:
                raise Taken("campaign_uuid")
            case CreateRefusal.ID_TAKEN:
                raise Taken("campaign_id")
        if campaign.status is CampaignStatus.START:
            self.r.sadd(self.keys.running, campaign.campaign_uuid)
        self.r.publish(self.keys.events, f"changed {campaign.campaign_uuid}")
        return campaign.model_copy(update={"campaign_id": created.campaign_id})

    def update(self, uuid: str, values: dict[str, str], new_name: str = "") -> None:
        """Write these campaign fields (and rename) in one step; wakes every engine."""
        match self.scripts.update_campaign(uuid, values, new_name):
            case CampaignUpdate.MISSING:
                raise KeyError(uuid)
            case CampaignUpdate.NAME_TAKEN:
                raise NameTaken(new_name)
            case CampaignUpdate.NO_TEMPLATE:
                raise MissingReference("template_uuid")
            case CampaignUpdate.NO_CARRIER:
                raise MissingReference("carrier_uuid")

    def update_fields(self, uuid: str, **values: Any) -> None:
        """Change these model fields (validated) of an existing campaign; KeyError if there is none."""
        campaign = self.get(uuid)
        if campaign is None:
            raise KeyError(uuid)
        updated = campaign.model_copy(update=values)
        Campaign.model_validate(updated.model_dump())
        pipe = self.r.pipeline(transaction=True)
        pipe.hset(self.keys.campaign(uuid), mapping=fields(updated.to_redis()))
        pipe.publish(self.keys.events, f"changed {uuid}")
        pipe.execute()

    def delete(self, uuid: str, now_ms: int, rule: DeleteRule = DeleteRule.INACTIVE) -> Deletion:
        """Take the campaign out of every registry (delete_campaign.lua); its data stays for
        :meth:`purge_deleted`."""
        return self.scripts.delete_campaign(uuid, now_ms, rule)

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

    # -- reads ----------------------------------------------------------------------
    def get(self, uuid: str, *, deleted_too: bool = False) -> Campaign | None:
        """The campaign; a deleted one only with ``deleted_too`` (its calls in flight
        still get recorded before the janitor purges it)."""
        data = record(self.r.hgetall(self.keys.campaign(uuid)))
        if not data or (data.get("deleted") == "1" and not deleted_too):
            return None
        return Campaign.from_redis(data)

    def get_many(self, uuids: list[str]) -> list[Campaign]:
        """Several campaigns in one round trip (deleted or missing ones left out)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hgetall(self.keys.campaign(uuid))
        return [Campaign.from_redis(d) for d in pipe.execute() if d and d.get("deleted") != "1"]

    def uuids(self) -> list[str]:
        """Every live campaign, by integer id."""
        return texts(self.r.zrange(self.keys.campaigns, 0, -1))

    def running(self) -> set[str]:
        return set(texts(self.r.smembers(self.keys.running)))

    def uuid_by_name(self, name: str) -> str | None:
        return text(self.r.hget(self.keys.campaign_names, name))

    def uuid_by_id(self, campaign_id: int) -> str | None:
        return text(self.r.hget(self.keys.campaign_ids, str(campaign_id)))

    def by_queue(self, queue: str) -> Campaign | None:
        """The oldest live autodialer campaign whose mod_callcenter queue (``call_center_queue_uuid``)
        is ``queue``; None if none. A scan, two fields a campaign in one round trip, and no index to
        keep: it is asked when FreeSWITCH loads a queue (dialer/service/callcenter_queues.py) and when
        a client names a queue itself, both rare."""
        if not queue:
            return None
        uuids = self.uuids()
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.hmget(self.keys.campaign(uuid), "type", "call_center_queue_uuid")
        for uuid, (kind, name) in zip(uuids, pipe.execute(), strict=True):
            campaign = self.get(uuid) if kind == CampaignType.AUTODIALER.value and name == queue else None
            if campaign is not None:  # (not deleted meanwhile)
                return campaign
        return None

    # -- the engines' wake-ups (pub/sub) --------------------------------------------
    def wake(self, uuid: str) -> None:
        self.r.publish(self.keys.events, f"wake {uuid}")

    def announce_changed(self, uuids: list[str]) -> None:
        """Tell every engine to reload these campaigns (their template or carrier changed)."""
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.publish(self.keys.events, f"changed {uuid}")
        pipe.execute()

    # -- the janitor ----------------------------------------------------------------
    def purge_deleted(self, batch: int = 1000) -> int:
        """Unlink the data of deleted campaigns whose calls have all ended.

        Works in batches of ``batch`` leads so a campaign of millions never
        blocks Redis; returns how many keys were unlinked (0 = nothing to do).
        """
        k = self.keys
        removed = 0
        for uuid in texts(self.r.zrange(k.deleted, 0, -1)):
            if self.r.zcard(k.calls(uuid)):
                continue  # results still to be recorded: purge later
            leads = texts(self.r.zrange(k.leads(uuid), 0, batch - 1))
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
            stats = [str(key) for key in self.r.scan_iter(match=f"{k.campaign(uuid)}:stats:*", count=1000)]
            doomed = [
                k.campaign(uuid),
                k.fresh(uuid),
                k.recalls(uuid),
                k.hopper(uuid),
                f"{k.hopper(uuid)}-seq",
                k.calls(uuid),
                k.busy(uuid),
                k.cdrs(uuid),
                k.dnc(uuid),
                k.external(uuid),
                k.numbers(uuid),
                *stats,
            ]
            pipe = self.r.pipeline(transaction=True)
            pipe.unlink(*doomed)
            pipe.zrem(k.deleted, uuid)
            pipe.execute()
            removed += len(doomed)
        return removed
