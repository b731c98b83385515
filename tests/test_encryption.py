"""enable_encrypt: lead numbers and fields encrypted at rest, readable by the API, not by redis-cli.

The end-to-end test works like a customer: the campaign is created and its
leads imported over the API, the engine dials them on the simulator, then
every key in Redis is read raw (as ``redis-cli`` would) and must hold no
number or field value in the clear, while the CDR API, its CSV and the
webhooks a receiver gets show them plain.
"""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import ValidationError

from dialer.api.app import build_app
from dialer.config import Settings
from dialer.domain.models import Lead, Network, Template
from dialer.service.context import Services
from dialer.store.records import Finish
from dialer.store.sealing import CannotOpen, NoKey, Sealer, key_id, parse_key
from dialer.store.store import Store
from dialer.webhooks import MAX_TRIES, WebhookSender
from simswitch import Scenario
from tests.api_fixtures import TOKEN, Client, snapshot
from tests.engine_fixtures import audio_campaign, await_turn, make_engine, wait_until
from tests.factories import call_record, campaign
from tests.receivers import WebhookReceiver

KEY = base64.b64encode(bytes(range(32))).decode()  # standard base64, with padding
OTHER_KEY = base64.urlsafe_b64encode(bytes(range(100, 132))).decode().rstrip("=")  # urlsafe, no padding

# Leads: what must never be readable in Redis.
ANSWERS = "0981357913"
BUSY, SECOND = "0972468024", "0981122334"
NO_ANSWER = "0905550666"
NAMES = ["Nguyễn Thị Bí Mật", "Trần Văn Kín Đáo", "Lê Hoàng Ẩn Danh"]
CONTRACTS = ["HD-770012", "HD-880023", "HD-990034"]
SCENARIO = Scenario(
    rules=[
        {"match": "^098", "ring": 0.1, "answer": {"talk": 0.5}},
        {"match": "^097", "sip": 486},
        {"match": "^090", "sip": 480},
    ]
)


@pytest.fixture
def store(redis_client) -> Store:
    """Overrides tests.api_fixtures' store: the API (services, api) and the engine share this sealed one."""
    return Store(redis_client, sealer=Sealer(KEY))


@pytest.fixture
def plain_api(redis_client, tmp_path) -> Client:
    """The same API on the same Redis, served by a process without AUTOCALL_ENCRYPTION_KEY."""
    audio = tmp_path / "audio-plain"
    audio.mkdir()
    return Client(build_app(Services(Store(redis_client), audio), [TOKEN]))


def forms(number: str) -> list[str]:
    """The ways a number could be written: national, without the 0, international."""
    return [number, number[1:], "84" + number[1:]]


def secrets() -> list[str]:
    out = [f for n in (ANSWERS, BUSY, SECOND, NO_ANSWER) for f in forms(n)] + CONTRACTS
    for name in NAMES:
        out += [name, json.dumps(name)[1:-1], name.split()[-1]]  # as is, JSON-escaped, one word of it
    return out


def redis_cli_dump(redis_client) -> str:
    """Every key and value, as redis-cli shows them (key names included)."""
    return repr(sorted(snapshot(redis_client).items(), key=lambda kv: kv[0]))


def leaked(redis_client) -> list[str]:
    dump = redis_cli_dump(redis_client)
    return [s for s in secrets() if s in dump]


def template(store: Store) -> str:
    t = Template(template_name="hello", audio_file="hello.wav")
    store.catalog.templates.put(t)
    return t.template_uuid


def create(api, store: Store, name: str = "bi-mat", **fields) -> str:
    body = {
        "campaign_name": name,
        "type": "autocall",
        "concurrent_call": 5,
        "template_uuid": template(store),
        "enable_encrypt": True,
        "recall_times": 0,
        **fields,
    }
    res = api("POST", "/v3/campaign", json=body)
    assert res.status_code == 200, res.json
    return res.json["campaign_uuid"]


