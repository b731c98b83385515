"""The simulator's mod_json_cdr does what FreeSWITCH 1.10.12's did (captures/batch2/json_cdr, README section 6).

Every test runs the simulator over real sockets and, where CDRs are posted, a real HTTP
receiver on a free loopback port that records each request byte for byte.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import gevent
import gevent.event
import pytest
from gevent.server import StreamServer

from dialer.esl.protocol import url_encode
from simswitch import JsonCdrSettings, Limits, Scenario
from simswitch.faults import restart
from simswitch.json_cdr import autocall_settings
from simswitch.json_cdr_doc import cdr_text
from simswitch.shutdown import FSCTL, Shutdown
from tests.fidelity import capture_events
from tests.test_simswitch_behaviour import login

CAPTURES = Path(__file__).parent / "captures" / "batch2" / "json_cdr"
ANSWERED = CAPTURES / "J1-disk" / "log-dir" / "8d7a671b-8068-4563-ae16-faf3d71260db.cdr.json"
BUSY = CAPTURES / "J1-disk" / "log-dir" / "9e0156ea-9330-4306-882a-5f5ce281a6ab.cdr.json"
PHASES = ("J1-disk", "J2-http-200-and-disk", "J3-http-500", "J4-http-down", "J5-http-hangs", "J6-http-500-queue")


class Receiver:
    """An HTTP/1.1 server that keeps every request's bytes; answers ``status`` (0: never), or
    waits for ``gate`` first when one is set. ``on_request`` sees each request as it arrives."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.gate: gevent.event.Event | None = None
        self.raw: list[bytes] = []
        self.on_request = None
        self.arrived = gevent.event.Event()
        self.server = StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/freeswitch/cdr"

    def uuids(self) -> list[str]:
        return [r.split(b" ", 2)[1].decode().partition("?uuid=")[2] for r in self.raw]

    def _handle(self, sock, _) -> None:
        f = sock.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline()
                if not line:
                    return
                head += line
            length = next(
                int(v) for k, _, v in (h.partition(b": ") for h in head.split(b"\r\n")) if k == b"Content-Length"
            )
            self.raw.append(head + f.read(length))
            if self.on_request is not None:
                self.on_request(self.raw[-1])
            self.arrived.set()
            if self.gate is not None:
                self.gate.wait()
            if not self.status:
                f.read()  # never answer: wait for the client to give up
                return
            sock.sendall(b"HTTP/1.1 %d X\r\nContent-Length: 0\r\n\r\n" % self.status)

    def wait(self, n: int) -> None:
        with gevent.Timeout(10):
            while len(self.raw) < n:
                self.arrived.clear()
                self.arrived.wait()


@pytest.fixture
def receiver():
    made: list[Receiver] = []

    def make(status: int = 200) -> Receiver:
        made.append(Receiver(status))
        return made[-1]

    yield make
    for r in made:
        if r.gate is not None:
            r.gate.set()
        r.server.stop(timeout=0)


SCENARIO = {
    "rules": [
        {"match": "^200", "ring": 0.2, "answer": {"talk": 600}},
        {"match": "^486", "sip": 486},
        {"match": "^0979", "ring": 0.0, "answer": {"talk": 600, "hangup": "remote"}},
    ]
}


def settings(tmp_path: Path, **kw) -> JsonCdrSettings:
    return JsonCdrSettings(log_dir=str(tmp_path / "json_cdr"), err_log_dir=str(tmp_path / "json_cdr_err"), **kw)


def start(simswitch, cdr: JsonCdrSettings, **kw):
    server = simswitch(Scenario.model_validate(SCENARIO), json_cdr=cdr, **kw)
    return server, login(server, "CHANNEL_HANGUP CHANNEL_HANGUP_COMPLETE CHANNEL_DESTROY BACKGROUND_JOB", "json")


def call(client, number: str, n: int, dest: str = "autocall XML autocall") -> str:
    """autocall's originate (batch2 README, "Setup"); returns the channel's uuid."""
    uuid = f"10000000-0000-4000-8000-{n:012d}"
    client.command(
        "bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=c,autocall_lead=l"
        f"{n},autocall_call=call-{n},autocall_file=silence_stream://2000,autocall_avmd=false}}"
        f"[origination_uuid={uuid},origination_caller_id_number=0900000000]sofia/gateway/uas/{number} {dest}"
    )
    return uuid


