"""VBot-shaped webhooks (seed 003): a campaign's ``webhook_format`` picks the body of its POSTs.

``vbot``: the "autocall history" body with its status codes; ``vbot_call``: the
"call history" body with its disposition; ``native``: the v3 CDR. The end-to-end
tests create a VBot campaign from a template campaign (as ``/api/campaign/create``
does), run it to completion on the simulator and read what a local HTTP receiver got.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dialer.domain import cdr
from dialer.domain.enums import CampaignStatus, RecallStatus
from dialer.domain.models import Campaign, Carrier, Lead, Template
from dialer.outcomes import classify
from dialer.outcomes.vbot import (
    ANSWERED,
    CallFacts,
    Disposition,
    WebhookFormat,
    autocall_history,
    call_history,
    vbot_disposition,
    webhook_format,
)
from dialer.routing.numbers import normalize
from dialer.store.store import Store
from dialer.webhooks import WebhookSender
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until
from tests.factories import campaign
from tests.receivers import WebhookReceiver
from tests.seed_examples import SEEDS

SEED = (SEEDS / "003_ed9b73e28e69af7c.txt").read_text()
HOTLINE_VIETTEL, HOTLINE_MOBI = "02873001234", "02873005678"
ANSWERS, BUSY, UNALLOCATED, RINGS_OUT = "0980000001", "0980000002", "0980000003", "0980000004"
OVERLOADED = "0900000005"  # Mobifone: 503
NO_GATEWAY = "0910000006"  # Vinaphone: the carrier has no gateway for it
SCENARIO = Scenario(
    rules=[
        {"match": f"^{ANSWERS}$", "ring": 0.1, "answer": {"talk": 2.0, "dtmf": "1"}},
        {"match": f"^{BUSY}$", "sip": 486},
        {"match": f"^{UNALLOCATED}$", "sip": 404},
        {"match": f"^{RINGS_OUT}$", "no_answer": True},
        {"match": f"^{OVERLOADED}$", "sip": 503},
    ]
)


def seed_fields(heading: str) -> list[str]:
    """The field names of one of the seed's webhook tables, in order."""
    section = SEED.split(f"### {heading}\n", 1)[1].split("\n#", 2)[1]
    return re.findall(r"^\|\s*([a-z_]+)\s*\|", section, flags=re.MULTILINE)


AUTOCALL_HISTORY = seed_fields("Lịch sử cuộc gọi tự động")
CALL_HISTORY = seed_fields("Lịch sử cuộc gọi")


def test_the_seed_tables_are_read_as_expected():
    assert AUTOCALL_HISTORY == [
        "campaign_id",
        "create_at",
        "hotline",
        "phone",
        "name",
        "description",
        "status",
        "time_call",
        "postage",
        "service_charge",
        "action_log",
        "event_data",
    ]
    assert CALL_HISTORY == [
        "status",
        "data",
        "hotline_number",
        "date_create",
        "time_call",
        "type_call",
        "caller",
        "callee",
        "postage",
        "source",
        "event_data",
        "disposition",
        "record_file",
        "message",
        "error",
    ]


# ------------------------------------------------------------------------------------------ pure bodies
FACTS = CallFacts(
    call_id="c-1",
    campaign_id=2933,
    start="2024-05-06 09:15:00",
    hotline=HOTLINE_VIETTEL,
    phone=ANSWERS,
    callees=[ANSWERS],
    name="Nguyễn Văn x",
    description="VIP",
    billsec=12,
    action_log="attempt 1; answered, 12 s talk; dtmf 1",
)


def test_autocall_history_has_the_seed_fields_in_order_with_the_seed_types():
    body = autocall_history(FACTS, classify(cause="NORMAL_CLEARING", answered=True, billsec=12))
    assert list(body) == [*AUTOCALL_HISTORY, "call_id"]
    assert body == {
        "campaign_id": 2933,
        "create_at": "2024-05-06 09:15:00",
        "hotline": HOTLINE_VIETTEL,
        "phone": ANSWERS,
        "name": "Nguyễn Văn x",
        "description": "VIP",
        "status": 200,
        "time_call": 12,
        "postage": 0.0,
        "service_charge": 0.0,
        "action_log": "attempt 1; answered, 12 s talk; dtmf 1",
        "event_data": "hangup",
        "call_id": "c-1",
    }
    assert '"postage": 0.0' in json.dumps(body)  # a Double, as the seed types it


def test_call_history_has_every_seed_field_flat_and_the_record_in_data():
    busy = classify(cause="USER_BUSY", answered=False, sip_status="486")
    body = call_history(FACTS, busy)
    assert list(body) == [*CALL_HISTORY[:2], *CALL_HISTORY[2:-2], *CALL_HISTORY[-2:], "call_id"]
    assert (body["status"], body["disposition"], body["error"], body["message"]) == ("0", "BUSY", 3, "486 Busy Here")
    assert (body["type_call"], body["caller"], body["callee"], body["time_call"], body["postage"]) == (
        "CALLOUT",
        HOTLINE_VIETTEL,
        ANSWERS,
        "12",
        "0",
    )
    (record,) = body["data"]
    assert record == {k: body[k] for k in CALL_HISTORY[2:-2]}
    answered = call_history(FACTS, ANSWERED)
    assert (answered["status"], answered["disposition"], answered["error"], answered["message"]) == (
        "1",
        "ANSWER",
        0,
        "",
    )


