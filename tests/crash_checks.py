"""What every crash test requires once the dust settles (issue: crash safety).

* every lead ended in exactly one final state, or waits for a recall;
* no slot is left (``:calls`` empty, ``:busy`` all zero);
* no attempt rang twice (at most one originate per attempt reached a callee);
* no lead was originated while a call for it was still up (the simulator
  records overlaps);
* every attempt FreeSWITCH saw has its CDR, and the lead's history lists
  exactly its reported attempts.
"""

from __future__ import annotations

import json

from dialer.store.store import Store
from simswitch import Switch


def campaign_settled(store: Store, campaign_uuid: str) -> bool:
    sizes = store.reports.queue_sizes(campaign_uuid)
    return sizes["in_flight"] == 0 and sizes["hopper"] == 0 and sizes["fresh"] == 0


def check_nothing_lost(store: Store, switch: Switch, campaign_uuid: str, lead_uuids: list[str]) -> dict[str, int]:
    k = store.keys
    sizes = store.reports.queue_sizes(campaign_uuid)
    assert sizes["in_flight"] == 0, "a slot was never released"
    assert all(int(v) == 0 for v in store.r.hvals(k.busy(campaign_uuid))), "a network count was never released"
    assert switch.overlaps == [], f"leads originated while a call of theirs was up: {switch.overlaps[:5]}"
    twice = {c: n for c, n in switch.first_legs_by_call.items() if n > 1}
    assert twice == {}, f"attempts that rang more than once: {list(twice)[:5]}"
    recalls = set(store.r.zrange(k.recalls(campaign_uuid), 0, -1))
    states: dict[str, int] = {}
    for lead in lead_uuids:
        data = store.leads.get(lead)
        state = data.get("state")
        states[state] = states.get(state, 0) + 1
        assert state in ("done", "queued"), f"lead {lead} is {state!r}"
        if state == "queued":
            assert lead in recalls, f"lead {lead} is queued but in no queue"
        for call in store.r.lrange(k.lead_calls(lead), 0, -1):
            cdr = store.calls.get(call)
            assert cdr.get("recall_status") and cdr.get("reported") == "1", f"call {call} has no CDR"
    cdr_ids = set(store.r.zrange(k.cdrs(campaign_uuid), 0, -1))
    for call in switch.first_legs_by_call:
        assert call in cdr_ids, f"call {call} reached FreeSWITCH but has no CDR"
    reported = sum(store.r.llen(k.lead_calls(lead)) for lead in lead_uuids)
    counted = sum(1 for c in cdr_ids if store.calls.get(c).get("reported") == "1")
    assert reported == counted, "a lead's history and the CDRs disagree"
    causes = [store.calls.get(c).get("hangup_cause") for c in cdr_ids]
    return {
        **states,
        "attempts": reported,
        "lost": causes.count("AUTOCALL_LOST"),
        "switch_lost": causes.count("AUTOCALL_SWITCH_LOST"),
    }


def numbers_of(store: Store, lead_uuids: list[str]) -> list[list[str]]:
    return [json.loads(store.leads.get(lead).get("numbers") or "[]") for lead in lead_uuids]
