"""A voice's fallback chain: its engine, else the next voice's, ..., else espeak-ng, within a time budget.

``VoiceChain.speak(text, voice)`` tries each voice of the chain
(:meth:`tts.voices.VoiceBook.chain`) and returns the first audio made, as a
:class:`~tts.spoken.Spoken` naming the voice that spoke. A text is cached under
the voice that actually spoke it: while a vendor is down its texts are served
from the fallback's files, and once it is back it is asked again (a text
cached under the vendor itself is served even while its breaker is open).

Time: the whole chain has ``budget_s`` (the dialler gives a batch's messages a
third of the lease: the daemon passes that figure), counted from the first
try or from the caller's ``deadline``. Each try but the last is bounded by what
is left minus ``reserve_s`` (time kept for the last resort, which is local and
fast); the last try gets all that is left. A try that fails (its
:class:`~tts.engines.base.SynthesisError`, its timeout) moves on at once, and
opens that voice's breaker (:mod:`tts.breaker`). The last voice (espeak-ng) is
asked even while its breaker is open: a timed-out or killed espeak-ng render
must not leave every fallback without audio for a cool-down.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping

import gevent

from tts.breaker import Breaker, VoiceResting
from tts.cache import AudioCache, CutOff
from tts.engines import registry
from tts.engines.base import SynthesisError
from tts.spoken import Spoken
from tts.synth import Synthesizer
from tts.voices import VoiceBook

log = logging.getLogger("autocall.tts")

BUDGET_S = 20.0  # a third of the default 60 s lease
RESERVE_S = 2.0  # espeak-ng says a sentence in ~15 ms; 2 s covers a loaded box


class VoiceChain:
    def __init__(
        self,
        synths: Mapping[str, Synthesizer],
        engines: Mapping[str, str],
        order: Callable[[str], tuple[str, ...]],
        default: str,
        *,
        budget_s: float = BUDGET_S,
        reserve_s: float = RESERVE_S,
    ) -> None:
        self.synths = dict(synths)
        self.engines = dict(engines)  # voice -> engine name (the CDR's tts_engine)
        self.order = order
        self.default = default
        self.budget_s = budget_s
        self.reserve_s = min(reserve_s, budget_s / 4)
        self.outcomes: Counter[tuple[str, str]] = Counter()  # (voice, ok|failed|resting|no_time)
        self.fallbacks: Counter[tuple[str, str]] = Counter()  # (voice asked for, voice that spoke)
        self.errors: dict[str, str] = {}  # voice -> its engine's last error (autocall tts render says it)
        self._unknown: set[str] = set()  # voices asked for that are not configured (warned about once)

    @classmethod
    def build(
        cls,
        book: VoiceBook,
        cache: AudioCache,
        rate: int = 8000,
        *,
        budget_s: float = BUDGET_S,
        cooldown_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        concurrency: int = 4,
    ) -> VoiceChain:
        """Every voice of ``book`` built, each with its own breaker, all sharing one cache."""
        synths = {
            name: Synthesizer(
                registry.build(voice.config), cache, rate, concurrency, breaker=Breaker(cooldown_s, clock)
            )
            for name, voice in book.voices.items()
        }
        engines = {name: voice.engine for name, voice in book.voices.items()}
        return cls(synths, engines, book.chain, book.default, budget_s=budget_s)

    @classmethod
    def of(cls, synth: Synthesizer) -> VoiceChain:
        """One synthesizer alone, under its engine's name (no fallback)."""
        name = synth.engine.name
        return cls({name: synth}, {name: name}, lambda _voice: (name,), name)

    @property
    def rate(self) -> int:
        return self.synths[self.default].rate

    @property
    def cache(self) -> AudioCache:
        return self.synths[self.default].cache

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.synths))

    def speak(self, text: str, voice: str = "", *, deadline: float | None = None) -> Spoken:
        """The WAV of ``text`` by ``voice`` ("" = the default) or the first of its fallbacks that can.
        ``deadline`` (``time.monotonic()``): when the caller needs it by; else ``budget_s`` from now."""
        asked = voice or self.default
        if asked in self.synths:
            order = self.order(asked)
        else:  # a template written before its voice left the voices file: the call is not lost for it
            if asked not in self._unknown:
                self._unknown.add(asked)  # said once per voice, not once per message
                log.warning("tts voice not configured; the default speaks", extra={"voice": asked})
            order = self.order(self.default)
        if deadline is None:
            deadline = time.monotonic() + self.budget_s
        why: list[str] = []
        for n, name in enumerate(order):
            left = deadline - time.monotonic()
            last = n == len(order) - 1
            allowance = left if last else left - self.reserve_s
            if allowance <= 0:
                self.outcomes[name, "no_time"] += 1
                why.append(f"{name}: no time left")
                continue
            try:
                with gevent.Timeout(allowance, CutOff(f"no audio within {allowance:.1f} s")):
                    path = self.synths[name].speak(text, last_resort=last)
            except VoiceResting as exc:
                self.outcomes[name, "resting"] += 1
                why.append(f"{name}: {exc}")
                continue
            except SynthesisError as exc:
                self.outcomes[name, "failed"] += 1
                self.errors[name] = str(exc)
                log.warning("tts voice failed; trying the next", extra={"voice": name, "error": str(exc)})
                why.append(f"{name}: {exc}")
                continue
            self.outcomes[name, "ok"] += 1
            if name != asked:
                self.fallbacks[asked, name] += 1
            return Spoken.of(path, (name,), (self.engines[name],))
        raise SynthesisError("no voice could speak it: " + "; ".join(why))
