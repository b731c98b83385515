"""The simulator against FreeSWITCH 1.10.12's own bytes, batch 2 (tests/captures/batch2):
refusals for max-sessions and sessions-per-second, a missing dialplan context or extension,
shutdowns, and the first connection to a restarted FreeSWITCH.

Each capture's commands are replayed byte for byte. Where the real switch's answer depended
on time (its one-second window, a shutdown's steps), the replay steps the simulator's clock or
its shutdown to the moment the capture shows, so the comparison is deterministic.
"""

from __future__ import annotations

import csv
import re

import gevent
import pytest

from dialer.esl.protocol import StreamParser
from simswitch import Limits, Scenario
from simswitch.limits import SessionLimits
from simswitch.shutdown import FSCTL, SIGTERM, Shutdown
from tests.conftest import CAPTURES
from tests.eslclient import RawClient
from tests.fidelity import IGNORED_HEADERS, assert_span, capture_commands, capture_events, keys, normalise_reply

B2 = CAPTURES / "batch2"
# The lab's far ends (batch2 README "Setup"): uas 200… answers after 0.2 s, 486… is busy;
# farend 0979… rings and answers after 1 s, 0980… too.
LAB = Scenario.model_validate(
    {
        "rules": [
            {"match": "^200", "ring": 0.2, "answer": {"hangup": "local"}},
            {"match": "^486", "sip": 486},
            {"match": "^09(79|80)", "ring": 1.0, "answer": {"talk": 30, "hangup": "remote"}},
            {"match": "^0983", "no_answer": True},
        ]
    }
)


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.25

    def __call__(self) -> float:
        return self.now


def ours(events, originated: set[str]):
    """Our originated legs' events by uuid (the far end's inbound legs are not ours)."""
    out: dict[str, list] = {}
    for ev in events:
        uid = ev.get("Unique-ID")
        if uid in originated:
            out.setdefault(uid, []).append(ev)
    return out


def originated_uuids(commands: list[str]) -> list[str]:
    return [m.group(1) for c in commands for m in [re.search(r"origination_uuid=([0-9a-f-]{36})", c)] if m]


def jobs(events) -> dict[str, str]:
    """Each job's result by Job-UUID (the replay sends the capture's own Job-UUIDs)."""
    return {e.get("Job-UUID"): normalise_reply(e.body) for e in events if e.name == "BACKGROUND_JOB"}


def api_replies(messages) -> list[str]:
    return [m.body.decode() for m in messages if m.content_type == "api/response"]


def wait_events(client: RawClient, name: str, n: int, timeout: float = 10) -> None:
    with gevent.Timeout(timeout, AssertionError(f"fewer than {n} {name}")):
        while len([e for e in client.events() if e.name == name]) < n:
            gevent.sleep(0.005)


# -- throttle: max-sessions 3, then sps 3 -------------------------------------------------------------


def replay_throttle(simswitch, fmt: str) -> RawClient:
    # 0.2: the three answered calls (8 s of silence) are still up for the 4th and 5th originate.
    server = simswitch(LAB, time_scale=0.2, limits=Limits(sps=60, max_sessions=2000))
    clock = ManualClock()
    server.switch.sessions = SessionLimits(server.switch.limits, clock=clock)
    client = RawClient(*server.address)
    client.wait_for(lambda m: m.content_type == "auth/request")
    commands = capture_commands(B2 / f"throttle.{fmt}.cmd")
    for cmd in commands:
        if cmd.startswith("api fsctl sps 3"):
            wait_events(client, "CHANNEL_HANGUP_COMPLETE", 3)  # "wait for the 3 calls to end"
        if cmd == "api status" and any(c.startswith("api fsctl sps 3") for c in client_sent(client)):
            clock.now += 1.0  # the capture's status came in the window after the burst
        client_sent(client).append(cmd)
        if cmd.startswith("bgapi"):
            n = len([c for c in client_sent(client) if c.startswith("bgapi")])
            client.command(cmd)
            wait_events(client, "BACKGROUND_JOB", n)
        else:
            client.command(cmd)
        if cmd.startswith("api fsctl sps 3"):
            clock.now += 1.0  # the burst came in FreeSWITCH's next second (a HEARTBEAT showed 3)
    wait_events(client, "CHANNEL_HANGUP_COMPLETE", 5)
    gevent.sleep(0.05)
    return client


