"""A FreeSWITCH node that dies takes no campaign down (issue 18).

Three simulator processes are three nodes of one engine (as ``AUTOCALL_FREESWITCH`` lists them),
over real sockets, with a real Redis. One node dies (kill -9 of its process, or a shutdown while
autocall cannot reach it) mid-campaign with calls up on all three: the campaign goes on on the
other two, the dead node's calls are settled (lost if it never comes back, cut short by the
switch if it comes back with a new Core-UUID, from its CDRs when it posted them), and a node
that comes back is dialled again. A node down from the start leaves the others dialling, and
``autocall status`` and ``/readyz`` name it.
"""

from __future__ import annotations

import gevent.event
import pytest
from falcon.testing import TestClient

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.engine.engine import Engine
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles
from dialer.service.context import Services
from dialer.status import gather, render
from dialer.store.store import Store
from tests.conftest import free_port
from tests.crash_checks import campaign_settled
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads
from tests.sim_processes import PASSWORD, SimProcess, SimProcesses, scenario_file

TIME_SCALE = 0.05  # 20 simulated seconds a wall second
SCENARIO = {"rules": [{"match": "^098", "ring": 2, "answer": {"talk": 600}}]}  # rings 0.1 s (wall), listens
MESSAGE_S = 60  # the message played to each answered call, then hung up: 3 s (wall)
MAX_SESSIONS = 20  # each node: 19 sessions for autocall (FreeSWITCH's max-sessions less a 2 % margin, at least 1)
FREE = MAX_SESSIONS - 1
CONCURRENT = 45  # more than two nodes carry (38): a pacer fills the node with the most room first
SECRET = "node-death-cdr-secret"


@pytest.fixture
def sim_processes(tmp_path):
    """Factory: a started simulator process (a node); every one killed and reaped after the test."""
    made = SimProcesses(tmp_path / "nodes")
    yield made
    made.stop()


def start_nodes(sim_processes, tmp_path, names=("fs1", "fs2", "fs3"), cdr_url: str = "") -> list[SimProcess]:
    """Three nodes (``cdr_url``: each one's mod_json_cdr posts there, as freeswitch-conf sets it up)."""
    scenario = scenario_file(tmp_path / "scenario.json", SCENARIO)
    args = ["--scenario", scenario, "--time-scale", str(TIME_SCALE), "--sps", "500"]
    args += ["--max-sessions", str(MAX_SESSIONS), *(["--cdr-url", cdr_url] if cdr_url else [])]
    env = {"AUTOCALL_FS_CDR_SECRET": SECRET} if cdr_url else {}
    return [sim_processes(name, args, env) for name in names]


def start_engine(store: Store, sims: list[SimProcess], tmp_path, **kw) -> Engine:
    write_wav(tmp_path / "audio" / "hello.wav", seconds=MESSAGE_S)
    configs = [NodeConfig(sim.name, "127.0.0.1", sim.port, PASSWORD, max_sessions=MAX_SESSIONS) for sim in sims]
    kw = {"command_timeout": 1.0, "keepalive_s": 0.5, "adopt_every_s": 0.5, **kw}
    engine = Engine(
        store, configs, MessageFiles(tmp_path / "audio"), default_gateway="gw1", default_caller_id="02812345678", **kw
    )
    engine.start()
    return engine


def calls_on(engine: Engine, node: Node) -> list:
    return [a for a in engine.tracker.of_node(node) if not a.done]


def answered_on(engine: Engine, node: Node) -> int:
    return sum(1 for a in calls_on(engine, node) if a.answered_ms)


def lead_calls(store: Store, lead_uuid: str) -> list[tuple[str, dict[str, str]]]:
    """(call uuid, call hash) of each attempt of a lead, in order."""
    return [(c, store.calls.get(c)) for c in store.r.lrange(store.keys.lead_calls(lead_uuid), 0, -1)]


def originated(sims: list[SimProcess]) -> dict[str, list[tuple[int, str]]]:
    """call uuid -> [(monotonic ns, node)] of every originate any node received."""
    out: dict[str, list[tuple[int, str]]] = {}
    for sim in sims:
        for t, call in sim.originates():
            out.setdefault(call, []).append((t, sim.name))
    return out


