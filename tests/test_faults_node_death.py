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

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.engine.engine import Engine
from dialer.esl.node import Node, NodeConfig
from dialer.media import MessageFiles
from dialer.service.context import Services
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


def test_a_node_killed_mid_campaign_moves_its_share_to_the_others_and_its_calls_are_lost(
    store, sim_processes, tmp_path
):
    """kill -9 of one node with calls up on all three, never back. The other two take the campaign's
    new calls at once, up to what the dead node's calls leave of its concurrency: those stay held (the
    engine cannot tell a dead FreeSWITCH from a broken socket, so one of them may be up) until they are
    older than the longest call (AUTOCALL_MAX_CALL_SECONDS); then they are recorded AUTOCALL_LOST
    (counted, recall_status failed), their leads recalled, and the two carry the whole concurrency."""
    sims = start_nodes(sim_processes, tmp_path)
    engine = start_engine(store, sims, tmp_path, max_call_s=2.0)
    try:
        assert engine.wait_connected(10)
        fs1, fs2, fs3 = engine.nodes
        camp = audio_campaign(store, concurrent_call=CONCURRENT, recall_times=1, call_timeout=2)
        batch = leads(store, camp, 250)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: all(answered_on(engine, n) >= 3 for n in engine.nodes), timeout=30)
        sims[0].kill9()
        wait_until(lambda: not fs1.up.is_set(), timeout=10)
        dead = calls_on(engine, fs1)
        assert dead, "the dead node had no call up"
        dead_leads = {a.claim.lead_uuid: a.call_uuid for a in dead}
        # The live nodes carry what the held slots leave of the concurrency, each within its sessions.
        live = lambda: len(calls_on(engine, fs2)) + len(calls_on(engine, fs3))  # noqa: E731
        wait_until(lambda: live() == min(CONCURRENT - len(dead), 2 * FREE), timeout=20)
        assert all(not a.done for a in dead), "the dead node's calls were settled before the longest call"
        sent = originated(sims)
        for lead, call in dead_leads.items():
            assert store.leads.get(lead)["state"] == "dialing"  # its slot holds it: not dialled again
            assert [c for c in sent if store.calls.get(c).get("lead") == lead] == [call]
        # Older than the longest call on a node unreachable for that long: recorded lost.
        wait_until(lambda: all(a.done for a in dead), timeout=30)
        engine.flush()
        answered = {a.call_uuid for a in dead if a.answered_ms}
        assert answered, "no answered call on the dead node"
        for call in dead_leads.values():
            cdr = store.calls.get(call)
            status = "answered" if call in answered else "failed"  # what is known of it: answered or not
            assert (cdr["hangup_cause"], cdr["recall_status"]) == ("AUTOCALL_LOST", status), cdr
        # The whole concurrency on the two live nodes now.
        wait_until(lambda: live() == min(CONCURRENT, 2 * FREE), timeout=20)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_every_attempt_recorded_once(store, camp, batch, sims)
        for lead, call in dead_leads.items():
            (first_call, first), *recalled = lead_calls(store, lead)
            assert first_call == call and first["hangup_cause"] == "AUTOCALL_LOST"
            if call in answered:  # counted, and answered is not a recall_status of the campaign: done
                assert recalled == [] and store.leads.get(lead)["attempts"] == "1"
            else:  # counted, failed: recalled (recall_times 1) on a live node
                ((_, second),) = recalled
                assert second["recall_status"] == "answered" and second["node"] in ("fs2", "fs3")
                assert store.leads.get(lead)["attempts"] == "2"
        assert not [c for c, where in originated(sims).items() if where[0][1] == "fs1" and c not in dead_leads.values()]
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
        kept = lambda: engine.cdrs.cdrs.kept([a.call_uuid for a in dead])  # noqa: E731
        wait_until(lambda: len(kept()) == len(dead), timeout=20)
        sims[0].start()
        back.set()
        wait_until(lambda: fs1.up.is_set(), timeout=40)
        assert fs1.core_uuid != fs1.previous_core
        wait_until(lambda: all(a.done for a in dead), timeout=10)
        assert engine.cdrs.from_cdrs >= len(dead)
        wait_until(lambda: campaign_settled(store, camp.campaign_uuid), timeout=90)
        engine.flush()
        check_every_attempt_recorded_once(store, camp, batch, sims)
        for att in dead:
            (call, first), *recalled = lead_calls(store, att.claim.lead_uuid)
            assert call == att.call_uuid and first["hangup_cause"] == "SYSTEM_SHUTDOWN", first
            if att.answered_ms:  # answered: its real talk time, from the CDR; done (answered is not recalled)
                assert first["recall_status"] == "answered" and int(first["billsec"]) >= 1 and recalled == []
            else:
                assert "recalled, not counted" in first["reason"] and len(recalled) == 1
    finally:
        engine.stop(drain_timeout=2)
