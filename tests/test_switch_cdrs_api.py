"""FreeSWITCH's CDRs (mod_json_cdr) taken in: ``POST /freeswitch/cdr`` and dialer/esl/json_cdr.py.

The CDRs are real ones (tests/captures/batch2/json_cdr, FreeSWITCH 1.10.12),
with their autocall_* variables pointed at a call in flight here.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest

from dialer.api.app import build_app
from dialer.esl.json_cdr import HANGUP_FIELDS, BadCdr, decode_body, read
from dialer.store.switch_cdrs import SwitchCdrs
from tests import factories
from tests.api_fixtures import TOKEN, Client, snapshot
from tests.fidelity import capture_events

CAPTURES = Path(__file__).parent / "captures" / "batch2" / "json_cdr"
ANSWERED = CAPTURES / "J1-disk" / "log-dir" / "8d7a671b-8068-4563-ae16-faf3d71260db.cdr.json"
BUSY = CAPTURES / "J1-disk" / "log-dir" / "9e0156ea-9330-4306-882a-5f5ce281a6ab.cdr.json"
SECRET = "cdr-secret-0123"


def basic(password: str, user: str = "freeswitch") -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.fixture
def cdr_api(services):
    services.cdr_secret = SECRET
    return Client(build_app(services, [TOKEN]))


@pytest.fixture
def in_flight(store):
    return factories.in_flight(store)


def cdr_of(path: Path, claim=None, leg: str | None = None) -> dict:
    """A captured CDR, its autocall variables (URL-encoded, as FreeSWITCH writes them) set to ``claim``'s call."""
    doc = json.loads(path.read_text())
    if claim is not None:
        v = doc["variables"]
        v["autocall_campaign"], v["autocall_call"] = quote(claim.campaign_uuid), quote(claim.call_uuid)
        v["uuid"] = v["origination_uuid"] = leg or claim.call_uuid
    return doc


def post(api, doc, headers=None, content_type="application/json"):
    body = json.dumps(doc, separators=(",", ":"))
    if content_type != "application/json":
        body = "cdr=" + quote(body)
    headers = {"Content-Type": content_type, **(headers if headers is not None else basic(SECRET))}
    return api("POST", f"/freeswitch/cdr?uuid={doc['variables']['uuid']}", body=body, auth=False, headers=headers)


# -- reading a CDR -------------------------------------------------------------------------------
J1_CDRS = sorted((CAPTURES / "J1-disk" / "log-dir").glob("*.cdr.json"))


@pytest.mark.parametrize("path", J1_CDRS, ids=lambda p: p.name[:8])
def test_a_cdr_reads_as_the_hangup_event_of_the_same_channel(path):
    """The CDR gives the engine exactly what CHANNEL_HANGUP_COMPLETE would have (same capture, same legs)."""
    events = {
        e.get("Unique-ID"): e
        for e in capture_events(CAPTURES / "J1-disk" / "esl.json.esl")
        if e.name == "CHANNEL_HANGUP_COMPLETE"
    }
    cdr = read(json.loads(path.read_text()))
    event = events[cdr.leg]
    expected = {k: event.get(k) for k in HANGUP_FIELDS if event.get(k) is not None and k != "Caller-Destination-Number"}
    assert cdr.hangup == expected


def test_values_are_url_decoded_and_the_number_is_not_kept():
    cdr = read(json.loads(ANSWERED.read_text()))
    assert cdr.hangup["Hangup-Cause"] == "NORMAL_CLEARING" and cdr.hangup["variable_billsec"] == "2"
    assert cdr.hangup["variable_playback_ms"] == "2000"  # the message played
    assert "Caller-Destination-Number" not in cdr.hangup
    assert (cdr.campaign, cdr.call) == ("caps2-campaign", "caps2-call-8d7a671b")


def test_a_form_encoded_cdr_reads_like_the_json_one():
    doc = json.loads(BUSY.read_text())
    form = ("cdr=" + quote(json.dumps(doc))).encode()
    assert decode_body(form, "application/x-www-form-urlencoded") == doc


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b'{"variables": {}}'])
def test_what_is_not_a_cdr_is_refused(body):
    with pytest.raises(BadCdr):
        read(decode_body(body, "application/json"))


