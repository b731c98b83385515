"""``POST /freeswitch/config``: mod_xml_curl asks for callcenter.conf when mod_callcenter loads a queue
(dialer/service/callcenter_queues.py).

The form is what mod_xml_curl.c's ``xml_url_fetch`` posts for mod_callcenter.c's ``load_queue``
(FreeSWITCH 1.10.12): ``hostname``, ``section``, ``tag_name``, ``key_name``, ``key_value`` (not
encoded), then the REQUEST_PARAMS event's headers URL-encoded (switch_event_build_param_string):
only ``CC-Queue`` with freeswitch-conf's ``enable-post-var``, as tests/captures/batch5/xml_curl/requests.json
shows it (quoted below), every header without it.
"""

from __future__ import annotations

import base64
from urllib.parse import quote
from xml.etree import ElementTree as ET

import pytest

from dialer.api.app import build_app
from dialer.domain.enums import CampaignType
from tests.api_fixtures import TOKEN, Client
from tests.factories import campaign

SECRET = "caps5-secret"
QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000005"
# tests/captures/batch5/xml_curl/requests.json: a queue load, and questions FreeSWITCH asks as it starts
CAPTURED_LOAD = (
    "hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=callcenter.conf"
    "&CC-Queue=5a1e0c1d-0b5e-4c55-9a41-000000000005"
)
CAPTURED_AT_START = [
    "hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=event_socket.conf",
    "hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=acl.conf",
    "hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value=post_load_switch.conf",
]
CAPTURED_AUTHORIZATION = {"Authorization": "Basic ZnJlZXN3aXRjaDpjYXBzNS1zZWNyZXQ="}  # freeswitch:caps5-secret


def form(key_value: str = "callcenter.conf", queue: str | None = QUEUE, *, every_header: bool = False) -> str:
    """mod_xml_curl's POST body."""
    body = f"hostname=vm&section=configuration&tag_name=configuration&key_name=name&key_value={key_value}"
    if every_header:  # a binding without enable-post-var
        body += (
            "&Event-Name=REQUEST_PARAMS&Core-UUID=6f0bd1b4-2a8c-4e0c-9d0e-0a1b2c3d4e5f"
            "&FreeSWITCH-Hostname=fs1&FreeSWITCH-Switchname=fs1&FreeSWITCH-IPv4=10.0.0.5&FreeSWITCH-IPv6=%3A%3A1"
            "&Event-Date-Local=2024-05-01%2010%3A00%3A00&Event-Date-GMT=Wed,%2001%20May%202024%2003%3A00%3A00%20GMT"
            "&Event-Date-Timestamp=1714532400000000&Event-Calling-File=mod_callcenter.c"
            "&Event-Calling-Function=load_queue&Event-Calling-Line-Number=725&Event-Sequence=512"
        )
    return body + (f"&CC-Queue={quote(queue, safe='')}" if queue is not None else "")


def basic(password: str = SECRET) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"freeswitch:{password}".encode()).decode()}


@pytest.fixture
def fs_api(services):
    services.cdr_secret = SECRET
    return Client(build_app(services, [TOKEN]))


