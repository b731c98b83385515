"""``--originate-log``: one ``<monotonic ns> <uuid>`` line per originate received (latency benches read it)."""

from __future__ import annotations

import subprocess
import sys
import time

from simswitch import Scenario
from simswitch.originate_log import OriginateLog
from tests.conftest import free_port
from tests.eslclient import RawClient, connect_to_process

BUSY = Scenario.model_validate({"rules": [{"match": ".", "sip": 486}]})
UUID_A = "00000000-0000-4000-8000-0000000000a1"
UUID_B = "00000000-0000-4000-8000-0000000000b2"


def lines(path) -> list[tuple[int, str]]:
    out = []
    for line in path.read_text().splitlines():
        ns, uuid = line.split(" ")
        out.append((int(ns), uuid))
    return out


def test_each_originate_is_logged_at_receipt_with_its_origination_uuid(simswitch, tmp_path):
    server = simswitch(BUSY)
    path = tmp_path / "originates.log"
    server.switch.originate_log = OriginateLog(str(path))
    client = RawClient(*server.address)
    client.login("ClueCon")
    client.command("event plain BACKGROUND_JOB")
    before = time.monotonic_ns()
    client.command(f"bgapi originate {{origination_uuid={UUID_A}}}sofia/gateway/gw1/0913000001 &park()")
    client.command("bgapi originate sofia/gateway/gw1/0913000002 &park()\nJob-UUID: job-2")  # no uuid: the job's
    client.command(f"api originate [origination_uuid={UUID_B}]sofia/gateway/gw1/0913000003 &park()")
    client.command("api originate sofia/gateway/gw1/0913000004 &park()")  # neither: "-"
    client.command("api originate sofia/gateway/gw1/0913000005")  # refused (usage): still received
    after = time.monotonic_ns()
    logged = lines(path)
    assert [uuid for _, uuid in logged] == [UUID_A, "job-2", UUID_B, "-", "-"]
    times = [ns for ns, _ in logged]
    assert before <= times[0] and times == sorted(times) and times[-1] <= after


def test_nothing_is_logged_without_the_option(simswitch, tmp_path):
    server = simswitch(BUSY)
    assert server.switch.originate_log is None


def test_the_cli_appends_to_the_log_line_by_line(tmp_path):
    port = free_port()
    path = tmp_path / "originates.log"
    path.write_text("1 earlier-run\n")  # appended to, never truncated
    scen = tmp_path / "s.yaml"
    scen.write_text('rules:\n  - match: "."\n    sip: 486\n')
    cmd = [sys.executable, "-m", "dialer.cli", "simswitch", "--listen", f"127.0.0.1:{port}", "--password", "pw"]
    proc = subprocess.Popen([*cmd, "--scenario", str(scen), "--originate-log", str(path)])
    try:
        client = connect_to_process(proc, port)
        client.login("pw")
        client.command("event plain BACKGROUND_JOB")
        client.command(f"bgapi originate {{origination_uuid={UUID_A}}}sofia/gateway/gw1/0913000001 &park()")
        client.wait_event("BACKGROUND_JOB")
        # written and flushed per line: readable while the simulator still runs
        assert [uuid for _, uuid in lines(path)] == ["earlier-run", UUID_A]
    finally:
        proc.terminate()
        proc.wait(10)
