"""Text -> cached WAV file FreeSWITCH can play: engine, conversion, cache, bounded concurrency.

``Synthesizer.speak(text)`` returns the absolute path of a mono 16-bit PCM WAV
at 8,000 or 16,000 Hz, peak-normalised to -1 dBFS. The cache key is
``sha256(engine.name, engine.voice, engine.settings, text, rate, FORMAT)``: the
same text is synthesised once however many leads use it, and concurrently
requested text once (the cache's single flight).

On a miss, inside a semaphore of ``concurrency`` renders:

1. ``engine.synthesize(text)``: cooperative (espeak-ng via ``gevent.subprocess``,
   the HTTP engine on gevent sockets);
2. resample + normalise (``tts.audio.convert``: libsoxr, rounded once) on the
   hub, yielding to the event loop whenever 2 ms of work have passed (the work
   comes in chunks of about 0.3 ms): the conversion is about 1 ms of CPU for a
   7 s message, so only messages over about 15 s yield at all, and no
   other greenlet, timer or socket waits longer than a few ms. Measured
   alternatives (with the earlier 20-40 ms pure-Python conversion): gevent's
   thread pool (its worker holds the GIL for whole switch intervals: the hub
   stalled 75 ms with four renders at once) and ``gevent.sleep(0)`` between
   chunks (it runs ready greenlets but not timers or I/O: the hub stalled for
   the whole conversion).
   The yield is ``gevent.sleep(1e-6)``, a real loop iteration. Conversions
   run one at a time per process (they share one CPU anyway; interleaving
   several would multiply the wait of everything else on the hub).
3. the atomic WAV write (a temporary file, ``os.replace``, mode 0644).

With a :class:`~tts.breaker.Breaker`, an engine whose breaker is open is not
asked (:class:`~tts.breaker.VoiceResting`); a cached file is still served. The
chain's last resort is asked whatever its breaker says (``speak(last_resort=True)``):
resting it would turn one slow espeak-ng render into 30 s of calls without audio.

Errors are :class:`~tts.engines.base.SynthesisError` (nothing is cached then).
"""

from __future__ import annotations

import time
from pathlib import Path

import gevent
from gevent.lock import BoundedSemaphore

from tts.audio import convert, write_wav
from tts.breaker import PROBE, Breaker, VoiceResting
from tts.cache import AudioCache
from tts.engines.base import SpeechEngine, SynthesisError

RATES = (8000, 16000)
PEAK_DBFS = -1.0
# Everything about the output format that is not the rate: change it when the conversion changes, so old files
# are not served for new settings.
# v2: libsoxr resampling (issue 16); a v1 file differs from v2 by about -40 dB (the old resampler's spurs).
FORMAT = f"wav-pcm16-mono-peak{PEAK_DBFS:+.1f}dBFS-v2"
# One conversion at a time per process (engines still run ``concurrency`` at once): conversions are CPU work on
# the one hub thread, so running several interleaved only multiplies how long other greenlets wait for the hub.
_CPU = BoundedSemaphore(1)


class Synthesizer:
    def __init__(
        self,
        engine: SpeechEngine,
        cache: AudioCache,
        rate: int = 8000,
        concurrency: int = 4,
        breaker: Breaker | None = None,
    ) -> None:
        if rate not in RATES:
            raise ValueError(f"rate must be one of {RATES}, got {rate!r}")
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.engine = engine
        self.cache = cache
        self.rate = rate
        self.concurrency = concurrency
        self._slots = BoundedSemaphore(concurrency)
        self.renders = 0  # engine calls made (misses that got as far as the engine)
        # Asked inside the slot, just before the engine: renders queued behind a failing one skip it.
        self.breaker = breaker

    def key(self, text: str) -> str:
        settings = getattr(self.engine, "settings", "")
        return self.cache.key(self.engine.name, self.engine.voice, str(settings), text, str(self.rate), FORMAT)

    def speak(self, text: str, *, last_resort: bool = False) -> Path:
        """Absolute path of the WAV for ``text`` (synthesised on a cache miss). Raises SynthesisError.
        ``last_resort``: ask the engine even while its breaker is open (nothing is left to fall back to)."""
        if not isinstance(text, str) or not text.strip():
            raise SynthesisError("nothing to say: empty text")
        return self.cache.get_or_make(self.key(text), lambda tmp: self._render(text, tmp, last_resort))

    def _render(self, text: str, tmp: Path, last_resort: bool = False) -> None:
        with self._slots:
            breaker = self.breaker
            admitted = breaker.admit() if breaker is not None else ""
            if breaker is not None and not admitted:
                if not last_resort:
                    raise VoiceResting(f"engine {self.engine.name} is resting after a failure (circuit open)")
                admitted = PROBE  # asked all the same: what it does now is news about the engine
            self.renders += 1
            try:
                pcm, src_rate = self.engine.synthesize(text)
            except BaseException:  # a failure, its timeout, or the render killed: the probe is over too
                if breaker is not None:
                    breaker.failed(admitted)
                raise
            if breaker is not None:
                breaker.succeeded(admitted)
            if not pcm or src_rate <= 0:
                raise SynthesisError(f"engine {self.engine.name} returned no audio")
            try:
                with _CPU:
                    out = convert(pcm, src_rate, self.rate, PEAK_DBFS, pause=_Pacer())
                write_wav(tmp, out, self.rate)
            except (ValueError, OSError) as exc:
                raise SynthesisError(f"cannot convert or write the audio: {exc}") from exc


class _Pacer:
    """A ``pause`` for tts.audio: yield to the event loop (timers and I/O too) once per ``budget`` seconds of work."""

    def __init__(self, budget: float = 0.002) -> None:
        self.budget = budget
        self.last = time.perf_counter()

    def __call__(self) -> None:
        if time.perf_counter() - self.last >= self.budget:
            gevent.sleep(1e-6)  # a timer, not sleep(0): sleep(0) resumes before the loop polls
            self.last = time.perf_counter()