def client_sent(client: RawClient) -> list[str]:
    """The commands a replay sent so far on ``client``."""
    if not hasattr(client, "sent"):
        client.sent = []
    return client.sent


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_throttle_refusals_are_freeswitchs(simswitch, fmt):
    client = replay_throttle(simswitch, fmt)
    real = capture_events(B2 / f"throttle.{fmt}.esl")
    assert jobs(client.events()) == jobs(real)
    real_api = api_replies(StreamParser().feed((B2 / f"throttle.{fmt}.esl").read_bytes()))
    sim_api = api_replies(client.messages)
    assert len(sim_api) == len(real_api)
    for sim, cap in zip(sim_api, real_api, strict=True):
        if sim.startswith("UP "):  # status: the lines that do not depend on the process's past
            assert sim.split("\n")[5] == cap.split("\n")[5]  # "N session(s) max"
            assert sim.split("\n")[4].split(",")[0] == cap.split("\n")[4].split(",")[0] or "out of max 60" in cap
        else:
            assert sim == cap


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_throttle_calls_have_the_captured_events_and_headers(simswitch, fmt):
    client = replay_throttle(simswitch, fmt)
    commands = capture_commands(B2 / f"throttle.{fmt}.cmd")
    uuids = originated_uuids(commands)
    real = ours(capture_events(B2 / f"throttle.{fmt}.esl"), set(uuids))
    sim = ours(client.events(), set(uuids))
    assert [keys(sim.get(u, [])) for u in uuids] == [keys(real.get(u, [])) for u in uuids]
    for u in uuids:
        for rev, sev in zip(real.get(u, []), sim.get(u, []), strict=True):
            missing = [k for k, _ in rev.items if k not in sev.headers and k not in IGNORED_HEADERS]
            assert not missing, f"{rev.name}: simulator omits {missing}"


# -- no-context: a missing context, a missing extension ---------------------------------------------


@pytest.mark.parametrize("fmt", ["plain", "json"])
def test_a_missing_context_or_extension_answers_then_hangs_up_no_route(simswitch, fmt):
    server = simswitch(LAB, time_scale=0.05)
    client = RawClient(*server.address)
    client.wait_for(lambda m: m.content_type == "auth/request")
    commands = capture_commands(B2 / f"no-context.{fmt}.cmd")
    for cmd in commands:
        client.command(cmd)
    wait_events(client, "BACKGROUND_JOB", 2)
    uuids = originated_uuids(commands)
    with gevent.Timeout(10):
        while len(ours([e for e in client.events() if e.name == "CHANNEL_DESTROY"], set(uuids))) < 2:
            gevent.sleep(0.01)
    real_events = capture_events(B2 / f"no-context.{fmt}.esl")
    assert jobs(client.events()) == jobs(real_events)
    real, sim = ours(real_events, set(uuids)), ours(client.events(), set(uuids))
    for u in uuids:
        assert keys(sim[u]) == keys(real[u])
        (rh,) = [e for e in real[u] if e.name == "CHANNEL_HANGUP_COMPLETE"]
        (sh,) = [e for e in sim[u] if e.name == "CHANNEL_HANGUP_COMPLETE"]
        for name in (
            "Hangup-Cause",
            "variable_hangup_cause_q850",
            "variable_sip_hangup_disposition",
            "variable_last_app",
            "variable_playback_ms",
        ):
            assert sh.get(name) == rh.get(name), name
        # Answered, then hung up at once: billsec 0 (1 if the two moments straddle a clock second).
        assert rh.get("variable_billsec") == "0"
        assert_span(sh, "bill", 0)


# -- shutdowns -----------------------------------------------------------------------------------------


def captured_jobs(variant: str) -> list[dict[str, str]]:
    """The originates that got a result (one written after the socket closed got none)."""
    with open(B2 / f"shutdown-{variant}.jobs.tsv") as f:
        return [row for row in csv.DictReader(f, delimiter="\t") if row["result_rel_trigger"]]


def phase(row: dict[str, str]) -> str:
    """Which step of the shutdown an originate met, from its send and result times (s after the trigger)."""
    sent, result = float(row["sent_rel_trigger"]), float(row["result_rel_trigger"] or "nan")
    if row["result"].startswith("+OK"):
        return "answered"
    if row["result"] == "-ERR SYSTEM_SHUTDOWN":
        return "ringing"
    if row["result"] == "-ERR DESTINATION_OUT_OF_ORDER":
        return "stopped"
    assert row["result"] == "-ERR CHAN_NOT_IMPLEMENTED", row
    return "waiting" if result - sent > 0.1 else "gone"


