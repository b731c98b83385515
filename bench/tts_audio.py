"""tts/audio.py before and after issue 16, in one run: the hand-written big-integer resampler and RIFF
parser (the BASELINE, a verbatim copy in bench/tts_audio_baseline.py) against soxr + numpy + the standard
library's wave (tts/audio.py, NEW).

    .venv/bin/python bench/tts_audio.py [--runs N]

Audio: the seed sentence (SPEC.md's full example) from espeak-ng at the engine's default speed, 8.8 s
at 22,050 Hz (130 wpm since issue 20; docs/tts-synthesis.md's figures were taken at 150 wpm, 7.65 s);
without espeak-ng a synthetic stand-in of 7.65 s (a swept tone over noise), and the first line says so.

Speed, baseline and new and the ratio (medians of N runs, minimum in brackets):
  1. read_wav of espeak-ng's stdout bytes (its streaming header);
  2. convert (resample + peak-normalise to -1 dBFS, what tts.synth runs) 22,050 -> 8,000 and -> 16,000 Hz;
  3. write_wav of the 8 kHz result (temporary file + rename) into a temporary directory;
  4. importing the module in a fresh interpreter (best of 3; numpy is most of the new one's).
Quality, on 1 s tones at 22,050 Hz (Hann-windowed FFT of the middle half): the peak's frequency and level
for 1 kHz and a tone near the band edge, the strongest other component (spur), and what is left of a tone
above the new Nyquist frequency (alias); then how far the new conversion of the sentence is from the
baseline's. The new path is checked (assert): peak within one FFT bin of the tone, level within 0.1 dB,
spurs and aliases below -80 dB.

Leaves out: the ``pause`` tts.synth passes between chunks (it yields to the gevent hub; without it these
are pure CPU times), the engine and the cache (bench/tts.py times espeak-ng and speak() end to end),
disk sync (neither path fsyncs), first-call set-up inside a process (both paths are warmed by the first
run), and big-endian machines.
"""

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import tts_audio_baseline as old  # noqa: E402

from tts import audio as new  # noqa: E402
from tts.engines.espeak import EspeakEngine, available  # noqa: E402

SEED = (
    "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn "
    "trước ngày ba mươi tháng một năm hai không hai mươi mốt"
)
RATE = 22050
AMP = 16000


def sentence() -> tuple[bytes, str]:
    """espeak-ng's WAV bytes of the seed sentence, or a synthetic stand-in of the same length."""
    if available():
        out = subprocess.run(EspeakEngine().command(), input=SEED.encode(), capture_output=True, check=True).stdout
        return out, "espeak-ng, seed sentence"
    n = round(7.65 * RATE)
    t = np.arange(n) / RATE
    sweep = np.sin(2 * np.pi * (100 + 2000 * t / t[-1]) * t) * 20000
    noise = np.random.default_rng(16).normal(0, 3000, n)
    pcm = np.clip(sweep + noise, -32768, 32767).astype(np.int16).tobytes()
    return new.wav_bytes(pcm, RATE), "SYNTHETIC stand-in (espeak-ng not installed)"


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm: the baseline caches its filter plan, soxr its tables
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def row(label: str, before: list[float], after: list[float]) -> None:
    b, a = statistics.median(before), statistics.median(after)
    print(
        f"{label:<32} {b * 1e3:8.2f} ms [{min(before) * 1e3:6.2f}]   {a * 1e3:7.3f} ms [{min(after) * 1e3:6.3f}]"
        f"   {b / a:6.{2 if b < a else 1}f}x"
    )


def import_ms(module: str) -> float:
    paths = [str(ROOT), str(ROOT / "bench")]
    code = f"import sys, time; sys.path[:0] = {paths!r}; t = time.perf_counter(); import {module}; "
    code += "print(time.perf_counter() - t)"
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True) for _ in range(3)]
    return min(float(r.stdout) for r in runs) * 1e3


def tone(freq: float, seconds: float = 1.0) -> bytes:
    n = int(RATE * seconds)
    return np.rint(AMP * np.sin(2 * np.pi * freq * np.arange(n) / RATE)).astype(np.int16).tobytes()


def db(x: float) -> float:
    return 20 * math.log10(max(x, 1e-12))


