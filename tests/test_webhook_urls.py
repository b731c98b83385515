"""callback_url / answer_callback_url cannot be turned against the operator's network (issue 15).

Over HTTP: a URL with a CR/LF (or any control character) is refused; one naming a loopback,
link-local or private address literally is refused unless AUTOCALL_WEBHOOK_ALLOW_PRIVATE is on.
At delivery: a name that resolves to such an address (DNS rebinding: the API cannot know) is not
POSTed to; the try is recorded as failed with a clear log line, the delivery stays queued, and
goes out once the operator allows internal receivers.
"""

from __future__ import annotations

import json
import logging
import socket

import pytest

from dialer.config import Settings
from dialer.domain.webhook_targets import address_problem, host_problem, literal_address
from dialer.logs import JsonFormatter
from dialer.webhooks import WebhookSender, backoff_ms
from tests.api_fixtures import snapshot
from tests.receivers import WebhookReceiver

FIELDS = ("callback_url", "answer_callback_url")
SETTING = "AUTOCALL_WEBHOOK_ALLOW_PRIVATE"


def create(api, **fields):
    return api("POST", "/v3/campaign", json={"campaign_name": "nhac-no", "type": "autocall", **fields})


# -- control characters -----------------------------------------------------------------------------
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("http://crm.example/cdr\r\nX-Injected: 1", "CR"),
        ("http://crm.example/cdr\nHost: evil", "LF"),
        ("http://crm.example/c\x00dr", "NUL"),
        ("http://crm.example/c\tdr", "TAB"),
        ("http://crm.example/a b", "a space"),
        ("http://crm.example/\x7f", "U+007F"),
        ("http://crm.example/\x85", "U+0085"),
    ],
)
def test_a_url_with_a_control_character_is_refused_and_nothing_is_written(api, redis_client, field, url, found):
    before = snapshot(redis_client)
    res = create(api, **{field: url})
    assert res.status_code == 400
    assert res.json == {
        "error": [{field: f"must not contain control characters or spaces (found {found}; encode a space as %20)"}]
    }
    assert snapshot(redis_client) == before


def test_a_put_with_a_crlf_url_is_refused_too(api, redis_client):
    uuid = create(api, callback_url="https://crm.example/cdr").json["campaign_uuid"]
    before = snapshot(redis_client)
    res = api(
        "PUT",
        f"/v3/campaign/{uuid}",
        json={"campaign_name": "nhac-no", "type": "autocall", "callback_url": "https://crm.example/cdr\r\nX: 1"},
    )
    assert res.status_code == 400 and list(res.json["error"][0]) == ["callback_url"]
    assert snapshot(redis_client) == before


# -- internal addresses at the API ------------------------------------------------------------------
INTERNAL = [
    ("http://127.0.0.1:6379/", "loopback", "127.0.0.1"),
    ("http://[::1]/cdr", "loopback", "::1"),
    ("http://169.254.169.254/latest/meta-data/", "link-local", "169.254.169.254"),
    ("http://10.1.2.3/cdr", "private", "10.1.2.3"),
    ("http://172.16.0.9/cdr", "private", "172.16.0.9"),
    ("https://192.168.1.20:8443/cdr", "private", "192.168.1.20"),
    ("http://[fd00::5]/cdr", "private", "fd00::5"),
    ("http://[fe80::1]/cdr", "link-local", "fe80::1"),
    ("http://0.0.0.0:8080/", "unspecified", "0.0.0.0"),
    ("http://[::ffff:127.0.0.1]/cdr", "loopback", "::ffff:7f00:1"),
    ("http://127.1/cdr", "loopback", "127.0.0.1"),  # what inet_aton reads, as curl and urllib do
    ("http://2130706433/cdr", "loopback", "127.0.0.1"),
    ("http://0x7f.0.0.1/cdr", "loopback", "127.0.0.1"),
    ("http://100.64.0.1/cdr", "not globally routable", "100.64.0.1"),  # carrier-grade NAT
]


@pytest.mark.parametrize(("url", "kind", "address"), INTERNAL, ids=[u for u, _, _ in INTERNAL])
def test_a_literal_internal_address_is_refused_naming_the_setting(api, redis_client, url, kind, address):
    before = snapshot(redis_client)
    res = create(api, callback_url=url, answer_callback_url=url)
    assert res.status_code == 400
    why = f"is a {kind} address ({address}); set {SETTING}=true to allow internal receivers"
    assert res.json == {
        "error": [{"answer_callback_url": f"answer_callback_url {why}"}, {"callback_url": f"callback_url {why}"}]
    }
    assert snapshot(redis_client) == before


@pytest.mark.parametrize("url", ["http://localhost:8080/cdr", "http://LocalHost./cdr", "http://api.localhost/cdr"])
def test_a_localhost_name_is_the_loopback(api, url):
    res = create(api, callback_url=url)
    assert res.status_code == 400 and "names the loopback" in res.json["error"][0]["callback_url"]


@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.vn/cdr?token=x",
        "http://93.184.215.14/cdr",
        "https://[2606:4700:4700::1111]/cdr",
        "http://10.crm.example/cdr",
    ],
)
def test_public_addresses_and_names_are_accepted(api, url):
    res = create(api, callback_url=url)
    assert res.status_code == 200, res.text
    assert api("GET", f"/v3/campaign/{res.json['campaign_uuid']}").json["callback_url"] == url