def hangup_complete(client, uuid: str):
    return client.wait_event("CHANNEL_HANGUP_COMPLETE", **{"Unique-ID": uuid})


def wait_for(condition, timeout: float = 10) -> None:
    with gevent.Timeout(timeout):
        while not condition():
            gevent.sleep(0.005)


# -- the CDR document ---------------------------------------------------------------------------
def captured_legs():
    """(captured HANGUP_COMPLETE, the CDR file FreeSWITCH wrote) of each outbound uas leg."""
    for phase in PHASES:
        for ev in capture_events(CAPTURES / phase / "esl.json.esl"):
            if ev.name == "CHANNEL_HANGUP_COMPLETE" and ev.get("variable_sip_gateway_name") == "uas":
                uuid = ev.get("Unique-ID")
                files = [CAPTURES / phase / d / f"{uuid}.cdr.json" for d in ("log-dir", "err-log-dir")]
                yield ev, next(f for f in files if f.exists())


def test_a_captured_hangup_complete_gives_the_captured_cdr_byte_for_byte():
    legs = list(captured_legs())
    assert len(legs) == 11
    for ev, path in legs:
        doc = json.loads(path.read_text())
        ext = next((p["extension"] for p in doc["callflow"] if "extension" in p), None)
        extension = (ext["name"], [(a["app_name"], a["app_data"]) for a in ext["applications"]]) if ext else None
        apps = [
            (a["app_name"], a["app_data"], int(a["app_stamp"])) for a in doc.get("app_log", {}).get("applications", [])
        ]
        assert cdr_text(ev.items, extension=extension, app_log=apps) + "\n" == path.read_text(), path.name


def test_cdr_variables_are_the_hangup_complete_variables_url_encoded_with_slashes_kept():
    for ev, path in captured_legs():
        variables = json.loads(path.read_text())["variables"]
        assert variables == {k[9:]: url_encode(v) for k, v in ev.items if k.startswith("variable_")}
    answered = json.loads(ANSWERED.read_text())["variables"]
    assert answered["autocall_file"] == "silence_stream%3A//2000"
    assert answered["start_stamp"] == "2026-12-02%2007%3A19%3A13"


def test_simulated_cdrs_have_the_captured_keys_and_variable_names(simswitch, tmp_path):
    _, client = start(simswitch, settings(tmp_path))
    answered, busy = call(client, "200000001", 1), call(client, "486000001", 2)
    for uuid, captured in ((answered, ANSWERED), (busy, BUSY)):
        event = hangup_complete(client, uuid)
        text = (tmp_path / "json_cdr" / f"{uuid}.cdr.json").read_text()
        assert text.endswith("}\n") and text.count("\n") == 1
        doc, want = json.loads(text), json.loads(captured.read_text())
        assert list(doc) == list(want)
        assert set(doc["variables"]) == set(want["variables"])
        # the CDR and the event agree: the event's variables, URL-encoded
        assert doc["variables"] == {k[9:]: url_encode(v) for k, v in event.items if k.startswith("variable_")}
        assert [list(p) for p in doc["callflow"]] == [list(p) for p in want["callflow"]]
        assert doc["variables"]["uuid"] == doc["variables"]["origination_uuid"] == uuid
    ok = json.loads((tmp_path / "json_cdr" / f"{answered}.cdr.json").read_text())
    assert ok["variables"]["autocall_file"] == "silence_stream%3A//2000"
    assert ok["variables"]["hangup_cause"] == "NORMAL_CLEARING" and ok["variables"]["playback_ms"] == "2000"
    assert [a["app_name"] for a in ok["app_log"]["applications"]] == ["sched_hangup", "answer", "playback", "hangup"]
    assert ok["app_log"]["applications"][2]["app_data"] == "silence_stream://2000"
    bad = json.loads((tmp_path / "json_cdr" / f"{busy}.cdr.json").read_text())
    assert (bad["variables"]["hangup_cause"], bad["variables"]["sip_term_status"]) == ("USER_BUSY", "486")
    assert bad["variables"]["sip_hangup_disposition"] == "recv_refuse" and "app_log" not in bad


