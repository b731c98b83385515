"""``callcenter_config``: mod_callcenter's replies, byte for byte as FreeSWITCH 1.10.12 gave them
(tests/captures/batch5/cc-config), and what each command changes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dialer.esl.protocol import StreamParser
from simswitch.callcenter import CallCenterSettings
from simswitch.callcenter.queues import parse_conf
from tests.callcenter_fixtures import OTHER_QUEUE, QUEUE, QUEUE_PARAMS, ConfigServer, api, connect, scenario

CAPTURE = Path(__file__).parent / "captures" / "batch5" / "cc-config.plain"
REQUESTS = Path(__file__).parent / "captures" / "batch5" / "xml_curl" / "requests.json"  # every POST mod_xml_curl made
EPOCH = re.compile(r"(?<![0-9])1[0-9]{9}(?![0-9])")  # a time the module wrote (last_status_change)


@pytest.fixture
def config():
    server = ConfigServer({QUEUE: QUEUE_PARAMS, OTHER_QUEUE: {**QUEUE_PARAMS, "max-wait-time": "5"}})
    yield server
    server.stop()


@pytest.fixture
def client(simswitch, config):
    return connect(simswitch(scenario(), callcenter=config.settings()), "CUSTOM callcenter::info")


def captured_exchanges() -> list[tuple[str, str]]:
    """(api command, FreeSWITCH's reply) of every ``api`` the capture sent, in order."""
    commands = [c for c in Path(f"{CAPTURE}.cmd").read_text().split("\n\n") if c.startswith("api ")]
    messages = StreamParser().feed(Path(f"{CAPTURE}.esl").read_bytes())
    bodies = [m.body.decode() for m in messages if m.content_type == "api/response"]
    assert len(bodies) == len(commands)
    return list(zip(commands, bodies, strict=True))


def test_every_reply_of_the_captured_session_is_freeswitchs_byte_for_byte(client):
    for command, reply in captured_exchanges():
        got = client.command(command).body.decode()
        assert EPOCH.sub("<epoch>", got) == EPOCH.sub("<epoch>", reply), command


def test_an_argument_with_blanks_is_one_argument_only_when_quoted(client):
    api(client, "agent add 1001@autocall callback")
    assert api(client, "agent set status 1001@autocall 'Available (On Demand)'") == "+OK\n"
    assert api(client, "agent get status 1001@autocall") == "Available (On Demand)"
    assert api(client, "agent set status 1001@autocall Available (On Demand)") == "+OK\n"  # the rest is dropped
    assert api(client, "agent get status 1001@autocall") == "Available"


def test_a_queue_is_loaded_once_and_the_configuration_asked_with_its_name_only(client, config):
    assert api(client, f"tier add {QUEUE} x") == "-ERR Agent not found!\n"  # get_queue loaded it
    assert api(client, f"tier add {QUEUE} y") == "-ERR Agent not found!\n"
    assert [dict(f).get("CC-Queue") for f in config.forms] == [QUEUE]
    (form,) = config.forms
    assert [k for k, _ in form] == ["hostname", "section", "tag_name", "key_name", "key_value", "CC-Queue"]
    assert form[:5] == [
        ("hostname", "vm"),
        ("section", "configuration"),
        ("tag_name", "configuration"),
        ("key_name", "name"),
        ("key_value", "callcenter.conf"),
    ]


def test_mod_xml_curl_posts_what_batch5_recorded(client, config):
    api(client, f"queue load {QUEUE}")
    head, _, body = config.raw[0].partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    (recorded,) = [r for r in json.loads(REQUESTS.read_text()) if r["body"].endswith(f"CC-Queue={QUEUE}")][:1]
    host = f"127.0.0.1:{config.server.server_port}"
    assert lines[0] == b"POST /freeswitch/config HTTP/1.1"
    assert [h.decode().split(": ", 1) for h in lines[1:]] == [
        [k, host if k == "Host" else v] for k, v in recorded["headers"]
    ]
    assert body.decode() == recorded["body"]


def test_reload_reads_the_queues_new_parameters(client, config):
    api(client, f"queue load {QUEUE}")
    config.queues[QUEUE] = {**QUEUE_PARAMS, "strategy": "ring-all", "max-wait-time": "12"}
    assert api(client, f"queue reload {QUEUE}") == "+OK\n"
    line = api(client, "queue list").split("\n")[1].split("|")
    assert (line[1], line[10]) == ("ring-all", "12")


def test_a_queue_the_configuration_no_longer_serves_cannot_be_reloaded(client, config):
    api(client, f"queue load {QUEUE}")
    del config.queues[QUEUE]
    assert api(client, f"queue reload {QUEUE}") == "-ERR Invalid Queue not found!\n"
    assert api(client, "queue count") == "0\n"


def test_bad_queue_parameters_take_freeswitchs_defaults(client, config):
    config.queues["q-bad"] = {"max-wait-time": "99999", "discard-abandoned-after": "x", "tier-rules-apply": "maybe"}
    api(client, "queue load q-bad")
    line = api(client, "queue list").split("\n")[1].split("|")
    assert (line[0], line[1], line[4], line[8], line[10]) == ("q-bad", "longest-idle-agent", "false", "60", "0")


def test_an_agent_set_available_again_keeps_its_counters_but_a_change_resets_them(client):
    api(client, "agent add 1001@autocall callback")
    api(client, "agent set status 1001@autocall Available")
    changed = api(client, "agent list 1001@autocall")
    api(client, "agent set status 1001@autocall Available")
    assert api(client, "agent list 1001@autocall") == changed


def test_status_and_state_changes_fire_their_events(client):
    api(client, "agent add 1001@autocall callback")
    api(client, "agent set status 1001@autocall 'On Break'")
    api(client, "agent set state 1001@autocall Idle")
    api(client, "agent set contact 1001@autocall user/1001")
    seen = client.wait_event("CUSTOM", CC_Action="agent-contact-change")
    events = [e for e in client.events() if e.get("Event-Subclass") == "callcenter::info"]
    assert [(e.get("CC-Action"), e.get("CC-Agent-Status") or e.get("CC-Agent-State")) for e in events] == [
        ("agent-add", None),
        ("agent-status-change", "On Break"),
        ("agent-state-change", "Idle"),
        ("agent-contact-change", None),
    ]
    assert seen.get("CC-Agent-Contact") == "user/1001"


def test_the_simulator_reads_freeswitch_confs_binding_with_autocalls_globals():
    settings = CallCenterSettings.autocall("http://10.0.0.5:8080/freeswitch/config", {"AUTOCALL_FS_CDR_SECRET": "s3"})
    (binding,) = settings.bindings
    assert (binding.url, binding.cred, binding.post_vars) == (
        "http://10.0.0.5:8080/freeswitch/config",
        "freeswitch:s3",
        ("CC-Queue",),
    )
    assert binding.serves("configuration") and not binding.serves("dialplan") and binding.timeout == 2
    assert settings.conf is not None and parse_conf(settings.conf) is not None
    assert CallCenterSettings.autocall("", {}).bindings == []  # no URL: the files only
