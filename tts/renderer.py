"""What the dialer calls: a lead's message as a WAV path FreeSWITCH can play.

``TtsRenderer`` has the shape of ``dialer.media.SpeechRenderer`` (a Protocol,
so tts never imports dialer): ``render_text`` for ``autocall_voice_tts``,
``render_otp`` for ``autocall_voice_otp``. Errors are tts's own
(:class:`tts.template.TextRefused`, :class:`tts.template.MissingFields`,
:class:`tts.engines.base.SynthesisError`, ``ValueError`` for a bad code);
the dialer turns them into a failed attempt with the reason in its CDR.

Both take ``voice`` (a configured voice's name, "" = the default) and return a
:class:`tts.spoken.Spoken`: the path, naming the voice(s) that spoke it (the
voice's fallback chain may have had to: :mod:`tts.chain`).

With ``prompts=<directory of a recorded prompt set>`` the numbers, OTP digits
and ``[[name]]`` phrases play the set's recordings (:mod:`tts.assemble`;
:class:`tts.prompts.IncompletePromptSet` names what a set lacks); the
recordings are spoken by ``"prompts"``, the rest by the voice.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tts.assemble import PromptAssembler
from tts.chain import VoiceChain
from tts.otp import OtpReader
from tts.spoken import Spoken
from tts.synth import Synthesizer
from tts.template import placeholders, render


class TtsRenderer:
    def __init__(self, synth: Synthesizer | VoiceChain, otp: OtpReader | None = None) -> None:
        self.voices = synth if isinstance(synth, VoiceChain) else VoiceChain.of(synth)
        self.otp = otp or OtpReader(self.voices)
        self.assembler = PromptAssembler(
            self.voices, self.otp.output, pause_ms=self.otp.pause_ms, gap_ms=self.otp.gap_ms
        )

    def spoken_text(self, template_text: str, fields: dict[str, Any]) -> str:
        return render(template_text, fields)

    def render_text(
        self, template_text: str, fields: dict[str, Any], voice: str = "", *, prompts: Path | None = None
    ) -> Spoken:
        if prompts is not None:
            return self.assembler.text(template_text, fields, prompts, voice)
        return self.voices.speak(self.spoken_text(template_text, fields), voice)

    def render_otp(
        self, code: str, repeat: int = 2, intro: str = "", voice: str = "", *, prompts: Path | None = None
    ) -> Spoken:
        # An OTP template's text, if any, is the intro ("Mã OTP của quý khách là");
        # a text with placeholders is not an intro: the default one is used.
        intro = intro if intro and not placeholders(intro) else ""
        if prompts is not None:
            return self.assembler.otp(code, repeat, intro, prompts, voice)
        return self.otp.render(code, repeat, intro, voice=voice)
