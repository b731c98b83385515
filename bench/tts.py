"""Speech synthesis benchmark: espeak-ng + conversion + cache, against raw espeak-ng in the same run.

    .venv/bin/python bench/tts.py [--quick]

Prints, for the seed sentence (SPEC.md's full example, 6.6 s of speech at
espeak-ng's default speed, about 8.8 s at the engine's 130 wpm, 7.7 s at the 150 it had before issue 20):

  1. baseline: one raw ``espeak-ng --stdout`` subprocess (gevent.subprocess), no parsing or conversion;
  2. EspeakEngine.synthesize (subprocess + WAV parse);
  3. conversion alone (tts.audio.convert: resample + normalise) to 8 and 16 kHz, and, for scale,
     a straightforward per-sample Python windowed-sinc resampler (24 taps) on the same audio;
  4. a cache miss end to end (Synthesizer.speak of a new text: engine, cooperative conversion, atomic write);
  5. a cache hit (Synthesizer.speak of a cached text);
  6. renders/s for distinct texts at concurrency 1, 2 and 2 x CPUs, against raw espeak-ng runs/s at the same
     concurrency, each with the worst hub stall seen meanwhile (a greenlet sleeping 1 ms, measuring its
     lateness; spawning a subprocess from gevent stalls the hub for a few ms by itself);
  7. single flight: 1,000 greenlets asking for one new text at once -> engine calls.

Times are medians unless stated. Requires espeak-ng (Debian package espeak-ng).
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import math  # noqa: E402
import operator  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gevent  # noqa: E402
import gevent.pool  # noqa: E402
from gevent import subprocess  # noqa: E402

from tts import audio  # noqa: E402
from tts.cache import AudioCache  # noqa: E402
from tts.engines.espeak import EspeakEngine, available  # noqa: E402
from tts.synth import Synthesizer  # noqa: E402

SEED = (
    "Chào bạn Nguyễn Văn A vui lòng thanh toán khoản nợ mười triệu bốn trăm mười nghìn "
    "trước ngày ba mươi tháng một năm hai không hai mươi mốt"
)
NUMBERS = "không một hai ba bốn năm sáu bảy tám chín".split()


def distinct(i: int) -> str:
    """A different seed-like sentence per i (a personalised amount), about the seed's length."""
    digits = " ".join(NUMBERS[int(d)] for d in f"{i:06d}")
    return f"{SEED} mã số {digits}"


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def ms(xs: list[float]) -> str:
    return f"median {statistics.median(xs) * 1e3:7.2f} ms   min {min(xs) * 1e3:7.2f} ms"


def naive_resample(pcm: bytes, src: int, dst: int, taps: int = 24) -> bytes:
    """Reference only: a per-output Python loop (windowed sinc, ``taps`` source samples per output)."""
    from array import array

    x = array("h")
    x.frombytes(pcm)
    g = math.gcd(src, dst)
    up, down = dst // g, src // g
    fc = 0.5 * min(src, dst) / src
    half = taps // 2
    phases = []
    for p in range(up):
        frac = (p * down % up) / up
        row = []
        for k in range(-half + 1, half + 1):
            t = k - frac
            s = 2 * fc if t == 0 else math.sin(2 * math.pi * fc * t) / (math.pi * t)
            row.append(s * (0.5 + 0.5 * math.cos(math.pi * t / half)))
        phases.append(row)
    xs = [0] * taps + x.tolist() + [0] * (taps + down)
    n_out = len(x) * up // down
    mul = operator.mul
    out = [0.0] * n_out
    for j in range(n_out):
        a = j * down // up + taps - half + 1
        out[j] = sum(map(mul, phases[j % up], xs[a : a + taps]))
    return array("h", (max(-32768, min(32767, round(v))) for v in out)).tobytes()