@pytest.mark.parametrize(
    ("value", "fmt"),
    [
        ("native", "native"),
        ("vbot", "vbot"),
        (" VBOT_call ", "vbot_call"),
        ("", "native"),
        ("csv", "native"),
        (None, "native"),
    ],
)
def test_webhook_format_is_lenient(value, fmt):
    assert webhook_format(value) is WebhookFormat(fmt)


def test_the_disposition_of_an_unreachable_handset_keeps_it_apart_from_no_answer():
    unreachable = classify(cause="NO_USER_RESPONSE", answered=False, sip_status="480")
    assert vbot_disposition(unreachable) is Disposition.CHANUNAVAIL
    assert vbot_disposition(classify(cause="NO_ANSWER", answered=False)) is Disposition.NOANSWER


# ------------------------------------------------------------------------------------------ end to end
@pytest.fixture
def receiver():
    with WebhookReceiver() as r:
        yield r.url, r.record(lambda q: (q.path, q.json()))


def vbot_campaign(store: Store, url: str, fmt: str) -> Campaign:
    """A template campaign with VBot webhooks, then its clone, started (what /api/campaign/create makes)."""
    template = Template(template_name="nhac_no", audio_file="hello.wav")
    store.catalog.templates.put(template)
    carrier = Carrier(
        carrier_name="vbot",
        gateways={"viettel": "gw-viettel", "mobi": "gw-mobi"},
        caller_ids={"viettel": HOTLINE_VIETTEL, "mobi": HOTLINE_MOBI},
    )
    store.catalog.carriers.put(carrier)
    source = campaign(
        store,
        campaign_name=f"mau-{fmt}",
        template_uuid=template.template_uuid,
        carrier_uuid=carrier.carrier_uuid,
        concurrent_call=10,
        call_timeout=30,
        recall_times=1,
        recall_status=[RecallStatus.BUSY],
        status=CampaignStatus.STOP,
        webhook_format=fmt,
        callback_url=f"{url}/cdr",
        answer_callback_url=f"{url}/answer",
    )
    values = source.model_dump(
        exclude={
            "campaign_uuid",
            "campaign_id",
            "campaign_name",
            "status",
            "created_at",
            "orig_campaign_uuid",
            "updated_at",
        }
    )
    clone = Campaign(
        **values,
        campaign_name=f"campaign_name_new-{fmt}",
        status=CampaignStatus.START,
        orig_campaign_uuid=source.campaign_uuid,
    )
    clone = store.campaigns.create(clone)
    assert clone.campaign_id and clone.campaign_id != source.campaign_id and clone.webhook_format == fmt
    return clone


def load(store: Store, camp: Campaign) -> dict[str, Lead]:
    batch = {}
    for i, phone in enumerate((ANSWERS, BUSY, UNALLOCATED, RINGS_OUT, OVERLOADED, NO_GATEWAY)):
        batch[phone] = Lead(
            campaign_uuid=camp.campaign_uuid,
            external_id=f"p{i}",
            numbers=[phone],
            networks=[normalize(phone).network],
            fields={"name": f"Khách {i}", "description": f"mô tả {i}"},
        )
    store.leads.add(list(batch.values()), 1_000)
    return batch


def run_to_completion(store, simswitch, tmp_path, url, got, fmt: str) -> tuple[Campaign, dict[str, Lead]]:
    engine = make_engine(store, simswitch(SCENARIO), tmp_path / "audio")
    sender = WebhookSender(store, allow_private=True)
    sender.start()
    try:
        camp = vbot_campaign(store, url, fmt)
        batch = load(store, camp)
        engine.wake(camp.campaign_uuid)
        # 6 leads, the busy one recalled once (7 ends), and one answer event
        wait_until(lambda: len([p for p, _ in got if p == "/cdr"]) == 7 and len(got) == 8, timeout=30)
        wait_until(lambda: all(store.leads.get(x.lead_uuid)["state"] == "done" for x in batch.values()))
    finally:
        sender.stop()
        engine.stop(drain_timeout=5)
    return camp, batch


def local(ms: str) -> str:
    return datetime.fromtimestamp(int(ms) / 1000, ZoneInfo("Asia/Ho_Chi_Minh")).strftime("%Y-%m-%d %H:%M:%S")