def check_every_attempt_recorded_once(store: Store, camp, batch, sims: list[SimProcess]) -> None:
    """Every lead done with one reported CDR per attempt; no attempt originated twice (on any node)."""
    sent = originated(sims)
    twice = {call: where for call, where in sent.items() if len(where) > 1}
    assert twice == {}, f"attempts originated more than once: {list(twice.items())[:3]}"
    sizes = store.reports.queue_sizes(camp.campaign_uuid)
    assert sizes["in_flight"] == 0, "a slot was never released"
    cdr_ids = set(store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1))
    for call in sent:
        assert call in cdr_ids, f"call {call} reached a node but has no CDR"
    for lead in batch:
        data = store.leads.get(lead.lead_uuid)
        assert data["state"] == "done", (lead.lead_uuid, data)
        calls = lead_calls(store, lead.lead_uuid)
        assert all(c.get("reported") == "1" for _, c in calls), calls
        assert len({call for call, _ in calls}) == len(calls), "an attempt recorded twice"


def lose_a_node_mid_campaign(store, sims: list[SimProcess], engine: Engine, lose, camp, batch) -> list:
    """Calls up on all three nodes, then ``lose(fs1)``: the live two take the campaign's new calls at once,
    up to what fs1's calls leave of its concurrency, each within its sessions; fs1's calls stay held (their
    leads are not dialled again) until the engine settles them. Returns fs1's calls."""
    fs1 = engine.nodes[0]
    kill_when_calls_are_up_everywhere(store, engine, camp)
    lose(sims[0])
    wait_until(lambda: not fs1.up.is_set(), timeout=10)
    dead = calls_on(engine, fs1)
    assert [a for a in dead if a.answered_ms], "no answered call on the lost node"
    wait_until(lambda: live_calls(engine) == min(CONCURRENT - len(dead), 2 * FREE), timeout=20)
    assert all(not a.done for a in dead), "the lost node's calls were settled before their time"
    sent = originated(sims)
    for att in dead:
        assert store.leads.get(att.claim.lead_uuid)["state"] == "dialing"  # its slot holds it
        again = [c for c in sent if c != att.call_uuid and store.calls.get(c).get("lead") == att.claim.lead_uuid]
        assert again == [], "a lead was dialled again while its call on the lost node was not settled"
    return dead


def live_calls(engine: Engine) -> int:
    """Calls in flight on fs2 and fs3."""
    return len(calls_on(engine, engine.nodes[1])) + len(calls_on(engine, engine.nodes[2]))


def check_the_lost_node_took_its_calls_only(store, camp, batch, sims, dead) -> None:
    """Every attempt recorded once; fs1 got no originate but its lost calls; their recalls went elsewhere."""
    check_every_attempt_recorded_once(store, camp, batch, sims)
    on_fs1 = {call for call, where in originated(sims).items() if any(node == "fs1" for _, node in where)}
    assert on_fs1 <= {a.call_uuid for a in dead}  # some written to it as it went may never have reached it


