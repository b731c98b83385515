"""The speech-engine interface and its one error type."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tts.errors import SynthesisError  # defined below tts.engines and tts.decode (no import cycle)

__all__ = ["SpeechEngine", "SynthesisError"]


@runtime_checkable
class SpeechEngine(Protocol):
    """Turns text into audio.

    ``name`` and ``voice`` identify the sound: both go into the audio cache key,
    so two engines that can sound different must differ in one of them. An
    engine may also have a ``settings: str`` attribute for anything else that
    changes the audio (speed, endpoint URL); the synthesizer adds it to the key
    when present.
    """

    name: str
    voice: str

    def synthesize(self, text: str) -> tuple[bytes, int]:
        """(mono signed 16-bit little-endian PCM, sample rate in Hz) for ``text``.

        Must cooperate with gevent (no blocking the hub) and raise only
        :class:`SynthesisError`.
        """
        ...
