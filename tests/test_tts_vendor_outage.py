"""Done-when (issue 20): a vendor outage mid-campaign falls back with 0 calls lost.

A campaign of 30 TTS leads on the simulator speaks with an ``http`` voice
against a local stub that answers the first 10 texts, then goes down (503, or
hangs past the voice's timeout). Every lead is dialled with audio, every CDR is
there, and each names the voice that spoke its message: the vendor for the
texts it answered, espeak-ng (the last resort) for the others. The breaker's
clock never advances, so no probe goes out: during the outage the stub sees
at most the renders already running when it went down (the voice's
concurrency), never one per message.
"""

from __future__ import annotations

import io
import json
import shutil
import wave

import gevent
import gevent.event
import pytest
from gevent import pywsgi

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Lead, Network, Template
from simswitch import Scenario
from tests.engine_fixtures import make_engine, wait_until
from tests.factories import campaign
from tts.cache import AudioCache
from tts.chain import VoiceChain
from tts.otp import OtpReader
from tts.renderer import TtsRenderer
from tts.template import render
from tts.voices import parse

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (scripts/bootstrap)")

LEADS, ANSWERED_BEFORE_OUTAGE, CONCURRENCY = 30, 10, 4
TEMPLATE = "Chào {{ ten }}, quý khách có lịch hẹn số {{ so }}"


def wav(seconds: float = 0.4, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(bytes(range(256)) * int(seconds * rate * 2 / 256))
    return out.getvalue()


class Vendor:
    """A cloud TTS that answers ``healthy`` texts, then is down: 503, or a hang past the client's timeout."""

    def __init__(self, outage: str) -> None:
        self.outage = outage
        self.answered: list[str] = []  # texts it spoke (200)
        self.refused: list[str] = []  # texts asked during the outage
        self.release = gevent.event.Event()  # ends the hangs at teardown
        self.body = wav()
        self.server = pywsgi.WSGIServer(("127.0.0.1", 0), self.app, log=None, error_log=None)

    def app(self, environ, start_response):
        text = json.loads(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))["text"]
        if len(self.answered) < ANSWERED_BEFORE_OUTAGE:
            self.answered.append(text)
            start_response("200 OK", [("Content-Type", "audio/wav"), ("Content-Length", str(len(self.body)))])
            return [self.body]
        self.refused.append(text)
        if self.outage == "hang":
            self.release.wait()
        start_response("503 Service Unavailable", [("Content-Type", "application/json")])
        return [b'{"error": "maintenance"}']

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/tts"


@pytest.fixture(params=["503", "hang"])
def vendor(request):
    stub = Vendor(request.param)
    stub.server.start()
    yield stub
    stub.release.set()
    stub.server.stop(timeout=1)


def test_a_vendor_outage_mid_campaign_falls_back_with_no_call_lost(store, simswitch, tmp_path, vendor):
    audio = tmp_path / "audio"
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.0}}]), time_scale=0.01)
    eng = make_engine(store, server, audio)
    book = parse(
        {"default": "vendor", "voice": {"vendor": {"engine": "http", "url": vendor.url, "timeout": 0.5}}}, "test", {}
    )
    frozen = 1000.0  # the breakers' clock: never past the cool-down, so no probe during the outage
    voices = VoiceChain.build(
        book, AudioCache(audio / "tts"), 8000, budget_s=20, clock=lambda: frozen, concurrency=CONCURRENCY
    )
    eng.files.renderer = TtsRenderer(voices, OtpReader(voices))
    try:
        template = Template(template_name="hẹn", text=TEMPLATE, voice="vendor")
        store.catalog.templates.put(template)
        camp = campaign(
            store, template_uuid=template.template_uuid, type_autocall=TypeAutocall.VOICE_TTS, concurrent_call=10
        )
        leads = [
            Lead(
                campaign_uuid=camp.campaign_uuid,
                numbers=[f"098{i:07d}"],
                networks=[Network.VIETTEL],
                fields={"ten": "Lan", "so": str(i + 1)},
            )
            for i in range(LEADS)
        ]
        store.leads.add(leads, 1_000)
        eng.wake(camp.campaign_uuid)
        wait_until(lambda: all(store.calls.get(lead.call_id).get("state") == "done" for lead in leads), timeout=90)

        cdrs = {lead.call_id: store.calls.get(lead.call_id) for lead in leads}
        assert server.switch.stats.originated == LEADS  # every lead dialled: none failed for want of audio
        assert {cdr["recall_status"] for cdr in cdrs.values()} == {"answered"}
        assert len(vendor.answered) == ANSWERED_BEFORE_OUTAGE
        for lead in leads:
            text = render(TEMPLATE, lead.fields)
            want = ("vendor", "http") if text in vendor.answered else ("espeak", "espeak")
            assert (cdrs[lead.call_id]["tts_voice"], cdrs[lead.call_id]["tts_engine"]) == want
        assert 1 <= len(vendor.refused) <= CONCURRENCY  # the breaker: not one request per message
        assert voices.fallbacks["vendor", "espeak"] == LEADS - ANSWERED_BEFORE_OUTAGE
    finally:
        eng.stop(drain_timeout=5)
