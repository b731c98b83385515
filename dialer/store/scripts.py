"""The Lua scripts (``lua/*.lua``), registered once per client, each behind one typed call.

A call here builds the script's ``KEYS`` from dialer/store/keys.py (a script never builds a key
name from a prefix of its own: a key it can only find from data it reads itself is built from a
key PREFIX declared in ``KEYS``, docs/redis-keys.md, "Keys the scripts touch"), and decodes its
answer into the types of dialer/store/script_results.py. Nothing else in the store passes raw
script arguments.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from importlib import resources
from typing import Any

import redis
from redis.commands.core import Script

from dialer.store.keys import Keys
from dialer.store.script_results import (
    AddedLeads,
    AdoptedSlot,
    CampaignUpdate,
    Claimed,
    ClaimedDelivery,
    ClaimInfo,
    CommitReply,
    CreateRefusal,
    Creation,
    DeleteRule,
    Deletion,
    ExpiredSlot,
    Finished,
    LeasedDelivery,
)

NAMES = (
    "abandon_import",
    "agent_live",
    "add_dnc",
    "add_leads",
    "adopt",
    "claim",
    "claim_webhooks",
    "commit_leads",
    "create_campaign",
    "delete_campaign",
    "finish",
    "keep_hangups",
    "pacer_lease",
    "reap",
    "reclaim_creation",
    "release_slot",
    "stage_leads",
    "unclaim",
    "update_campaign",
)


def source(name: str) -> str:
    """The text of ``lua/<name>.lua``."""
    return resources.files("dialer.store").joinpath("lua", f"{name}.lua").read_text()


def _pairs(values: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for k, v in values.items():
        out += [k, v]
    return out


class Scripts:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys
        self._scripts: dict[str, Script] = {name: client.register_script(source(name)) for name in NAMES}

    def _run(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        return self._scripts[name](keys=keys, args=args, client=client or self.r)

    # -- campaigns ------------------------------------------------------------------
    def _references(self, values: Mapping[str, str]) -> list[str]:
        """The hashes of the template and the carrier these campaign fields name (unused when none)."""
        return [self.keys.template(values.get("template_uuid", "")), self.keys.carrier(values.get("carrier_uuid", ""))]

    def create_campaign(self, uuid: str, name: str, chosen_id: int, values: Mapping[str, str]) -> Creation:
        """campaign_id 0: the script allocates one; else the client's own (unique)."""
        k = self.keys
        keys = [k.campaign(uuid), k.campaign_names, k.campaign_ids, k.campaigns, k.seq("campaign")]
        code = int(
            self._run(
                "create_campaign", [*keys, *self._references(values)], [uuid, name, str(chosen_id), *_pairs(values)]
            )
        )
        if code > 0:
            return Creation(campaign_id=code)
        return Creation(refusal=CreateRefusal(code))

    def update_campaign(self, uuid: str, values: Mapping[str, str], new_name: str) -> CampaignUpdate:
        k = self.keys
        keys = [k.campaign(uuid), k.campaign_names, k.running, *self._references(values)]
        return CampaignUpdate(self._run("update_campaign", keys, [uuid, new_name, k.events, *_pairs(values)]))

    def delete_campaign(self, uuid: str, now_ms: int, rule: DeleteRule) -> Deletion:
        k = self.keys
        keys = [k.campaign(uuid), k.campaign_names, k.campaign_ids, k.campaigns, k.running, k.deleted]
        return Deletion(self._run("delete_campaign", keys, [uuid, now_ms, rule.value, k.events]))

    def reclaim_creation(self, name: str, now_ms: int) -> str:
        k = self.keys
        keys = [k.creating, k.campaign_names, k.campaign_ids, k.campaigns, k.running, k.deleted, k.campaign_prefix]
        return str(self._run("reclaim_creation", keys, [name, now_ms, k.events]) or "")

    # -- leads ----------------------------------------------------------------------
    def add_leads(self, now_ms: int, payload: str) -> AddedLeads:
        answer = json.loads(
            self._run("add_leads", [self.keys.campaign_prefix, self.keys.lead_prefix], [now_ms, payload])
        )
        if isinstance(answer, dict):  # cjson writes an empty list as {}
            return AddedLeads(missing=str(answer["missing"])) if "missing" in answer else AddedLeads()
        return AddedLeads(duplicates=[(int(i), str(lead)) for i, lead in answer])

    def add_dnc(self, campaign_uuid: str, external_ids: list[str]) -> int:
        k = self.keys
        keys = [k.dnc(campaign_uuid), k.external(campaign_uuid), k.lead_prefix]
        return int(self._run("add_dnc", keys, list(external_ids)))

    def stage_leads(self, import_id: str, ttl_ms: int, campaign_uuid: str, now_ms: int, rows: list[list[Any]]) -> bool:
        """Each row: lead, customer id, numbers, networks, fields, call uuid, max attempts."""
        keys = [self.keys.staged(import_id), *[self.keys.lead(row[0]) for row in rows]]
        payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        return bool(self._run("stage_leads", keys, [ttl_ms, campaign_uuid, now_ms, payload]))

    def commit_leads(
        self,
        campaign_uuid: str,
        import_id: str,
        now_ms: int,
        *,
        pending_only: bool,
        count: int,
        drop: list[str],
        answer_key: str,
        answer: str,
        answer_ttl_ms: int,
        start: bool,
        hashes: str,
        rows: str,
    ) -> CommitReply:
        """``rows``: a JSON list holding, per row, lead, customer id, its number index fields separated by spaces."""
        k, c = self.keys, campaign_uuid
        keys = [
            k.campaign(c),
            k.external(c),
            k.numbers(c),
            k.fresh(c),
            k.leads(c),
            k.dnc(c),
            k.staged(import_id),
            answer_key or k.idempotency(""),
            k.running,
            k.creating,
            k.lead_prefix,
        ]
        args = [
            c,
            import_id,
            now_ms,
            "1" if pending_only else "0",
            count,
            json.dumps(drop),
            "1" if answer_key else "0",
            answer,
            answer_ttl_ms,
            "1" if start else "0",
            hashes,
            k.events,
            rows,
        ]
        out = json.loads(self._run("commit_leads", keys, args))
        return CommitReply(
            ok=out.get("ok"),
            replay=out.get("replay"),
            missing=out.get("missing"),
            expired=out.get("expired"),
            lost=out.get("lost"),
            clashes=out.get("clashes") or [],
        )

    def abandon_import(self, import_id: str, last: bool, lead_uuids: list[str]) -> int:
        keys = [self.keys.staged(import_id), *[self.keys.lead(u) for u in lead_uuids]]
        return int(self._run("abandon_import", keys, ["1" if last else "0"]))

    # -- the dialling cycle ---------------------------------------------------------
    def claim(
        self, campaign_uuid: str, now_ms: int, want: int, node: str, lease_ms: int, call_uuids: list[str], owner: str
    ) -> Claimed:
        k, c = self.keys, campaign_uuid
        keys = [
            k.campaign(c),
            k.calls(c),
            k.busy(c),
            k.hopper(c),
            k.fresh(c),
            k.recalls(c),
            k.hopper_seq(c),
            k.lead_prefix,
            k.call_prefix,
        ]
        args = [c, now_ms, want, node, lease_ms, " ".join(call_uuids), owner]
        out = json.loads(self._run("claim", keys, args))
        info = ClaimInfo(
            busy=int(out.get("busy", 0)),
            cap=int(out.get("cap", 1)),
            next_due=int(out.get("next_due", -1)),
            stopped=bool(out.get("stopped")),
        )
        return Claimed(rows=out.get("claims") or [], info=info)

    def finish(self, now_ms: int, payload: bytes, shapes: bytes, sealed_as: bytes) -> Finished:
        """``payload``: the JSON list of Finish.as_lua; ``shapes``: the JSON of records.CDR_SHAPES;
        ``sealed_as``: JSON {campaign: 1 | 0}, whether the payload's attempts of it were sealed."""
        k = self.keys
        keys = [k.webhooks, k.seq("webhook"), k.campaign_prefix, k.call_prefix, k.lead_prefix, k.webhook_prefix]
        keys += [k.agent_extensions, k.agent_prefix]
        recorded, wrong = self._run("finish", keys, [now_ms, payload, shapes, sealed_as])
        return Finished(
            [str(call) for call in recorded],
            {str(c): int(flag) == 1 for c, flag in zip(wrong[::2], wrong[1::2], strict=True)},
        )

    def release_slot(self, campaign_uuid: str, call: str, network: str) -> None:
        keys = [self.keys.calls(campaign_uuid), self.keys.busy(campaign_uuid), self.keys.call(call)]
        self._run("release_slot", keys, [call, network])

    def unclaim(self, campaign_uuid: str, owner: str, node: str, start_ms: int, lease_ms: int) -> int:
        k = self.keys
        keys = [k.calls(campaign_uuid), k.busy(campaign_uuid), k.hopper(campaign_uuid), k.lead_prefix, k.call_prefix]
        return int(self._run("unclaim", keys, [owner, node, start_ms, start_ms + lease_ms]))

    def reap(self, campaign_uuid: str, now_ms: int, limit: int) -> list[ExpiredSlot]:
        keys = [self.keys.calls(campaign_uuid), self.keys.call_prefix, self.keys.engine_prefix]
        rows = json.loads(self._run("reap", keys, [now_ms, limit]))
        return [ExpiredSlot(call, lead, net, node, int(start)) for call, lead, net, node, start in rows]

    def adopt(
        self, campaign_uuid: str, now_ms: int, engine_id: str, lease_ms: int, nodes: list[str], cursor: str, window: int
    ) -> tuple[str, list[AdoptedSlot]]:
        """One window of the campaign's slots from ``cursor``: the next cursor ("0": done) and the slots adopted."""
        keys = [self.keys.calls(campaign_uuid), self.keys.call_prefix, self.keys.engine_prefix]
        following, raw = self._run("adopt", keys, [now_ms, engine_id, lease_ms, json.dumps(nodes), cursor, window])
        adopted = [
            AdoptedSlot(c, lead, net, node, int(start), {leg: json.loads(h) for leg, h in hangups.items()}, origin)
            for c, lead, net, node, start, hangups, origin in json.loads(raw) or []
        ]
        return str(following), adopted

    def keep_hangups(self, payload: str, client: Any = None) -> Any:
        """With a pipeline as ``client`` the script is only queued: the count comes with its answers."""
        return self._run("keep_hangups", [self.keys.campaign_prefix, self.keys.call_prefix], [payload], client)

    # -- agents ---------------------------------------------------------------------
    def agent_live(self, extension: str, values: Mapping[str, str], increments: Mapping[str, int]) -> str | None:
        """Write an agent's live fields by its extension: its uuid, or None when no agent has it."""
        keys = [self.keys.agent_extensions, self.keys.agent_live_prefix]
        args = [extension, len(values), *_pairs(values), *_pairs(increments)]
        uuid = self._run("agent_live", keys, args)
        return str(uuid) if uuid else None

    def pacer_lease(self, campaign_uuid: str, owner: str, lease_ms: int) -> bool:
        """Take or renew the lease on pacing an autodialer campaign (True: ``owner`` holds it now);
        ``lease_ms`` 0 gives it up when ``owner`` holds it."""
        return bool(self._run("pacer_lease", [self.keys.pacer_lease(campaign_uuid)], [owner, lease_ms]))

    # -- webhooks -------------------------------------------------------------------
    def claim_webhooks(
        self, now_ms: int, lease_until_ms: int, limit: int, per_host: int, scan: int, busy: Mapping[str, int]
    ) -> list[ClaimedDelivery]:
        """One delivery per connection: ``busy`` is each receiver's deliveries in flight."""
        rooms = {host: (n, 0) for host, n in busy.items()}
        flat = self._claim_webhooks(now_ms, lease_until_ms, limit, per_host, scan, 1, limit, False, [], rooms)
        return [ClaimedDelivery(d, host) for d, host in zip(flat[::2], flat[1::2], strict=True)]

    def lease_webhooks(
        self,
        now_ms: int,
        lease_until_ms: int,
        limit: int,
        per_host: int,
        scan: int,
        ahead: int,
        free: int,
        delivered: list[str],
        held: Mapping[str, tuple[int, int]],
    ) -> tuple[list[LeasedDelivery], bool]:
        """Forget ``delivered``, then lease due deliveries with their hashes; ``held``: receiver ->
        (connections, room left in them). Also: whether more was due than was taken."""
        more, *flat = self._claim_webhooks(
            now_ms, lease_until_ms, limit, per_host, scan, ahead, free, True, delivered, held
        )
        leased = [
            LeasedDelivery(d, host, dict(zip(fields[::2], fields[1::2], strict=True)))
            for d, host, fields in zip(flat[::3], flat[1::3], flat[2::3], strict=True)
        ]
        return leased, bool(more)

    def _claim_webhooks(
        self,
        now_ms: int,
        lease_until_ms: int,
        limit: int,
        per_host: int,
        scan: int,
        ahead: int,
        free: int,
        with_fields: bool,
        delivered: list[str],
        held: Mapping[str, tuple[int, int]],
    ) -> list[Any]:
        keys = [self.keys.webhooks, self.keys.webhook_prefix]
        args: list[Any] = [now_ms, lease_until_ms, limit, per_host, scan, ahead, free, int(with_fields)]
        args += [len(delivered), *delivered]
        for host, (connections, room) in held.items():
            args += [host, connections, room]
        return list(self._run("claim_webhooks", keys, args) or [])
