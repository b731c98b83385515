"""A stand-in recorded prompt set: ``<key>.wav`` for every required key, each word synthesised alone.

No natural Vietnamese voice installs offline (issue 20), so the "clean recordings" are
espeak-ng's, one word per file at a slow speed, leading and trailing silence trimmed
(as a studio editor cuts a take), 8 kHz mono 16-bit like any template audio.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tts.audio import read_wav, write_wav
from tts.prompt_keys import REQUIRED
from tts.synth import Synthesizer

MARGIN_S = 0.02  # kept either side of the speech


def trim(pcm: bytes, rate: int, floor_db: float = -40.0) -> bytes:
    """``pcm`` without the leading and trailing samples quieter than ``floor_db`` below its peak."""
    x = np.frombuffer(pcm, dtype=np.int16)
    loud = np.flatnonzero(np.abs(x.astype(np.int32)) >= np.abs(x.astype(np.int32)).max() * 10 ** (floor_db / 20))
    if not loud.size:
        return pcm
    margin = int(MARGIN_S * rate)
    return x[max(0, loud[0] - margin) : loud[-1] + margin + 1].tobytes()


def build(synth: Synthesizer, directory: Path) -> Path:
    """Write the set into ``directory`` (made if needed); returns it."""
    directory.mkdir(parents=True, exist_ok=True)
    for key, text in REQUIRED.items():
        pcm, rate, _ = read_wav(synth.speak(text).read_bytes())
        write_wav(directory / f"{key}.wav", trim(pcm, rate), rate)
    return directory