def test_a_node_killed_mid_campaign_moves_its_share_to_the_others_and_its_calls_are_settled_as_gone(
    store, sim_processes, tmp_path
):
    """kill -9 of one node with calls up on all three, never back. Its calls are held while its port may
    still have a FreeSWITCH behind it; once every connect has been refused for a while (its process is
    gone: nothing listens), they are settled as a restart settles them (AUTOCALL_SWITCH_LOST, ended when
    the connection dropped), not an hour later, and the other two carry the whole concurrency they can."""
    sims = start_nodes(sim_processes, tmp_path)
    # Refusals are awaited "forever" until the held calls are checked, then for a second.
    engine = start_engine(store, sims, tmp_path, max_call_s=3600.0, gone_after_refused_s=3600.0)
    try:
        assert engine.wait_connected(10)
        fs1 = engine.nodes[0]
        camp = audio_campaign(store, concurrent_call=CONCURRENT, recall_times=1, call_timeout=20)
        batch = leads(store, camp, 250)
        dead = lose_a_node_mid_campaign(store, sims, engine, SimProcess.kill9, camp, batch)
        engine.recovery.gone_after_refused_s = 1.0
        wait_until(lambda: all(a.done for a in dead), timeout=20)
        assert fs1.refused_for() >= 1.0 and not fs1.up.is_set()
        wait_until(lambda: live_calls(engine) == min(CONCURRENT, 2 * FREE), timeout=20)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_the_lost_node_took_its_calls_only(store, camp, batch, sims, dead)
        for att in dead:
            (call, first), *recalled = lead_calls(store, att.claim.lead_uuid)
            assert call == att.call_uuid and first["hangup_cause"] == "AUTOCALL_SWITCH_LOST"
            assert int(first["end_ms"]) == fs1.dropped_ms  # ended when the connection dropped
            if att.answered_ms:  # answered, and answered is not one of the campaign's recall statuses: done
                assert first["recall_status"] == "answered" and recalled == []
                assert store.leads.get(att.claim.lead_uuid)["attempts"] == "1"
            else:  # cut while ringing: recalled, not counted
                assert "recalled, not counted" in first["reason"] and len(recalled) == 1
    finally:
        engine.stop(drain_timeout=2)


def test_a_node_that_hangs_mid_campaign_has_its_calls_held_until_the_longest_call_then_lost(
    store, sim_processes, tmp_path
):
    """A node that stops answering (SIGSTOP: its socket open, nothing read; a hung or cut-off host) may
    still have its calls up: they hold their slots and leads until older than the longest call
    (AUTOCALL_MAX_CALL_SECONDS), then are recorded AUTOCALL_LOST (counted: recall_status failed, or
    answered if they were), recalled per the rules; meanwhile the other two take the new calls."""
    sims = start_nodes(sim_processes, tmp_path)
    engine = start_engine(store, sims, tmp_path, max_call_s=6.0)
    try:
        assert engine.wait_connected(10)
        camp = audio_campaign(store, concurrent_call=CONCURRENT, recall_times=1, call_timeout=2)
        batch = leads(store, camp, 250)
        dead = lose_a_node_mid_campaign(store, sims, engine, SimProcess.freeze, camp, batch)
        wait_until(lambda: all(a.done for a in dead), timeout=30)
        assert engine.nodes[0].refused_for() == 0  # it accepts connections and never answers: not gone
        wait_until(lambda: live_calls(engine) == min(CONCURRENT, 2 * FREE), timeout=20)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_the_lost_node_took_its_calls_only(store, camp, batch, sims, dead)
        for att in dead:
            (call, first), *recalled = lead_calls(store, att.claim.lead_uuid)
            status = "answered" if att.answered_ms else "failed"  # all that is known of it
            assert call == att.call_uuid and (first["hangup_cause"], first["recall_status"]) == (
                "AUTOCALL_LOST",
                status,
            )
            if att.answered_ms:  # counted, and answered is not a recall status of the campaign: done
                assert recalled == [] and store.leads.get(att.claim.lead_uuid)["attempts"] == "1"
            else:  # counted, failed: recalled (recall_times 1) on a live node
                ((_, second),) = recalled
                assert second["recall_status"] == "answered" and second["node"] in ("fs2", "fs3")
                assert store.leads.get(att.claim.lead_uuid)["attempts"] == "2"
    finally:
        engine.stop(drain_timeout=2)


def kill_when_calls_are_up_everywhere(store: Store, engine: Engine, camp) -> None:
    engine.wake(camp.campaign_uuid)
    wait_until(lambda: all(answered_on(engine, n) >= 3 for n in engine.nodes), timeout=30)


