"""What the dialer calls: a lead's message as a WAV path FreeSWITCH can play.

``TtsRenderer`` has the shape of ``dialer.media.SpeechRenderer`` (a Protocol,
so tts never imports dialer): ``render_text`` for ``autocall_voice_tts``,
``render_otp`` for ``autocall_voice_otp``. Errors are tts's own
(:class:`tts.template.TextRefused`, :class:`tts.template.MissingFields`,
:class:`tts.engines.base.SynthesisError`, ``ValueError`` for a bad code);
the dialer turns them into a failed attempt with the reason in its CDR.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts.otp import OtpReader
from tts.synth import Synthesizer
from tts.template import placeholders, render


class TtsRenderer:
    def __init__(self, synth: Synthesizer, otp: OtpReader | None = None) -> None:
        self.synth = synth
        self.otp = otp or OtpReader(synth)

    def spoken_text(self, template_text: str, fields: dict[str, Any]) -> str:
        return render(template_text, fields)

    def render_text(self, template_text: str, fields: dict[str, Any]) -> Path:
        return self.synth.speak(self.spoken_text(template_text, fields))

    def render_otp(self, code: str, repeat: int = 2, intro: str = "") -> Path:
        # An OTP template's text, if any, is the intro ("Mã OTP của quý khách là");
        # a text with placeholders is not an intro: the default one is used.
        return self.otp.render(code, repeat, intro if intro and not placeholders(intro) else "")
