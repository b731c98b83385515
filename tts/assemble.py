"""A message assembled from a recorded prompt set and TTS: recorded numbers, synthesised free text.

A template's message (:func:`tts.segments.render_segments`) is planned as a
list of parts: each word the number reader said plays its recording when the
set has it (``10410000`` → mười, triệu, bốn, trăm, mười, nghìn), each
``[[name]]`` plays ``phrase-<name>``, and the rest — free text, and a number
word the set lacks (``tháng`` when the optional month word is not recorded) —
is synthesised, consecutive TTS words as one text (cached per text as
always). A voice OTP is the OtpReader's message with ``otp-intro``, the digits
and ``otp-again`` from the set (the template's own intro text, when it has one,
through TTS), with the reader's ``pause_ms`` and ``gap_ms``.

Gaps. Every clip is trimmed of its own silence first, keeping 20 ms before its
first loud frame and 40 ms after its last (tts.audio.trim_silence: onsets and the
decay of final nasals live there), so the pause a listener hears between two
clips is the gap below plus up to 60 ms of those margins:

- :data:`WORD_GAP_MS` (60 ms, so 60-120 ms heard) between two recorded number
  words: fluent Vietnamese has almost no pause between the words of a number, but
  isolated recordings are longer than connected speech and a phone line smears
  word edges; this keeps "mười triệu bốn trăm" one number said slowly and clearly.
  Much more (150 ms and over) sounds like a list of separate words;
- :data:`BOUNDARY_GAP_MS` (150 ms) where TTS and a recording (or a phrase) meet: the
  voice changes there; a breath-length pause makes the change sound intended
  rather than a splice and sets the number apart from the words before it (the
  first word after a change of voice is the one listeners lose);
- :data:`PUNCTUATION_GAP_MS` (250 ms) for a segment that is only punctuation (the
  "," or "." right after a number), the pause TTS would have made for it;
- :data:`EDGE_MS` (300 ms) of silence at each end, as the OTP reader has.

The TTS parts are spoken by the template's voice through its fallback chain
(:class:`tts.chain.VoiceChain`, one time budget for the whole message), before
anything is joined. The assembled WAV goes to the OTP reader's output cache under
a key holding the plan, the rate, every TTS clip's path (content-addressed: which
voice, engine and settings made it) and the file identity of every recording it
plays: a new recording, or a vendor back after a fallback, is never served stale,
and a recording it does not play (another template's phrase) changes nothing. The
:class:`~tts.spoken.Spoken` returned says who spoke, in the order heard:
``"prompts"`` for the recordings (voice and engine alike), the voices of the TTS parts.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tts.audio import read_wav, trim_silence, write_wav
from tts.cache import AudioCache
from tts.engines.base import SynthesisError
from tts.prompt_keys import KEY_OF_WORD, PHRASE_PREFIX
from tts.prompts import PromptSet
from tts.reading import otp_words
from tts.segments import Segment, render_segments
from tts.spoken import Spoken, unique
from tts.synth import FORMAT

if TYPE_CHECKING:
    from tts.chain import VoiceChain

WORD_GAP_MS = 60
BOUNDARY_GAP_MS = 150
PUNCTUATION_GAP_MS = 250
EDGE_MS = 300
PROMPTS = "prompts"  # who spoke the recordings, in Spoken.voices and Spoken.engines (the CDR's tts_voice)

Part = tuple[str, str]  # ("prompt", key) | ("tts", text) | ("silence", ms)


class PromptAssembler:
    def __init__(self, voices: VoiceChain, output: AudioCache, *, pause_ms: int = 600, gap_ms: int = 1000) -> None:
        self.voices = voices
        self.rate = voices.rate
        self.output = output
        self.pause_ms = pause_ms
        self.gap_ms = gap_ms

    def text(self, template_text: str, fields: dict[str, Any], directory: Path, voice: str = "") -> Spoken:
        """A template's message with its numbers and ``[[name]]`` phrases from the set at ``directory``.

        Errors: the template's (:class:`~tts.template.TextRefused`, :class:`~tts.template.MissingFields`),
        :class:`~tts.prompts.IncompletePromptSet` naming what the set lacks, the engine's
        :class:`~tts.engines.base.SynthesisError`.
        """
        segments = render_segments(template_text, fields)
        prompts = PromptSet(directory, self.rate)
        prompts.require([s.text for s in segments if s.kind == "phrase"])
        plan = _text_plan(segments, prompts)
        if not any(kind != "silence" for kind, _ in plan):
            raise SynthesisError("nothing to say: empty text")
        return self._assemble("text", plan, prompts, voice)

    def otp(self, code: str, repeat: int, intro: str, directory: Path, voice: str = "") -> Spoken:
        """``code`` read ``repeat`` times from the set's digits; ``intro`` (TTS) instead of ``otp-intro`` if given."""
        otp_words(code)  # ValueError for anything but 3-12 digits
        digits = list(code)  # the digit keys "0".."9"
        if not 1 <= repeat <= 5:
            raise ValueError("repeat must be 1 to 5")
        prompts = PromptSet(directory, self.rate)
        prompts.require()
        intro = " ".join(intro.split())
        pause, gap = ("silence", str(self.pause_ms)), ("silence", str(self.gap_ms))
        plan: list[Part] = [("silence", str(EDGE_MS)), ("tts", intro) if intro else ("prompt", "otp-intro"), pause]
        for n in range(repeat):
            if n:
                plan += [gap, ("prompt", "otp-again"), pause]
            for d in digits:
                plan += [("prompt", d), pause]
        plan.append(("silence", str(EDGE_MS)))
        return self._assemble("otp", plan, prompts, voice)

    def _assemble(self, kind: str, plan: list[Part], prompts: PromptSet, voice: str) -> Spoken:
        deadline = time.monotonic() + self.voices.budget_s  # one budget for all the message's TTS parts
        texts = list(dict.fromkeys(value for part, value in plan if part == "tts"))
        clips = {text: self.voices.speak(text, voice, deadline=deadline) for text in texts}
        key = self.output.key(
            "prompts-" + kind,
            FORMAT,
            str(self.rate),
            *(str(clips[text]) for text in texts),  # content-addressed: which voice, engine and settings made each
            json.dumps(plan, ensure_ascii=False),
            json.dumps(prompts.identity([value for part, value in plan if part == "prompt"])),
        )
        said = [part if part == "prompt" else value for part, value in plan if part in ("prompt", "tts")]
        voices = unique([v for who in said for v in ((PROMPTS,) if who == "prompt" else clips[who].voices)])
        engines = unique([e for who in said for e in ((PROMPTS,) if who == "prompt" else clips[who].engines)])

        def make(path: Path) -> None:
            write_wav(path, b"".join(self._pcm(part, prompts, clips) for part in plan), self.rate)

        return Spoken.of(self.output.get_or_make(key, make), voices, engines)

    def _pcm(self, part: Part, prompts: PromptSet, clips: Mapping[str, Path]) -> bytes:
        kind, value = part
        if kind == "silence":
            return b"\x00\x00" * (self.rate * int(value) // 1000)
        if kind == "prompt":
            return prompts.clip(value)
        pcm, rate, _channels = read_wav(clips[value].read_bytes())
        return trim_silence(pcm, rate)  # the synthesizer's own edges off: the gaps are the plan's


_PAUSE = re.compile(r"[.,;:!?…]+")  # punctuation that is a pause of its own where a text starts


def _split_pauses(segments: list[Segment]) -> list[Segment]:
    """A text's leading pause punctuation (", hết" after a number) as a segment of its own."""
    out = []
    for s in segments:
        m = _PAUSE.match(s.text) if s.kind == "text" else None
        if m and m.end() < len(s.text) and s.text[m.end() :].strip():
            out += [Segment("text", m.group()), Segment("text", s.text[m.end() :].strip())]
        else:
            out.append(s)
    return out


def _text_plan(segments: list[Segment], prompts: PromptSet) -> list[Part]:
    """The parts of a message: recordings, TTS texts (consecutive words merged) and the gaps between them."""
    pieces: list[tuple[str, str]] = []  # (word | phrase | tts | punctuation, key or text)
    for s in _split_pauses(segments):
        if s.kind == "phrase":
            pieces.append(("phrase", PHRASE_PREFIX + s.text))
        elif s.kind == "number" and prompts.has(KEY_OF_WORD.get(s.text, "")):
            pieces.append(("word", KEY_OF_WORD[s.text]))
        elif not any(c.isalnum() for c in s.text):
            pieces.append(("punctuation", s.text))
        elif pieces and pieces[-1][0] == "tts":
            pieces[-1] = ("tts", f"{pieces[-1][1]} {s.text}")
        else:
            pieces.append(("tts", s.text))
    plan: list[Part] = [("silence", str(EDGE_MS))]
    before = ""  # the kind of the last piece placed, "punctuation" if punctuation came after it
    for kind, value in pieces:
        if kind == "punctuation":
            before = kind if before else ""
            continue
        if before:
            gap = {"punctuation": PUNCTUATION_GAP_MS}.get(before, BOUNDARY_GAP_MS)
            plan.append(("silence", str(WORD_GAP_MS if before == kind == "word" else gap)))
        plan.append(("tts", value) if kind == "tts" else ("prompt", value))
        before = kind
    plan.append(("silence", str(EDGE_MS)))
    return plan