def spectrum(pcm: bytes, rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(frequencies, amplitudes) of the middle half, Hann-windowed and scaled so a sine of amplitude A reads A."""
    a = np.frombuffer(pcm, np.int16).astype(np.float64)
    a = a[len(a) // 4 : 3 * len(a) // 4]
    w = np.hanning(len(a))
    return np.fft.rfftfreq(len(a), 1 / rate), np.abs(np.fft.rfft(a * w)) / (w.sum() / 2)


def tone_check(resample: Callable[[bytes, int, int], bytes], freq: float, dst: int) -> tuple[float, float, float]:
    """(peak frequency, its level in dB re the input, the strongest other component in dB) of a resampled tone."""
    f, amp = spectrum(resample(tone(freq), RATE, dst), dst)
    k = int(amp.argmax())
    others = np.delete(amp, range(max(0, k - 8), k + 9))  # the Hann main lobe is 4 bins wide: leave 8 each side
    return float(f[k]), db(amp[k] / AMP), db(float(others.max()) / AMP)


def alias_db(resample: Callable[[bytes, int, int], bytes], freq: float, dst: int) -> float:
    """RMS of what a tone above the new Nyquist frequency leaves, in dB re the input tone's RMS (-inf: silence)."""
    out = np.frombuffer(resample(tone(freq), RATE, dst), np.int16).astype(np.float64)
    out = out[len(out) // 4 : 3 * len(out) // 4]
    rms = math.sqrt(float((out**2).mean()))
    return db(rms / (AMP / math.sqrt(2))) if rms else -math.inf


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    runs = ap.parse_args().runs
    wav, source = sentence()
    pcm, rate, _ = new.read_wav(wav)
    print(f"audio: {source}: {len(pcm) / 2 / rate:.2f} s at {rate:,} Hz; median of {runs} runs [minimum]")
    print()
    print(f"{'':<32} {'baseline (hand-written)':>24}   {'new (soxr/numpy/wave)':>21}   ratio")
    row("1. read_wav", timed(lambda: old.read_wav(wav), runs), timed(lambda: new.read_wav(wav), runs))
    outs = {}
    for dst in (8000, 16000):
        before = timed(lambda d=dst: old.convert(pcm, rate, d), runs)
        after = timed(lambda d=dst: new.convert(pcm, rate, d), runs)
        row(f"2. convert {rate:,} -> {dst:,} Hz", before, after)
        outs[dst] = (old.convert(pcm, rate, dst), new.convert(pcm, rate, dst))
    with tempfile.TemporaryDirectory() as tmp:
        out8 = outs[8000][1]
        before = timed(lambda: old.write_wav(Path(tmp) / "old.wav", out8, 8000), runs)
        after = timed(lambda: new.write_wav(Path(tmp) / "new.wav", out8, 8000), runs)
        row("3. write_wav (8 kHz result)", before, after)
    b, a = import_ms("tts_audio_baseline"), import_ms("tts.audio")
    print(f"{'4. import (fresh interpreter)':<32} {b:8.2f} ms {'':8}   {a:7.1f} ms {'':8}   {b / a:6.2f}x")

    print()
    print("quality, 22,050 Hz tones     peak at     level    worst spur   |  alias left of a tone above Nyquist")
    for dst, edge, above in ((8000, 3400, 6000), (16000, 7000, 10000)):
        for name, impl in (("baseline", old.resample), ("new", new.resample)):
            cells = []
            for freq in (1000, edge):
                at, level, spur = tone_check(impl, freq, dst)
                cells.append(f"{freq:>5} Hz: {at:6.0f} Hz {level:+6.2f} dB {spur:6.0f} dB")
                if impl is new.resample:
                    bin_hz = dst / (dst // 2)  # the FFT covers half a second at dst
                    assert abs(at - freq) <= bin_hz and abs(level) < 0.1 and spur < -80, (dst, freq, at, level, spur)
            left = alias_db(impl, above, dst)
            if impl is new.resample:
                assert left < -80, (dst, above, left)
            rest = f"{left:4.0f} dB" if left > -math.inf else "silence (every sample 0)"
            print(f"  -> {dst:>6,} {name:<8}  " + "   ".join(cells) + f"   |  {above} Hz: {rest}")
    print()
    for dst, (o, n) in outs.items():
        a, b = np.frombuffer(o, np.int16).astype(np.float64), np.frombuffer(n, np.int16).astype(np.float64)
        assert len(a) == len(b)
        diff = db(math.sqrt(float(((a - b) ** 2).mean())) / math.sqrt(float((a**2).mean())))
        print(
            f"sentence at {dst:,} Hz: new vs baseline, same length ({len(b):,} samples), difference {diff:.0f} dB "
            f"re the signal; peaks {new.peak(o)} and {new.peak(n)} (-1 dBFS is 29,204)"
        )


if __name__ == "__main__":
    main()
