"""Speech synthesis: engines, audio conversion, the content-addressed cache, the synthesizer."""

from __future__ import annotations

import json
import math
import os
import struct
import time
from array import array
from pathlib import Path

import gevent
import numpy as np
import pytest
from gevent import pywsgi

from tts import audio
from tts.audio import normalize, peak, read_wav, resample, to_mono, wav_bytes, wav_info, write_wav
from tts.cache import AudioCache
from tts.engines import EspeakEngine, HttpEngine, SynthesisError
from tts.engines.espeak import available
from tts.synth import Synthesizer

SEED = (
    "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn "
    "trước ngày ba mươi tháng một năm hai không hai mươi mốt"
)
MINUS_1_DBFS = 32767 * 10 ** (-1 / 20)  # 29204.4

needs_espeak = pytest.mark.skipif(
    not available(), reason="espeak-ng binary not installed (Debian package espeak-ng; scripts' bootstrap installs it)"
)


def tone(freq: float, rate: int, seconds: float = 0.5, amp: int = 16000, channels: int = 1) -> bytes:
    n = int(rate * seconds)
    mono = [round(amp * math.sin(2 * math.pi * freq * i / rate)) for i in range(n)]
    if channels == 1:
        return array("h", mono).tobytes()
    return array("h", [v for v in mono for _ in range(channels)]).tobytes()


def samples(pcm: bytes) -> array:
    a = array("h")
    a.frombytes(pcm)
    return a