def ask(api, body: str, headers: dict[str, str] | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded", **(headers if headers is not None else basic())}
    return api("POST", "/freeswitch/config", body=body, auth=False, headers=headers)


def served_queue(res) -> tuple[str, dict[str, str]]:
    """The one queue of a served callcenter.conf: its name and params."""
    doc = ET.fromstring(res.content)
    assert doc.tag == "document" and doc.get("type") == "freeswitch/xml"
    config = doc.find("./section[@name='configuration']/configuration[@name='callcenter.conf']")
    assert config is not None, res.text
    (queue,) = config.findall("./queues/queue")
    return queue.get("name", ""), {p.get("name", ""): p.get("value", "") for p in queue.findall("param")}


def not_found(res) -> bool:
    doc = ET.fromstring(res.content)
    return res.status_code == 200 and doc.find("./section[@name='result']/result").get("status") == "not found"


def test_an_autodialer_campaigns_queue_is_served_with_its_strategy_and_waits(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE, call_center_queue_strategy="ring-all")
    res = ask(fs_api, form())
    assert res.status_code == 200 and res.headers["content-type"].startswith("text/xml")
    assert served_queue(res) == (
        QUEUE,
        {
            "strategy": "ring-all",
            "moh-sound": "tone_stream://%(1000,4000,425);loops=-1",
            "max-wait-time": "5",
            "max-wait-time-with-no-agent": "5",
            "max-wait-time-with-no-agent-time-reached": "0",
            "tier-rules-apply": "false",
            "discard-abandoned-after": "10",
            "abandoned-resume-allowed": "false",
        },
    )


def test_the_captured_queue_load_with_its_credentials_gets_the_queue(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    res = ask(fs_api, CAPTURED_LOAD, CAPTURED_AUTHORIZATION)
    assert res.status_code == 200 and served_queue(res)[0] == QUEUE


@pytest.mark.parametrize("body", CAPTURED_AT_START, ids=lambda b: b.rsplit("=", 1)[1])
def test_what_freeswitch_asks_as_it_starts_is_not_found(fs_api, store, body):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert not_found(ask(fs_api, body, CAPTURED_AUTHORIZATION))


def test_a_binding_posting_every_header_gets_the_same_queue(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert served_queue(ask(fs_api, form(every_header=True))) == served_queue(ask(fs_api, form()))


def test_a_campaign_without_a_strategy_gets_longest_idle_agent(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert served_queue(ask(fs_api, form()))[1]["strategy"] == "longest-idle-agent"


def test_a_stored_strategy_mod_callcenter_does_not_know_is_served_as_the_default(fs_api, store):
    # stored before the API checked strategies (mod_callcenter would silently order by position)
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE, call_center_queue_strategy="fast")
    assert served_queue(ask(fs_api, form()))[1]["strategy"] == "longest-idle-agent"


def test_the_hold_music_and_the_wait_are_the_settings(fs_api, services, store):
    services.autodialer_moh, services.autodialer_max_wait = "$${hold_music}", 8
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    params = served_queue(ask(fs_api, form()))[1]
    assert params["moh-sound"] == "$${hold_music}"
    assert params["max-wait-time"] == params["max-wait-time-with-no-agent"] == "8"


def test_no_hold_music_setting_leaves_moh_sound_out(fs_api, services, store):
    services.autodialer_moh = ""
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert "moh-sound" not in served_queue(ask(fs_api, form()))[1]


def test_a_queue_name_is_escaped_in_the_document(fs_api, store):
    # stored before the API checked queue names: read back through an XML parser, it is the same name
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid='a&b<"c">')
    assert served_queue(ask(fs_api, form(queue='a&b<"c">')))[0] == 'a&b<"c">'


def test_a_queue_of_no_campaign_is_not_found(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert not_found(ask(fs_api, form(queue="support@default")))


def test_an_autocall_campaigns_queue_is_not_found(fs_api, store):
    campaign(store, type=CampaignType.AUTOCALL, call_center_queue_uuid=QUEUE)
    assert not_found(ask(fs_api, form()))


def test_a_deleted_campaigns_queue_is_not_found(fs_api, store):
    made = campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE, active=False)
    store.campaigns.delete(made.campaign_uuid, 1_000)
    assert not_found(ask(fs_api, form()))


def test_callcenter_conf_asked_without_a_queue_is_not_found(fs_api, store):
    # the module's own load (load_config) asks with no CC-Queue: FreeSWITCH's file has the settings
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert not_found(ask(fs_api, form(queue=None)))


def test_another_configuration_file_is_not_found(fs_api, store):
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    assert not_found(ask(fs_api, form(key_value="sofia.conf")))


def test_wrong_credentials_are_refused_with_a_challenge(fs_api):
    res = ask(fs_api, form(), basic("wrong"))
    assert res.status_code == 401 and res.headers["www-authenticate"].startswith("Basic")


def test_no_credentials_are_refused(fs_api):
    assert ask(fs_api, form(), {}).status_code == 401


def test_the_api_token_is_not_a_credential_here(fs_api):
    assert ask(fs_api, form(), {"Authorization": f"Bearer {TOKEN}"}).status_code == 401


def test_nothing_is_served_without_the_secret(services):
    api = Client(build_app(services, [TOKEN]))  # AUTOCALL_CDR_SECRET unset
    res = ask(api, form())
    assert res.status_code == 403 and "AUTOCALL_CDR_SECRET is not set" in res.json["error"]


def test_the_store_finds_the_oldest_autodialer_campaign_of_a_queue(store):
    first = campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=QUEUE)
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid="other")
    found = store.campaigns.by_queue(QUEUE)
    assert found is not None and found.campaign_uuid == first.campaign_uuid
    assert store.campaigns.by_queue("") is None and store.campaigns.by_queue("none") is None


def test_an_agent_tests_queue_is_served_with_a_minutes_wait(fs_api, store):
    """autocall agent-test's one call (dialer/agenttest.py): no campaign names the queue."""
    name, params = served_queue(ask(fs_api, form(queue="autocall-agent-test-1001")))
    assert name == "autocall-agent-test-1001" and params["strategy"] == "longest-idle-agent"
    assert params["max-wait-time"] == params["max-wait-time-with-no-agent"] == "60"


def test_a_campaign_naming_an_agent_tests_queue_gets_its_own(fs_api, store):
    queue = "autocall-agent-test-1001"
    campaign(store, type=CampaignType.AUTODIALER, call_center_queue_uuid=queue, call_center_queue_strategy="ring-all")
    assert served_queue(ask(fs_api, form(queue=queue)))[1]["strategy"] == "ring-all"


def test_an_agent_tests_queue_of_no_extension_is_not_found(fs_api, store):
    assert not_found(ask(fs_api, form(queue="autocall-agent-test-")))