# -- the endpoint ---------------------------------------------------------------------------------
def test_the_cdr_of_a_call_in_flight_is_kept_as_its_legs_hangup(cdr_api, store, in_flight):
    res = post(cdr_api, cdr_of(ANSWERED, in_flight))
    assert res.status_code == 200 and res.json == {"kept": 1}
    kept = SwitchCdrs(store).kept([in_flight.call_uuid])[in_flight.call_uuid]
    assert kept[in_flight.call_uuid]["Hangup-Cause"] == "NORMAL_CLEARING"
    assert kept[in_flight.call_uuid]["variable_billsec"] == "2"


def test_the_same_cdr_posted_again_changes_nothing(cdr_api, store, redis_client, in_flight):
    doc = cdr_of(ANSWERED, in_flight)
    assert post(cdr_api, doc).json == {"kept": 1}
    before = snapshot(redis_client)
    res = post(cdr_api, doc)  # mod_json_cdr retrying a POST whose answer it lost
    assert res.status_code == 200
    assert snapshot(redis_client) == before


def test_the_cdr_of_a_barrier_channel_says_it_came(cdr_api, store):
    doc = cdr_of(BUSY)
    doc["variables"]["autocall_cdr_probe"] = "true"
    probe = doc["variables"]["uuid"]
    assert not SwitchCdrs(store).probe_came(probe)
    assert post(cdr_api, doc).status_code == 200
    assert SwitchCdrs(store).probe_came(probe)


def test_a_cdr_of_a_call_already_recorded_changes_nothing(cdr_api, store, redis_client, in_flight):
    store.calls.release_slot(in_flight.campaign_uuid, in_flight.call_uuid, in_flight.network)
    before = snapshot(redis_client)
    res = post(cdr_api, cdr_of(ANSWERED, in_flight))
    assert res.status_code == 200 and res.json == {"kept": 0}
    assert snapshot(redis_client) == before


def test_a_json_cdr_labelled_as_a_form_is_taken(cdr_api, in_flight):
    """mod_json_cdr with disable-100-continue drops its Content-Type: JSON goes out as a form (batch3)."""
    doc = cdr_of(BUSY, in_flight)
    res = cdr_api(
        "POST",
        f"/freeswitch/cdr?uuid={in_flight.call_uuid}",
        body=json.dumps(doc),
        auth=False,
        headers={"Content-Type": "application/x-www-form-urlencoded", **basic(SECRET)},
    )
    assert res.status_code == 200 and res.json == {"kept": 1}


def test_a_form_encoded_cdr_is_taken_too(cdr_api, in_flight):
    res = post(cdr_api, cdr_of(BUSY, in_flight), content_type="application/x-www-form-urlencoded")
    assert res.status_code == 200 and res.json == {"kept": 1}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("wrong"),
        basic(SECRET + "x"),
        {"Authorization": f"Bearer {TOKEN}"},
        {"Authorization": "Basic !!!"},
        basic(SECRET)["Authorization"].lower(),
    ],
    ids=["none", "wrong", "longer", "api-token", "garbage", "lowercased"],
)
def test_a_cdr_without_the_secret_is_refused_and_nothing_is_written(cdr_api, redis_client, in_flight, headers):
    headers = headers if isinstance(headers, dict) else {"Authorization": headers}
    before = snapshot(redis_client)
    res = post(cdr_api, cdr_of(ANSWERED, in_flight), headers=headers)
    assert res.status_code == 401 and res.headers["WWW-Authenticate"] == 'Basic realm="autocall-cdr"'
    assert "error" in res.json
    assert snapshot(redis_client) == before


def test_any_user_name_goes_with_the_secret(cdr_api, in_flight):
    assert post(cdr_api, cdr_of(ANSWERED, in_flight), headers=basic(SECRET, user="fs2")).status_code == 200


def test_cdrs_are_refused_when_no_secret_is_set(services, redis_client, in_flight):
    api = Client(build_app(services, [TOKEN]))  # AUTOCALL_CDR_SECRET unset
    before = snapshot(redis_client)
    res = post(api, cdr_of(ANSWERED, in_flight), headers=basic(""))
    assert res.status_code == 403 and "AUTOCALL_CDR_SECRET" in res.json["error"]
    assert snapshot(redis_client) == before


def test_a_body_that_is_not_a_cdr_is_refused_with_a_clear_message(cdr_api, redis_client):
    before = snapshot(redis_client)
    res = cdr_api("POST", "/freeswitch/cdr", body="{nope", auth=False, headers=basic(SECRET))
    assert res.status_code == 400 and res.json["error"].startswith("not a FreeSWITCH JSON CDR")
    assert snapshot(redis_client) == before