# -- delivery ----------------------------------------------------------------------------------------
def test_the_post_is_the_captured_request_with_basic_auth_and_the_file_content_as_body(simswitch, receiver, tmp_path):
    rx = receiver(200)
    cdr = settings(tmp_path, url=rx.url, cred="freeswitch:s3cret", log_http_and_disk=True)
    server, client = start(simswitch, cdr)
    uuid = call(client, "486000001", 1)
    rx.wait(1)
    head, _, body = rx.raw[0].partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    captured = (CAPTURES / "J3-http-500" / "http" / "002.raw").read_bytes().partition(b"\r\n\r\n")[0].decode()
    want = captured.split("\r\n")
    assert lines[0] == f"POST /freeswitch/cdr?uuid={uuid} HTTP/1.1"
    auth = "Authorization: Basic " + base64.b64encode(b"freeswitch:s3cret").decode()
    port = rx.server.server_port
    assert lines[1:] == [f"Host: 127.0.0.1:{port}", auth, *want[2:5], f"Content-Length: {len(body)}"]
    assert body.decode() + "\n" == (tmp_path / "json_cdr" / f"{uuid}.cdr.json").read_text()
    wait_for(lambda: server.switch.json_cdr.posted == [uuid])


def test_on_500_it_tries_retries_plus_one_times_then_writes_the_body_to_err_log_dir(simswitch, receiver, tmp_path):
    rx = receiver(500)
    server, client = start(simswitch, settings(tmp_path, url=rx.url, retries=2, delay=0.05))
    uuid = call(client, "486000001", 1)
    hangup_complete(client, uuid)
    assert rx.uuids() == [uuid] * 3
    assert len({r for r in rx.raw}) == 1  # the same request each time
    assert (tmp_path / "json_cdr_err" / f"{uuid}.cdr.json").read_bytes() == rx.raw[0].partition(b"\r\n\r\n")[2] + b"\n"
    assert not list((tmp_path / "json_cdr").iterdir())  # a url and no log-http-and-disk: no log-dir file
    assert server.switch.json_cdr.backed_up == [uuid] and server.switch.json_cdr.posted == []


def test_without_a_queue_hangup_complete_comes_after_the_posts_and_the_session_counts(simswitch, receiver, tmp_path):
    rx = receiver(500)
    server, client = start(simswitch, settings(tmp_path, url=rx.url, retries=1, delay=0.05))
    seen: list[tuple[bool, list[str]]] = []
    rx.on_request = lambda raw: seen.append((uuid in server.switch.channels, [e.name for e in client.events()]))
    uuid = call(client, "486000001", 1)
    hangup_complete(client, uuid)
    assert len(seen) == 2
    for counted, names in seen:
        assert counted  # the session is still up (Session-Count, max-sessions)
        assert "CHANNEL_HANGUP_COMPLETE" not in names and "CHANNEL_DESTROY" not in names
    names = [e.name for e in client.events()]
    # the originate does not wait: its -ERR came before HANGUP_COMPLETE (J3)
    assert names.index("BACKGROUND_JOB") < names.index("CHANNEL_HANGUP_COMPLETE") < names.index("CHANNEL_DESTROY")


def test_with_a_queue_hangup_complete_is_immediate(simswitch, receiver, tmp_path):
    rx = receiver(200)
    rx.gate = gevent.event.Event()  # the receiver holds its answer
    server, client = start(simswitch, settings(tmp_path, url=rx.url, queue_capacity=10))
    uuid = call(client, "486000001", 1)
    hangup_complete(client, uuid)
    client.wait_event("CHANNEL_DESTROY", **{"Unique-ID": uuid})
    assert uuid not in server.switch.channels
    assert server.switch.json_cdr.pending() == 1
    rx.gate.set()
    wait_for(lambda: server.switch.json_cdr.posted == [uuid])
    assert server.switch.json_cdr.pending() == 0