@pytest.mark.parametrize(("variant", "timings"), [("fsctl", FSCTL), ("sigterm", SIGTERM)])
def test_the_shutdown_steps_are_timed_as_captured(variant, timings):
    """Every captured originate falls in the step the simulator's timings put it in."""
    for row in captured_jobs(variant):
        sent = float(row["sent_rel_trigger"])
        step = phase(row)
        window = {
            "answered": (-99, timings.stop),
            "ringing": (-99, timings.stop),
            "stopped": (0, timings.wait),
            "waiting": (timings.wait, timings.sofia),
            "gone": (timings.sofia, timings.close),
        }[step]
        assert window[0] <= sent < window[1], (row, step)
        if step == "waiting":
            assert abs(float(row["result_rel_trigger"]) - timings.sofia) < 0.01


@pytest.mark.parametrize("variant", ["fsctl", "sigterm"])
def test_originates_during_a_shutdown_get_freeswitchs_answers(simswitch, variant):
    """The captured originates, each sent in the step it met on the real switch."""
    rows = captured_jobs(variant)
    server = simswitch(LAB, time_scale=0.01)
    client = RawClient(*server.address)
    client.login("ClueCon")
    client.command("event plain ALL")
    shutdown = Shutdown(server, FSCTL if variant == "fsctl" else SIGTERM, manual=True)
    order = ["answered", "ringing", "stopped", "waiting", "gone"]
    steps_before = {"answered": 0, "ringing": 0, "stopped": 1, "waiting": 2, "gone": 3}
    done, expected = 0, {}
    for i, row in enumerate(sorted(rows, key=lambda r: order.index(phase(r)))):
        step = phase(row)
        while done < steps_before[step]:
            if done == 0:
                shutdown.start()
            shutdown.advance()
            done += 1
        number = "0979000001" if step == "answered" else "0983000001"  # 0983…: rings until the shutdown
        job = f"job-{i}"
        client.command(
            f"bgapi originate {{originate_timeout=20}}sofia/gateway/autocall-viettel/{number} "
            f"autocall XML autocall\nJob-UUID: {job}"
        )
        if step == "answered":
            client.wait_event("BACKGROUND_JOB", Job_UUID=job)
        expected[job] = "+OK" if row["result"].startswith("+OK") else row["result"]
    while done < 4:
        if done == 0:
            shutdown.start()
        shutdown.advance()
        done += 1
    wait_events(client, "BACKGROUND_JOB", len(rows))
    results = {e.get("Job-UUID"): e.body.strip() for e in client.events() if e.name == "BACKGROUND_JOB"}
    assert {job: ("+OK" if body.startswith("+OK") else body) for job, body in results.items()} == expected
    real = capture_events(B2 / f"shutdown-{variant}.dialer.plain.esl")
    core = [
        (e.name, e.get("type"), e.get("name"), e.get("Event-Info"))
        for e in real
        if e.name in ("SHUTDOWN", "MODULE_UNLOAD")
    ]
    sim = [
        (e.name, e.get("type"), e.get("name"), e.get("Event-Info"))
        for e in client.events()
        if e.name in ("SHUTDOWN", "MODULE_UNLOAD")
    ]
    assert sim == core
    notice = list(StreamParser().feed((B2 / f"shutdown-{variant}.dialer.plain.esl").read_bytes()))[-1]
    with gevent.Timeout(5):
        while not client.closed:
            gevent.sleep(0.01)
    assert (client.messages[-1].content_type, client.messages[-1].body) == (notice.content_type, notice.body)


# -- a restarted FreeSWITCH ------------------------------------------------------------------------------


def test_the_first_connection_to_a_restarted_freeswitch_is_answered_as_captured(simswitch):
    server = simswitch(LAB, limits=Limits(sps=60, max_sessions=2000))
    server.switch.reincarnate()
    client = RawClient(*server.address)
    client.wait_for(lambda m: m.content_type == "auth/request")
    for cmd in capture_commands(B2 / "restart-kill9.after.plain.cmd"):
        if cmd.startswith("api sofia status gateway"):
            continue  # gateway tables are not simulated (docs/simswitch.md)
        client.command(cmd)
    real = [
        m
        for m in StreamParser().feed((B2 / "restart-kill9.after.plain.esl").read_bytes())
        if m.content_type == "api/response"
    ]
    real = [m.body.decode() for m in real if not m.body.startswith(b"=")]  # the gateway table
    sim = api_replies(client.messages)
    varying = re.compile(r"UP .*? microseconds|min idle cpu [0-9./]+")  # this process's own uptime and CPU
    assert [varying.sub("", normalise_reply(s)) for s in sim] == [varying.sub("", normalise_reply(r)) for r in real]