def test_a_node_killed_and_started_again_is_dialled_again_and_its_old_calls_settled_at_once(
    store, sim_processes, tmp_path
):
    """kill -9, then a new process on the same port (a new Core-UUID): every call of the dead process is
    settled as soon as the engine is connected again, AUTOCALL_SWITCH_LOST, ended when the connection
    dropped (not an hour later); ringing ones are recalled without counting; the node takes calls again."""
    sims = start_nodes(sim_processes, tmp_path)
    engine = start_engine(store, sims, tmp_path, max_call_s=3600.0)
    try:
        assert engine.wait_connected(10)
        fs1 = engine.nodes[0]
        camp = audio_campaign(store, concurrent_call=CONCURRENT, recall_times=0, call_timeout=20)
        batch = leads(store, camp, 250)
        kill_when_calls_are_up_everywhere(store, engine, camp)
        sims[0].kill9()
        wait_until(lambda: not fs1.up.is_set(), timeout=10)
        dead = calls_on(engine, fs1)
        answered = {a.call_uuid for a in dead if a.answered_ms}
        assert answered, "no answered call on the dead node"
        sims[0].start()  # FreeSWITCH started again on the same port
        restarted_ns = sims[0].originates()[-1][0]  # every originate after this one is the new process's
        wait_until(lambda: fs1.up.is_set(), timeout=40)  # the reconnect back-off: 0.2 s doubling
        assert fs1.previous_core and fs1.core_uuid != fs1.previous_core
        wait_until(lambda: all(a.done for a in dead), timeout=10)  # at once, not after the longest call
        # Dialled again: calls placed on the new process, and answered there.
        wait_until(lambda: answered_on(engine, fs1) >= 3, timeout=20)
        assert [t for t, _ in sims[0].originates() if t > restarted_ns]
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_every_attempt_recorded_once(store, camp, batch, sims)
        for att in dead:
            (first_call, first), *recalled = lead_calls(store, att.claim.lead_uuid)
            assert first_call == att.call_uuid and first["hangup_cause"] == "AUTOCALL_SWITCH_LOST"
            assert int(first["end_ms"]) == fs1.dropped_ms  # ended when the connection dropped
            if att.call_uuid in answered:  # answered is not one of the campaign's recall statuses: done
                assert first["recall_status"] == "answered" and recalled == []
            else:  # cut while ringing: recalled whatever its status, and not counted (recall_times 0)
                assert "recalled, not counted" in first["reason"]
                ((_, second),) = recalled
                assert second["recall_status"] == "answered"
            assert store.leads.get(att.claim.lead_uuid)["attempts"] == "1"
    finally:
        engine.stop(drain_timeout=2)


@pytest.fixture
def cdr_url(store, tmp_path):
    """Where the nodes post their CDRs (mod_json_cdr): the API, with AUTOCALL_CDR_SECRET."""
    server = make_server(build_app(Services(store, tmp_path, cdr_secret=SECRET), ["token"]), f"127.0.0.1:{free_port()}")
    server.start()
    yield f"http://127.0.0.1:{server.server_port}/freeswitch/cdr"
    server.stop()


def cut_off(node: Node) -> gevent.event.Event:
    """The engine loses ``node`` (its connection closed, no reconnect) until the returned event is set."""
    back = gevent.event.Event()
    connect = node._connect

    def gated():
        back.wait()
        return connect()

    node._connect = gated  # type: ignore[method-assign]
    assert node.conn is not None
    node.conn.close("test: the network to this node is cut")
    return back


