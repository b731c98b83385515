"""What the simulator's mod_callcenter tests share: autocall's /freeswitch/config as mod_xml_curl sees it,
a switch that asks it, agents pushed over ESL, and leads originated into the autodialer dialplan
(batch5's recording: tests/captures/batch5/tools/record_batch5.py)."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any
from xml.sax.saxutils import quoteattr

from gevent.server import StreamServer

from dialer.esl.protocol import Event, parse_event_body
from simswitch import Scenario
from simswitch.callcenter import CallCenterSettings
from simswitch.xml_curl import XmlCurlBinding
from tests.eslclient import RawClient

QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000005"  # a campaign's call_center_queue_uuid
OTHER_QUEUE = "5a1e0c1d-0b5e-4c55-9a41-000000000006"
MOH = "tone_stream://%(1000,4000,425);loops=-1"
SECRET = "caps5-secret"
QUEUE_PARAMS = {  # batch5's queue
    "strategy": "longest-idle-agent",
    "moh-sound": MOH,
    "time-base-score": "queue",
    "max-wait-time": "8",
    "max-wait-time-with-no-agent": "0",
    "tier-rules-apply": "false",
    "discard-abandoned-after": "60",
    "abandoned-resume-allowed": "false",
}
NOT_FOUND = (
    '<document type="freeswitch/xml">\n  <section name="result">\n    <result status="not found"/>\n'
    "  </section>\n</document>\n"
)
ABANDON = "/tmp/autocall-simcc/abandon.wav"  # not readable: plays the scenario's playback_seconds


def queue_document(name: str, params: dict[str, str]) -> str:
    lines = "".join(f"          <param name={quoteattr(k)} value={quoteattr(v)}/>\n" for k, v in params.items())
    return (
        '<document type="freeswitch/xml">\n  <section name="configuration">\n'
        '    <configuration name="callcenter.conf" description="autocall queues">\n      <queues>\n'
        f"        <queue name={quoteattr(name)}>\n{lines}        </queue>\n"
        "      </queues>\n    </configuration>\n  </section>\n</document>\n"
    )


class ConfigServer:
    """autocall's ``POST /freeswitch/config``: a CC-Queue it knows gets its callcenter.conf, any other
    lookup "not found"; HTTP Basic ``freeswitch:<secret>`` or 401. Keeps every request's bytes."""

    def __init__(self, queues: dict[str, dict[str, str]] | None = None) -> None:
        self.queues = dict(queues or {})
        self.raw: list[bytes] = []
        self.forms: list[list[tuple[str, str]]] = []
        self.server = StreamServer(("127.0.0.1", 0), self._handle)
        self.server.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/freeswitch/config"

    def settings(self) -> CallCenterSettings:
        return CallCenterSettings([XmlCurlBinding(self.url, cred=f"freeswitch:{SECRET}", post_vars=("CC-Queue",))])

    def _handle(self, sock, _) -> None:
        f = sock.makefile("rb")
        while True:
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = f.readline()
                if not line:
                    return
                head += line
            headers = dict(h.split(b": ", 1) for h in head.split(b"\r\n")[1:] if b": " in h)
            body = f.read(int(headers.get(b"Content-Length", b"0")))
            self.raw.append(head + body)
            form = urllib.parse.parse_qsl(body.decode(), keep_blank_values=True)
            self.forms.append(form)
            auth = b"Basic " + base64.b64encode(f"freeswitch:{SECRET}".encode())
            fields = dict(form)
            if headers.get(b"Authorization") != auth:
                status, reply = 401, ""
            elif fields.get("CC-Queue") in self.queues:
                status, reply = 200, queue_document(fields["CC-Queue"], self.queues[fields["CC-Queue"]])
            else:
                status, reply = 200, NOT_FOUND
            data = reply.encode()
            sock.sendall(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%b" % (status, len(data), data))

    def stop(self) -> None:
        self.server.stop()


def scenario(agents: dict[str, Any] | None = None, **rules: Any) -> Scenario:
    """Leads (0979...) answer after 0.5 s and listen for ``talk`` (default 600 s: they wait for the
    queue); the agents' softphones as ``agents`` says (default: answer after 1 s, talk 4 s)."""
    lead = {"talk": rules.pop("talk", 600), **rules.pop("answer", {})}
    return Scenario.model_validate(
        {
            "rules": [{"match": "^09", "ring": rules.pop("ring", 0.5), "answer": lead}],
            "agents": agents or {"default": {"ring": 1, "talk": 4, "hangup": "agent"}},
            "playback_seconds": 2,
        }
    )


def connect(server, events: str = "ALL") -> RawClient:
    client = RawClient(*server.address)
    client.login("ClueCon")
    client.command(f"event plain {events}")
    return client


def api(client: RawClient, command: str) -> str:
    return client.command(f"api callcenter_config {command}").body.decode()


def add_agent(
    client: RawClient, ext: str, *, status: str = "Available", queue: str = QUEUE, contact: str = "", **settings: Any
) -> str:
    """An agent as autocall pushes one: add, contact, its settings, tier, status."""
    name = f"{ext}@autocall"
    assert api(client, f"agent add {name} callback") == "+OK\n"
    assert api(client, f"agent set contact {name} {contact or 'user/' + ext}") == "+OK\n"
    for key, value in settings.items():
        assert api(client, f"agent set {key} {name} {value}") == "+OK\n"
    assert api(client, f"tier add {queue} {name} 1 {ext[-1]}") == "+OK\n"
    assert api(client, f"agent set status {name} '{status}'") == "+OK\n"
    return name


def lead(client: RawClient, n: int, *, queue: str = QUEUE, number: str = "", extra: str = "") -> str:
    """Originate a lead into ``autodialer XML autodialer`` as the engine does; its uuid."""
    uuid = f"00000000-0000-4000-8000-{n:012d}"
    client.command(
        "bgapi originate {originate_timeout=20,ignore_early_media=true,autocall_campaign=c1,"
        f"autocall_lead=lead-{n},autocall_call=call-{n},autocall_queue={queue},autocall_abandon_file={ABANDON},"
        f"autocall_avmd=false{extra}}}[origination_uuid={uuid},origination_caller_id_number=0900000000]"
        f"sofia/gateway/autocall-viettel/{number or f'0979{n:06d}'} autodialer XML autodialer"
    )
    return uuid


def cc(client: RawClient) -> list[Event]:
    """The callcenter::info events received so far."""
    return [e for e in client.events() if e.get("Event-Subclass") == "callcenter::info"]


def actions(client: RawClient) -> list[str]:
    return [str(e.get("CC-Action")) for e in cc(client)]


def wait_cc(client: RawClient, action: str, timeout: float = 10, **headers: str) -> Event:
    """The first callcenter::info event ``action`` with those headers (``CC_Agent_State`` -> CC-Agent-State)."""
    return client.wait_event("CUSTOM", timeout=timeout, CC_Action=action, **headers)


def wait_nth(client: RawClient, n: int, action: str, timeout: float = 10) -> Event:
    """The n-th (1-based) callcenter::info event ``action``."""
    seen: list[Event] = []

    def match(m) -> bool:
        if m.is_event and (e := parse_event_body(m)).get("CC-Action") == action:
            seen.append(e)
        return len(seen) >= n

    client.wait_for(match, timeout)
    return seen[n - 1]


def hangup_of(client: RawClient, uuid: str, timeout: float = 10) -> Event:
    return client.wait_event("CHANNEL_HANGUP_COMPLETE", timeout=timeout, Unique_ID=uuid)
