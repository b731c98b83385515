"""The queue API (seed 004): every seed request body verbatim, every documented answer field by field,
one test over a real socket, and queues dialled by the engine against the simulator."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.domain.enums import CampaignStatus, TypeAutocall
from dialer.domain.models import Template
from simswitch import Scenario
from tests.api_fixtures import TOKEN, snapshot
from tests.conftest import free_port
from tests.engine_fixtures import await_turn, make_engine, pacer_settled, wait_until, write_wav
from tests.seed_examples import SEEDS, examples

SEED = "004_af2ae1348c1de947.txt"
EX = examples(SEED)
PUSH = EX["Nhận dữ liệu queue"]
DNC = EX["Import danh sách chặn"]
STOP = EX["Stop Queue"]
DELETE = EX["Delete Queue"]
START = EX["Start Queue"]
QUEUE = "Autocall-Q1"
TTS_TEXT = "Kính chào {{contract_number}}, hạn {{due_date}}, số tiền {{total_ovd_amount}}"


def path(ex) -> str:
    """The section's request path. seed_examples reads https:// URLs only (seed 004's are http://),
    so fall back to the section's own ``POST http://{{API_HOST}}/...`` request line."""
    if ex.path:
        return ex.path
    text = SEEDS.joinpath(SEED).read_text()
    section = text.split(f"## {ex.title}\n", 1)[1].split("\n## ", 1)[0]
    method, found = re.search(r"`(\w+) http://\{\{API_HOST\}\}(\S+)`", section).groups()
    assert method == ex.method
    return found


def test_the_seed_sections_are_the_five_endpoints():
    assert {t: (ex.method, path(ex)) for t, ex in EX.items()} == {
        "Nhận dữ liệu queue": ("POST", "/v2/autocall/queue"),
        "Import danh sách chặn": ("POST", "/v2/autocall/queue/dnc"),
        "Stop Queue": ("POST", "/v2/autocall/queue/stop"),
        "Delete Queue": ("POST", "/v2/autocall/queue/delete"),
        "Start Queue": ("POST", "/v2/autocall/queue/start"),
    }
    for ex in EX.values():  # the curl body and the "Sample data" are the same request
        assert json.loads(ex.data) == ex.samples[0]


def seed_shape(body: dict[str, Any], seed: dict[str, Any]) -> None:
    """Every field the seed documents, in its order, with its value; extra fields only after them."""
    assert list(body)[: len(seed)] == list(seed)
    for key, value in seed.items():
        if isinstance(value, dict):
            seed_shape(body[key], value)
        else:
            assert body[key] == value, key


@pytest.fixture
def ivr(store, services) -> Template:
    template = Template(template_name="IVR-1", audio_file="hello.wav")
    store.catalog.templates.put(template)
    write_wav(services.audio_dir / "hello.wav")  # a queue starts only with a file to play
    return template


@pytest.fixture
def tts(store) -> Template:
    template = Template(template_name="IVR-TTS", text=TTS_TEXT)
    store.catalog.templates.put(template)
    return template


def push(api, body: dict[str, Any] | None = None, **changes: Any):
    return api("POST", path(PUSH), json={**(body or json.loads(PUSH.data)), **changes})


def customer(cid: str, *mobiles: str, **fields: Any) -> dict[str, Any]:
    return {"id": cid, "mobiles": list(mobiles), **fields}


def queue_campaign(store, code: str = QUEUE):
    uuid = store.campaigns.uuid_by_name(code)
    return store.campaigns.get(uuid) if uuid else None


def queued_leads(store, camp) -> dict[str, dict[str, str]]:
    """The campaign's leads by customer id."""
    out = {}
    for lead in store.r.zrange(store.keys.leads(camp.campaign_uuid), 0, -1):
        data = store.leads.get(lead)
        out[data["external_id"]] = data
    return out


# -- push ---------------------------------------------------------------------------------
def test_a_push_whose_customers_are_all_refused_leaves_the_queue_as_it_was(api, store, redis_client, ivr):
    """The sort cannot see that B's mobile is pending under A; the import can. The push is refused
    whole, and the settings it carried (concurrent_call 7) are not written either."""
    from tests.api_fixtures import snapshot

    body = {"queue_code": "Q", "template": "IVR-1"}
    assert push(api, body, customers=[customer("A", "0981000001")], concurrent_call=2).status_code == 200
    before = snapshot(redis_client)
    res = push(api, body, customers=[customer("B", "0981000001")], concurrent_call=7)
    assert res.status_code == 400 and res.json["data"]["fail"] == ["B"]
    assert snapshot(redis_client) == before and queue_campaign(store, "Q").concurrent_call == 2