def test_the_queue_posts_one_cdr_after_the_other_in_hangup_order(simswitch, receiver, tmp_path):
    rx = receiver(500)
    server, client = start(simswitch, settings(tmp_path, url=rx.url, retries=2, delay=0.05, queue_capacity=10))
    first = call(client, "486000001", 1)
    hangup_complete(client, first)
    second = call(client, "486000002", 2)
    hangup_complete(client, second)
    wait_for(lambda: server.switch.json_cdr.backed_up == [first, second])
    assert rx.uuids() == [first] * 3 + [second] * 3


def test_a_full_queue_writes_the_cdr_to_err_log_dir_at_once(simswitch, receiver, tmp_path):
    rx = receiver(200)
    rx.gate = gevent.event.Event()
    server, client = start(simswitch, settings(tmp_path, url=rx.url, queue_capacity=1))
    posting = call(client, "486000001", 1)
    rx.wait(1)  # being posted: out of the queue
    queued = call(client, "486000002", 2)
    hangup_complete(client, queued)
    refused = call(client, "486000003", 3)
    hangup_complete(client, refused)
    assert server.switch.json_cdr.backed_up == [refused]
    assert (tmp_path / "json_cdr_err" / f"{refused}.cdr.json").exists()
    rx.gate.set()
    wait_for(lambda: server.switch.json_cdr.posted == [posting, queued])


def test_a_receiver_that_never_answers_costs_timeout_per_attempt_then_err_log_dir(simswitch, receiver, tmp_path):
    rx = receiver(0)
    _, client = start(simswitch, settings(tmp_path, url=rx.url, retries=1, delay=0.05, timeout=0.2))
    uuid = call(client, "486000001", 1)
    hangup_complete(client, uuid)
    assert rx.uuids() == [uuid, uuid]
    assert (tmp_path / "json_cdr_err" / f"{uuid}.cdr.json").exists()


# -- which channels get one ---------------------------------------------------------------------------
def test_an_originate_refused_before_a_channel_existed_leaves_no_cdr(simswitch, tmp_path):
    server, client = start(simswitch, settings(tmp_path), limits=Limits(max_sessions=1, sps=1000))
    up = call(client, "0979000001", 1, dest="&park()")
    client.wait_event("BACKGROUND_JOB")
    refused = call(client, "0979000002", 2, dest="&park()")
    wait_for(lambda: len([e for e in client.events() if e.name == "BACKGROUND_JOB"]) == 2)
    client.command(f"api uuid_kill {up}")
    hangup_complete(client, up)
    assert sorted(p.name for p in (tmp_path / "json_cdr").iterdir()) == [f"{up}.cdr.json"]
    assert refused not in server.switch.json_cdr.written


def test_a_crash_loses_the_cdrs_of_live_calls_and_those_not_yet_posted(simswitch, receiver, tmp_path):
    rx = receiver(200)
    rx.gate = gevent.event.Event()
    server, client = start(simswitch, settings(tmp_path, url=rx.url, queue_capacity=10))
    live = call(client, "0979000001", 1, dest="&park()")
    client.wait_event("BACKGROUND_JOB")
    posting, queued = call(client, "486000002", 2), call(client, "486000003", 3)
    hangup_complete(client, queued)
    rx.wait(1)
    restart(server, down_s=0.05)  # kill -9 and a fresh start
    rx.gate.set()
    wait_for(lambda: not server.refusing)
    client = login(server, "CHANNEL_HANGUP_COMPLETE", "json")
    after = call(client, "486000004", 4)
    wait_for(lambda: after in server.switch.json_cdr.posted)
    assert server.switch.json_cdr.posted == [after]
    assert live not in rx.uuids() and queued not in rx.uuids() and rx.uuids()[0] == posting


