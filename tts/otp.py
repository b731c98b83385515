"""Voice OTP: the code read digit by digit, slowly, and repeated.

The message is assembled from clips rather than synthesised as one text:
the intro and each digit word are synthesised once (and cached like any
text), then joined with exact silences: ``pause_ms`` between digits,
``gap_ms`` before each repetition. So the pause is the same on every engine,
and after the first few calls an OTP costs no synthesis at all, only
joining ~3 s of audio (the import → originate path stays fast).
"""

from __future__ import annotations

from pathlib import Path

from tts.audio import read_wav, write_wav
from tts.cache import AudioCache
from tts.reading import otp_words
from tts.synth import Synthesizer

DEFAULT_INTRO = "Mã xác thực của bạn là"
AGAIN = "Xin nhắc lại"


class OtpReader:
    def __init__(
        self,
        synth: Synthesizer,
        *,
        pause_ms: int = 600,
        gap_ms: int = 1000,
        output: AudioCache | None = None,
        intro_gap_ms: int | None = None,
    ) -> None:
        intro_gap_ms = pause_ms if intro_gap_ms is None else intro_gap_ms
        if not (100 <= pause_ms <= 3000 and 100 <= gap_ms <= 5000 and 100 <= intro_gap_ms <= 5000):
            raise ValueError("pause_ms must be 100-3000, gap_ms and intro_gap_ms 100-5000")
        self.synth = synth
        # Assembled codes go to their own small cache (every code is new): they never push
        # the reusable prompts and digit clips out of the synthesizer's cache.
        self.output = output if output is not None else synth.cache  # (an empty cache is falsy)
        self.pause_ms = pause_ms
        self.gap_ms = gap_ms
        self.intro_gap_ms = intro_gap_ms  # silence after the intro and "xin nhắc lại", before the first digit

    def _clip(self, text: str) -> bytes:
        pcm, _rate, _channels = read_wav(self.synth.speak(text).read_bytes())
        return pcm

    def _silence(self, ms: int) -> bytes:
        return b"\x00\x00" * (self.synth.rate * ms // 1000)

    def render(self, code: str, repeat: int = 2, intro: str = "") -> Path:
        """The WAV of ``code`` read ``repeat`` times (1-5) after ``intro``."""
        words = otp_words(code)  # ValueError for anything but 3-12 digits
        if not 1 <= repeat <= 5:
            raise ValueError("repeat must be 1 to 5")
        intro = " ".join((intro or DEFAULT_INTRO).split())
        engine = self.synth.engine
        key = self.output.key(
            "otp",
            engine.name,
            engine.voice,
            str(self.synth.rate),
            intro,
            code,
            str(repeat),
            str(self.pause_ms),
            str(self.gap_ms),
            str(self.intro_gap_ms),
        )

        def make(path: Path) -> None:
            clips = {w: self._clip(w) for w in sorted(set(words))}
            pause, gap = self._silence(self.pause_ms), self._silence(self.gap_ms)
            lead = self._silence(self.intro_gap_ms)
            parts = [self._silence(300), self._clip(intro), lead]
            for n in range(repeat):
                if n:
                    parts += [gap, self._clip(AGAIN), lead]
                for w in words:
                    parts += [clips[w], pause]
            parts.append(self._silence(300))
            write_wav(path, b"".join(parts), self.synth.rate)

        return self.output.get_or_make(key, make)