def test_the_seed_push_creates_the_queue_and_answers_the_seed_response(api, store, ivr):
    res = api(PUSH.method, path(PUSH), body=PUSH.data)
    assert res.status_code == 200
    seed_shape(res.json, PUSH.responses[0])
    assert res.json == {
        "code": 200,
        "content": "successfully",
        "data": {"fail": [], "success": ["TEL4VN_Test"], "reasons": {}, "warnings": {}},
    }
    camp = queue_campaign(store)
    assert camp.campaign_name == QUEUE and camp.template_uuid == ivr.template_uuid
    assert camp.type_autocall is TypeAutocall.AUDIO and camp.status is CampaignStatus.START
    assert (camp.concurrent_call, camp.recall_times, camp.min_recall_duration) == (5, 3, 3)
    lead = queued_leads(store, camp)["TEL4VN_Test"]
    assert json.loads(lead["numbers"]) == ["0982596021"] and json.loads(lead["networks"]) == ["viettel"]
    assert json.loads(lead["fields"]) == {
        "contract_number": "HD123456",
        "upcoming_due_date": "2021-07-13",
        "upcoming_amount": 5000000,
        "due_date": "2021-07-13",
        "dpd": 5,
        "number_of_ovd_inst": 6,
        "total_ovd_amount": 3211100,
    }
    assert store.campaigns.running() == {camp.campaign_uuid}


def test_the_sample_data_is_the_same_request(api, ivr):
    res = api("POST", path(PUSH), json=PUSH.samples[0])
    seed_shape(res.json, PUSH.responses[0])


def test_nothing_to_take_answers_the_seed_error_and_writes_nothing(api, redis_client, ivr):
    before = snapshot(redis_client)
    res = push(api, customers=[])
    assert res.status_code == 400
    seed_shape(res.json, PUSH.errors[0])
    assert res.json == {
        "code": 400,
        "content": "import fail",
        "data": {"fail": [], "success": [], "reasons": {}, "warnings": {}},
    }
    assert snapshot(redis_client) == before


def test_no_customer_taken_lists_each_with_its_reason_and_writes_nothing(api, redis_client, ivr):
    before = snapshot(redis_client)
    res = push(
        api, customers=[customer("A", "12"), customer("B"), {"id": "C"}, customer("D", "0982596021", nested={"x": 1})]
    )
    assert res.status_code == 400 and res.json["code"] == 400 and res.json["content"] == "import fail"
    data = res.json["data"]
    assert data["success"] == [] and data["fail"] == ["A", "B", "C", "D"]
    assert data["reasons"] == {
        "A": "no valid mobile: 12 is not a Vietnamese phone number: it must start with 0, 84, +84 or 0084 "
        "(a spreadsheet may have dropped the leading 0)",
        "B": "no valid mobile: mobiles is empty",
        "C": "no valid mobile: mobiles is empty",
        "D": "nested: Invalid type. Expected: string, given: object",
    }
    assert snapshot(redis_client) == before  # no queue was created


def test_a_partial_push_takes_the_good_customers_and_says_why_for_the_others(api, store, ivr):
    push(api, customers=[customer("old", "0982000001")])
    camp = queue_campaign(store)
    api("POST", path(DNC), json={"queue_code": QUEUE, "customers": [{"id": "blocked"}]})
    res = push(
        api,
        customers=[
            customer("new", "0982000002"),
            customer("old", "0982000003"),
            customer("blocked", "0982000004"),
            customer("new", "0982000005"),
            customer("bad", "0123456789"),
        ],
    )
    assert res.status_code == 200 and res.json["code"] == 200 and res.json["content"] == "successfully"
    data = res.json["data"]
    assert data["success"] == ["new"] and data["fail"] == ["new", "old", "blocked", "bad"]  # request order
    assert data["reasons"] == {
        "old": "duplicate id: this customer is already in the queue, with calls pending",
        "blocked": "do not call: this customer is on the queue's do-not-call list",
        "new": "duplicate id: this customer is given more than once in the request (only the first one counts)",
        "bad": "no valid mobile: 0123456789 is not a Vietnamese phone number: prefix 012 is not assigned to "
        "any Vietnamese network",
    }
    leads = queued_leads(store, camp)
    assert set(leads) == {"old", "new"} and json.loads(leads["new"]["numbers"]) == ["0982000002"]