def import_three(api, camp: str) -> dict[str, str]:
    """One lead by the single import, one by a CSV, one by a JSON bulk import: {first number: lead uuid}."""
    single = {
        "campaign_uuid": camp,
        "phone_number": "+84 98 135 7913",
        "external_id": "kh-1",
        "param": {"name": NAMES[0], "description": CONTRACTS[0]},
    }
    one = api("POST", "/v3/autocall/import", json=single)
    assert one.status_code == 200, one.json
    csv_text = f"phone_number,external_id,name,description\n{BUSY};{SECOND},kh-2,{NAMES[1]},{CONTRACTS[1]}\n"
    two = api(
        "POST",
        "/v3/autocall/import/bulk",
        body=csv_text.encode(),
        headers={"Content-Type": "text/csv"},
        query_string=f"campaign_uuid={camp}&with_leads=true",
    )
    three = api(
        "POST",
        "/v3/autocall/import/bulk",
        json={
            "campaign_uuid": camp,
            "leads": [
                {
                    "phone_number": NO_ANSWER,
                    "external_id": "kh-3",
                    "param": {"name": NAMES[2], "description": CONTRACTS[2]},
                }
            ],
        },
        query_string="with_leads=true",
    )
    assert two.json["imported"] == 1 and three.json["imported"] == 1, (two.json, three.json)
    return {
        ANSWERS: one.json["lead_uuid"],
        BUSY: two.json["leads"][0]["lead_uuid"],
        NO_ANSWER: three.json["leads"][0]["lead_uuid"],
    }


# -- end to end ------------------------------------------------------------------------------------
def test_nothing_readable_in_redis_everything_readable_through_the_api(
    api, services, store, redis_client, simswitch, tmp_path
):
    services.webhook_allow_private = True  # the receiver is on 127.0.0.1
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: (q.path, q.json()))
        camp = create(
            api,
            store,
            callback_url=f"{receiver.url}/cdr",
            answer_callback_url=f"{receiver.url}/answer",
            webhook_format="vbot",
        )
        leads = import_three(api, camp)
        assert leaked(redis_client) == []
        raw = redis_client.hgetall(store.keys.lead(leads[BUSY]))
        assert raw["numbers"].startswith("enc:v1:") and raw["fields"].startswith("enc:v1:")
        assert json.loads(raw["networks"]) == ["viettel", "viettel"] and raw["external_id"] == "kh-2"

        engine = make_engine(store, simswitch(SCENARIO), tmp_path / "audio")
        try:
            assert api("POST", f"/v1/campaign/{camp}/run/start", body="{}").status_code == 200
            wait_until(lambda: all(store.leads.get(x)["state"] == "done" for x in leads.values()), timeout=20)
            engine.flush()
        finally:
            engine.stop(drain_timeout=5)
        # Results and webhooks waiting in Redis: as sealed as the leads.
        assert redis_client.zcard(store.keys.webhooks) == 4  # three ends, one answer
        assert leaked(redis_client) == []
        (call,) = redis_client.lrange(store.keys.lead_calls(leads[ANSWERS]), 0, -1)
        raw_cdr = redis_client.hgetall(store.keys.call(call))
        assert raw_cdr["numbers"].startswith("enc:v1:") and raw_cdr["answered_number"].startswith("enc:v1:")
        assert raw_cdr["recall_status"] == "answered" and raw_cdr["caller_id"] == "02812345678"
        for delivery in redis_client.zrange(store.keys.webhooks, 0, -1):
            assert redis_client.hget(store.keys.webhook(delivery), "body").startswith("enc:v1:")

        sender = WebhookSender(store, allow_private=True)
        sender.start()
        try:
            wait_until(lambda: len(got) == 4, timeout=20)
        finally:
            sender.stop()

    # The API opens them.
    assert json.loads(store.leads.get(leads[BUSY])["numbers"]) == [BUSY, SECOND]
    assert json.loads(store.leads.get(leads[ANSWERS])["fields"]) == {"name": NAMES[0], "description": CONTRACTS[0]}
    page = api("GET", "/v3/autocall/cdr", query_string=f"campaign_uuid={camp}").json
    by_number = {c["phone_numbers"][0]: c for c in page["data"]}
    assert set(by_number) == {ANSWERS, BUSY, NO_ANSWER} and page["total"] == 3
    assert by_number[ANSWERS]["answered_number"] == ANSWERS and by_number[BUSY]["answered_number"] == ""
    assert by_number[BUSY]["status"] == "busy" and by_number[ANSWERS]["external_id"] == "kh-1"
    csv_text = api("GET", "/v3/autocall/cdr.csv", query_string=f"campaign_uuid={camp}").text
    assert all(n in csv_text for n in (ANSWERS, BUSY, NO_ANSWER)) and "enc:" not in csv_text
    # The webhooks carry them plain (VBot bodies: the phone, and the name and description fields).
    ends = {b["phone"]: b for path, b in got if path == "/cdr"}
    assert set(ends) == {ANSWERS, BUSY, NO_ANSWER}
    shown = [(ends[n]["name"], ends[n]["description"]) for n in (ANSWERS, BUSY, NO_ANSWER)]
    assert shown == list(zip(NAMES, CONTRACTS, strict=True))
    (answer,) = [b for path, b in got if path == "/answer"]
    assert answer["phone"] == ANSWERS and answer["name"] == NAMES[0]
    assert leaked(redis_client) == []  # delivered webhooks are gone; the rest stays sealed


