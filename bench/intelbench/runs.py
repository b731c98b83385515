"""One engine/setting through the phone path to the recogniser: sentences and OTP codes, tallied.

A :class:`Voice` is what changes the sound (espeak-ng voice, speed, word gap, pitch) and
an :class:`OtpShape` how a code is assembled (digit pause, silence after the intro,
repeats). Audio is made the way autocall makes it (``tts.synth.Synthesizer`` at 8 kHz,
``tts.otp.OtpReader``), each setting in a cache directory of its own, then passed
through :func:`bench.intelbench.phone.through` and up to 16 kHz for the recogniser.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.intelbench.asr import Recogniser
from bench.intelbench.phone import squeeze_silences, through, to_recogniser
from bench.intelbench.scoring import Tally
from tts.audio import read_wav
from tts.cache import AudioCache
from tts.engines.espeak import EspeakEngine
from tts.otp import OtpReader
from tts.synth import Synthesizer


@dataclass(frozen=True)
class Voice:
    voice: str = "vi"
    speed: int = 150
    gap: int = 0  # espeak-ng -g, x 10 ms
    pitch: int | None = None  # espeak-ng -p (0-99; its default 50)

    def label(self) -> str:
        extra = f" p{self.pitch}" if self.pitch is not None else ""
        return f"espeak-ng {self.voice} {self.speed} wpm g{self.gap}{extra}"

    def engine(self) -> EspeakEngine:
        return _PitchedEspeak(self.voice, self.speed, word_gap=self.gap, pitch=self.pitch)


class _PitchedEspeak(EspeakEngine):
    """The engine with espeak-ng's pitch (-p) as well, for the sweep only."""

    def __init__(self, voice: str, speed: int, *, word_gap: int, pitch: int | None) -> None:
        super().__init__(voice, speed, word_gap=word_gap)
        self.pitch = pitch
        if pitch is not None:
            self.settings += f",pitch={pitch}"

    def command(self) -> list[str]:
        cmd = super().command()
        return cmd if self.pitch is None else [*cmd[:-4], "-p", str(self.pitch), *cmd[-4:]]


@dataclass(frozen=True)
class OtpShape:
    pause_ms: int = 600
    intro_gap_ms: int | None = None  # None: OtpReader's default
    repeat: int = 1
    group_size: int | None = None  # None: OtpReader's default (1 = digit by digit, 3 = "482 915")
    joiner: str | None = None  # None: OtpReader's default (between a group's digit words: " " or ", ")

    def label(self) -> str:
        lead = "default" if self.intro_gap_ms is None else f"{self.intro_gap_ms}"
        extra = "" if self.group_size is None else f", groups of {self.group_size}"
        extra += "" if self.joiner is None else f", joined {self.joiner!r}"
        return f"pause {self.pause_ms} ms, after intro {lead}, x{self.repeat}{extra}"

    def kwargs(self) -> dict[str, int | str]:
        """OtpReader's keyword arguments for what this shape sets (the rest: the reader's defaults)."""
        given = {"intro_gap_ms": self.intro_gap_ms, "group_size": self.group_size, "joiner": self.joiner}
        return {"pause_ms": self.pause_ms, **{k: v for k, v in given.items() if v is not None}}


@dataclass
class Outcome:
    tally: Tally = field(default_factory=Tally)
    squeezed: Tally = field(default_factory=Tally)  # OTPs only: the same audio with its silences squeezed
    synth_cpu_s: float = 0.0  # this process + espeak-ng children
    items: int = 0
    audio_s: float = 0.0
    misheard: list[tuple[str, str]] = field(default_factory=list)  # (said, heard), for the details


def _cpu_with_children() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class Bench:
    """Transcribes audio files through the phone path; one per run (it holds the recogniser)."""

    def __init__(self, asr: Recogniser, root: Path, codec: str = "pcmu", asr_rate: int = 16000) -> None:
        self.asr = asr
        self.codec = codec
        self.asr_rate = asr_rate
        self.root = root  # the caches and the stand-in prompt set; the caller removes it
        self.made = 0

    def hear(self, wav: Path, codec: str | None = None, squeeze: bool = False) -> str:
        pcm, rate, _ = read_wav(wav.read_bytes())
        samples = np.frombuffer(pcm, dtype=np.int16)
        if rate == 8000:  # the phone path; a 16 kHz file is the wideband comparison, no codec
            samples = through(samples, codec or self.codec)
            samples = to_recogniser(squeeze_silences(samples, 8000) if squeeze else samples, self.asr_rate)
        elif squeeze:
            samples = squeeze_silences(samples, rate)
        return self.asr.transcribe(samples, rate if rate != 8000 else self.asr_rate)

    def synth(self, voice: Voice, rate: int = 8000) -> Synthesizer:
        self.made += 1  # a cache of its own per call: every row starts cold, so its synthesis CPU is real
        cache = AudioCache(self.root / f"{self.made}-{voice.label().replace(' ', '_')}-{rate}")
        return Synthesizer(voice.engine(), cache, rate)

    def sentences(self, synth: Synthesizer, texts: list[str], codec: str | None = None) -> Outcome:
        out = Outcome()
        for text in texts:
            start = _cpu_with_children()
            wav = synth.speak(text)
            out.synth_cpu_s += _cpu_with_children() - start
            heard = self.hear(wav, codec)
            out.tally.sentence(text, heard)
            out.items += 1
            out.audio_s += wav.stat().st_size / 2 / synth.rate
            out.misheard.append((text, heard))
        return out

    def otps(
        self, make: Callable[[str], Path], codes: list[str], repeat: int, codec: str | None = None, squeeze: bool = True
    ) -> Outcome:
        """``make(code)``: the WAV of the code (an OtpReader's render, or a prompt set's); heard as made and,
        when ``squeeze``, with its silences squeezed (:func:`~bench.intelbench.phone.squeeze_silences`)."""
        out = Outcome()
        for code in codes:
            start = _cpu_with_children()
            wav = make(code)
            out.synth_cpu_s += _cpu_with_children() - start
            heard = self.hear(wav, codec)
            out.tally.otp(code, repeat, heard)
            if squeeze:
                out.squeezed.otp(code, repeat, self.hear(wav, codec, squeeze=True))
            out.items += 1
            out.audio_s += wav.stat().st_size / 2 / 8000
            out.misheard.append((code, heard))
        return out

    def otp_reader(self, synth: Synthesizer, shape: OtpShape) -> Callable[[str], Path]:
        reader = OtpReader(synth, **shape.kwargs())  # type: ignore[arg-type]
        return lambda code: reader.render(code, shape.repeat)
