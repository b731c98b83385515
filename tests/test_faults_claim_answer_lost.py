"""A claim whose answer a dropped connection lost, on one Redis (no Sentinel): redis-py does not
re-run it (dialer/store/connect.py ``never_retried``), the claim fails, its slots are given back
before the next claim (unclaim.lua), and every lead is dialled once. A re-run claim.lua would hand
the call uuids of the claim that did run to other leads: the first ones stuck in ``dialing``."""

from __future__ import annotations

import socket
from collections import Counter

import gevent
import gevent.server

from dialer.store.scripts import source
from dialer.store.store import Store
from simswitch import Scenario
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

QUICK = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}])


class AnswerCutter:
    """A TCP proxy on loopback in front of a Redis. Armed, it forwards the next command that
    contains ``marker`` to Redis, lets Redis run it and answer, and closes the client's connection
    without the answer: what a client sees when its connection breaks at the worst moment."""

    def __init__(self, upstream: tuple[str, int], marker: bytes) -> None:
        self.upstream = upstream
        self.marker = marker
        self.armed = False
        self.cut = 0  # answers dropped
        self.server = gevent.server.StreamServer(("127.0.0.1", 0), self._serve)
        self.server.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.server.server_port}/0"

    def stop(self) -> None:
        self.server.stop()

    def _serve(self, client: socket.socket, _address: object) -> None:
        upstream = socket.create_connection(self.upstream)
        answers = gevent.spawn(self._pump, upstream, client)
        try:
            while data := client.recv(65536):
                if self.armed and self.marker in data:
                    self.armed = False
                    answers.kill()  # this connection's answers stop here
                    upstream.sendall(data)
                    upstream.recv(65536)  # Redis ran it and answered; the answer goes nowhere
                    self.cut += 1
                    return
                upstream.sendall(data)
        except OSError:
            pass
        finally:
            answers.kill()
            client.close()
            upstream.close()

    @staticmethod
    def _pump(source_: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source_.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


def test_redis_py_never_re_runs_a_command_on_one_redis(redis_server):
    """Whatever redis-py's default of the day (10 tries for ``Redis()`` in 8.x, none for ``from_url``)."""
    pool = Store.from_url(redis_server["url"]).r.connection_pool
    assert pool.connection_kwargs["retry"].get_retries() == 0
    assert pool.make_connection().retry.get_retries() == 0


def test_a_claim_whose_answer_was_lost_on_one_redis_dials_each_lead_once(store, redis_server, simswitch, tmp_path):
    claim_sha = store.r.script_load(source("claim")).encode()  # loaded: the cut EVALSHA is one Redis runs
    cutter = AnswerCutter((redis_server["host"], redis_server["port"]), claim_sha)
    via_cutter = Store.from_url(cutter.url)
    server = simswitch(QUICK, time_scale=0.05)
    dialled: Counter[str] = Counter()  # first legs per lead
    add_channel = server.switch.add_channel

    def counted(ch) -> None:
        if ch.uuid == ch.get_var("autocall_call"):
            dialled[ch.get_var("autocall_lead")] += 1
        add_channel(ch)

    server.switch.add_channel = counted  # type: ignore[method-assign]
    engine = make_engine(via_cutter, server, tmp_path / "audio")
    try:
        camp = audio_campaign(store, concurrent_call=10, call_timeout=20)
        batch = leads(store, camp, 30)
        cutter.armed = True
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: cutter.cut == 1 and campaign_settled(store, camp.campaign_uuid), timeout=30)
        engine.flush()
        result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [lead.lead_uuid for lead in batch])
    finally:
        engine.stop(drain_timeout=2)
        cutter.stop()
    assert via_cutter.calls.given_back > 0, "the claim that ran was given back"
    assert dialled == Counter({lead.lead_uuid: 1 for lead in batch}), "each lead dialled once"
    assert result["done"] == 30 and result["attempts"] == 30