def test_a_campaign_without_the_flag_stores_plain_text(api, store, redis_client):
    camp = create(api, store, name="ro-rang", enable_encrypt=False)
    leads = import_three(api, camp)
    raw = redis_client.hgetall(store.keys.lead(leads[BUSY]))
    assert json.loads(raw["numbers"]) == [BUSY, SECOND] and json.loads(raw["fields"])["name"] == NAMES[1]
    assert ANSWERS in redis_cli_dump(redis_client)


def test_turning_it_on_seals_what_is_imported_from_then_on(api, store, redis_client):
    camp = create(api, store, name="sau", enable_encrypt=False)
    before = api("POST", "/v3/autocall/import", json={"campaign_uuid": camp, "phone_number": ANSWERS, "param": {}})
    assert (
        api(
            "PUT", f"/v3/campaign/{camp}", json={"campaign_name": "sau", "type": "autocall", "enable_encrypt": True}
        ).status_code
        == 200
    )
    after = api("POST", "/v3/autocall/import", json={"campaign_uuid": camp, "phone_number": BUSY, "param": {}})
    raw_before = redis_client.hget(store.keys.lead(before.json["lead_uuid"]), "numbers")
    raw_after = redis_client.hget(store.keys.lead(after.json["lead_uuid"]), "numbers")
    assert json.loads(raw_before) == [ANSWERS] and raw_after.startswith("enc:v1:")
    assert json.loads(store.leads.get(after.json["lead_uuid"])["numbers"]) == [BUSY]


# -- dead letters ------------------------------------------------------------------------------------
def test_dead_letters_are_stored_sealed_and_listed_plain(api, store, redis_client):
    camp = create(api, store, name="thu-chet")
    body = json.dumps({"phone": ANSWERS, "name": NAMES[0]}, ensure_ascii=False)
    store.webhook_queue.queue([("http://127.0.0.1:9/cdr", body, camp)], 0)  # nothing listens on port 9
    (delivery,) = store.webhook_queue.claim(0, 1, 1)
    assert redis_client.hget(store.keys.webhook(delivery), "body").startswith("enc:v1:")
    redis_client.hset(store.keys.webhook(delivery), "tries", MAX_TRIES - 1)
    assert WebhookSender(store, allow_private=True, clock=lambda: 0.0, timeout=2).deliver(delivery) is False
    assert leaked(redis_client) == []
    (dead,) = api("GET", "/v3/webhook/dead").json["data"]
    assert dead["delivery_id"] == delivery and json.loads(dead["body"]) == {"phone": ANSWERS, "name": NAMES[0]}
    assert "refused" in dead["last_error"].lower()


def test_a_body_that_cannot_be_opened_is_a_failed_try_with_the_reason(store, redis_client):
    camp = campaign(store, enable_encrypt=True)
    store.webhook_queue.queue([("http://127.0.0.1:9/cdr", json.dumps({"phone": ANSWERS}), camp.campaign_uuid)], 0)
    (delivery,) = store.webhook_queue.claim(0, 1, 1)
    other = Store(redis_client, sealer=Sealer(OTHER_KEY))
    assert WebhookSender(other, allow_private=True, clock=lambda: 0.0, timeout=2).deliver(delivery) is False
    data = redis_client.hgetall(store.keys.webhook(delivery))
    assert data["tries"] == "1" and "AUTOCALL_ENCRYPTION" in data["last_error"]


# -- without a key ------------------------------------------------------------------------------------
def test_without_a_key_creating_an_encrypted_campaign_is_refused_and_writes_nothing(plain_api, store, redis_client):
    t = template(store)
    before = snapshot(redis_client)
    res = plain_api(
        "POST",
        "/v3/campaign",
        json={"campaign_name": "x", "type": "autocall", "template_uuid": t, "enable_encrypt": True},
    )
    assert res.status_code == 400
    ((field, message),) = res.json["error"][0].items()
    assert field == "enable_encrypt" and "AUTOCALL_ENCRYPTION_KEY" in message
    assert snapshot(redis_client) == before


