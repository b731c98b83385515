"""mod_loopback's `null` endpoint as a CDR barrier, on the real switch (tests/captures/batch3/null-probe).

`originate {origination_uuid=U,autocall_cdr_probe=true}null/autocall-cdr-probe &hangup()` creates a real
outbound session that is answered at once, hangs up NORMAL_CLEARING, and gets a mod_json_cdr CDR (as
shipped: queue-capacity, HTTP) carrying `uuid` = U and `autocall_cdr_probe`; it is posted after the CDRs
of calls that hung up before it. It is a session request like any other: `sessions-per-second` refuses it
(`-ERR DESTINATION_OUT_OF_ORDER`, no channel, no CDR).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

PROBE = "originate {{origination_uuid={leg},autocall_cdr_probe=true}}null/autocall-cdr-probe &hangup()"


class _Cdrs:
    def __init__(self):
        self.items: list[dict] = []
        self.cv = threading.Condition()

    def add(self, cdr: dict) -> None:
        with self.cv:
            self.items.append(cdr)
            self.cv.notify_all()

    def wait(self, leg: str, timeout: float = 10.0) -> dict | None:
        end = time.monotonic() + timeout
        with self.cv:
            while True:
                for cdr in self.items:
                    if cdr.get("variables", {}).get("uuid") == leg:
                        return cdr
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self.cv.wait(left)

    def uuids(self) -> list[str]:
        with self.cv:
            return [c.get("variables", {}).get("uuid") for c in self.items]


@pytest.fixture
def cdr_receiver():
    cdrs = _Cdrs()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            cdrs.add(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    cdrs.url = f"http://127.0.0.1:{server.server_address[1]}/freeswitch/cdr"
    yield cdrs
    server.shutdown()
    server.server_close()


def test_null_probe_gets_a_cdr_after_earlier_calls(realfs_factory, cdr_receiver):
    fs = realfs_factory(extra_env={"AUTOCALL_FS_CDR_URL": cdr_receiver.url, "AUTOCALL_FS_CDR_SECRET": "s3cret"})
    assert fs.api("module_exists mod_loopback") == "true"
    assert fs.api("module_exists mod_json_cdr") == "true"
    core_uuid = fs.core_uuid

    with fs.connect("ALL") as esl:
        # calls that fail before the probe: their CDRs must come first
        failed = []
        for i in range(2):
            leg = str(uuid.uuid4())
            failed.append(leg)
            job = esl.bgapi(
                f"originate {{originate_timeout=10}}[origination_uuid={leg}]"
                f"sofia/gateway/autocall-viettel/098200000{i} &park()"
            )
            assert esl.wait_job(job, 15) == "-ERR UNALLOCATED_NUMBER\n"
        for leg in failed:
            assert cdr_receiver.wait(leg, 10) is not None

        leg = str(uuid.uuid4())
        t0 = time.monotonic()
        job = esl.bgapi(PROBE.format(leg=leg))
        assert esl.wait_job(job, 10) == f"+OK {leg}\n"
        hangup = esl.wait_event(
            lambda e: e.get("Event-Name") == "CHANNEL_HANGUP_COMPLETE" and e.get("Unique-ID") == leg, 10
        )
        assert time.monotonic() - t0 < 2.0
        assert hangup["Hangup-Cause"] == "NORMAL_CLEARING"
        assert hangup["Channel-Name"] == "null/autocall-cdr-probe"
        assert hangup["Answer-State"] == "hangup"
        assert hangup["variable_autocall_cdr_probe"] == "true"
        assert hangup["Call-Direction"] == "outbound"

    cdr = cdr_receiver.wait(leg, 10)
    assert cdr is not None, "no CDR for the null probe"
    v = cdr["variables"]
    assert cdr["core-uuid"] == core_uuid
    assert v["uuid"] == leg
    assert v["autocall_cdr_probe"] == "true"
    assert v["hangup_cause"] == "NORMAL_CLEARING"
    assert v["channel_name"] == "null/autocall-cdr-probe"
    assert v["endpoint_disposition"] == "ANSWER"
    order = cdr_receiver.uuids()
    assert all(order.index(f) < order.index(leg) for f in failed)


def test_null_probe_counts_against_sessions_per_second(realfs_factory, cdr_receiver):
    fs = realfs_factory(extra_env={"AUTOCALL_FS_CDR_URL": cdr_receiver.url, "AUTOCALL_FS_CDR_SECRET": "s3cret"})
    assert fs.api("fsctl sps 5") == "+OK sessions per second: 5\n"
    time.sleep(1.2)  # the current window keeps the old budget until the once-a-second reset
    try:
        with fs.connect("BACKGROUND_JOB") as esl:
            legs = {str(uuid.uuid4()): None for _ in range(12)}
            jobs = {leg: esl.bgapi(PROBE.format(leg=leg)) for leg in legs}
            for leg, job in jobs.items():
                legs[leg] = esl.wait_job(job, 10)
    finally:
        fs.api("fsctl sps 60")
    admitted = [leg for leg, body in legs.items() if body == f"+OK {leg}\n"]
    refused = [leg for leg, body in legs.items() if body == "-ERR DESTINATION_OUT_OF_ORDER\n"]
    assert len(admitted) + len(refused) == 12, legs
    assert refused, "12 probes within a few ms at sps 5 were all admitted"
    assert len(admitted) <= 8  # at most S-1 per window, at most two windows
    for leg in admitted:
        assert cdr_receiver.wait(leg, 10) is not None
    time.sleep(0.5)
    assert not set(refused) & set(cdr_receiver.uuids()), "a refused probe got a CDR"