class HubWatch:
    """Worst lateness of a greenlet that sleeps 1 ms at a time: how long the hub was held."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._g = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            t = time.perf_counter()
            gevent.sleep(0.001)
            self.worst = max(self.worst, time.perf_counter() - t - 0.001)

    def stop(self) -> float:
        self._g.kill()
        return self.worst


def throughput(fn, texts: list[str], concurrency: int) -> tuple[float, float]:
    pool = gevent.pool.Pool(concurrency)
    watch = HubWatch()
    t = time.perf_counter()
    for text in texts:
        pool.spawn(fn, text)
    pool.join(raise_error=True)
    elapsed = time.perf_counter() - t
    return len(texts) / elapsed, watch.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if not available():
        sys.exit("espeak-ng is not installed (Debian package espeak-ng)")
    runs = 10 if args.quick else 30
    n_distinct = 20 if args.quick else 60
    cpus = os.cpu_count() or 1
    engine = EspeakEngine()
    cmd = engine.command()

    def raw_espeak(text: str = SEED) -> bytes:
        return subprocess.run(cmd, input=text.encode(), capture_output=True, check=True).stdout

    raw_espeak()  # warm the page cache
    pcm, rate = engine.synthesize(SEED)
    seconds = len(pcm) / 2 / rate
    print(f"seed sentence: {len(SEED)} characters, {seconds:.2f} s of speech at {rate} Hz, {cpus} CPUs")
    print()
    print(f"1. raw espeak-ng subprocess (baseline)  {ms(timed(raw_espeak, runs))}")
    print(f"2. EspeakEngine.synthesize              {ms(timed(lambda: engine.synthesize(SEED), runs))}")
    for dst in (8000, 16000):
        print(
            f"3. convert 22,050 -> {dst:>6,} Hz          {ms(timed(lambda d=dst: audio.convert(pcm, rate, d), runs))}"
        )
    ref = timed(lambda: naive_resample(pcm, rate, 8000), 3)
    print(f"   reference: per-sample Python loop   {ms(ref)}  (22,050 -> 8,000 Hz)")

    with tempfile.TemporaryDirectory() as tmp:
        for dst in (8000, 16000):
            synth = Synthesizer(engine, AudioCache(Path(tmp) / f"miss{dst}"), rate=dst)
            counter = iter(range(10**6))
            miss = timed(lambda s=synth, c=counter: s.speak(distinct(next(c))), runs)
            print(f"4. cache miss, speak() at {dst:>6,} Hz     {ms(miss)}")
        synth = Synthesizer(engine, AudioCache(Path(tmp) / "hit"), rate=8000)
        synth.speak(SEED)
        hits = 2000 if args.quick else 10000
        t = time.perf_counter()
        for _ in range(hits):
            synth.speak(SEED)
        per_hit = (time.perf_counter() - t) / hits
        print(f"5. cache hit, speak()                   {per_hit * 1e6:7.1f} us  ({hits:,} hits)")
        print()
        print("6. distinct texts     speak() renders/s   worst hub stall   raw espeak runs/s   worst hub stall")
        levels = sorted({1, 2, 2 * cpus})
        for i, conc in enumerate(levels):
            texts = [distinct(10000 * (i + 1) + k) for k in range(n_distinct)]
            synth = Synthesizer(engine, AudioCache(Path(tmp) / f"tp{conc}"), rate=8000, concurrency=conc)
            rps, stall = throughput(synth.speak, texts, conc)
            base, base_stall = throughput(raw_espeak, texts, conc)
            print(
                f"   concurrency {conc:>2}     {rps:17.1f}   {stall * 1e3:12.1f} ms"
                f"   {base:17.1f}   {base_stall * 1e3:12.1f} ms"
            )
        synth = Synthesizer(engine, AudioCache(Path(tmp) / "flight"), rate=8000)
        calls = {"n": 0}
        real = engine.synthesize

        def counting(text: str) -> tuple[bytes, int]:
            calls["n"] += 1
            return real(text)

        engine.synthesize = counting  # type: ignore[method-assign]
        t = time.perf_counter()
        gevent.joinall([gevent.spawn(synth.speak, distinct(999999)) for _ in range(1000)], raise_error=True)
        print()
        print(
            f"7. single flight: 1,000 greenlets, one new text -> {calls['n']} engine call, "
            f"{(time.perf_counter() - t) * 1e3:.1f} ms for all"
        )


if __name__ == "__main__":
    main()
