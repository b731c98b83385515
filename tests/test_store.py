"""The Redis store: hopper order, slots, caps, do-not-call, finishing — on a real redis-server."""

from __future__ import annotations

import uuid

import pytest

from dialer.domain.enums import CampaignStatus, Network, PriorityRecall, ScheduleRecall
from dialer.domain.models import Lead
from dialer.store.errors import NameTaken
from dialer.store.records import Finish
from dialer.store.store import Store
from tests.factories import call_record, campaign, leads

LEASE = 60_000


def claim(store: Store, camp, n: int, now_ms: int = 2_000):
    claims, info = store.calls.claim(camp.campaign_uuid, n, "fs1", now_ms, LEASE, [str(uuid.uuid4()) for _ in range(n)])
    return claims, info


def finish(store: Store, c, *, end_ms: int = 3_000, requeue: str | None = None, due_ms: int = 0) -> list[str]:
    f = Finish(
        c.campaign_uuid,
        c.lead_uuid,
        c.call_uuid,
        c.network,
        end_ms,
        "2026112309",
        call_record(hangup_cause="USER_BUSY", report_key="busy"),
        {"attempts": c.attempts + 1},
        requeue=requeue,
        due_ms=due_ms,
        stats={"total_calls": 1, "busy": 1},
    )
    return store.calls.finish([f], end_ms)


def test_campaign_names_are_unique(store):
    campaign(store, campaign_name="same")
    with pytest.raises(NameTaken):
        campaign(store, campaign_name="same")


def test_campaigns_get_increasing_integer_ids(store):
    assert [campaign(store).campaign_id for _ in range(3)] == [1, 2, 3]


def test_campaign_round_trips_through_its_hash(store):
    camp = campaign(store, concurrent_call=7, mode_call="parallel")
    again = store.campaigns.get(camp.campaign_uuid)
    assert again.concurrent_call == 7 and again.mode_call.value == "parralel"
    assert again.network == camp.network and again.recall_status == camp.recall_status


def test_claim_never_exceeds_concurrent_call(store):
    camp = campaign(store, concurrent_call=3)
    leads(store, camp, 10)
    first, info = claim(store, camp, 10)
    assert len(first) == 3 and info.busy == 3
    assert claim(store, camp, 10)[0] == []


def test_finishing_releases_the_slot(store):
    camp = campaign(store, concurrent_call=1)
    leads(store, camp, 2)
    (c,), _ = claim(store, camp, 5)
    assert finish(store, c) == [c.call_uuid]
    assert len(claim(store, camp, 5)[0]) == 1


def test_an_attempt_is_recorded_once(store):
    camp = campaign(store)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1)
    assert finish(store, c) == [c.call_uuid]
    assert finish(store, c) == []
    assert store.r.hget(store.keys.stats(camp.campaign_uuid, "2026112309"), "total_calls") == "1"


def test_fresh_leads_are_dialled_in_import_order(store):
    camp = campaign(store, concurrent_call=10)
    first = leads(store, camp, 1, now_ms=100)
    second = leads(store, camp, 1, now_ms=200)
    claims, _ = claim(store, camp, 2)
    assert [c.lead_uuid for c in claims] == [first[0].lead_uuid, second[0].lead_uuid]


def test_a_batch_imported_in_one_millisecond_is_dialled_in_its_order(store):
    camp = campaign(store, concurrent_call=50)
    batch = leads(store, camp, 50, now_ms=100)
    claims, _ = claim(store, camp, 50)
    assert [c.lead_uuid for c in claims] == [lead.lead_uuid for lead in batch]


def test_the_first_attempt_carries_the_imported_call_id(store):
    camp = campaign(store)
    (lead,) = leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1)
    assert c.call_uuid == lead.call_id


def test_recall_waits_until_due(store):
    camp = campaign(store)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1, now_ms=2_000)
    finish(store, c, requeue="recalls", due_ms=62_000)
    assert claim(store, camp, 1, now_ms=61_999)[0] == []
    (again,), _ = claim(store, camp, 1, now_ms=62_000)
    assert again.lead_uuid == c.lead_uuid and again.call_uuid != c.call_uuid