def test_the_calls_a_shutdown_ends_get_their_cdrs(simswitch, receiver, tmp_path):
    rx = receiver(200)
    server, client = start(simswitch, settings(tmp_path, url=rx.url, log_http_and_disk=True), time_scale=1.0)
    uuids = [call(client, f"097900000{n}", n, dest="&park()") for n in (1, 2)]
    wait_for(lambda: len([e for e in client.events() if e.name == "BACKGROUND_JOB"]) == 2)
    shutdown = Shutdown(server, FSCTL, manual=True).start()
    shutdown.advance()  # stop: every channel hung up SYSTEM_SHUTDOWN
    wait_for(lambda: sorted(server.switch.json_cdr.posted) == sorted(uuids))
    for uuid in uuids:
        doc = json.loads((tmp_path / "json_cdr" / f"{uuid}.cdr.json").read_text())
        assert doc["variables"]["hangup_cause"] == "SYSTEM_SHUTDOWN"


# -- configuration ----------------------------------------------------------------------------------
def test_autocalls_configuration_is_read_from_freeswitch_conf(tmp_path):
    env = {"AUTOCALL_FS_CDR_SECRET": "s3cret"}
    s = autocall_settings("http://127.0.0.1:8080/freeswitch/cdr", env, str(tmp_path))
    assert (s.url, s.cred) == ("http://127.0.0.1:8080/freeswitch/cdr", "freeswitch:s3cret")
    assert (s.retries, s.delay, s.timeout) == (120, 1, 10)
    assert (s.queue_capacity, s.log_http_and_disk, s.encode_values, s.encode) == (20000, False, True, "false")
    assert s.err_log_dir == str(tmp_path / "json_cdr_err")
    assert autocall_settings("http://x/", {**env, "AUTOCALL_FS_CDR_RETRIES": "3"}, str(tmp_path)).retries == 3


def test_retries_with_no_delay_wait_five_seconds_as_the_module_does():
    xml = '<configuration><settings><param name="retries" value="2"/><param name="delay" value="0"/></settings>'
    xml += "</configuration>"
    assert JsonCdrSettings.from_xml(xml, {}, "/log").delay == 5


# -- the null endpoint: autocall's CDR barrier (tests/captures/batch3/null-probe) ------------------------
PROBE = "bgapi originate {{origination_uuid={u},autocall_cdr_probe=true}}null/autocall-cdr-probe &hangup()"


def test_a_null_channel_answers_hangs_up_and_its_cdr_comes_after_those_queued_before_it(simswitch, receiver, tmp_path):
    rx = receiver(200)
    rx.gate = gevent.event.Event()  # the receiver holds the first POST: the others queue behind it
    server, client = start(simswitch, settings(tmp_path, url=rx.url, queue_capacity=10))
    first, second = call(client, "486000001", 1), call(client, "486000002", 2)
    hangup_complete(client, first), hangup_complete(client, second)
    probe = "20000000-0000-4000-8000-000000000001"
    client.command(PROBE.format(u=probe))
    wait_for(lambda: f"+OK {probe}\n" in [e.body for e in client.events() if e.name == "BACKGROUND_JOB"])
    rx.gate.set()
    wait_for(lambda: server.switch.json_cdr.posted == [first, second, probe])
    doc = json.loads(rx.raw[-1].split(b"\r\n\r\n", 1)[1])
    variables = doc["variables"]
    assert variables["uuid"] == probe and variables["autocall_cdr_probe"] == "true"
    assert variables["hangup_cause"] == "NORMAL_CLEARING" and doc["core-uuid"] == server.switch.core_uuid


def test_a_null_channel_refused_by_the_session_rate_gets_no_cdr(simswitch, receiver, tmp_path):
    rx = receiver(200)
    server, client = start(simswitch, settings(tmp_path, url=rx.url, queue_capacity=10), limits=Limits(sps=2))
    probes = [f"20000000-0000-4000-8000-00000000000{i}" for i in range(4)]
    for u in probes:
        client.command(PROBE.format(u=u))
    wait_for(lambda: len([e for e in client.events() if e.name == "BACKGROUND_JOB"]) == 4)
    jobs = [e.body for e in client.events() if e.name == "BACKGROUND_JOB"]
    assert "-ERR DESTINATION_OUT_OF_ORDER\n" in jobs  # sps 2 admits one session a second
    admitted = [u for u in probes if f"+OK {u}\n" in jobs]
    wait_for(lambda: server.switch.json_cdr.posted == admitted)
