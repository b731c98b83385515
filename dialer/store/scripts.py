"""The Lua scripts (``lua/*.lua``), registered once per client, each behind one typed call.

A call here builds the script's arguments and decodes its answer into the types of
dialer/store/script_results.py; nothing else in the store passes raw script arguments.
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
)


def _load(client: redis.Redis, name: str) -> Script:
    return client.register_script(resources.files("dialer.store").joinpath("lua", f"{name}.lua").read_text())


def _pairs(values: Mapping[str, Any]) -> list[Any]:
    out: list[Any] = []
    for k, v in values.items():
        out += [k, v]
    return out


class Scripts:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys
        self.prefix = keys.prefix
        names = (
            "claim",
            "finish",
            "reap",
            "adopt",
            "keep_hangups",
            "create_campaign",
            "update_campaign",
            "delete_campaign",
            "claim_webhooks",
            "add_leads",
            "add_dnc",
            "stage_leads",
            "commit_leads",
            "abandon_import",
            "reclaim_creation",
            "release_slot",
        )
        self._scripts = {name: _load(client, name) for name in names}

    def _run(self, name: str, keys: list[str], args: list[Any], client: Any = None) -> Any:
        return self._scripts[name](keys=keys, args=args, client=client or self.r)

    # -- campaigns ------------------------------------------------------------------
    def create_campaign(self, uuid: str, name: str, chosen_id: int, fields: Mapping[str, str]) -> Creation:
        """campaign_id 0: the script allocates one; else the client's own (unique)."""
        code = int(self._run("create_campaign", [], [self.prefix, uuid, name, str(chosen_id), *_pairs(fields)]))
        if code > 0:
            return Creation(campaign_id=code)
        return Creation(refusal=CreateRefusal(code))

    def update_campaign(self, uuid: str, fields: Mapping[str, str], new_name: str) -> CampaignUpdate:
        return CampaignUpdate(self._run("update_campaign", [], [self.prefix, uuid, new_name, *_pairs(fields)]))

    def delete_campaign(self, uuid: str, now_ms: int, rule: DeleteRule) -> Deletion:
        return Deletion(self._run("delete_campaign", [], [self.prefix, uuid, now_ms, rule.value]))

    def reclaim_creation(self, name: str, now_ms: int) -> str:
        return str(self._run("reclaim_creation", [], [self.prefix, name, now_ms]) or "")

    # -- leads ----------------------------------------------------------------------
    def add_leads(self, now_ms: int, payload: str) -> AddedLeads:
        answer = json.loads(self._run("add_leads", [], [self.prefix, now_ms, payload]))
        if isinstance(answer, dict):  # cjson writes an empty list as {}
            return AddedLeads(missing=str(answer["missing"])) if "missing" in answer else AddedLeads()
        return AddedLeads(duplicates=[(int(i), str(lead)) for i, lead in answer])

    def add_dnc(self, campaign_uuid: str, external_ids: list[str]) -> int:
        return int(self._run("add_dnc", [], [self.prefix, campaign_uuid, *external_ids]))

    def stage_leads(self, import_id: str, ttl_ms: int, campaign_uuid: str, now_ms: int, payload: str) -> bool:
        return bool(self._run("stage_leads", [], [self.prefix, import_id, ttl_ms, campaign_uuid, now_ms, payload]))

    def commit_leads(self, campaign_uuid: str, import_id: str, head: list[Any], rows: list[Any]) -> CommitReply:
        """``head``: commit_leads.lua's arguments after the import id; ``rows``: per row, lead, customer id, index."""
        out = json.loads(self._run("commit_leads", [], [self.prefix, campaign_uuid, import_id, *head, *rows]))
        return CommitReply(
            ok=out.get("ok"),
            replay=out.get("replay"),
            missing=out.get("missing"),
            expired=out.get("expired"),
            lost=out.get("lost"),
            clashes=out.get("clashes") or [],
        )

    def abandon_import(self, import_id: str, last: bool, lead_uuids: list[str]) -> int:
        return int(self._run("abandon_import", [], [self.prefix, import_id, "1" if last else "0", *lead_uuids]))

    # -- the dialling cycle ---------------------------------------------------------
    def claim(
        self, campaign_uuid: str, now_ms: int, want: int, node: str, lease_ms: int, call_uuids: list[str], owner: str
    ) -> Claimed:
        raw = self._run(
            "claim", [], [self.prefix, campaign_uuid, now_ms, want, node, lease_ms, json.dumps(call_uuids), owner]
        )
        out = json.loads(raw)
        info = ClaimInfo(
            busy=int(out.get("busy", 0)),
            cap=int(out.get("cap", 1)),
            next_due=int(out.get("next_due", -1)),
            stopped=bool(out.get("stopped")),
        )
        return Claimed(rows=out.get("claims") or [], info=info)

    def finish(self, now_ms: int, payload: str) -> list[str]:
        return [str(call) for call in self._run("finish", [], [self.prefix, now_ms, payload]) or []]

    def release_slot(self, campaign_uuid: str, call: str, network: str) -> None:
        self._run(
            "release_slot",
            [self.keys.calls(campaign_uuid), self.keys.busy(campaign_uuid), self.keys.call(call)],
            [call, network],
        )

    def reap(self, campaign_uuid: str, now_ms: int, limit: int) -> list[ExpiredSlot]:
        rows = json.loads(self._run("reap", [], [self.prefix, campaign_uuid, now_ms, limit]))
        return [ExpiredSlot(call, lead, net, node, int(start)) for call, lead, net, node, start in rows]

    def adopt(
        self, campaign_uuid: str, now_ms: int, engine_id: str, lease_ms: int, nodes: list[str], limit: int
    ) -> list[AdoptedSlot]:
        raw = self._run(
            "adopt", [], [self.prefix, campaign_uuid, now_ms, engine_id, lease_ms, json.dumps(nodes), limit]
        )
        return [
            AdoptedSlot(c, lead, net, node, int(start), {leg: json.loads(h) for leg, h in hangups.items()})
            for c, lead, net, node, start, hangups in json.loads(raw)
        ]

    def keep_hangups(self, payload: str, client: Any = None) -> Any:
        """With a pipeline as ``client`` the script is only queued: the count comes with its answers."""
        return self._run("keep_hangups", [], [self.prefix, payload], client)

    # -- webhooks -------------------------------------------------------------------
    def claim_webhooks(
        self, now_ms: int, lease_until_ms: int, limit: int, per_host: int, scan: int, busy: Mapping[str, int]
    ) -> list[ClaimedDelivery]:
        args = [self.prefix, now_ms, lease_until_ms, limit, per_host, scan, *_pairs(busy)]
        flat = self._run("claim_webhooks", [], args) or []
        return [ClaimedDelivery(d, host) for d, host in zip(flat[::2], flat[1::2], strict=True)]