def test_priority_recall_puts_due_recalls_before_fresh_leads(store):
    camp = campaign(store, concurrent_call=1, priority_recall=PriorityRecall.RECALL, hopper=5)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1, now_ms=2_000)
    finish(store, c, requeue="recalls", due_ms=2_500)
    newer = leads(store, camp, 3, now_ms=1_500)  # fresh leads due before the recall
    (nxt,), _ = claim(store, camp, 1, now_ms=3_000)
    assert nxt.lead_uuid == c.lead_uuid
    assert nxt.lead_uuid not in {lead.lead_uuid for lead in newer}


def test_normal_priority_orders_recalls_and_fresh_leads_by_due_time(store):
    camp = campaign(store, concurrent_call=1, priority_recall=PriorityRecall.NORMAL, hopper=5)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1, now_ms=2_000)
    finish(store, c, requeue="recalls", due_ms=2_500)
    older = leads(store, camp, 1, now_ms=2_400)
    (nxt,), _ = claim(store, camp, 1, now_ms=3_000)
    assert nxt.lead_uuid == older[0].lead_uuid


def test_schedule_recall_after_waits_for_every_fresh_lead(store):
    camp = campaign(store, concurrent_call=1, schedule_recall=ScheduleRecall.AFTER, hopper=1)
    first, second = leads(store, camp, 2)
    (c,), _ = claim(store, camp, 1)
    finish(store, c, requeue="recalls", due_ms=2_000)
    (nxt,), _ = claim(store, camp, 1, now_ms=3_000)
    assert nxt.lead_uuid == second.lead_uuid
    finish(store, nxt)
    (last,), _ = claim(store, camp, 1, now_ms=4_000)
    assert last.lead_uuid == first.lead_uuid


def test_hopper_preloads_at_most_its_size(store):
    camp = campaign(store, concurrent_call=1, hopper=4)
    leads(store, camp, 20)
    claim(store, camp, 1)
    sizes = store.reports.queue_sizes(camp.campaign_uuid)
    assert sizes["hopper"] == 3 and sizes["fresh"] == 16 and sizes["in_flight"] == 1


def test_network_cap_limits_calls_per_network(store):
    camp = campaign(store, concurrent_call=10, network={"viettel": 2})
    leads(store, camp, 5, prefix="098")
    mobi = leads(store, camp, 2, prefix="090")
    claims, _ = claim(store, camp, 10)
    by_net = [c.network for c in claims]
    assert by_net.count("viettel") == 2 and by_net.count("mobi") == 2
    assert {c.lead_uuid for c in claims} >= {lead.lead_uuid for lead in mobi}


def test_do_not_call_lead_is_skipped_before_dialling(store):
    camp = campaign(store, concurrent_call=5)
    first, second = leads(store, camp, 2)
    assert store.leads.add_dnc(camp.campaign_uuid, [first.external_id]) == 1
    claims, _ = claim(store, camp, 5)
    assert [c.lead_uuid for c in claims] == [second.lead_uuid]
    assert store.leads.get(first.lead_uuid)["state"] == "done"


def test_do_not_call_during_a_call_leaves_it_alone_and_cancels_its_recall(store):
    camp = campaign(store)
    (lead,) = leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1)
    store.leads.add_dnc(camp.campaign_uuid, [lead.external_id])
    assert finish(store, c, requeue="recalls", due_ms=2_000) == [c.call_uuid]
    assert store.reports.queue_sizes(camp.campaign_uuid)["recalls"] == 0
    assert store.leads.get(lead.lead_uuid)["state"] == "done"


def test_paused_or_stopped_campaign_claims_nothing(store):
    for status in (CampaignStatus.PAUSE, CampaignStatus.STOP):
        camp = campaign(store, status=status)
        leads(store, camp, 1)
        claims, info = claim(store, camp, 1)
        assert claims == [] and info.stopped


def test_expired_slot_leases_are_reported(store):
    camp = campaign(store)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1, now_ms=2_000)
    assert store.calls.expired(camp.campaign_uuid, 2_000 + LEASE - 1) == []
    (row,) = store.calls.expired(camp.campaign_uuid, 2_000 + LEASE)
    assert row[0] == c.call_uuid and row[1] == c.lead_uuid


