"""espeak-ng: the offline default engine (Vietnamese voice ``vi``), run as a cooperative subprocess.

Debian package ``espeak-ng`` (the project's bootstrap installs it). The text goes
to the process on stdin (``--stdin``: no argument-length limit, and text
starting with ``-`` is not read as an option); the WAV comes back on stdout.
espeak-ng writes a *streaming* WAV header there (placeholder sizes near 2 GiB),
so :func:`tts.audio.read_wav` takes the bytes actually present, whatever the
header's sizes say. Output is mono 16-bit at 22,050 Hz with
peaks near full scale; the synthesizer resamples and normalises it.

``gevent.subprocess`` makes the wait cooperative: while espeak-ng runs (about
15 ms for the seed sentence) the hub serves other greenlets.
"""

from __future__ import annotations

import shutil
from typing import Literal

from gevent import subprocess
from pydantic import BaseModel, ConfigDict, Field

from tts.audio import read_wav
from tts.engines.base import SynthesisError

DEFAULT_BINARY = "espeak-ng"


def available(binary: str = DEFAULT_BINARY) -> bool:
    """True if the espeak-ng binary can be found (a name on PATH or an executable path)."""
    return shutil.which(binary) is not None


def _tail(data: bytes, limit: int = 300) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text[-limit:] if text else "(nothing on stderr)"


class EspeakEngine:
    """espeak-ng speech engine. ``speed_wpm``: words per minute (espeak-ng's ``-s``, 80-450);
    ``word_gap``: extra pause between words in units of 10 ms (espeak-ng's ``-g``, 0-100)."""

    name = "espeak-ng"

    def __init__(
        self,
        voice: str = "vi",
        speed_wpm: int = 130,  # bench/tts_intelligibility.py: WER 0.58-0.65 against 0.62-0.68 at 150 (sets A, B, C)
        binary: str = DEFAULT_BINARY,
        timeout: float = 30.0,
        word_gap: int = 0,
    ) -> None:
        if not 80 <= int(speed_wpm) <= 450:
            raise ValueError(f"speed_wpm must be within 80..450, got {speed_wpm}")
        if not 0 <= int(word_gap) <= 100:
            raise ValueError(f"word_gap must be within 0..100 (x 10 ms), got {word_gap}")
        self.voice = voice
        self.speed_wpm = int(speed_wpm)
        self.word_gap = int(word_gap)
        self.binary = binary
        self.timeout = timeout
        self.settings = f"speed={self.speed_wpm}"  # part of the cache key (see SpeechEngine)
        if self.word_gap:  # only when set: the cache keys of speed-only settings stay as they were
            self.settings += f",gap={self.word_gap}"

    def available(self) -> bool:
        return available(self.binary)

    def command(self) -> list[str]:
        gap = ["-g", str(self.word_gap)] if self.word_gap else []
        return [self.binary, "-v", self.voice, "-s", str(self.speed_wpm), *gap, "-b", "1", "--stdin", "--stdout"]

    def synthesize(self, text: str) -> tuple[bytes, int]:
        if not text or not text.strip():
            raise SynthesisError("espeak-ng: nothing to say (empty text)")
        try:
            proc = subprocess.Popen(
                self.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
        except OSError as exc:  # FileNotFoundError, PermissionError
            raise SynthesisError(
                f"espeak-ng binary {self.binary!r} cannot be run ({exc.strerror or exc}); "
                "install the Debian package espeak-ng"
            ) from exc
        try:
            out, err = proc.communicate(text.encode("utf-8"), timeout=self.timeout)
        except subprocess.TimeoutExpired as exc:
            proc.kill()
            proc.communicate()
            raise SynthesisError(f"espeak-ng took longer than {self.timeout:g} s") from exc
        except BaseException:
            proc.kill()
            proc.wait()
            raise
        if proc.returncode != 0:
            raise SynthesisError(f"espeak-ng -v {self.voice} exited with status {proc.returncode}: {_tail(err)}")
        try:
            pcm, rate, channels = read_wav(out)
        except ValueError as exc:
            raise SynthesisError(f"espeak-ng produced no usable WAV ({exc}; {len(out)} bytes)") from exc
        if channels != 1:
            raise SynthesisError(f"espeak-ng produced {channels} channels; expected mono")
        if not pcm or not pcm.strip(b"\0"):
            raise SynthesisError(f"espeak-ng produced empty audio for {len(text)} characters of text")
        return pcm, rate


class CONFIG(BaseModel):
    """A ``[voice.<name>]`` of engine ``espeak`` in the voices file (docs/tts.md)."""

    model_config = ConfigDict(extra="forbid")
    engine: Literal["espeak"]
    voice: str = "vi"
    speed: int | None = Field(None, ge=80, le=450)  # words per minute; None: the engine's own default
    binary: str = DEFAULT_BINARY
    timeout: float = Field(30.0, gt=0, le=300)


def build(config: CONFIG) -> EspeakEngine:
    if config.speed is None:  # the engine's default speed, whatever the tuning of the day says
        return EspeakEngine(config.voice, binary=config.binary, timeout=config.timeout)
    return EspeakEngine(config.voice, config.speed, binary=config.binary, timeout=config.timeout)