def test_without_a_key_turning_it_on_is_refused_and_other_updates_go_through(plain_api, redis_client):
    camp = plain_api("POST", "/v3/campaign", json={"campaign_name": "y", "type": "autocall"}).json["campaign_uuid"]
    before = snapshot(redis_client)
    res = plain_api(
        "PUT", f"/v3/campaign/{camp}", json={"campaign_name": "y", "type": "autocall", "enable_encrypt": True}
    )
    assert res.status_code == 400 and "AUTOCALL_ENCRYPTION_KEY" in res.json["error"][0]["enable_encrypt"]
    assert snapshot(redis_client) == before
    ok = plain_api("PUT", f"/v3/campaign/{camp}", json={"campaign_name": "y", "type": "autocall", "concurrent_call": 3})
    assert ok.status_code == 200


def test_without_a_key_importing_into_an_encrypted_campaign_is_refused(api, plain_api, store, redis_client):
    camp = create(api, store, name="z")  # created by a server that has the key
    before = snapshot(redis_client)
    one = plain_api(
        "POST",
        "/v3/autocall/import",
        json={"campaign_uuid": camp, "phone_number": ANSWERS, "param": {"name": NAMES[0]}},
    )
    bulk = plain_api(
        "POST", "/v3/autocall/import/bulk", json={"campaign_uuid": camp, "leads": [{"phone_number": BUSY, "param": {}}]}
    )
    for res in (one, bulk):
        assert res.status_code == 409 and "AUTOCALL_ENCRYPTION_KEY" in res.json["error"], res.json
    assert snapshot(redis_client) == before
    with pytest.raises(NoKey):  # the store refuses too, whatever the caller
        Store(redis_client).leads.add([Lead(campaign_uuid=camp, numbers=[ANSWERS], networks=[Network.VIETTEL])], 1)


def sealed_lead(store: Store, camp, number: str, **fields) -> Lead:
    lead = Lead(campaign_uuid=camp.campaign_uuid, numbers=[number], networks=[Network.VIETTEL], fields=fields)
    store.leads.add([lead], 1_000)
    return lead


def test_an_engine_without_the_key_dials_no_encrypted_lead_and_goes_on(store, redis_client, simswitch, tmp_path):
    keyless = Store(redis_client)
    engine = make_engine(keyless, simswitch(SCENARIO), tmp_path / "audio")
    try:
        secret_camp = audio_campaign(store, enable_encrypt=True)
        held = sealed_lead(store, secret_camp, ANSWERS, name=NAMES[0])
        plain_camp = audio_campaign(store)
        plain = sealed_lead(store, plain_camp, SECOND)
        engine.wake(secret_camp.campaign_uuid)
        engine.wake(plain_camp.campaign_uuid)
        wait_until(lambda: keyless.leads.get(plain.lead_uuid).get("state") == "done", timeout=10)
        await_turn(engine, secret_camp.campaign_uuid)  # a turn that saw the sealed lead has decided
        assert store.leads.get(held.lead_uuid)["state"] == "queued"  # not claimed, not used up
        assert store.reports.queue_sizes(secret_camp.campaign_uuid)["fresh"] == 1
        assert engine.pacers[secret_camp.campaign_uuid].stopped is False
    finally:
        engine.stop(drain_timeout=5)


def test_an_engine_with_the_wrong_key_fails_the_attempt_clearly(store, redis_client, simswitch, tmp_path):
    wrong = Store(redis_client, sealer=Sealer(OTHER_KEY))
    engine = make_engine(wrong, simswitch(SCENARIO), tmp_path / "audio")
    try:
        secret_camp = audio_campaign(store, enable_encrypt=True, recall_times=0)
        lead = sealed_lead(store, secret_camp, ANSWERS, name=NAMES[0])
        plain_camp = audio_campaign(store)
        plain = sealed_lead(store, plain_camp, SECOND)
        engine.wake(secret_camp.campaign_uuid)
        engine.wake(plain_camp.campaign_uuid)
        wait_until(lambda: store.leads.get(lead.lead_uuid).get("state") == "done", timeout=10)
        wait_until(lambda: store.leads.get(plain.lead_uuid).get("state") == "done", timeout=10)
        engine.flush()
    finally:
        engine.stop(drain_timeout=5)
    cdr = wrong.calls.get(lead.call_id)
    assert cdr["hangup_cause"] == "AUTOCALL_UNREADABLE" and cdr["recall_status"] == "failed"
    assert "cannot be opened" in cdr["reason"] and "AUTOCALL_ENCRYPTION" in cdr["reason"]
    assert wrong.calls.get(plain.call_id)["recall_status"] == "answered"  # the engine went on
    assert [s for s in leaked(redis_client) if s not in forms(SECOND)] == []  # only the plain campaign's lead


