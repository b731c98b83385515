"""Calls and their slots: claiming leads into slots, renewing leases, finishing attempts, the
slots of dead processes (expired leases, adoption of a dead engine's calls, hangups kept for an
adopter), and reading a call hash (the CDR once finished)."""

from __future__ import annotations

import json
from typing import Any

import orjson
import redis

from dialer.store.keys import Keys
from dialer.store.records import CDR_SHAPES, Claim, Finish
from dialer.store.replication import Replication
from dialer.store.replies import record, texts
from dialer.store.script_results import AdoptedSlot, ClaimInfo, ExpiredSlot
from dialer.store.scripts import Scripts
from dialer.store.sealed_fields import SealedFields

_SHAPES = orjson.dumps(CDR_SHAPES)  # finish.lua's ARGV[3]: the call hash's field names per record shape
# Slots adopt.lua reads per call (about: ZSCAN's COUNT); ~2.5 us of Redis each, so a call holds Redis ~1 ms
ADOPT_WINDOW = 500


class Calls:
    def __init__(
        self,
        client: redis.Redis,
        keys: Keys,
        scripts: Scripts,
        sealed: SealedFields,
        replication: Replication | None = None,
    ) -> None:
        self.r = client
        self.keys = keys
        self.scripts = scripts
        self.sealed = sealed
        self.replication = replication or Replication(client, keys)
        # Claims whose answer never came: (campaign, owner, node, start ms, lease ms), given back first
        self._unanswered: list[tuple[str, str, str, int, int]] = []
        self.given_back = 0  # slots of those given back

    # -- the dialling cycle ---------------------------------------------------------
    def claim(
        self,
        campaign_uuid: str,
        want: int,
        node: str,
        now_ms: int,
        lease_ms: int,
        call_uuids: list[str],
        owner: str = "",
    ) -> tuple[list[Claim], ClaimInfo]:
        """Up to ``want`` leads taken into slots leased until ``now_ms + lease_ms`` (claim.lua),
        their sealed numbers and fields opened.

        With replicas to wait for, the claims are on one before they are returned: a claim a
        failover lost would put its leads back in their queue while their originates are sent.

        A claim that fails (its answer or the wait's never came: the primary died, the connection
        broke) returns nothing, so nothing of it is dialled: the claim was lost with the primary, or
        its slots are given back (unclaim.lua) before this store's next claim, their leads at the
        front of the hopper; a slot adopted first (its lease ended) is left to the adopter."""
        self._give_back_unanswered()
        try:
            claimed = self.scripts.claim(campaign_uuid, now_ms, want, node, lease_ms, call_uuids, owner)
            if claimed.rows:
                self.replication.confirm("claim")
        except redis.RedisError:
            self._unanswered.append((campaign_uuid, owner, node, now_ms, lease_ms))
            raise
        claims = []
        for row in claimed.rows:
            lead, call, net, idx, numbers, fields, attempts, first_ms, ext, max_attempts, cuts = row
            unreadable = ""
            if numbers.startswith("enc:") or (fields or "").startswith("enc:"):
                opened = self.sealed.open_lead(lead, {"numbers": numbers, "fields": fields or "{}"})
                numbers, fields, unreadable = opened["numbers"], opened["fields"], opened.get("unreadable", "")
            claims.append(
                Claim(
                    campaign_uuid,
                    lead,
                    call,
                    net,
                    int(idx),
                    json.loads(numbers),
                    json.loads(fields) if fields else {},
                    int(attempts),
                    int(first_ms),
                    ext,
                    int(max_attempts),
                    unreadable,
                    int(cuts),
                )
            )
        return claims, claimed.info

    def _give_back_unanswered(self) -> None:
        """unclaim.lua for each claim whose answer never came (raises while Redis is still away)."""
        while self._unanswered:
            unanswered = self._unanswered.pop(0)  # taken first: another greenlet's claim may run this meanwhile
            try:
                self.given_back += self.scripts.unclaim(*unanswered)
            except BaseException:
                self._unanswered.insert(0, unanswered)
                raise

    def renew(self, campaign_uuid: str, calls: list[str], until_ms: int) -> None:
        if calls:
            # XX: never resurrect a slot that was finished or reaped meanwhile.
            self.r.zadd(self.keys.calls(campaign_uuid), dict.fromkeys(calls, until_ms), xx=True, gt=True)

    def finish(self, batch: list[Finish], now_ms: int) -> list[str]:
        """Record these attempts (finish.lua); the call uuids recorded (a slot already gone is skipped).

        The attempts of enable_encrypt campaigns are sealed first; which campaigns those are comes
        from :meth:`SealedFields.as_known`, which finish.lua checks: when one changed, nothing was
        written, and the batch is sealed again as the script found it and sent again."""
        if not batch:
            return []
        sealed_as = self.sealed.as_known(f.campaign_uuid for f in batch)
        while True:
            to_write = batch
            if any(sealed_as.values()):
                to_write = [self.sealed.seal_finish(f) if sealed_as[f.campaign_uuid] else f for f in batch]
            payload = orjson.dumps([f.as_lua() for f in to_write])
            flags = orjson.dumps({c: 1 if on else 0 for c, on in sealed_as.items()})
            finished = self.scripts.finish(now_ms, payload, _SHAPES, flags)
            if not finished.sealed_wrong:
                return finished.recorded
            self.sealed.learn(finished.sealed_wrong)
            sealed_as.update(finished.sealed_wrong)

    def release_slot(self, campaign_uuid: str, call: str, network: str) -> None:
        """Free a slot nothing can be recorded against (its lead or campaign is gone)."""
        self.scripts.release_slot(campaign_uuid, call, network)

    # -- slots of processes that died -----------------------------------------------
    def expired(self, campaign_uuid: str, now_ms: int, limit: int = 100) -> list[ExpiredSlot]:
        """Slots whose lease expired and whose owner is gone (reap.lua)."""
        return self.scripts.reap(campaign_uuid, now_ms, limit)

    def adopt(
        self,
        campaign_uuid: str,
        now_ms: int,
        engine_id: str,
        lease_ms: int,
        nodes: list[str],
        cursor: str = "0",
        window: int = ADOPT_WINDOW,
    ) -> tuple[str, list[AdoptedSlot]]:
        """Re-own (atomically) the slots on ``nodes`` whose engine died, in one window of about ``window``
        of the campaign's slots from ``cursor`` (adopt.lua), with the CDRs kept for them (leg -> CDR
        fields) and the engine that placed each. Returns the cursor of the next window ("0": the last
        one was read): a campaign is read in several short scripts, not one that holds Redis for all."""
        return self.scripts.adopt(campaign_uuid, now_ms, engine_id, lease_ms, nodes, cursor, window)

    def adopt_all(
        self, campaign_uuid: str, now_ms: int, engine_id: str, lease_ms: int, nodes: list[str]
    ) -> list[AdoptedSlot]:
        """:meth:`adopt` over every window of the campaign."""
        cursor, adopted = self.adopt(campaign_uuid, now_ms, engine_id, lease_ms, nodes)
        while cursor != "0":
            cursor, more = self.adopt(campaign_uuid, now_ms, engine_id, lease_ms, nodes, cursor)
            adopted += more
        return adopted

    def keep_hangups(self, hangups: list[tuple[str, str, str, dict[str, str]]], client: Any = None) -> int:
        """Keep (campaign, call, leg, CDR fields) of FreeSWITCH's CDRs for whoever settles the call. With a
        pipeline as ``client`` the script is only queued (its count comes with the pipeline's answers)."""
        if not hangups:
            return 0
        payload = json.dumps([[c, call, leg, json.dumps(h)] for c, call, leg, h in hangups])
        result = self.scripts.keep_hangups(payload, client)
        return 0 if client is not None else int(result)

    def rebuild_claim(self, campaign_uuid: str, lead_uuid: str, call_uuid: str, network: str) -> Claim | None:
        """The claim of an attempt another process made (reaping, adoption), from the lead hash."""
        data = self.sealed.open_lead(lead_uuid, record(self.r.hgetall(self.keys.lead(lead_uuid))))
        if not data:
            return None
        return Claim(
            campaign_uuid,
            lead_uuid,
            call_uuid,
            network,
            int(data.get("number_idx") or 0),
            json.loads(data.get("numbers") or "[]"),
            json.loads(data.get("fields") or "{}"),
            int(data.get("attempts") or 0),
            int(data.get("first_attempt_ms") or 0),
            data.get("external_id", ""),
            int(data.get("max_attempts") or 0),
            data.get("unreadable", ""),
            int(data.get("switch_cuts") or 0),
        )

    # -- reads ----------------------------------------------------------------------
    def get(self, uuid: str) -> dict[str, str]:
        """The call hash (the CDR once finished), its sealed fields opened (see :meth:`SealedFields.open_cdr`)."""
        return self.sealed.open_cdr(uuid, record(self.r.hgetall(self.keys.call(uuid))))

    def in_flight(self, campaign_uuid: str) -> int:
        return int(self.r.zcard(self.keys.calls(campaign_uuid)))

    def campaigns_with_slots(self) -> list[str]:
        """The campaigns holding a slot now, deleted ones (not purged yet) included."""
        pipe = self.r.pipeline(transaction=False)
        pipe.zrange(self.keys.campaigns, 0, -1)
        pipe.zrange(self.keys.deleted, 0, -1)
        live, deleted = pipe.execute()
        uuids = list(dict.fromkeys(texts(live) + texts(deleted)))
        pipe = self.r.pipeline(transaction=False)
        for uuid in uuids:
            pipe.zcard(self.keys.calls(uuid))
        return [u for u, n in zip(uuids, pipe.execute(), strict=True) if n]
