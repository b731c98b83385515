"""Voice OTP: the code read slowly in groups, as a bank reads it ("48 29 15"), and repeated.

The message is assembled from clips rather than synthesised as one text:
the intro and each group of digits ("bốn, tám": ``group_size`` digits said
as a list in one breath; 1 = digit by digit) are synthesised once (and
cached like any text: at most 1,100 group clips), then joined with exact
silences: ``pause_ms`` between groups, ``gap_ms`` before each repetition. So
the pause is the same on every engine, and once its groups are cached an OTP
costs no synthesis at all, only joining ~3 s of audio (the import → originate
path stays fast).

Each clip is spoken through the voice's fallback chain (:mod:`tts.chain`), all
within one budget; if a vendor fails half-way, the code is assembled from the
clips each voice made, and the result names every voice heard. The assembled
file's key is the clips' own (content-addressed) paths, so a code assembled
from fallback clips is assembled again from the vendor's once it is back.
"""

from __future__ import annotations

import time
from pathlib import Path

from tts.audio import read_wav, write_wav
from tts.cache import AudioCache
from tts.chain import VoiceChain
from tts.numbers import DIGITS
from tts.reading import otp_words
from tts.spoken import Spoken, unique
from tts.synth import Synthesizer

DEFAULT_INTRO = "Mã xác thực của bạn là"
AGAIN = "Xin nhắc lại"
# Read in pairs, each pair one clip with its digits comma-separated ("bốn, tám"): espeak-ng says a
# group as a list in one breath rather than each digit as a word alone; pairs beat threes and digit by
# digit on the intelligibility bench (docs/tts-synthesis.md, "OTP digits (issue 20, second pass)").
GROUP_SIZE = 2
JOINER = ", "


def digit_groups(code: str, size: int) -> list[str]:
    """The code cut as a bank reads it: ``digit_groups("482915", 3)`` → ["482", "915"]. No digit is left
    alone at the end: in threes 4 digits are "48 29" and 7 "482 91 57"; in pairs 5 are "48 291".
    ``size`` 1: digit by digit. ``ValueError`` unless ``code`` is 3 to 12 digits."""
    otp_words(code)  # the same validation as reading it
    if size <= 1:
        return list(code)
    cuts = [size] * (len(code) // size)
    rest = len(code) % size
    if rest == 1 and size > 2:  # a digit alone is the hardest to hear: the last two groups share it
        cuts[-1] -= 1
        cuts.append(2)
    elif rest == 1:  # pairs: the last one takes the odd digit
        cuts[-1] += 1
    elif rest:
        cuts.append(rest)
    starts = [sum(cuts[:n]) for n in range(len(cuts))]
    return [code[at : at + n] for at, n in zip(starts, cuts, strict=True)]


class OtpReader:
    def __init__(
        self,
        synth: Synthesizer | VoiceChain,
        *,
        pause_ms: int = 600,
        gap_ms: int = 1000,
        output: AudioCache | None = None,
        intro_gap_ms: int | None = None,
        group_size: int = GROUP_SIZE,
        joiner: str = JOINER,
    ) -> None:
        intro_gap_ms = pause_ms if intro_gap_ms is None else intro_gap_ms
        if not (100 <= pause_ms <= 3000 and 100 <= gap_ms <= 5000 and 100 <= intro_gap_ms <= 5000):
            raise ValueError("pause_ms must be 100-3000, gap_ms and intro_gap_ms 100-5000")
        if not 1 <= group_size <= 4:
            raise ValueError("group_size must be 1 (digit by digit) to 4")
        self.voices = synth if isinstance(synth, VoiceChain) else VoiceChain.of(synth)
        self.rate = self.voices.rate
        # Assembled codes go to their own small cache (every code is new): they never push
        # the reusable prompts and digit clips out of the synthesizer's cache.
        self.output = output if output is not None else self.voices.cache  # (an empty cache is falsy)
        self.pause_ms = pause_ms
        self.gap_ms = gap_ms
        self.intro_gap_ms = intro_gap_ms  # silence after the intro and "xin nhắc lại", before the first digit
        self.group_size = group_size  # digits per clip; 1: digit by digit
        self.joiner = joiner  # between a group's digit words: ", " (a list) or " "

    @staticmethod
    def _pcm(clip: Path) -> bytes:
        pcm, _rate, _channels = read_wav(clip.read_bytes())
        return pcm

    def _silence(self, ms: int) -> bytes:
        return b"\x00\x00" * (self.rate * ms // 1000)

    def render(self, code: str, repeat: int = 2, intro: str = "", voice: str = "") -> Spoken:
        """The WAV of ``code`` read ``repeat`` times (1-5) after ``intro``, by ``voice`` ("" = the default)."""
        words = [self.joiner.join(DIGITS[int(c)] for c in g) for g in digit_groups(code, self.group_size)]
        if not 1 <= repeat <= 5:
            raise ValueError("repeat must be 1 to 5")
        intro = " ".join((intro or DEFAULT_INTRO).split())
        deadline = time.monotonic() + self.voices.budget_s  # one budget for all the clips
        texts = [intro, *([AGAIN] if repeat > 1 else []), *sorted(set(words))]
        clips = {t: self.voices.speak(t, voice, deadline=deadline) for t in texts}
        heard = [intro, *[w for n in range(repeat) for w in ([AGAIN] if n else []) + words]]
        key = self.output.key(
            "otp",
            *(str(clips[t]) for t in texts),  # content-addressed: which engine, voice and settings made each
            str(self.rate),
            intro,
            code,
            str(repeat),
            str(self.pause_ms),
            str(self.gap_ms),
            str(self.intro_gap_ms),
            str(self.group_size),
            self.joiner,
        )

        def make(path: Path) -> None:
            pcm = {t: self._pcm(clip) for t, clip in clips.items()}
            pause, gap = self._silence(self.pause_ms), self._silence(self.gap_ms)
            lead = self._silence(self.intro_gap_ms)
            parts = [self._silence(300), pcm[intro], lead]
            for n in range(repeat):
                if n:
                    parts += [gap, pcm[AGAIN], lead]
                for w in words:
                    parts += [pcm[w], pause]
            parts.append(self._silence(300))
            write_wav(path, b"".join(parts), self.rate)

        path = self.output.get_or_make(key, make)
        voices = unique([v for t in heard for v in clips[t].voices])
        return Spoken.of(path, voices, unique([e for t in heard for e in clips[t].engines]))