def test_a_vbot_campaign_posts_autocall_history_bodies(store, simswitch, tmp_path, receiver):
    url, got = receiver
    camp, batch = run_to_completion(store, simswitch, tmp_path, url, got, "vbot")
    ends = [b for p, b in got if p == "/cdr"]
    assert all(list(b) == [*AUTOCALL_HISTORY, "call_id"] for b in ends)
    by_phone: dict[str, list[dict]] = {}
    for b in ends:
        by_phone.setdefault(b["phone"], []).append(b)
    assert {p: [b["status"] for b in bodies] for p, bodies in by_phone.items()} == {
        ANSWERS: [200],
        BUSY: [3, 3],
        UNALLOCATED: [101],
        RINGS_OUT: [2],
        OVERLOADED: [104],
        NO_GATEWAY: [102],
    }
    for b in ends:
        assert b["campaign_id"] == camp.campaign_id and b["event_data"] == "hangup"
        assert (b["postage"], b["service_charge"]) == (0.0, 0.0)
        i = list(batch).index(b["phone"])
        assert (b["name"], b["description"]) == (f"Khách {i}", f"mô tả {i}")
        cdr = store.calls.get(b["call_id"])
        assert b["create_at"] == local(cdr["start_ms"]) and b["time_call"] == int(cdr["billsec"])
        assert b["hotline"] == cdr["caller_id"]
    (answered,) = by_phone[ANSWERS]
    assert answered["hotline"] == HOTLINE_VIETTEL and answered["time_call"] >= 1
    assert answered["call_id"] == batch[ANSWERS].call_id
    assert "dtmf 1" in answered["action_log"] and answered["action_log"].startswith("attempt 1; answered")
    assert by_phone[OVERLOADED][0]["hotline"] == HOTLINE_MOBI
    assert by_phone[NO_GATEWAY][0]["hotline"] == ""  # no hotline for Vinaphone: nothing went out
    first, recall = sorted(by_phone[BUSY], key=lambda b: b["action_log"])
    assert first["action_log"].startswith("attempt 1; 486 Busy Here; cause USER_BUSY; recall at ")
    assert recall["action_log"] == "attempt 2; 486 Busy Here; cause USER_BUSY" and recall["call_id"] != first["call_id"]
    ((_, answer),) = [(p, b) for p, b in got if p == "/answer"]
    assert list(answer) == [*AUTOCALL_HISTORY, "call_id"]
    assert (answer["status"], answer["event_data"], answer["time_call"], answer["phone"], answer["hotline"]) == (
        200,
        "answer",
        0,
        ANSWERS,
        HOTLINE_VIETTEL,
    )
    assert (answer["call_id"], answer["create_at"], answer["name"]) == (
        answered["call_id"],
        answered["create_at"],
        "Khách 0",
    )


def test_a_vbot_call_campaign_posts_call_history_bodies(store, simswitch, tmp_path, receiver):
    url, got = receiver
    _camp, batch = run_to_completion(store, simswitch, tmp_path, url, got, "vbot_call")
    ends = [b for p, b in got if p == "/cdr"]
    assert all(list(b) == [*CALL_HISTORY, "call_id"] for b in ends)
    by_callee: dict[str, list[dict]] = {}
    for b in ends:
        by_callee.setdefault(b["callee"], []).append(b)
        (record,) = b["data"]
        assert record == {k: b[k] for k in CALL_HISTORY[2:-2]}
        assert (b["type_call"], b["source"], b["record_file"], b["postage"]) == ("CALLOUT", "autocall", "", "0")
        assert b["date_create"] == local(store.calls.get(b["call_id"])["start_ms"])
        assert b["caller"] == b["hotline_number"]
    assert {p: [(b["disposition"], b["status"], b["error"]) for b in bodies] for p, bodies in by_callee.items()} == {
        ANSWERS: [("ANSWER", "1", 0)],
        BUSY: [("BUSY", "0", 3)] * 2,
        UNALLOCATED: [("CHANUNAVAIL", "0", 101)],
        RINGS_OUT: [("NOANSWER", "0", 2)],
        OVERLOADED: [("CONGESTION", "0", 104)],
        NO_GATEWAY: [("CHANUNAVAIL", "0", 102)],
    }
    (answered,) = by_callee[ANSWERS]
    assert answered["hotline_number"] == HOTLINE_VIETTEL and int(answered["time_call"]) >= 1
    assert answered["message"] == "" and by_callee[UNALLOCATED][0]["message"] == "404 Not Found"
    ((_, answer),) = [(p, b) for p, b in got if p == "/answer"]
    assert (answer["disposition"], answer["status"], answer["event_data"], answer["time_call"]) == (
        "ANSWER",
        "1",
        "answer",
        "0",
    )
    assert answer["call_id"] == batch[ANSWERS].call_id


def test_native_campaigns_post_the_cdr_object_and_say_which_caller_id_was_used(store, simswitch, tmp_path, receiver):
    url, got = receiver
    run_to_completion(store, simswitch, tmp_path, url, got, "native")
    ends = [b for p, b in got if p == "/cdr"]
    assert all(tuple(b) == cdr.FIELDS for b in ends)  # tests/test_webhooks_cdr.py: the CDR API's very object
    assert {b["phone_numbers"][0]: b["caller_id"] for b in ends if b["phone_numbers"]}[ANSWERS] == HOTLINE_VIETTEL
    ((_, answer),) = [(p, b) for p, b in got if p == "/answer"]
    assert tuple(answer) == cdr.ANSWER_FIELDS and answer["answered_number"] == ANSWERS
