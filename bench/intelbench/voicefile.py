"""Voices of a voices file (docs/tts.md, ``AUTOCALL_TTS_VOICES``) for the bench: each alone, no fallback.

A vendor voice needs its credentials and the network, so the bench runs one only when asked
(``--voices FILE --voice NAME``); its row then says what that vendor is worth through the same
phone path and recogniser, which is also the recogniser's nearest thing to a ceiling.
"""

from __future__ import annotations

from pathlib import Path

from tts import voices
from tts.cache import AudioCache
from tts.engines import registry
from tts.synth import Synthesizer


def synths(path: str, names: list[str], root: Path) -> list[tuple[str, Synthesizer]]:
    """(label, synthesizer at 8 kHz) per voice named; ``voices.VoicesError`` for a bad file or an unknown name."""
    book = voices.load(path)
    out = []
    for name in names or [book.default]:
        if name not in book.voices:
            raise voices.VoicesError(f"no voice {name!r} in {path}; voices: {', '.join(book.names())}")
        voice = book.voices[name]
        engine = registry.build(voice.config)
        label = f"{name} ({voice.engine} {getattr(engine, 'voice', '')} {getattr(engine, 'settings', '')})"
        out.append((label, Synthesizer(engine, AudioCache(root / f"voice-{name}"), 8000)))
    return out