def test_with_the_setting_on_internal_receivers_are_accepted(api, services):
    services.webhook_allow_private = True  # AUTOCALL_WEBHOOK_ALLOW_PRIVATE=true
    res = create(api, callback_url="http://127.0.0.1:9000/cdr", answer_callback_url="http://10.0.0.7/answer")
    assert res.status_code == 200, res.text


def test_a_campaign_keeps_its_internal_url_through_changes_to_other_fields(api, services):
    """Allowed when it was set, the setting turned off since: a PUT of another field still goes through
    (the sender refuses to deliver there, and says so)."""
    services.webhook_allow_private = True
    uuid = create(api, callback_url="http://10.0.0.7/cdr").json["campaign_uuid"]
    services.webhook_allow_private = False
    res = api(
        "PUT", f"/v3/campaign/{uuid}", json={"campaign_name": "nhac-no", "type": "autocall", "concurrent_call": 3}
    )
    assert res.status_code == 200, res.text
    res = api(
        "PUT",
        f"/v3/campaign/{uuid}",
        json={"campaign_name": "nhac-no", "type": "autocall", "callback_url": "http://10.0.0.8/cdr"},
    )
    assert res.status_code == 400


def test_the_setting_is_off_by_default():
    assert Settings.model_fields["webhook_allow_private"].default is False
    assert WebhookSender.__init__.__kwdefaults__["allow_private"] is False


# -- at delivery: what a name resolves to ----------------------------------------------------------
@pytest.fixture
def resolves(monkeypatch):
    """``resolves["crm.example"] = "127.0.0.1"``: that name resolves there (every other as usual)."""
    names: dict[str, str] = {}
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        if host in names:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return names


def test_a_name_resolving_to_a_private_address_is_a_failed_try_with_a_clear_log_line(store, resolves, caplog):
    caplog.set_level(logging.INFO, logger="autocall.webhooks")
    with WebhookReceiver() as receiver:
        got = receiver.record(lambda q: q.body)
        resolves["crm.rebind.example"] = "127.0.0.1"  # accepted by the API (a name), loopback when sent
        url = f"http://crm.rebind.example:{receiver.server.server_port}/cdr"
        store.webhook_queue.queue([(url, '{"call_id": "c1"}', "camp-1")], 0)
        (delivery,) = store.webhook_queue.claim(0, 1, 10)
        assert WebhookSender(store, clock=lambda: 0.0).deliver(delivery) is False
        assert got == []  # nothing reached the receiver
        data = store.webhook_queue.get(delivery)
        assert data["tries"] == "1" and store.r.zscore(store.keys.webhooks, delivery) == backoff_ms(1)
        assert data["last_error"] == (
            "AddressRefused: crm.rebind.example resolves to 127.0.0.1 (loopback): "
            f"not allowed for webhooks ({SETTING} is off)"
        )
        (line,) = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "autocall.webhooks"]
        assert line["msg"] == "webhook delivery refused" and line["level"] == "warning"
        assert line["error"] == data["last_error"] and line["campaign"] == "camp-1" and line["tries"] == 1
        # Not dropped: once the operator allows internal receivers, the same delivery goes out.
        assert WebhookSender(store, clock=lambda: 0.0, allow_private=True).deliver(delivery) is True
        assert got == [b'{"call_id": "c1"}'] and not store.r.exists(store.keys.webhook(delivery))


def test_a_name_is_resolved_once_per_connection_and_the_address_checked_is_the_one_used(store, resolves, monkeypatch):
    """The sender resolves once and connects to an address it checked: a second lookup answering
    differently (DNS rebinding) cannot happen between the check and the connect."""
    lookups = []
    fake = socket.getaddrinfo

    def counting(host, *args, **kwargs):
        lookups.append(host)
        return fake(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", counting)
    resolves["hooks.example"] = "10.9.8.7"
    store.webhook_queue.queue([("https://hooks.example/cdr", "{}", "camp-1")], 0)
    (delivery,) = store.webhook_queue.claim(0, 1, 10)
    assert WebhookSender(store, clock=lambda: 0.0).deliver(delivery) is False
    assert lookups == ["hooks.example"]
    assert "10.9.8.7 (private)" in store.webhook_queue.get(delivery)["last_error"]


def test_a_literal_internal_url_already_stored_is_refused_when_sent(store):
    """A campaign made while the setting was on, the setting turned off since."""
    store.webhook_queue.queue([("http://169.254.169.254/latest/meta-data/", "{}", "camp-1")], 0)
    (delivery,) = store.webhook_queue.claim(0, 1, 10)
    assert WebhookSender(store, clock=lambda: 0.0).deliver(delivery) is False
    assert store.webhook_queue.get(delivery)["last_error"] == (
        f"AddressRefused: 169.254.169.254 is a link-local address: not allowed for webhooks ({SETTING} is off)"
    )


# -- the classification itself ---------------------------------------------------------------------
def test_only_globally_routable_unicast_is_allowed():
    assert address_problem("8.8.8.8") is None and address_problem("2001:4860:4860::8888") is None
    assert [address_problem(a) for a in ("127.0.0.2", "10.0.0.1", "fe80::1%eth0", "224.0.0.1", "240.0.0.1")] == [
        "loopback",
        "private",
        "link-local",
        "multicast",
        "private",
    ]
    assert literal_address("crm.example") is None and literal_address("0177.0.0.1") == "127.0.0.1"
    assert host_problem("http://user:pw@8.8.8.8:80/x") is None and host_problem("http:///x") == "has no host"