def amplitude_at(pcm: bytes, freq: float, rate: int) -> float:
    """Amplitude of the ``freq`` component in the middle half of ``pcm`` (a one-bin DFT)."""
    a = samples(pcm)
    a = a[len(a) // 4 : 3 * len(a) // 4]
    re = sum(v * math.cos(2 * math.pi * freq * i / rate) for i, v in enumerate(a))
    im = sum(v * math.sin(2 * math.pi * freq * i / rate) for i, v in enumerate(a))
    return 2 * math.hypot(re, im) / len(a)


def rms(pcm: bytes) -> float:
    a = samples(pcm)
    a = a[len(a) // 4 : 3 * len(a) // 4]
    return math.sqrt(sum(v * v for v in a) / len(a))


class CountingEngine:
    """A fake engine: a 0.3 s tone at 22,050 Hz per text, counting calls and concurrency."""

    name = "fake"
    voice = "test"
    settings = ""

    def __init__(self, delay: float = 0.0, fail: bool = False) -> None:
        self.calls = 0
        self.delay = delay
        self.fail = fail
        self.active = 0
        self.max_active = 0

    def synthesize(self, text: str) -> tuple[bytes, int]:
        self.calls += 1
        self.active += 1
        self.max_active = max(self.max_active, self.active)
        try:
            if self.delay:
                gevent.sleep(self.delay)
            if self.fail:
                raise SynthesisError(f"fake engine failure for {text!r}")
            return tone(300 + len(text) % 50, 22050, 0.3, 32000), 22050
        finally:
            self.active -= 1


@pytest.fixture
def cache(tmp_path):
    return AudioCache(tmp_path / "tts")


def files_in(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- espeak-ng end to end


@needs_espeak
@pytest.mark.parametrize("rate", [8000, 16000])
def test_espeak_seed_sentence_wav(cache, rate):
    path = Synthesizer(EspeakEngine(), cache, rate=rate).speak(SEED)
    assert path.is_absolute() and path.is_relative_to(cache.directory) and path.suffix == ".wav"
    got_rate, channels, width, seconds, top = wav_info(path)
    assert (got_rate, channels, width) == (rate, 1, 2)
    assert 3.0 < seconds < 15.0
    assert 0.85 < top <= 0.8913  # normalised: peak at (at most) -1 dBFS, no clipping
    assert (path.stat().st_mode & 0o777) == 0o644
    raw = path.read_bytes()
    assert raw[:4] == b"RIFF" and int.from_bytes(raw[4:8], "little") == len(raw) - 8  # a proper, finished header
    assert [p.name for p in files_in(cache.directory)] == [path.name]  # no temporary left behind


@needs_espeak
def test_espeak_engine_output_and_streaming_header():
    engine = EspeakEngine()
    pcm, rate = engine.synthesize(SEED)
    assert rate == 22050 and len(pcm) > 22050 * 2 and peak(pcm) > 16000
    # what espeak-ng really writes: header sizes are placeholders far beyond the bytes present
    out = gevent.subprocess.run(engine.command(), input=SEED.encode(), capture_output=True, check=True).stdout
    declared = int.from_bytes(out[40:44], "little")
    assert out[36:40] == b"data" and declared > len(out)
    assert read_wav(out) == (out[44:], 22050, 1)


@needs_espeak
def test_espeak_word_gap_lengthens_the_pauses_between_words():
    plain = len(EspeakEngine(word_gap=0).synthesize("một hai ba bốn năm")[0])
    gapped = len(EspeakEngine(word_gap=20).synthesize("một hai ba bốn năm")[0])
    assert gapped - plain >= 4 * 0.15 * 22050 * 2  # four gaps of 200 ms (at least 150 ms each kept)


@pytest.mark.parametrize("gap", [-1, 101])
def test_espeak_word_gap_outside_0_to_100_is_refused(gap):
    with pytest.raises(ValueError, match="word_gap"):
        EspeakEngine(word_gap=gap)


def test_espeak_word_gap_is_part_of_the_cache_key(cache):
    assert Synthesizer(EspeakEngine(word_gap=2), cache).key("a") != Synthesizer(EspeakEngine(word_gap=4), cache).key(
        "a"
    )


@needs_espeak
def test_espeak_errors():
    with pytest.raises(SynthesisError, match="exited with status"):
        EspeakEngine(voice="nosuchvoice").synthesize("xin chào")
    with pytest.raises(SynthesisError, match="empty text"):
        EspeakEngine().synthesize("   ")


def test_espeak_missing_binary():
    engine = EspeakEngine(binary="/nonexistent/espeak-ng")
    assert not engine.available()
    with pytest.raises(SynthesisError, match="cannot be run"):
        engine.synthesize("xin chào")


@needs_espeak
def test_espeak_render_does_not_block_the_hub(cache):
    ticks = []

    def ticker():
        while True:
            ticks.append(time.perf_counter())
            gevent.sleep(0.001)

    t = gevent.spawn(ticker)
    gevent.sleep(0)
    try:
        Synthesizer(EspeakEngine(), cache).speak(SEED + " một lần nữa")
    finally:
        t.kill()
    assert len(ticks) > 3  # other greenlets ran while espeak-ng and the conversion worked


# --------------------------------------------------------------------------- audio


def test_read_wav_streaming_header_and_extra_chunks():
    pcm = tone(440, 16000, 0.1)
    header = (
        b"RIFF"
        + (0x7FFFF024).to_bytes(4, "little")
        + b"WAVE"
        + b"fmt "
        + (16).to_bytes(4, "little")
        + struct.pack("<HHIIHH", 1, 1, 16000, 32000, 2, 16)
        + b"LIST"
        + (3).to_bytes(4, "little")
        + b"abc\0"  # odd-sized chunk: padded to even
        + b"data"
        + (0x7FFFF000).to_bytes(4, "little")
    )
    assert read_wav(header + pcm) == (pcm, 16000, 1)
    assert read_wav(header + pcm + b"\x01") == (pcm, 16000, 1)  # a torn last sample is dropped
    unsized = header[:4] + bytes(4) + header[8:]  # a RIFF size left at 0 by a streaming writer
    assert read_wav(unsized + pcm) == (pcm, 16000, 1)
    stereo = tone(440, 8000, 0.1, channels=2)
    assert read_wav(wav_bytes(stereo, 8000, channels=2)) == (stereo, 8000, 2)


def extensible_wav(pcm: bytes, rate: int, subformat: int) -> bytes:
    """A WAVE_FORMAT_EXTENSIBLE file (as some cloud TTS and sox write): tag 0xFFFE, the codec in a GUID."""
    guid = subformat.to_bytes(2, "little") + bytes.fromhex("000000001000800000aa00389b71")
    fmt = struct.pack("<HHIIHHHHI", 0xFFFE, 1, rate, 2 * rate, 2, 16, 22, 16, 4) + guid
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(pcm).to_bytes(4, "little") + pcm
    return b"RIFF" + len(body).to_bytes(4, "little") + body


def test_read_wav_takes_extensible_pcm_as_pcm():
    pcm = tone(440, 16000, 0.1)
    assert read_wav(extensible_wav(pcm, 16000, subformat=1)) == (pcm, 16000, 1)


def test_read_wav_refuses_extensible_float():
    with pytest.raises(ValueError, match="integer PCM"):
        read_wav(extensible_wav(b"\0" * 8, 16000, subformat=3))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"hello world, not audio", "RIFF"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "no fmt"),
        (wav_bytes(b"", 8000)[:36], "no data"),
        (wav_bytes(b"\0" * 8, 8000).replace(struct.pack("<HH", 2, 16), struct.pack("<HH", 2, 8)), "16"),
        (wav_bytes(b"\0" * 8, 8000)[:28], "truncated fmt"),
        (wav_bytes(b"\0" * 8, 8000).replace(struct.pack("<HH", 1, 1), struct.pack("<HH", 3, 1), 1), "integer PCM"),
    ],
)
def test_read_wav_rejects(data, message):
    with pytest.raises(ValueError, match=message):
        read_wav(data)