def test_renewing_a_lease_keeps_the_slot(store):
    camp = campaign(store)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1, now_ms=2_000)
    store.calls.renew(camp.campaign_uuid, [c.call_uuid], 2_000 + 10 * LEASE)
    assert store.calls.expired(camp.campaign_uuid, 2_000 + 2 * LEASE) == []


def test_renewing_never_resurrects_a_finished_slot(store):
    camp = campaign(store)
    leads(store, camp, 1)
    (c,), _ = claim(store, camp, 1)
    finish(store, c)
    store.calls.renew(camp.campaign_uuid, [c.call_uuid], 10**12)
    assert store.calls.in_flight(camp.campaign_uuid) == 0


WORKER = """
import sys, uuid, redis
from dialer.store.records import Finish
from dialer.store.store import Store
from tests.factories import call_record
port, camp, cap = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
store = Store(redis.Redis(port=port, decode_responses=True))
worst = 0
for turn in range(150):
    claims, info = store.calls.claim(camp, 3, "fs", 2_000 + turn, 60_000, [str(uuid.uuid4()) for _ in range(3)])
    worst = max(worst, info.busy, store.calls.in_flight(camp))
    store.calls.finish([Finish(c.campaign_uuid, c.lead_uuid, c.call_uuid, c.network, 3_000, "2026112309", call_record(),
                         {"attempts": 1}, stats={"total_calls": 1}) for c in claims], 3_000)
print(worst)
"""


def test_several_processes_never_exceed_the_cap_or_dial_a_lead_twice(store, redis_server):
    import subprocess
    import sys

    camp = campaign(store, concurrent_call=4)
    leads(store, camp, 600)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(redis_server["port"]), camp.campaign_uuid, "4"],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    worst = [int(p.communicate(timeout=60)[0]) for p in procs]
    assert max(worst) <= 4
    calls = store.r.hvals(store.keys.stats(camp.campaign_uuid, "2026112309"))
    dialled = [store.leads.get(lead)["attempts"] for lead in store.r.hvals(store.keys.external(camp.campaign_uuid))]
    assert set(dialled) <= {"0", "1"} and int(calls[0]) == dialled.count("1")


def test_a_customer_imported_twice_is_queued_once(store):
    camp = campaign(store)
    (first,) = leads(store, camp, 1)
    again = Lead(
        campaign_uuid=camp.campaign_uuid,
        external_id=first.external_id,
        numbers=["0980000009"],
        networks=[Network.VIETTEL],
    )
    assert store.leads.add([again], 1_000) == {0: first.lead_uuid}
    assert store.reports.queue_sizes(camp.campaign_uuid)["fresh"] == 1 and store.leads.get(again.lead_uuid) == {}


def test_a_customer_already_on_the_do_not_call_list_is_never_dialled(store):
    camp = campaign(store)
    store.leads.add_dnc(camp.campaign_uuid, ["blocked"])
    store.leads.add(
        [
            Lead(
                campaign_uuid=camp.campaign_uuid,
                external_id="blocked",
                numbers=["0980000009"],
                networks=[Network.VIETTEL],
            )
        ],
        1_000,
    )
    assert claim(store, camp, 1)[0] == []


def test_a_campaign_cannot_be_stored_naming_a_template_that_is_gone(store):
    from dialer.domain.models import Campaign
    from dialer.store.errors import MissingReference

    with pytest.raises(MissingReference, match="template_uuid"):
        store.campaigns.create(Campaign(campaign_name="x", template_uuid="0b0e7a52-0000-4000-8000-000000000000"))
    assert store.campaigns.uuids() == [] and store.r.hgetall(store.keys.campaign_names) == {}


def test_an_update_cannot_point_a_campaign_at_a_carrier_that_is_gone(store):
    from dialer.store.errors import MissingReference

    camp = campaign(store)
    with pytest.raises(MissingReference, match="carrier_uuid"):
        store.campaigns.update(camp.campaign_uuid, {"carrier_uuid": "0b0e7a52-0000-4000-8000-000000000000"})
    assert store.campaigns.get(camp.campaign_uuid).carrier_uuid == ""