def test_a_result_written_without_the_key_drops_its_numbers_rather_than_store_them_plain(store, redis_client):
    camp = campaign(store, enable_encrypt=True, callback_url="http://127.0.0.1:9/cdr")
    lead = sealed_lead(store, camp, ANSWERS)
    (claim,) = store.calls.claim(camp.campaign_uuid, 1, "fs1", 2_000, 60_000, ["c-1"])[0]
    assert claim.numbers == [ANSWERS] and claim.unreadable == ""
    cdr = call_record(numbers=claim.numbers, answered_number=ANSWERS, reason="answered", recall_status="answered")
    Store(redis_client).calls.finish(
        [
            Finish(
                camp.campaign_uuid,
                lead.lead_uuid,
                claim.call_uuid,
                claim.network,
                3_000,
                "1970010107",
                cdr,
                {"attempts": 1},
                webhooks=[("http://127.0.0.1:9/cdr", json.dumps({"phone": ANSWERS}))],
            )
        ],
        3_000,
    )
    raw = redis_client.hgetall(store.keys.call(claim.call_uuid))
    assert (raw["numbers"], raw["answered_number"], raw["recall_status"]) == ("", "", "answered")
    assert redis_client.zcard(store.keys.webhooks) == 0 and leaked(redis_client) == []


# -- tampering ------------------------------------------------------------------------------------------
def test_a_changed_or_moved_sealed_value_is_refused(store, redis_client):
    camp = campaign(store, enable_encrypt=True, concurrent_call=2)
    first = sealed_lead(store, camp, ANSWERS, name=NAMES[0])
    second = sealed_lead(store, camp, BUSY, name=NAMES[1])
    key = store.keys.lead(first.lead_uuid)
    sealed = redis_client.hget(key, "numbers")
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    redis_client.hset(key, "numbers", flipped)
    lead = store.leads.get(first.lead_uuid)
    assert lead["numbers"] == '[""]' and lead["fields"] == "{}" and "changed" in lead["unreadable"]
    # the second lead's (valid) ciphertext copied into the first does not open there either
    redis_client.hset(key, "numbers", redis_client.hget(store.keys.lead(second.lead_uuid), "numbers"))
    assert "unreadable" in store.leads.get(first.lead_uuid)
    assert json.loads(store.leads.get(second.lead_uuid)["numbers"]) == [BUSY]
    # a claim of the changed lead says it cannot be opened, and holds nothing to dial
    (claim, other) = sorted(
        store.calls.claim(camp.campaign_uuid, 2, "fs1", 2_000, 60_000, ["c-1", "c-2"])[0],
        key=lambda c: c.lead_uuid != first.lead_uuid,
    )
    assert claim.unreadable and claim.numbers == [""] and claim.fields == {}
    assert other.unreadable == "" and other.numbers == [BUSY] and other.fields == {"name": NAMES[1]}


def test_a_cdr_that_cannot_be_opened_is_listed_as_stored(api, store, redis_client):
    camp = campaign(store, enable_encrypt=True)
    lead = sealed_lead(store, camp, ANSWERS)
    (claim,) = store.calls.claim(camp.campaign_uuid, 1, "fs1", 2_000, 60_000, ["c-9"])[0]
    call = claim.call_uuid
    cdr = call_record(
        campaign=camp.campaign_uuid, lead=lead.lead_uuid, numbers=[ANSWERS], answered_number=ANSWERS, end_ms=3_000
    )
    store.calls.finish(
        [Finish(camp.campaign_uuid, lead.lead_uuid, call, claim.network, 3_000, "1970010107", cdr, {"attempts": 1})],
        3_000,
    )
    sealed = redis_client.hget(store.keys.call(call), "answered_number")
    changed = sealed[:-4] + ("AAAA" if sealed[-4:] != "AAAA" else "BBBB")
    redis_client.hset(store.keys.call(call), "answered_number", changed)
    assert "changed" in store.calls.get(call)["unreadable"]
    (shown,) = api("GET", "/v3/autocall/cdr", query_string=f"campaign_uuid={camp.campaign_uuid}").json["data"]
    assert shown["phone_numbers"] == [ANSWERS] and shown["answered_number"].startswith("enc:v1:")


