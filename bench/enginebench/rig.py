"""The engine as ``autocall serve`` wires it, for one bench phase: settings, store, engine,
webhook sender, HTTP API in this hub, INFO JSON logs (to /dev/null), and helpers to make campaigns
and leads.

Everything is built by dialer/daemon.py's own ``build_engine`` and ``build_api`` from a
``Settings``, so the bench measures the wiring ``serve`` runs (the speech renderer included).
"""

from __future__ import annotations

import gc
import os
import time
import uuid
import wave
from pathlib import Path

import gevent

from dialer.config import Settings
from dialer.daemon import build_api, build_engine
from dialer.domain.enums import CampaignStatus, RecallStatus, ScheduleRecall, TypeAutocall
from dialer.domain.models import Campaign, Lead, Template
from dialer.engine.engine import Engine
from dialer.logs import setup_logging
from dialer.routing.numbers import normalize
from dialer.store.store import Store

from .procs import Env, Sim, free_port

TOKEN = "bench-token"
_logging_done = [False]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))


def json_logs_to_devnull(settings: Settings) -> None:
    """INFO JSON lines, formatted exactly as serve formats them (dialer/logs.py), written to /dev/null:
    the formatting is paid, the terminal is not."""
    if not _logging_done[0]:
        setup_logging("INFO", stream=open(os.devnull, "w"), secrets=settings.secrets())
        _logging_done[0] = True


def wait_for(pred, timeout: float, step: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        gevent.sleep(step)
    return bool(pred())


class Rig:
    """One engine (and API, webhooks) over the given simulators, sharing the bench's Redis."""

    def __init__(self, env: Env, sims: list[Sim], *, sps: int | None = None) -> None:
        self.audio = env.workdir / "audio"
        self.api_port = free_port()
        cap = f"&sps={sps}" if sps else ""
        self.settings = Settings(
            redis_url=f"redis://127.0.0.1:{env.redis_port}/0",
            freeswitch=",".join(s.url + cap for s in sims),
            audio_dir=self.audio,
            default_gateway="gw1",
            default_caller_id="02812345678",
            api_tokens=TOKEN,
            listen=f"127.0.0.1:{self.api_port}",
            webhook_allow_private=True,
            tts_engine="espeak",
            drain_seconds=30,
        )
        json_logs_to_devnull(self.settings)
        self.store, self.engine, self.webhooks = build_engine(self.settings)
        self.server, _ = build_api(self.settings, self.store, self.engine)
        self.sims = sims

    def start(self) -> Engine:
        self.server.start()
        self.engine.start()
        self.webhooks.start()
        if not self.engine.wait_connected(15):
            raise SystemExit("engine did not connect to every simulator")
        wait_for(lambda: all(n.capacity.known for n in self.engine.nodes), 10, 0.05)
        return self.engine

    def stop(self, cid: str | None = None, *, hupall: bool = False, drain: float = 30.0) -> None:
        if cid is not None:
            self.store.campaigns.set_status(cid, CampaignStatus.STOP)
            self.engine.campaign_changed(cid)
        if hupall:
            for node in self.engine.nodes:
                if node.conn is not None:
                    try:
                        node.conn.api("hupall NORMAL_CLEARING", timeout=30)
                    except Exception as exc:  # a bench reports, it does not stop on this
                        print(f"  (hupall on {node.name} failed: {exc})")
        self.server.stop(timeout=5)
        self.engine.stop(drain_timeout=drain)
        self.webhooks.stop()
        gc.collect()

    # -- campaigns and leads ---------------------------------------------------
    def campaign(self, name: str, concurrent: int, *, wav: str = "", otp: bool = False, **fields) -> Campaign:
        name = f"{name}-{uuid.uuid4().hex[:8]}"  # names are unique per Redis; phases may run twice
        tpl = Template(template_name=name, audio_file=wav) if not otp else Template(template_name=name)
        self.store.catalog.templates.put(tpl)
        camp = Campaign(
            campaign_name=name,
            concurrent_call=concurrent,
            template_uuid=tpl.template_uuid,
            status=CampaignStatus.STOP,
            type_autocall=TypeAutocall.VOICE_OTP if otp else TypeAutocall.AUDIO,
            **fields,
        )
        return self.store.campaigns.create(camp)

    def go(self, cid: str) -> None:
        self.store.campaigns.set_status(cid, CampaignStatus.START)
        self.engine.campaign_changed(cid)

    def leads(self, cid: str, count: int, prefix: str = "098", start: int = 0) -> None:
        now = int(time.time() * 1000)
        for lo in range(0, count, 5000):
            batch = []
            for i in range(lo, min(count, lo + 5000)):
                num = normalize(f"{prefix}{(start + i) % 10_000_000:07d}")
                batch.append(
                    Lead(
                        campaign_uuid=cid,
                        external_id=f"{prefix}-{start + i}",
                        numbers=[num.national],
                        networks=[num.network],
                    )
                )
            self.store.leads.add(batch, now)


def realistic_fields(receiver_url: str) -> dict:
    """The campaign settings of the realistic mix: busy and no-answer leads are recalled once, at
    once (so the recall happens within the run); both callback URLs point at the local receiver."""
    return {
        "recall_times": 1,
        "schedule_recall": ScheduleRecall.MINUTE,
        "schedule_recall_duration": 0,
        "recall_status": [RecallStatus.BUSY, RecallStatus.NO_ANSWERED],
        "callback_url": receiver_url,
        "answer_callback_url": receiver_url,
        "call_timeout": 20,
    }


def store_for(redis_port: int) -> Store:
    return Store.from_url(f"redis://127.0.0.1:{redis_port}/0")
