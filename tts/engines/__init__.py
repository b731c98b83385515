"""Speech engines: espeak-ng (offline default) and an HTTP adapter for a cloud TTS."""

from tts.engines.base import SpeechEngine, SynthesisError
from tts.engines.espeak import EspeakEngine
from tts.engines.http import HttpEngine

__all__ = ["EspeakEngine", "HttpEngine", "SpeechEngine", "SynthesisError"]
