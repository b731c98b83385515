"""A voice's fallback chain and circuit breaker (tts/chain.py, tts/breaker.py), with fake engines and clock."""

from __future__ import annotations

import gevent
import gevent.event
import pytest

from tts.breaker import Breaker
from tts.cache import AudioCache
from tts.chain import VoiceChain
from tts.engines.base import SynthesisError
from tts.otp import OtpReader
from tts.renderer import TtsRenderer
from tts.synth import Synthesizer

TONE = bytes(range(256)) * 40  # 5,120 bytes of non-silent PCM


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Fake:
    """An engine that says everything, fails while ``down``, or hangs while ``hang`` is unset."""

    def __init__(self, name: str) -> None:
        self.name, self.voice, self.settings = name, name, ""
        self.said: list[str] = []
        self.down = False
        self.hang: gevent.event.Event | None = None

    def synthesize(self, text: str) -> tuple[bytes, int]:
        self.said.append(text)
        if self.hang is not None:
            self.hang.wait()
        if self.down:
            raise SynthesisError(f"{self.name}: HTTP 503")
        return TONE, 8000


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def voices(tmp_path, clock):
    """vendor -> backup -> espeak (all fakes), sharing one cache; a 30 s breaker on each."""
    engines = {n: Fake(n) for n in ("vendor", "backup", "espeak")}
    cache = AudioCache(tmp_path / "tts")
    synths = {n: Synthesizer(e, cache, 8000, breaker=Breaker(30.0, clock)) for n, e in engines.items()}
    chains = {"vendor": ("vendor", "backup", "espeak"), "backup": ("backup", "espeak"), "espeak": ("espeak",)}
    chain = VoiceChain(synths, {n: f"{n}-engine" for n in engines}, chains.__getitem__, "vendor", budget_s=20)
    return chain, engines


def test_the_voice_speaks_when_its_engine_answers(voices):
    chain, engines = voices
    spoken = chain.speak("Xin chào")
    assert (spoken.voices, spoken.engines) == (("vendor",), ("vendor-engine",)) and spoken.is_file()
    assert engines["backup"].said == [] and chain.outcomes["vendor", "ok"] == 1


def test_a_failing_engine_falls_back_to_the_next_voice(voices):
    chain, engines = voices
    engines["vendor"].down = True
    spoken = chain.speak("Xin chào")
    assert spoken.voices == ("backup",) and chain.fallbacks["vendor", "backup"] == 1
    assert chain.outcomes["vendor", "failed"] == 1


def test_the_chain_ends_with_the_last_resort(voices):
    chain, engines = voices
    engines["vendor"].down = engines["backup"].down = True
    assert chain.speak("Xin chào").voices == ("espeak",)


def test_when_every_voice_fails_the_error_names_each(voices):
    chain, engines = voices
    for engine in engines.values():
        engine.down = True
    with pytest.raises(SynthesisError, match=r"vendor: vendor: HTTP 503; backup: .*; espeak: "):
        chain.speak("Xin chào")


def test_after_a_failure_the_voice_rests_and_is_not_asked(voices):
    chain, engines = voices
    engines["vendor"].down = True
    for n in range(5):
        assert chain.speak(f"câu {n}").voices == ("backup",)
    assert len(engines["vendor"].said) == 1 and chain.outcomes["vendor", "resting"] == 4


def test_after_the_cool_down_one_render_probes_and_a_success_brings_the_voice_back(voices, clock):
    chain, engines = voices
    engines["vendor"].down = True
    chain.speak("một")
    engines["vendor"].down = False
    clock.now += 30
    assert chain.speak("hai").voices == ("vendor",)
    assert chain.speak("ba").voices == ("vendor",)


def test_while_the_probe_is_out_other_renders_skip_the_voice(voices, clock):
    chain, engines = voices
    engines["vendor"].down = True
    chain.speak("một")
    clock.now += 30
    engines["vendor"].hang = gevent.event.Event()
    probe = gevent.spawn(chain.speak, "hai")
    gevent.idle()
    assert chain.speak("ba").voices == ("backup",)  # the probe holds the only pass
    engines["vendor"].hang.set()
    assert probe.get().voices == ("backup",)  # it failed (still down): resting again
    assert engines["vendor"].said == ["một", "hai"]


