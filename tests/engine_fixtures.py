"""An engine wired to a real Redis and the simulator over a real socket."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import gevent
import gevent.event

from dialer.domain.models import Template
from dialer.engine.engine import Engine
from dialer.esl.node import NodeConfig
from dialer.media import MessageFiles
from dialer.pacing.pacer import CampaignPacer
from dialer.store.store import Store
from tests.factories import campaign


def write_wav(path: Path, seconds: float = 0.5, rate: int = 8000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return path


def audio_campaign(store: Store, **fields):
    template = Template(template_name="hello", audio_file="hello.wav")
    store.catalog.templates.put(template)
    return campaign(store, template_uuid=template.template_uuid, **fields)


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    with gevent.Timeout(timeout, AssertionError("condition not reached in time")):
        while not predicate():
            gevent.sleep(0.01)


def pacer_settled(pacer: CampaignPacer) -> bool:
    """It claims nothing more: stopped, and its last turn has decided."""
    return pacer.stopped and pacer.turns_decided == pacer.turns


def await_turn(engine: Engine, campaign_uuid: str, timeout: float = 10.0) -> None:
    """Return once this campaign's pacer has decided a whole turn that started after the call (it
    claimed what it may, or now waits), or has stopped. Assert "nothing was claimed" after this,
    never after a sleep: what a change made before the call allows has then been done."""
    wait_until(lambda: campaign_uuid in engine.pacers, timeout)
    pacer = engine.pacers[campaign_uuid]
    mark = pacer.turns
    pacer.wake()  # a turn waiting on a long sleep (a closed window, no key) ends it now
    wait_until(lambda: pacer.turns_decided > mark or pacer_settled(pacer), timeout)


def make_engine(
    store: Store, server, audio_dir: Path, *, sps: int | None = 1000, max_sessions: int | None = 1000, **kw
) -> Engine:
    write_wav(audio_dir / "hello.wav", seconds=5.0)
    node = NodeConfig("fs1", *server.address, "ClueCon", sps=sps, max_sessions=max_sessions)
    engine = Engine(
        store, [node], MessageFiles(audio_dir), default_gateway="gw1", default_caller_id="02812345678", **kw
    )
    engine.start()
    assert engine.wait_connected(5)
    return engine


def disconnect_and_kill(engine: Engine, server, monkeypatch, call_uuid: str) -> gevent.event.Event:
    """Cut the engine's connection and hang ``call_uuid`` up (another ESL client's uuid_kill) while
    the engine cannot reconnect: the call ends unheard. Set the returned event to let it back."""
    from dialer.esl import node as node_module
    from tests.eslclient import RawClient

    reconnect = gevent.event.Event()

    class GatedConnection(node_module.ESLConnection):
        def connect(self) -> None:
            reconnect.wait()
            super().connect()

    monkeypatch.setattr(node_module, "ESLConnection", GatedConnection)
    engine.nodes[0].conn.close("test: socket dropped")
    other = RawClient(*server.address)
    other.login("ClueCon")
    other.command(f"api uuid_kill {call_uuid}")
    other.close()
    return reconnect
