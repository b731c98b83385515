"""What the dialer calls: a lead's message as a WAV path FreeSWITCH can play.

``TtsRenderer`` has the shape of ``dialer.media.SpeechRenderer`` (a Protocol,
so tts never imports dialer): ``render_text`` for ``autocall_voice_tts``,
``render_otp`` for ``autocall_voice_otp``. Errors are tts's own
(:class:`tts.template.TextRefused`, :class:`tts.template.MissingFields`,
:class:`tts.engines.base.SynthesisError`, ``ValueError`` for a bad code);
the dialer turns them into a failed attempt with the reason in its CDR.

With ``prompts=<directory of a recorded prompt set>`` the numbers, OTP digits
and ``[[name]]`` phrases play the set's recordings (:mod:`tts.assemble`;
:class:`tts.prompts.IncompletePromptSet` names what a set lacks);
``assembled_text``/``assembled_otp`` also say which sources spoke.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts.assemble import Assembled, PromptAssembler
from tts.otp import OtpReader
from tts.synth import Synthesizer
from tts.template import placeholders, render


class TtsRenderer:
    def __init__(self, synth: Synthesizer, otp: OtpReader | None = None) -> None:
        self.synth = synth
        self.otp = otp or OtpReader(synth)
        self.assembler = PromptAssembler(synth, self.otp.output, pause_ms=self.otp.pause_ms, gap_ms=self.otp.gap_ms)

    def spoken_text(self, template_text: str, fields: dict[str, Any]) -> str:
        return render(template_text, fields)

    def render_text(self, template_text: str, fields: dict[str, Any], *, prompts: Path | None = None) -> Path:
        if prompts is not None:
            return self.assembled_text(template_text, fields, prompts).path
        return self.synth.speak(self.spoken_text(template_text, fields))

    def render_otp(self, code: str, repeat: int = 2, intro: str = "", *, prompts: Path | None = None) -> Path:
        if prompts is not None:
            return self.assembled_otp(code, repeat, intro, prompts).path
        # An OTP template's text, if any, is the intro ("Mã OTP của quý khách là");
        # a text with placeholders is not an intro: the default one is used.
        return self.otp.render(code, repeat, intro if intro and not placeholders(intro) else "")

    def assembled_text(self, template_text: str, fields: dict[str, Any], prompts: Path) -> Assembled:
        """``render_text`` with a prompt set, and which sources spoke (``"prompts"``, the engine's name)."""
        return self.assembler.text(template_text, fields, prompts)

    def assembled_otp(self, code: str, repeat: int, intro: str, prompts: Path) -> Assembled:
        """``render_otp`` with a prompt set, and which sources spoke."""
        return self.assembler.otp(code, repeat, intro if intro and not placeholders(intro) else "", prompts)