def test_a_failed_probe_rests_the_voice_for_another_cool_down(voices, clock):
    chain, engines = voices
    engines["vendor"].down = True
    chain.speak("một")
    clock.now += 30
    chain.speak("hai")
    clock.now += 29
    chain.speak("ba")
    assert engines["vendor"].said == ["một", "hai"]


def test_a_text_is_cached_under_the_voice_that_spoke_it(voices, clock):
    chain, engines = voices
    engines["vendor"].down = True
    by_backup = chain.speak("Xin chào")
    engines["vendor"].down = False
    clock.now += 30
    by_vendor = chain.speak("Xin chào")  # not the backup's file: the vendor is asked again, now it is back
    assert by_vendor.voices == ("vendor",) and by_vendor != by_backup and engines["vendor"].said == ["Xin chào"] * 2


def test_a_text_cached_under_a_resting_voice_is_still_served_by_it(voices):
    chain, engines = voices
    first = chain.speak("Xin chào")
    engines["vendor"].down = True
    chain.speak("khác")  # opens the breaker
    again = chain.speak("Xin chào")
    assert again == first and again.voices == ("vendor",) and engines["vendor"].said == ["Xin chào", "khác"]


def test_a_hanging_engine_is_cut_off_leaving_the_last_resort_its_reserve(tmp_path, clock):
    hung, last = Fake("vendor"), Fake("espeak")
    hung.hang = gevent.event.Event()  # never set: hangs past any timeout
    cache = AudioCache(tmp_path / "tts")
    synths = {n: Synthesizer(e, cache, breaker=Breaker(30.0, clock)) for n, e in (("vendor", hung), ("espeak", last))}
    chain = VoiceChain(synths, {}, lambda v: ("vendor", "espeak"), "vendor", budget_s=0.4)
    chain.engines = {"vendor": "http", "espeak": "espeak"}
    assert chain.speak("Xin chào").voices == ("espeak",) and chain.outcomes["vendor", "failed"] == 1
    assert synths["vendor"].breaker is not None and synths["vendor"].breaker.state == "open"


def test_the_last_resort_is_asked_even_while_its_breaker_is_open(voices):
    # One espeak-ng failure (a render timed out on a loaded box) must not leave every call whose vendor is
    # down without audio for the whole cool-down: nothing comes after the last resort.
    chain, engines = voices
    engines["espeak"].down = True
    with pytest.raises(SynthesisError):
        chain.speak("espeak", "espeak")  # espeak's breaker opens
    engines["espeak"].down = False
    engines["vendor"].down = engines["backup"].down = True
    assert chain.speak("Xin chào").voices == ("espeak",)


def test_a_render_waiting_on_one_cut_off_by_its_deadline_makes_the_audio_itself(voices):
    # Two batches say the same text (a message without personal fields): the first's espeak-ng render
    # is cut off by its own deadline; the second, with time left, must not inherit that and lose its call.
    import time

    chain, engines = voices
    engines["espeak"].hang = gevent.event.Event()
    first = gevent.spawn(chain.speak, "Xin chào", "espeak", deadline=time.monotonic() + 0.05)
    second = gevent.spawn(chain.speak, "Xin chào", "espeak")
    first.join()
    engines["espeak"].hang.set()
    assert isinstance(first.exception, SynthesisError)
    assert second.get().voices == ("espeak",)


def test_a_voice_with_no_time_left_is_skipped_but_the_last_resort_is_tried(voices):
    import time

    chain, engines = voices
    spoken = chain.speak("Xin chào", deadline=time.monotonic() + 1.0)  # less than the 2 s reserve
    assert spoken.voices == ("espeak",) and engines["vendor"].said == [] and engines["backup"].said == []
    assert chain.outcomes["vendor", "no_time"] == 1


def test_a_voice_no_longer_configured_speaks_with_the_default(voices):
    chain, _engines = voices
    assert chain.speak("Xin chào", "gone").voices == ("vendor",) and chain.fallbacks["gone", "vendor"] == 1