def test_several_mobiles_are_normalised_and_the_invalid_ones_dropped_with_a_warning(api, store, ivr):
    res = push(api, customers=[customer("A", "84982596021", "12", "+84 912 345 678", "0982596021")])
    assert res.json["data"]["success"] == ["A"] and res.json["data"]["fail"] == []
    assert res.json["data"]["warnings"] == {
        "A": "mobile dropped: 12 is not a Vietnamese phone number: it must "
        "start with 0, 84, +84 or 0084 (a spreadsheet may have dropped "
        "the leading 0); mobile 0982596021 dropped: the same number as "
        "84982596021"
    }
    lead = queued_leads(store, queue_campaign(store))["A"]
    assert json.loads(lead["numbers"]) == ["0982596021", "0912345678"]
    assert json.loads(lead["networks"]) == ["viettel", "vina"]


def test_more_than_five_valid_mobiles_is_a_fail(api, ivr):
    res = push(api, customers=[customer("A", *[f"098200000{i}" for i in range(6)]), customer("B", "0982596021")])
    assert res.json["data"]["reasons"] == {"A": "mobiles: at most 5 numbers per lead"}


def test_an_integer_customer_id_is_taken_as_text(api, store, ivr):
    res = push(api, customers=[{"id": 1234, "mobiles": ["0982596021"]}])
    assert res.json["data"]["success"] == ["1234"]
    assert "1234" in queued_leads(store, queue_campaign(store))


def test_a_text_template_makes_a_tts_queue_whose_customers_need_its_fields(api, store, tts):
    body = json.loads(PUSH.data)
    short = customer("short", "0982000001", contract_number="HD1")
    res = push(api, template="IVR-TTS", customers=[short, *body["customers"]])
    assert res.json["data"]["success"] == ["TEL4VN_Test"] and res.json["data"]["fail"] == ["short"]
    reason = res.json["data"]["reasons"]["short"]
    assert reason == (
        "due_date is required (the campaign's template says {{due_date}}); total_ovd_amount is "
        "required (the campaign's template says {{total_ovd_amount}})"
    )
    camp = queue_campaign(store)
    assert camp.type_autocall is TypeAutocall.VOICE_TTS and camp.template_uuid == tts.template_uuid


def test_a_template_is_named_by_its_name_or_its_uuid(api, store, ivr):
    res = push(api, template=ivr.template_uuid)
    assert res.json["data"]["success"] == ["TEL4VN_Test"]
    assert queue_campaign(store).template_uuid == ivr.template_uuid


def test_an_unknown_template_is_404_and_writes_nothing(api, redis_client, ivr):
    before = snapshot(redis_client)
    res = push(api, template="IVR-9")
    assert res.status_code == 404 and res.json == {"code": 404, "content": "template not found"}
    assert snapshot(redis_client) == before


def test_two_templates_of_the_same_name_are_refused(api, store, ivr):
    store.catalog.templates.put(Template(template_name="IVR-1", audio_file="other.wav"))
    res = push(api)
    assert res.status_code == 409 and res.json["code"] == 409
    assert res.json["content"] == (
        "template IVR-1 is ambiguous: 2 templates have this name; rename one or give its template_uuid"
    )


def test_a_template_with_neither_audio_nor_text_is_refused(api, store):
    store.catalog.templates.put(Template(template_name="IVR-1"))
    res = push(api)
    assert res.status_code == 400
    assert res.json == {
        "code": 400,
        "content": "template IVR-1 has neither an audio_file nor a text: a queue plays the one or speaks the other",
    }