@pytest.mark.parametrize("src, dst", [(22050, 8000), (22050, 16000), (16000, 8000), (8000, 16000), (44100, 8000)])
def test_resample_length_ratio_and_band(src, dst):
    pcm = tone(1000, src, 0.5)
    out = resample(pcm, src, dst)
    assert len(out) // 2 == round(len(pcm) // 2 * dst / src)
    assert 20 * math.log10(amplitude_at(out, 1000, dst) / 16000) == pytest.approx(0.0, abs=0.1)
    if src > dst:  # a tone above the new Nyquist frequency is filtered out, not aliased
        alias = resample(tone(dst * 0.75, src, 0.5), src, dst)
        assert rms(alias) < 16000 / math.sqrt(2) / 100  # below -40 dB


@pytest.mark.parametrize(
    "dst, freq, above", [(8000, 1000, 6000), (8000, 3400, 4600), (16000, 1000, 10000), (16000, 7000, 9000)]
)
def test_resampled_tone_keeps_frequency_and_level_and_nothing_else_is_audible(dst, freq, above):
    out = np.frombuffer(resample(tone(freq, 22050, 1.0), 22050, dst), np.int16)[dst // 4 : 3 * dst // 4]
    window = np.hanning(len(out))
    spectrum = np.abs(np.fft.rfft(out * window)) / (window.sum() / 2)  # a sine of amplitude A reads A
    k = int(spectrum.argmax())
    assert k * 2 == freq  # half a second: 2 Hz bins, and the peak's bin is the tone's
    assert 20 * math.log10(spectrum[k] / 16000) == pytest.approx(0.0, abs=0.05)
    rest = np.delete(spectrum, range(k - 8, k + 9))  # the Hann window's main lobe, with room
    assert 20 * math.log10(rest.max() / 16000) < -80  # spurs: at the 16-bit noise floor, not the old -38 dB
    alias = resample(tone(above, 22050, 1.0), 22050, dst)  # above the new Nyquist frequency
    assert rms(alias) < 16000 / math.sqrt(2) * 10 ** (-80 / 20)


def test_resample_edges():
    assert resample(b"", 22050, 8000) == b""
    assert resample(tone(100, 8000, 0.1), 8000, 8000) == tone(100, 8000, 0.1)
    square = array("h", [32767 if (i // 20) % 2 else -32768 for i in range(4000)]).tobytes()
    assert peak(resample(square, 22050, 8000)) == 32768  # overshoot is clipped, not wrapped
    with pytest.raises(ValueError):
        resample(b"\0\0", 0, 8000)


def test_normalize_peak():
    quiet = tone(440, 8000, 0.2, amp=3000)
    assert peak(normalize(quiet)) == round(MINUS_1_DBFS)
    assert peak(normalize(quiet, peak_dbfs=-6.0)) == round(32767 * 10 ** (-6 / 20))
    loud = tone(440, 8000, 0.2, amp=32767)
    assert peak(normalize(loud)) == round(MINUS_1_DBFS)
    assert normalize(b"\0\0" * 100) == b"\0\0" * 100  # silence stays silence
    whisper = tone(440, 8000, 0.2, amp=100)
    assert peak(normalize(whisper, max_gain_db=20.0)) == 1000  # gain capped at +20 dB
    assert peak(normalize(tone(440, 8000, 0.2, amp=-32768 // 2))) == round(MINUS_1_DBFS)


def test_convert_is_resample_then_normalize():
    pcm = tone(700, 22050, 0.5, amp=32700)
    fused = audio.convert(pcm, 22050, 8000)
    two_step = normalize(resample(pcm, 22050, 8000))
    assert len(fused) == len(two_step)
    assert abs(peak(fused) - peak(two_step)) < 0.02 * MINUS_1_DBFS
    assert max(abs(a - b) for a, b in zip(samples(fused), samples(two_step), strict=True)) < 400


def test_convert_pauses_between_chunks_without_changing_the_result():
    pcm = tone(500, 22050, 4.0)
    calls = []
    for dst in (8000, 16000):
        plain = audio.convert(pcm, 22050, dst)
        assert audio.convert(pcm, 22050, dst, pause=lambda: calls.append(1)) == plain
    assert len(calls) >= 4  # 88,200 samples: several chunks each way
    same_rate = tone(500, 8000, 10.0, amp=3000)
    assert audio.convert(same_rate, 8000, 8000, pause=lambda: calls.append(2)) == normalize(same_rate)
    assert 2 in calls


def test_to_mono():
    stereo = array("h", [1000, -1000, 500, 700, -32768, -32768]).tobytes()
    assert samples(to_mono(stereo, 2)).tolist() == [0, 600, -32768]
    assert to_mono(b"\1\0\2\0", 1) == b"\1\0\2\0"
    three = array("h", [3, 6, 9, 30, 60, 90]).tobytes()
    assert samples(to_mono(three, 3)).tolist() == [6, 60]


def test_write_wav_atomic_and_readable(tmp_path):
    target = tmp_path / "sub" / "x.wav"
    pcm = tone(440, 8000, 0.25)
    write_wav(target, pcm, 8000)
    assert (target.stat().st_mode & 0o777) == 0o644
    assert wav_info(target)[:4] == (8000, 1, 2, 0.25)
    write_wav(target, pcm[:800], 8000)  # replaces whole
    assert wav_info(target)[3] == 0.05
    assert [p.name for p in files_in(tmp_path)] == ["x.wav"]


# --------------------------------------------------------------------------- cache and synthesizer


def test_cache_hit_does_not_call_engine(cache, record_property):
    engine = CountingEngine()
    synth = Synthesizer(engine, cache, rate=8000)
    first = synth.speak("xin chào")
    assert engine.calls == 1
    started = time.perf_counter()
    for _ in range(200):
        again = synth.speak("xin chào")
    hit_us = (time.perf_counter() - started) / 200 * 1e6
    record_property("cache_hit_us", round(hit_us, 1))  # informational (see bench/tts.py), not asserted
    assert again == first and engine.calls == 1
    assert cache.hits == 200 and cache.misses == 1
    other = synth.speak("xin chào bạn")
    assert other != first and engine.calls == 2


def test_cache_key_covers_format_and_voice(cache):
    engine = CountingEngine()
    at8, at16 = Synthesizer(engine, cache, rate=8000), Synthesizer(engine, cache, rate=16000)
    assert at8.key("a") != at16.key("a")
    assert wav_info(at8.speak("a"))[0] == 8000 and wav_info(at16.speak("a"))[0] == 16000
    other_voice = CountingEngine()
    other_voice.voice = "other"
    assert Synthesizer(other_voice, cache).key("a") != at8.key("a")
    slow = EspeakEngine(speed_wpm=120)
    assert Synthesizer(slow, cache).key("a") != Synthesizer(EspeakEngine(), cache).key("a")
    assert AudioCache.key("ab", "c") != AudioCache.key("a", "bc")


def test_single_flight(cache):
    engine = CountingEngine(delay=0.05)
    synth = Synthesizer(engine, cache)
    jobs = [gevent.spawn(synth.speak, "cùng một câu") for _ in range(10)]
    gevent.joinall(jobs, raise_error=True)
    assert engine.calls == 1
    assert len({j.value for j in jobs}) == 1


def test_errors_reach_every_waiter_and_are_not_cached(cache):
    engine = CountingEngine(delay=0.05, fail=True)
    synth = Synthesizer(engine, cache)
    jobs = [gevent.spawn(synth.speak, "lỗi") for _ in range(5)]
    gevent.joinall(jobs)
    assert engine.calls == 1
    assert all(isinstance(j.exception, SynthesisError) for j in jobs)
    assert files_in(cache.directory) == [] and len(cache) == 0
    engine.fail = False
    path = synth.speak("lỗi")
    assert engine.calls == 2 and path.exists()


def test_concurrency_is_bounded(cache):
    engine = CountingEngine(delay=0.02)
    synth = Synthesizer(engine, cache, concurrency=2)
    gevent.joinall([gevent.spawn(synth.speak, f"câu {i}") for i in range(8)], raise_error=True)
    assert engine.calls == 8 and engine.max_active == 2


def test_rate_must_be_8k_or_16k(cache):
    with pytest.raises(ValueError):
        Synthesizer(CountingEngine(), cache, rate=22050)
    with pytest.raises(SynthesisError):
        Synthesizer(CountingEngine(), cache).speak("  ")


def test_a_file_another_process_handed_out_recently_is_not_evicted(tmp_path):
    engine = CountingEngine()
    size = Synthesizer(engine, AudioCache(tmp_path / "probe")).speak("x").stat().st_size
    theirs = AudioCache(tmp_path / "tts", max_bytes=int(size * 1.5))
    playing = Synthesizer(engine, theirs).speak("a")  # the other process's call plays this file
    mine = AudioCache(tmp_path / "tts", max_bytes=int(size * 1.5))
    assert len(mine) == 1  # its index holds "a", the least recently used file
    Synthesizer(engine, mine).speak("b")  # over the bound: LRU alone would delete "a" now
    assert playing.exists() and mine.evictions == 0


def test_lru_eviction_under_a_tiny_bound(tmp_path):
    engine = CountingEngine()
    probe = AudioCache(tmp_path / "probe")
    size = Synthesizer(engine, probe).speak("x").stat().st_size  # every fake render has the same size
    cache = AudioCache(tmp_path / "tts", max_bytes=int(size * 2.5), min_age_seconds=0)
    synth = Synthesizer(engine, cache)
    a = synth.speak("a")
    b = synth.speak("b")
    os.utime(a, (time.time() - 100, time.time() - 100))  # an old mtime must not matter: the hit below refreshes it
    assert synth.speak("a") == a  # hit: "a" is now the most recent
    c = synth.speak("c")  # three files > 2.5 files: the least recently used ("b") goes
    assert a.exists() and c.exists() and not b.exists()
    assert cache.total_bytes <= cache.max_bytes and cache.evictions == 1
    # a fresh instance rebuilds the LRU order from mtimes
    again = AudioCache(tmp_path / "tts", max_bytes=int(size * 2.5))
    assert len(again) == 2 and again.total_bytes == 2 * size
    # a bound below one file still keeps the file just written
    tiny = AudioCache(tmp_path / "tiny", max_bytes=10, min_age_seconds=0)
    one = Synthesizer(engine, tiny).speak("one")
    two = Synthesizer(engine, tiny).speak("two")
    assert two.exists() and not one.exists() and len(tiny) == 1


def test_cache_ignores_torn_and_temporary_files(tmp_path):
    root = tmp_path / "tts"
    cache = AudioCache(root)
    path = cache.get_or_make(cache.key("k"), lambda tmp: write_wav(tmp, tone(440, 8000, 0.1), 8000))
    torn = path.parent / ("f" * 64 + ".wav")
    torn.write_bytes(b"RIFF")  # shorter than a header: a torn write
    stale = path.parent / ".x.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    fresh = path.parent / ".y.tmp"
    fresh.write_bytes(b"partial")
    rescanned = AudioCache(root)
    assert len(rescanned) == 1 and rescanned.total_bytes == path.stat().st_size
    assert not torn.exists() and not stale.exists() and fresh.exists()
    with pytest.raises(SynthesisError, match="wrote nothing"):
        cache.get_or_make(cache.key("nothing"), lambda tmp: None)
    with pytest.raises(ValueError):
        cache.path_for("../../etc/passwd")


# --------------------------------------------------------------------------- HTTP engine


class StubTTS:
    """A local cloud-TTS stand-in on gevent.pywsgi (127.0.0.1, a free port)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.status = "200 OK"
        self.body = wav_bytes(tone(440, 16000, 0.5, amp=12000, channels=2), 16000, channels=2)
        self.delay = 0.0
        self.answered = 0  # answers sent (after the delay)
        self.server = pywsgi.WSGIServer(("127.0.0.1", 0), self.app, log=None, error_log=None)

    def app(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        self.requests.append(
            {
                "method": environ["REQUEST_METHOD"],
                "path": environ["PATH_INFO"],
                "auth": environ.get("HTTP_AUTHORIZATION"),
                "content_type": environ.get("CONTENT_TYPE"),
                "json": json.loads(environ["wsgi.input"].read(length) or b"null"),
            }
        )
        if self.delay:
            gevent.sleep(self.delay)
        self.answered += 1
        start_response(self.status, [("Content-Type", "audio/wav"), ("Content-Length", str(len(self.body)))])
        return [self.body]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/v1/tts"


@pytest.fixture
def stub():
    s = StubTTS()
    s.server.start()
    yield s
    s.server.stop(timeout=1)


def test_http_engine_16k_stereo_to_8k_mono(stub, cache):
    engine = HttpEngine(stub.url, key="sekrit", voice="vi-north-female")
    path = Synthesizer(engine, cache, rate=8000).speak(SEED)
    rate, channels, width, seconds, top = wav_info(path)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds == pytest.approx(0.5, abs=0.01)
    assert 0.85 < top <= 0.8913
    [req] = stub.requests
    assert req["method"] == "POST" and req["path"] == "/v1/tts"
    assert req["auth"] == "Bearer sekrit"
    assert req["content_type"] == "application/json"
    assert req["json"] == {"text": SEED, "voice": "vi-north-female"}


def test_http_engine_at_the_target_rate_is_only_normalised(stub, cache):
    stub.body = wav_bytes(tone(440, 8000, 0.5, amp=8000), 8000)
    path = Synthesizer(HttpEngine(stub.url), cache, rate=8000).speak("xin chào")
    rate, channels, width, seconds, top = wav_info(path)
    assert (rate, channels, width, seconds) == (8000, 1, 2, 0.5)
    assert top == pytest.approx(MINUS_1_DBFS / 32767, abs=1e-4)


def test_http_engine_without_key_sends_no_auth(stub):
    pcm, rate = HttpEngine(stub.url).synthesize("xin chào")
    assert rate == 16000 and len(pcm) == 2 * 8000  # stereo mixed down to mono
    assert stub.requests[0]["auth"] is None


@pytest.mark.parametrize(
    "status, body, message",
    [
        ("500 Internal Server Error", b"upstream exploded", "HTTP 500: upstream exploded"),
        ("401 Unauthorized", b'{"error": "bad key"}', "HTTP 401"),
        ("200 OK", b"<html>not audio</html>", "no usable WAV"),
        ("200 OK", wav_bytes(b"\0\0" * 800, 16000), "silent"),
    ],
)
def test_http_engine_errors(stub, status, body, message):
    stub.status, stub.body = status, body
    with pytest.raises(SynthesisError, match=message):
        HttpEngine(stub.url, key="k").synthesize("xin chào")


def test_http_engine_timeout(stub):
    stub.delay = 3.0
    with pytest.raises(SynthesisError, match=r"did not answer within 0\.2 s"):
        HttpEngine(stub.url, timeout=0.2).synthesize("xin chào")
    assert len(stub.requests) == 1 and stub.answered == 0  # the deadline, not the server, ended it


def test_http_engine_connection_refused():
    probe = pywsgi.WSGIServer(("127.0.0.1", 0), lambda e, s: [])
    probe.init_socket()
    port = probe.server_port
    probe.close()
    with pytest.raises(SynthesisError, match="request failed"):
        HttpEngine(f"http://127.0.0.1:{port}/tts", timeout=2).synthesize("xin chào")


def test_http_engine_url_validation():
    with pytest.raises(ValueError):
        HttpEngine("ftp://example.invalid/tts")


def test_http_engine_errors_name_the_service_without_a_key_in_its_url(stub):
    stub.status, stub.body = "503 Service Unavailable", b"down"
    port = stub.url.split(":")[2].split("/")[0]
    url = f"http://user:sekrit1@127.0.0.1:{port}/v1/tts?key=sekrit2"
    with pytest.raises(SynthesisError) as info:
        HttpEngine(url).synthesize("xin chào")
    assert str(info.value).startswith(f"TTS service http://127.0.0.1:{port}/v1/tts answered HTTP 503")
    assert "sekrit" not in str(info.value)