# -- the sealer and its settings ----------------------------------------------------------------------------
def test_sealing_round_trips_and_plain_text_passes_through():
    sealer = Sealer(KEY)
    sealed = sealer.seal(NAMES[0], "lead:x:fields")
    assert sealed.startswith(f"enc:v1:{sealer.key_id}:") and NAMES[0] not in sealed
    assert sealer.open(sealed, "lead:x:fields") == NAMES[0]
    assert sealer.seal(NAMES[0], "lead:x:fields") != sealed  # a fresh nonce every time
    assert sealer.open('["0981357913"]', "lead:x:numbers") == '["0981357913"]'
    assert Sealer().open("plain", "c") == "plain"


def tampered(sealed: str) -> str:
    """One character changed in the middle of the ciphertext (the last ones may be base64 padding bits)."""
    i = sealed.rindex(":") + (len(sealed) - sealed.rindex(":")) // 2
    return sealed[:i] + ("x" if sealed[i] != "x" else "y") + sealed[i + 1 :]


def test_the_wrong_key_a_changed_value_or_another_context_cannot_open():
    sealed = Sealer(KEY).seal(ANSWERS, "call:c:answered_number")
    for sealer, value, context in [
        (Sealer(OTHER_KEY), sealed, "call:c:answered_number"),
        (Sealer(), sealed, "call:c:answered_number"),
        (Sealer(KEY), sealed, "call:d:answered_number"),
        (Sealer(KEY), tampered(sealed), "call:c:answered_number"),
        (Sealer(KEY), "enc:v1:zz:abc", "call:c:answered_number"),
    ]:
        with pytest.raises(CannotOpen):
            sealer.open(value, context)
    with pytest.raises(NoKey):
        Sealer().seal(ANSWERS, "x")


def test_an_old_key_still_opens_what_it_sealed_after_a_rotation():
    old = Sealer(KEY).seal(ANSWERS, "lead:x:numbers")
    rotated = Sealer(OTHER_KEY, [KEY])
    assert rotated.open(old, "lead:x:numbers") == ANSWERS
    assert rotated.seal(ANSWERS, "c").split(":")[2] == key_id(parse_key(OTHER_KEY)) != old.split(":")[2]


def test_settings_check_the_keys_without_echoing_them(redis_server):
    assert Sealer.from_settings(Settings(encryption_key=KEY, encryption_old_keys=f"{OTHER_KEY}, ")).ready
    assert not Sealer.from_settings(Settings()).ready
    assert parse_key(KEY) == parse_key(KEY.rstrip("=")) == bytes(range(32))
    for bad in ("c2hvcnQ=", "not base64 at all!", f"{KEY},{OTHER_KEY}"):
        with pytest.raises(ValidationError) as exc:
            Settings(encryption_key=bad)
        assert "AUTOCALL_ENCRYPTION_KEY" in str(exc.value) and bad not in str(exc.value)
    with pytest.raises(ValidationError, match=r"AUTOCALL_ENCRYPTION_OLD_KEYS\[1\]"):
        Settings(encryption_old_keys=f"{KEY},c2hvcnQ=")
    from dialer.daemon import build_engine

    store, _, _ = build_engine(Settings(encryption_key=KEY, redis_url=redis_server["url"], tts_engine="none"))
    assert store.sealer.ready and store.sealer.key_id == key_id(parse_key(KEY))


def test_a_sealed_campaigns_duplicate_index_holds_digests_and_still_finds_the_same_person(api, store, redis_client):
    camp = create(api, store)
    first = api("POST", "/v3/autocall/import", json={"campaign_uuid": camp, "phone_number": BUSY, "param": {}})
    again = api(
        "POST", "/v3/autocall/import", json={"campaign_uuid": camp, "phone_number": "+84" + BUSY[1:], "param": {}}
    )
    assert again.status_code == 400 and first.json["lead_uuid"] in again.json["error"][0]["phone_number"]
    (field,) = redis_client.hkeys(store.keys.numbers(camp))
    assert field.startswith(f"h:{store.sealer.key_id}:") and leaked(redis_client) == []