def test_a_second_push_updates_the_settings_given_and_appends_its_customers(api, store, ivr, tts):
    push(api)
    api("POST", path(STOP), body=STOP.data)
    res = push(
        api,
        {
            "queue_code": QUEUE,
            "template": "IVR-1",
            "concurrent_call": 9,
            "customers": [customer("second", "0912345678")],
        },
    )
    assert res.json["data"]["success"] == ["second"]
    camp = queue_campaign(store)
    assert (camp.concurrent_call, camp.recall_times, camp.min_recall_duration) == (9, 3, 3)
    assert camp.status is CampaignStatus.PAUSE  # a push does not restart a stopped queue
    assert set(queued_leads(store, camp)) == {"TEL4VN_Test", "second"}
    push(
        api,
        {
            "queue_code": QUEUE,
            "template": "IVR-TTS",
            "max_recall_count": 0,
            "min_recall_duration": 0,
            "mode_call": "parallel",
            "customers": [customer("third", "0912345679", contract_number="x", due_date="y", total_ovd_amount=1)],
        },
    )
    camp = queue_campaign(store)
    assert camp.template_uuid == tts.template_uuid and camp.type_autocall is TypeAutocall.VOICE_TTS
    assert (camp.recall_times, camp.min_recall_duration, camp.mode_call.value) == (0, 0, "parralel")


def test_a_refused_push_to_an_existing_queue_changes_no_setting(api, redis_client, store, ivr):
    push(api)
    before = snapshot(redis_client)
    res = push(api, concurrent_call=50)  # its only customer is already queued
    assert res.status_code == 400 and res.json["data"]["fail"] == ["TEL4VN_Test"]
    assert snapshot(redis_client) == before


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"queue_code": None}, [{"queue_code": "Invalid type. Expected: string, given: null"}]),
        ({"concurrent_call": "5"}, [{"concurrent_call": "Invalid type. Expected: integer, given: string"}]),
        ({"concurrent_call": 0}, [{"concurrent_call": "Must be greater than or equal to 1"}]),
        ({"concurent_call": 5}, [{"(root)": "Additional property concurent_call is not allowed"}]),
        ({"customers": [{"mobiles": ["0982596021"]}]}, [{"customers.0": "id is required"}]),
        (
            {"customers": [{"id": "", "mobiles": ["0982596021"]}]},
            [{"customers.0.id": "String length must be greater than or equal to 1"}],
        ),
        (
            {"mode_call": "round"},
            [{"mode_call": 'mode_call must be one of the following: "direct", "serial", "parralel", "parallel"'}],
        ),
    ],
)
def test_an_invalid_body_is_400_in_the_queue_shape_and_writes_nothing(api, redis_client, ivr, change, errors):
    body = {k: v for k, v in {**json.loads(PUSH.data), **change}.items()}
    before = snapshot(redis_client)
    res = api("POST", path(PUSH), json=body)
    assert res.status_code == 400 and res.json["code"] == 400 and res.json["errors"] == errors
    field, message = next(iter(errors[0].items()))
    assert res.json["content"] == (message if field == "(root)" else f"{field}: {message}")
    assert snapshot(redis_client) == before


def test_a_missing_required_field_is_named(api, ivr):
    body = json.loads(PUSH.data)
    del body["template"]
    res = api("POST", path(PUSH), json=body)
    assert res.json == {
        "code": 400,
        "content": "template is required",
        "errors": [{"(root)": "template is required"}],
        "data": {"fail": [], "success": []},
    }


def test_no_token_is_401_in_the_queue_shape(api):
    res = api("POST", path(PUSH), body=PUSH.data, auth=False)
    assert res.status_code == 401 and res.json == {"code": 401, "content": "Unauthorized"}


def test_a_body_that_is_not_json_is_400(api):
    res = api("POST", path(STOP), body="{queue_code")
    assert res.status_code == 400 and res.json["code"] == 400
    assert res.json["content"].startswith("request body is not valid JSON")


# -- dnc, stop, start, delete ---------------------------------------------------------------
def test_the_seed_dnc_marks_the_customers_and_answers_the_seed_response(api, store, ivr):
    body = json.loads(PUSH.data)
    body["customers"] = [customer("KH_01", "0982000001"), customer("KH_09", "0982000009")]
    push(api, body)
    res = api(DNC.method, path(DNC), body=DNC.data)
    assert res.status_code == 200 and res.json == DNC.responses[0]
    seed_shape(res.json, DNC.responses[0])
    camp = queue_campaign(store)
    leads = queued_leads(store, camp)
    assert leads["KH_01"].get("dnc") == "1" and "dnc" not in leads["KH_09"]
    listed = store.leads.dnc_members(camp.campaign_uuid, ["KH_01", "KH_02", "KH_03", "KH_09"])
    assert listed == {"KH_01", "KH_02", "KH_03"}
    # a customer on the list cannot be pushed afterwards
    res = push(api, body, customers=[customer("KH_02", "0982000002")])
    assert res.status_code == 400 and res.json["data"]["fail"] == ["KH_02"]


