"""Stand-in recorded prompt sets and a reader of assembled messages, for the prompt-set tests.

Each prompt is a tone of its own frequency (``FREQ[key]``) with silence around it,
and the fake TTS engine speaks every text as a :data:`TTS_FREQ` tone whose length
grows with the text: decoding an assembled WAV into its loud runs (:func:`runs`)
and naming each by its frequency (:func:`names`) shows which clip played where.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tts.audio import read_wav, wav_bytes
from tts.prompt_keys import PROMPTS, REQUIRED

PHRASES = ("chao", "nhac_no")
KEYS = (*PROMPTS, *(f"phrase-{p}" for p in PHRASES))
FREQ = {key: 300.0 + 60.0 * i for i, key in enumerate(KEYS)}  # 300 Hz ... about 2.2 kHz
TTS_FREQ = 3100.0
TTS = "tts"


def tone(freq: float, rate: int, seconds: float, amp: float = 16000.0, pad: float = 0.1) -> bytes:
    """A tone with 5 ms fades and ``pad`` seconds of silence either side (as a recording has)."""
    n = int(rate * seconds)
    t = np.arange(n) / rate
    x = amp * np.sin(2 * np.pi * freq * t)
    fade = min(n // 2, rate // 200)
    ramp = np.linspace(0.0, 1.0, fade)
    x[:fade] *= ramp
    x[n - fade :] *= ramp[::-1]
    silence = np.zeros(int(rate * pad))
    return np.concatenate([silence, x, silence]).astype(np.int16).tobytes()


def write_prompt(
    directory: Path, key: str, rate: int, *, freq: float | None = None, seconds: float = 0.25, amp: float = 16000.0
) -> None:
    (directory / f"{key}.wav").write_bytes(wav_bytes(tone(freq or FREQ[key], rate, seconds, amp), rate))


def prompt_set(directory: Path, rate: int = 8000, keys: tuple[str, ...] | list[str] = KEYS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for key in keys:
        write_prompt(directory, key, rate)
    return directory


def required_set(directory: Path, rate: int = 8000) -> Path:
    """Only the required prompts: âm, phẩy, ngày, tháng are left to TTS."""
    return prompt_set(directory, rate, list(REQUIRED))


class ToneEngine:
    """A fake TTS engine: every text a ``TTS_FREQ`` tone at 22,050 Hz, 0.1 s + 10 ms per character."""

    name = "fake"
    voice = "test"
    settings = ""

    def __init__(self) -> None:
        self.said: list[str] = []

    def synthesize(self, text: str) -> tuple[bytes, int]:
        self.said.append(text)
        return tone(TTS_FREQ, 22050, 0.1 + 0.01 * len(text), 30000, pad=0.05), 22050


def runs(path: Path, min_gap_ms: int = 20) -> list[tuple[float, float, float]]:
    """The loud runs of a WAV as (start s, length s, dominant frequency Hz), split at silences of ``min_gap_ms``."""
    pcm, rate, _ = read_wav(path.read_bytes())
    x = np.frombuffer(pcm, dtype=np.int16).astype(np.float64)
    loud = np.abs(x) > 64
    found: list[tuple[float, float, float]] = []
    gap = rate * min_gap_ms // 1000
    i, n = 0, len(x)
    while i < n:
        if not loud[i]:
            i += 1
            continue
        start = last = i
        while i < n and i - last <= gap:
            if loud[i]:
                last = i
            i += 1
        part = x[start : last + 1] * np.hanning(last + 1 - start)
        spectrum = np.abs(np.fft.rfft(part, 8 * len(part)))
        freq = float(np.argmax(spectrum)) * rate / (8 * len(part))
        found.append((start / rate, (last + 1 - start) / rate, freq))
    return found


def names(path: Path) -> list[str]:
    """Which clip each loud run of ``path`` is: a prompt key, or ``"tts"``."""
    out = []
    for _start, _length, freq in runs(path):
        if abs(freq - TTS_FREQ) < 25:
            out.append(TTS)
            continue
        key = min(FREQ, key=lambda k: abs(FREQ[k] - freq))
        assert abs(FREQ[key] - freq) < 25, f"a run at {freq:.0f} Hz is no clip"
        out.append(key)
    return out