def test_calls_of_a_node_that_shut_down_while_unreachable_are_settled_from_its_cdrs(
    store, sim_processes, tmp_path, cdr_url
):
    """autocall loses a node, which then shuts down (its calls hung up SYSTEM_SHUTDOWN unheard, their CDRs
    posted) and is started again: once connected to the new process, each call of the old one is recorded
    from its CDR (real cause and talk time), not AUTOCALL_SWITCH_LOST. (kill -9 leaves no CDR of the calls
    that were up: esl-captures batch2, section 6; the test above.)"""
    sims = start_nodes(sim_processes, tmp_path, cdr_url=cdr_url)
    engine = start_engine(store, sims, tmp_path, max_call_s=3600.0, switch_cdrs=True)
    try:
        assert engine.wait_connected(10)
        fs1 = engine.nodes[0]
        camp = audio_campaign(store, concurrent_call=CONCURRENT, recall_times=0, call_timeout=20)
        batch = leads(store, camp, 250)
        kill_when_calls_are_up_everywhere(store, engine, camp)
        back = cut_off(fs1)
        wait_until(lambda: not fs1.up.is_set(), timeout=10)
        dead = calls_on(engine, fs1)
        sims[0].shutdown()  # SYSTEM_SHUTDOWN for every call, each one's CDR posted, then the socket closed
        ran = {call for _, call in sims[0].originates()}  # an originate written as the cut came may never have run
        kept = lambda: engine.cdrs.cdrs.kept([a.call_uuid for a in dead if a.call_uuid in ran])  # noqa: E731
        wait_until(lambda: len(kept()) == len([a for a in dead if a.call_uuid in ran]), timeout=20)
        sims[0].start()
        back.set()
        wait_until(lambda: fs1.up.is_set(), timeout=40)
        assert fs1.core_uuid != fs1.previous_core
        wait_until(lambda: all(a.done for a in dead), timeout=10)
        assert engine.cdrs.from_cdrs >= len(kept())
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_every_attempt_recorded_once(store, camp, batch, sims)
        causes = []
        for att in dead:
            (call, first), *recalled = lead_calls(store, att.claim.lead_uuid)
            assert call == att.call_uuid
            if att.call_uuid not in ran:  # no channel, no CDR: gone with the process, retried uncounted
                assert first["hangup_cause"] == "AUTOCALL_SWITCH_LOST" and len(recalled) == 1
                continue
            # Its CDR's cause: SYSTEM_SHUTDOWN, or NORMAL_CLEARING for a message that ended before the shutdown.
            causes.append(first["hangup_cause"])
            assert first["hangup_cause"] in ("SYSTEM_SHUTDOWN", "NORMAL_CLEARING"), first
            if att.answered_ms:  # answered: its real talk time, from the CDR; done (answered is not recalled)
                assert first["recall_status"] == "answered" and int(first["billsec"]) >= 1 and recalled == []
            else:
                assert "recalled, not counted" in first["reason"] and len(recalled) == 1
        assert "SYSTEM_SHUTDOWN" in causes
    finally:
        engine.stop(drain_timeout=2)


def test_a_node_down_from_the_start_leaves_the_campaign_to_the_others_and_is_named_down(store, sim_processes, tmp_path):
    """Three nodes configured, one never reachable (nothing listens on its port): the campaign runs on the
    two that are up, and ``autocall status`` and ``/readyz`` say which node is down."""
    sims = start_nodes(sim_processes, tmp_path, names=("fs1", "fs2"))
    never = SimProcess(tmp_path / "nodes", "fs3", [])  # its port, never started
    # fs3 is down because its connects are refused, not because it is silent: the engine's own keepalive and
    # command timeout (5 s, 10 s), not this file's 0.5 s and 1 s, which a busy CPU can miss while the two
    # simulators carry 30 calls (fs1 was then reconnecting, and named down, as /readyz was asked).
    engine = start_engine(store, [*sims, never], tmp_path, command_timeout=10.0, keepalive_s=5.0)
    try:
        fs1, fs2, fs3 = engine.nodes
        assert fs1.up.wait(10) and fs2.up.wait(10) and not fs3.up.is_set()
        camp = audio_campaign(store, concurrent_call=30, recall_times=0, call_timeout=20)
        batch = leads(store, camp, 60)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: answered_on(engine, fs1) >= 3 and answered_on(engine, fs2) >= 3, timeout=30)
        client = TestClient(build_app(Services(store, tmp_path / "audio", engine=engine), ["token"]))
        res = client.simulate_get("/readyz")
        assert res.status_code == 200
        assert res.json == {"status": "ready", "redis": "up", "freeswitch": {"fs1": "up", "fs2": "up", "fs3": "down"}}
        beaten = lambda: [e["nodes"] for e in gather(store)["engines"]]  # noqa: E731  (its next beat says)
        wait_until(lambda: beaten() == [{"fs1": "up", "fs2": "up", "fs3": "down"}])
        assert "fs1 up, fs2 up, fs3 down" in render(gather(store))
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=60)
        engine.flush()
        check_every_attempt_recorded_once(store, camp, batch, sims)
        assert {store.calls.get(c)["recall_status"] for c in originated(sims)} == {"answered"}
        assert fs3.reconnects == 0 and not fs3.up.is_set()  # never connected: nothing to settle there
    finally:
        engine.stop(drain_timeout=2)