def test_dnc_sample_data_is_the_same_request(api, ivr):
    push(api, queue_code=QUEUE)
    assert api("POST", path(DNC), json=DNC.samples[0]).json == DNC.responses[0]


@pytest.mark.parametrize("ex", [DNC, STOP, START, DELETE], ids=lambda ex: ex.title)
def test_every_operation_on_an_unknown_queue_answers_the_seed_error(api, redis_client, ex):
    before = snapshot(redis_client)
    res = api(ex.method, path(ex), body=ex.data)
    assert res.status_code == 404 and res.json == ex.errors[0]
    seed_shape(res.json, ex.errors[0])
    assert snapshot(redis_client) == before


def test_stop_pauses_start_resumes_and_delete_needs_a_stopped_queue(api, store, ivr):
    push(api)
    camp = queue_campaign(store)
    res = api(DELETE.method, path(DELETE), body=DELETE.data)
    assert res.status_code == 409
    assert res.json == {"code": 409, "content": "queue is running: stop it first (POST /v2/autocall/queue/stop)"}
    assert queue_campaign(store) is not None

    res = api(STOP.method, path(STOP), body=STOP.data)
    assert res.status_code == 200 and res.json == STOP.responses[0]
    seed_shape(res.json, STOP.responses[0])
    assert queue_campaign(store).status is CampaignStatus.PAUSE and not store.campaigns.running()
    assert api("POST", path(STOP), json=STOP.samples[0]).json == STOP.responses[0]  # stopping twice is fine

    res = api(START.method, path(START), body=START.data)
    assert res.status_code == 200 and res.json == START.responses[0]
    seed_shape(res.json, START.responses[0])
    assert queue_campaign(store).status is CampaignStatus.START and store.campaigns.running() == {camp.campaign_uuid}

    api("POST", path(STOP), json=STOP.samples[0])
    res = api(DELETE.method, path(DELETE), body=DELETE.data)
    assert res.status_code == 200 and res.json == DELETE.responses[0]
    seed_shape(res.json, DELETE.responses[0])
    assert queue_campaign(store) is None
    assert api("POST", path(START), json=START.samples[0]).json == START.errors[0]

    # the queue_code is free again: the next push is a new queue
    res = push(api)
    assert res.json["data"]["success"] == ["TEL4VN_Test"]
    assert queue_campaign(store).campaign_uuid != camp.campaign_uuid


