"""``autocall status``: campaigns, engines (with their FreeSWITCH nodes) and queues, from Redis.

It reads only Redis, so it shows every engine sharing it and works while
the daemon is stuck or gone (a dead engine simply has no ``engine:<id>``).
It also checks Redis itself: ``maxmemory-policy`` must be ``noeviction``,
and Redis must take a write (one expiring ``probe`` key, as ``/readyz``).
"""

from __future__ import annotations

import time
from typing import Any

from dialer.store.holds import HeldCampaigns
from dialer.store.store import Store

REQUIRED_POLICY = "noeviction"


def policy_problem(policy: str | None) -> str:
    """Why this ``maxmemory-policy`` puts autocall's state at risk ("" when it does not)."""
    if policy == REQUIRED_POLICY:
        return ""
    if policy is None:
        return (
            "Redis maxmemory-policy unknown (INFO and CONFIG GET refused): make sure it is noeviction, "
            "or a full Redis may evict autocall's keys"
        )
    if policy.startswith("allkeys-"):
        why = "when full, Redis evicts any key: leads, queues and CDRs would vanish without an error"
    elif policy.startswith("volatile-"):
        why = (
            "when full, Redis evicts only keys with a TTL: leads, queues and CDRs have none (writes then fail as "
            "with noeviction), but an engine's liveness key has one, and once it is evicted other engines "
            "take that live engine's calls in flight for a dead one's"
        )
    else:
        why = "not autocall's requirement"
    return f"Redis maxmemory-policy is {policy}, not noeviction: {why}; set maxmemory-policy noeviction"


def redis_health(store: Store) -> dict[str, Any]:
    """The Redis facts autocall needs: its eviction policy and whether it takes writes, with the problems."""
    policy = store.health.eviction_policy()
    refusal = store.health.write_refusal()
    problems = [p for p in (policy_problem(policy), f"Redis {refusal}" if refusal else "") if p]
    return {"maxmemory_policy": policy, "writable": not refusal, "problems": problems}


def gather(store: Store, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    running = store.campaigns.running()
    campaigns = []
    every = store.campaigns.get_many(store.campaigns.uuids())
    holds = HeldCampaigns(store).of([c.campaign_uuid for c in every if c.campaign_uuid in running and c.active])
    for campaign in every:
        uuid = campaign.campaign_uuid
        sizes = store.reports.queue_sizes(uuid)
        due = store.queue_counts.recalls_due(uuid, int(now * 1000))
        campaigns.append(
            {
                "name": campaign.campaign_name,
                "uuid": uuid,
                "status": campaign.status.value,
                "active": campaign.active,
                "running": uuid in running,
                "in_flight": sizes["in_flight"],
                "cap": campaign.concurrent_call,
                "fresh": sizes["fresh"],
                "hopper": sizes["hopper"],
                "recalls": sizes["recalls"],
                "recalls_due": due,
                "finished": sizes["finished"],
                # why an engine holds it (it cannot place a call: dialer/engine/holds.py); [] while it may dial
                "held": holds.get(uuid, {}).get("why", []),
                "held_since_ms": holds.get(uuid, {}).get("since_ms", 0),
            }
        )
    engines = [{"id": e.engine_id, **e.info} for e in store.engine_listing.alive()]
    webhooks = store.webhook_backlog.counts(int(now * 1000))
    return {
        "campaigns": campaigns,
        "engines": engines,
        "webhooks": {"queued": webhooks.queued, "due": webhooks.due, "dead": webhooks.dead},
        "redis": redis_health(store),
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def render(status: dict[str, Any]) -> str:
    out = []
    rows = [["CAMPAIGN", "STATUS", "IN FLIGHT", "FRESH", "HOPPER", "RECALLS (DUE)", "FINISHED", "UUID"]]
    for c in status["campaigns"]:
        note = " (inactive)" if not c["active"] else " (held)" if c["held"] else ""
        state = c["status"] + note
        rows.append(
            [
                c["name"][:40],
                state,
                f"{c['in_flight']}/{c['cap']}",
                str(c["fresh"]),
                str(c["hopper"]),
                f"{c['recalls']} ({c['recalls_due']})",
                str(c["finished"]),
                c["uuid"],
            ]
        )
    out.append(_table(rows) if len(rows) > 1 else "no campaigns")
    out.extend(f"HELD: {c['name']}: {'; '.join(c['held'])}" for c in status["campaigns"] if c["held"])
    out.append("")
    rows = [["ENGINE", "HOST", "PID", "IN FLIGHT", "FREESWITCH NODES"]]
    for e in status["engines"]:
        nodes = ", ".join(f"{name} {state}" for name, state in sorted((e.get("nodes") or {}).items()))
        rows.append(
            [e["id"][:12], str(e.get("host", "?")), str(e.get("pid", "?")), str(e.get("in_flight", "?")), nodes or "-"]
        )
    out.append(_table(rows) if len(rows) > 1 else "no engine running (none has refreshed its liveness key)")
    out.append("")
    w = status["webhooks"]
    out.append(f"webhooks: {w['queued']} queued ({w['due']} due now), {w['dead']} dead")
    r = status["redis"]
    out.append(
        f"redis: maxmemory-policy {r['maxmemory_policy'] or 'unknown'}, "
        f"{'takes writes' if r['writable'] else 'NOT WRITABLE'}"
    )
    out.extend(f"PROBLEM: {p}" for p in r["problems"])
    return "\n".join(out)