def test_an_otp_names_every_voice_heard_when_the_vendor_fails_half_way(voices):
    chain, engines = voices
    vendor = engines["vendor"]

    def flaky(text: str) -> tuple[bytes, int]:
        vendor.said.append(text)
        if len(vendor.said) > 2:  # the intro and "Xin nhắc lại" are said, then the outage
            raise SynthesisError("vendor: HTTP 503")
        return TONE, 8000

    vendor.synthesize = flaky  # type: ignore[method-assign]
    spoken = OtpReader(chain).render("482915", 2)
    assert spoken.voices == ("vendor", "backup") and spoken.engines == ("vendor-engine", "backup-engine")
    assert len(vendor.said) == 3  # the failure rested it: the other digits went straight to the backup


def test_an_otp_assembled_from_fallback_clips_is_assembled_again_once_the_vendor_is_back(voices, clock):
    chain, engines = voices
    engines["vendor"].down = True
    first = OtpReader(chain).render("1234", 1)
    engines["vendor"].down = False
    clock.now += 30
    again = OtpReader(chain).render("1234", 1)
    assert first.voices == ("backup",) and again.voices == ("vendor",) and again != first


def test_the_renderer_passes_the_template_voice(voices):
    chain, engines = voices
    renderer = TtsRenderer(chain)
    assert renderer.render_text("Chào {{ ten }}", {"ten": "An"}, voice="backup").voices == ("backup",)
    assert renderer.render_otp("1234", 1, voice="backup").voices == ("backup",)
    assert engines["vendor"].said == []


def test_a_render_in_flight_when_the_breaker_opened_does_not_close_it_by_succeeding_late(clock):
    breaker = Breaker(30.0, clock)
    assert breaker.admit() and breaker.admit()  # two renders in flight
    breaker.failed()  # the first fails: open
    breaker.succeeded()  # the second answers late
    assert breaker.state == "open" and not breaker.admit()


def opened_with_a_render_still_in_flight(clock) -> Breaker:
    breaker = Breaker(30.0, clock)
    assert breaker.admit() and breaker.admit()  # two renders in flight
    breaker.failed()  # the first fails: open
    clock.now += 31
    return breaker


def test_a_render_in_flight_when_the_breaker_opened_does_not_close_it_while_the_probe_is_out(clock):
    breaker = opened_with_a_render_still_in_flight(clock)
    assert breaker.admit()  # the probe goes out
    breaker.succeeded()  # the second (let in while closed) answers late
    assert breaker.state == "probing"


def test_a_render_in_flight_when_the_breaker_opened_failing_late_does_not_void_the_probe(clock):
    breaker = opened_with_a_render_still_in_flight(clock)
    probe = breaker.admit()
    breaker.failed()  # the second (let in while closed) fails late
    assert not breaker.admit()
    breaker.succeeded(probe)  # the probe's answer is the one that counts
    assert breaker.state == "closed"


def test_metrics_show_renders_by_outcome_fallbacks_and_resting_voices(voices):
    from dialer.metrics import voice_families

    chain, engines = voices
    engines["vendor"].down = True
    chain.speak("một")
    chain.speak("hai")
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for family in voice_families(chain) for s in family.samples
    }
    assert samples[("autocall_tts_renders_total", (("outcome", "failed"), ("voice", "vendor")))] == 1
    assert samples[("autocall_tts_renders_total", (("outcome", "resting"), ("voice", "vendor")))] == 1
    assert samples[("autocall_tts_fallbacks_total", (("spoken_by", "backup"), ("voice", "vendor")))] == 2
    assert samples[("autocall_tts_voice_resting", (("voice", "vendor"),))] == 1
    assert samples[("autocall_tts_voice_resting", (("voice", "backup"),))] == 0


def test_a_campaign_speaks_with_its_templates_voice(voices, tmp_path):
    from dialer.domain.enums import TypeAutocall
    from dialer.domain.models import Campaign, Template
    from dialer.media import MessageFiles, spoken_by

    chain, engines = voices
    files = MessageFiles(tmp_path, renderer=TtsRenderer(chain))
    template = Template(template_name="t", text="Chào {{ ten }}", voice="backup")
    tts = Campaign(campaign_name="c", type_autocall=TypeAutocall.VOICE_TTS)
    otp = Campaign(campaign_name="o", type_autocall=TypeAutocall.VOICE_OTP)
    assert spoken_by(files.for_call(tts, template, {"ten": "An"})) == ("backup", "backup-engine")
    assert spoken_by(files.for_call(otp, template.model_copy(update={"text": ""}), {"otp": "1234"}))[0] == "backup"
    assert engines["vendor"].said == []