def test_the_queue_routes_are_in_the_openapi_document(api):
    doc = api("GET", "/openapi.json").json
    for ex in EX.values():
        assert "post" in doc["paths"][path(ex)]
    body = doc["paths"]["/v2/autocall/queue"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/PushBody"}
    assert set(doc["components"]["schemas"]["PushBody"]["required"]) == {"queue_code", "template", "customers"}


# -- a real socket ---------------------------------------------------------------------------
def test_the_seed_requests_over_a_real_socket(services, store, ivr):
    listen = f"127.0.0.1:{free_port()}"
    server = make_server(build_app(services, [TOKEN]), listen)
    server.start()

    def http(ex, data: str) -> tuple[int, dict[str, Any]]:
        req = urllib.request.Request(
            f"http://{listen}{path(ex)}",
            method=ex.method,
            data=data.encode(),
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as res:
                return res.status, json.loads(res.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    try:
        assert http(STOP, STOP.data) == (404, STOP.errors[0])
        status, body = http(PUSH, PUSH.data)
        assert status == 200 and body["data"]["success"] == ["TEL4VN_Test"]
        seed_shape(body, PUSH.responses[0])
        status, body = http(PUSH, PUSH.data)
        assert status == 400 and body["content"] == "import fail"
        assert (body["data"]["fail"], body["data"]["success"]) == (["TEL4VN_Test"], [])
        for ex in (DNC, STOP, START, STOP, DELETE):
            assert http(ex, ex.data) == (200, ex.responses[0]), ex.title
        assert http(DELETE, DELETE.data) == (404, DELETE.errors[0])
    finally:
        server.stop()


# -- the engine against the simulator ---------------------------------------------------------
ANSWER = {"match": "^098", "ring": 0.1, "answer": {"talk": 0.5}}


@pytest.fixture
def engine_on(store, services, simswitch):
    engines = []

    def start(scenario: Scenario, time_scale: float = 1.0):
        server = simswitch(scenario, time_scale=time_scale)
        engine = make_engine(store, server, services.audio_dir)
        engines.append(engine)
        return engine, server

    yield start
    for engine in engines:
        engine.stop(drain_timeout=5)


def cdrs(store, camp) -> list[dict[str, str]]:
    return [store.calls.get(c) for c in store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)]


def reported(store, camp, n: int):
    return lambda: len([c for c in cdrs(store, camp) if c.get("reported") == "1"]) >= n


def test_a_queue_pushed_dncd_stopped_started_and_deleted_makes_exactly_the_calls_it_should(api, store, ivr, engine_on):
    engine, server = engine_on(Scenario(rules=[ANSWER], default={"mix": {"sip503": 1}}))
    stats = server.switch.stats
    number = {"A": "0981000001", "B": "0981000002", "C": "0981000003", "D": "0981000004"}
    res = push(
        api,
        queue_code="Q",
        concurrent_call=1,
        max_recall_count=2,
        min_recall_duration=0,
        customers=[customer("A", number["A"])],
    )
    assert res.json["data"]["success"] == ["A"]
    camp = queue_campaign(store, "Q")
    wait_until(lambda: stats.originated == 1)  # A is dialled at once, and is in its call
    res = push(api, {"queue_code": "Q", "template": "IVR-1", "customers": [customer(c, number[c]) for c in "BCD"]})
    assert res.json["data"]["success"] == ["B", "C", "D"]
    # A is in its call: left alone. C is not dialled yet: skipped.
    assert store.calls.in_flight(camp.campaign_uuid) == 1 and stats.originated == 1
    assert api("POST", path(DNC), json={"queue_code": "Q", "customers": [{"id": "A"}, {"id": "C"}]}).status_code == 200
    wait_until(lambda: stats.originated == 2)  # A ended; B or D is in its call
    pacer = engine.pacers[camp.campaign_uuid]
    assert api("POST", path(STOP), json={"queue_code": "Q"}).json == STOP.responses[0]
    wait_until(reported(store, camp, 2))  # the call in progress finishes...
    wait_until(lambda: pacer_settled(pacer) and camp.campaign_uuid not in engine.pacers)
    # ...and no other starts while stopped
    assert stats.originated == 2 and store.calls.in_flight(camp.campaign_uuid) == 0
    assert api("POST", path(START), json={"queue_code": "Q"}).json == START.responses[0]
    wait_until(reported(store, camp, 3))
    await_turn(engine, camp.campaign_uuid)  # a turn after the last call has decided: C is never dialled
    engine.flush()
    assert stats.originated == 3
    assert dict(stats.attempts_by_number) == {number["A"]: 1, number["B"]: 1, number["D"]: 1}
    assert [c["recall_status"] for c in cdrs(store, camp)] == ["answered"] * 3
    leads = queued_leads(store, camp)
    assert leads["C"]["state"] == "done" and leads["C"]["attempts"] == "0"
    assert api("POST", path(DELETE), json={"queue_code": "Q"}).status_code == 409
    api("POST", path(STOP), json={"queue_code": "Q"})
    assert api("POST", path(DELETE), json={"queue_code": "Q"}).json == DELETE.responses[0]
    assert api("POST", path(START), json={"queue_code": "Q"}).json == START.errors[0]


def test_min_recall_duration_recalls_an_answered_call_that_was_too_short(api, store, ivr, engine_on):
    engine, server = engine_on(Scenario(rules=[ANSWER]), time_scale=0.05)
    push(api, queue_code="Q", max_recall_count=1, min_recall_duration=3, customers=[customer("A", "0981000001")])
    camp = queue_campaign(store, "Q")
    recalls = store.keys.recalls(camp.campaign_uuid)
    wait_until(lambda: store.r.zcard(recalls) == 1)  # planned 5 minutes out (a new queue's default) ...
    store.r.zadd(recalls, {store.r.zrange(recalls, 0, 0)[0]: 0})  # ... made due now
    engine.wake(camp.campaign_uuid)
    wait_until(reported(store, camp, 2))
    engine.flush()
    first, second = cdrs(store, camp)
    assert first["report_key"] == "answered" and first["recall_status"] == "no-answered"
    assert "min_recall_duration 3 s" in first["reason"] and second["recall_status"] == "no-answered"
    assert server.switch.stats.attempts_by_number["0981000001"] == 2


def test_several_mobiles_follow_the_queues_mode_call(api, store, ivr, engine_on):
    busy_then_answer = Scenario(
        rules=[{"match": "^0980000000$", "sip": 486}, {"match": "^0980000001$", "ring": 0.1, "answer": {"talk": 0.5}}]
    )
    _engine, server = engine_on(busy_then_answer, time_scale=0.05)
    push(
        api,
        queue_code="Q",
        mode_call="serial",
        max_recall_count=0,
        min_recall_duration=0,
        customers=[customer("A", "0980000000", "0980000001")],
    )
    camp = queue_campaign(store, "Q")
    wait_until(reported(store, camp, 1))
    (cdr,) = cdrs(store, camp)
    assert cdr["recall_status"] == "answered" and cdr["answered_number"] == "0980000001"
    assert dict(server.switch.stats.attempts_by_number) == {"0980000000": 1, "0980000001": 1}


def test_a_new_queue_waits_five_minutes_before_a_recall(api, store, ivr):
    push(api, queue_code="Q5", customers=[customer("A", "0981000001")])
    assert queue_campaign(store, "Q5").schedule_recall_duration == 5


# -- a customer is pushed again once its calls are done (issue 15) --------------------------------------
QUEUED = "duplicate id: this customer is already in the queue, with calls pending"


def test_a_customer_whose_calls_are_done_gets_a_new_lead_when_pushed_again(api, store, ivr, engine_on):
    _engine, server = engine_on(Scenario(rules=[ANSWER]), time_scale=0.05)
    push(api, queue_code="Q", max_recall_count=0, customers=[customer("A", "0981000001", month="01")])
    camp = queue_campaign(store, "Q")
    wait_until(reported(store, camp, 1))
    wait_until(lambda: queued_leads(store, camp)["A"]["state"] == "done")
    res = push(api, queue_code="Q", customers=[customer("A", "0981000001", month="02")])  # next month's reminder
    assert res.status_code == 200 and res.json["data"]["success"] == ["A"] and res.json["data"]["fail"] == []
    wait_until(reported(store, camp, 2))
    assert server.switch.stats.attempts_by_number["0981000001"] == 2
    assert store.r.zcard(store.keys.leads(camp.campaign_uuid)) == 2
    assert json.loads(queued_leads(store, camp)["A"]["fields"]) == {"month": "02"}  # the id names the new lead


def test_a_customer_with_a_recall_due_is_still_in_the_queue(api, store, ivr, engine_on):
    _engine, _server = engine_on(Scenario(rules=[{"match": "^098", "ring": 0.1, "sip": 486}]), time_scale=0.05)
    push(api, queue_code="Q", max_recall_count=1, customers=[customer("A", "0981000001")])
    camp = queue_campaign(store, "Q")
    wait_until(lambda: store.r.zcard(store.keys.recalls(camp.campaign_uuid)) == 1)  # busy: recalled in 5 minutes
    res = push(api, queue_code="Q", customers=[customer("A", "0981000002")])
    assert res.status_code == 400 and res.json["content"] == "import fail"
    assert res.json["data"]["reasons"] == {"A": QUEUED}


def test_a_customer_not_dialled_yet_is_still_in_the_queue(api, store, ivr):
    push(api, customers=[customer("A", "0981000001")])
    res = push(api, customers=[customer("A", "0981000002"), customer("B", "0981000003")])
    assert res.json["data"]["success"] == ["B"] and res.json["data"]["reasons"] == {"A": QUEUED}


# -- the same person is one lead (issue 15) -----------------------------------------------------------
def test_a_mobile_of_a_customer_with_calls_pending_is_a_duplicate(api, store, ivr):
    push(api, customers=[customer("A", "0981234567")])
    res = push(
        api, customers=[customer("B", "+84 98-123.4567"), customer("C", "(098) 123 4567"), customer("D", "0981000009")]
    )
    data = res.json["data"]
    assert data["success"] == ["D"] and data["fail"] == ["B", "C"]
    assert data["reasons"] == {
        "B": "duplicate mobile: 0981234567 is already in the queue for customer A, with calls pending",
        "C": "duplicate mobile: 0981234567 is also customer B's, earlier in this request",
    }
    assert set(queued_leads(store, queue_campaign(store))) == {"A", "D"}
