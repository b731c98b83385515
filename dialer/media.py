"""Which file a call plays, by ``type_autocall``.

* ``autocall_audio``: the template's audio file, under ``AUTOCALL_AUDIO_DIR``.
* ``autocall_voice_tts`` / ``autocall_voice_otp``: a file rendered by a
  :class:`SpeechRenderer` (the ``tts`` package implements it) from the
  template text and the lead's fields, or from the lead's OTP code; when
  the template names a recorded prompt set, the renderer is handed the
  set's directory (``prompts=``) and plays numbers, OTP digits and
  ``[[name]]`` phrases from its recordings.

The path is rendered before the originate is sent, so the callee never
hears dead air while a file is being made. The FreeSWITCH dialplan
(freeswitch-conf/dialplan/autocall.xml) plays ``${autocall_file}``, so the
file must be readable by FreeSWITCH at the same path (shared volume).

An audio template's file is resolved (symlinks followed, checked to be
inside the directory) at most every ``recheck_s`` per name for the calls;
in between, each lookup only ``lstat``s the resolved path (the dialler looks
once per batch of originates), so a file deleted or replaced by anything but
a regular file (a symlink out of the directory) fails the very next call as
before. Only a directory on the way turned into a symlink waits for the next
full look (the campaign holds, every 2 s, look in full too:
:meth:`MessageFiles.audio`).
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.domain.prompt_sets import prompt_dir
from tts.prompt_keys import PHRASE_PREFIX, missing, phrases


def spoken_by(path: Path) -> tuple[str, str]:
    """(voices, engines) that spoke a rendered message, comma-separated, as its CDR shows them; ("", "") for
    an audio file or a renderer that does not say (see SpeechRenderer)."""
    return ",".join(getattr(path, "voices", ())), ",".join(getattr(path, "engines", ()))


class MessageUnavailable(Exception):
    """The call has nothing to play; the attempt fails without dialling."""


class SpeechRenderer(Protocol):
    """``voice``: the template's voice ("" = the default). ``prompts``: the directory of the template's
    recorded prompt set, given only when it names one. The path returned may also say who spoke it
    (``voices`` and ``engines`` attributes, tts.spoken.Spoken): the CDR's tts_voice / tts_engine."""

    def render_text(
        self, template_text: str, fields: dict[str, Any], voice: str = "", *, prompts: Path | None = None
    ) -> Path: ...

    def render_otp(
        self, code: str, repeat: int = 2, intro: str = "", voice: str = "", *, prompts: Path | None = None
    ) -> Path: ...


class NoSpeech:
    """Until the tts package is configured: TTS campaigns cannot dial."""

    def render_text(
        self, template_text: str, fields: dict[str, Any], voice: str = "", *, prompts: Path | None = None
    ) -> Path:
        raise MessageUnavailable("no speech renderer configured for autocall_voice_tts")

    def render_otp(
        self, code: str, repeat: int = 2, intro: str = "", voice: str = "", *, prompts: Path | None = None
    ) -> Path:
        raise MessageUnavailable("no speech renderer configured for autocall_voice_otp")


RECHECK_S = 2.0  # an audio file found for a call is looked up again this often (the holds' pace)


def _regular(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_file(follow_symlinks=False)
    except OSError:  # removed while listed
        return False


class MessageFiles:
    def __init__(
        self,
        audio_dir: Path,
        renderer: SpeechRenderer | None = None,
        *,
        recheck_s: float = RECHECK_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.audio_dir = audio_dir.resolve()
        self.renderer: SpeechRenderer = renderer or NoSpeech()
        self.recheck_s = recheck_s
        self.clock = clock
        # name -> (the file, its text, when it was resolved): Path.resolve + is_file on every
        # originate cost more than the rest of building it. Only files found are kept.
        self._found: dict[str, tuple[Path, str, float]] = {}

    def audio(self, name: str) -> Path:
        """The template's file, looked up in full now (the campaign holds ask this: never from the cache)."""
        try:
            path = (self.audio_dir / name).resolve()
            # A template may only name a file inside the audio directory.
            if not name or self.audio_dir not in path.parents:
                raise MessageUnavailable(f"audio file {name!r} is not inside {self.audio_dir}")
            if not path.is_file():
                raise MessageUnavailable(f"audio file {path} does not exist")
        except MessageUnavailable:
            self._found.pop(name, None)
            raise
        self._found[name] = (path, str(path), self.clock())
        return path

    def audio_for_call(self, name: str) -> Path:
        """:meth:`audio`, resolved again at most every ``recheck_s``; still a regular file at each call."""
        found = self._found.get(name)
        if found is not None and self.clock() - found[2] < self.recheck_s:
            try:
                # The resolved path holds no symlink: lstat sees the file itself, or what replaced it.
                if stat.S_ISREG(os.lstat(found[1]).st_mode):
                    return found[0]
            except OSError:
                pass  # gone: the full look says why, as it always did
        return self.audio(name)

    def for_call(self, campaign: Campaign, template: Template | None, fields: dict[str, Any]) -> Path:
        kind = campaign.type_autocall
        if kind is TypeAutocall.AUDIO:
            if template is None or not template.audio_file:
                raise MessageUnavailable(f"campaign {campaign.campaign_uuid} has no audio template")
            return self.audio_for_call(template.audio_file)
        if kind is TypeAutocall.VOICE_OTP:
            # The template says which param holds the code and how often it is read.
            name = template.otp_field if template is not None else "otp"
            code = str(fields.get(name) or "")
            if not code:
                raise MessageUnavailable(f"voice OTP lead has no {name!r} field")
            repeat = template.otp_repeat if template is not None else 2
            intro = template.text if template is not None else ""
            voice = template.voice if template is not None else ""
            sets = self.prompts(template)
            return self._rendered(lambda: self.renderer.render_otp(code, repeat, intro, voice=voice, **sets))
        if template is None or not template.text:
            raise MessageUnavailable(f"campaign {campaign.campaign_uuid} has no text template")
        sets = self.prompts(template)
        return self._rendered(lambda: self.renderer.render_text(template.text, fields, voice=template.voice, **sets))

    def prompts(self, template: Template | None) -> dict[str, Path]:
        """``{"prompts": <the set's directory>}`` when the template names a recorded prompt set, else {}:
        a renderer is asked exactly as before for a template without one."""
        if template is None or not template.prompt_set_uuid:
            return {}
        return {"prompts": prompt_dir(self.audio_dir, template.prompt_set_uuid)}

    def prompts_lacking(self, template: Template) -> list[str]:
        """The recordings the template's prompt set lacks on disk, looked up now (the campaign holds ask
        this; one directory listing): its required keys, then a ``phrase-<name>`` per ``[[name]]`` of the text."""
        folder = prompt_dir(self.audio_dir, template.prompt_set_uuid)
        try:
            # What the renderer counts: regular files (an uploaded WAV), never a symlink or a directory.
            present = {e.name[:-4] for e in os.scandir(folder) if e.name.endswith(".wav") and _regular(e)}
        except OSError:
            raise MessageUnavailable(f"prompt set {template.prompt_set_uuid} has no directory {folder}") from None
        try:
            names = [PHRASE_PREFIX + name for name in phrases(template.text)]
        except ValueError:  # a text written behind the API's back: the renderer says what is wrong with it
            names = []
        return missing(present) + [key for key in names if key not in present]

    @staticmethod
    def _rendered(make) -> Path:
        """A renderer's failure (template, missing field, engine down) fails the attempt
        with the reason in its CDR; it never reaches the engine as a crash."""
        try:
            return make()
        except MessageUnavailable:
            raise
        except Exception as exc:
            raise MessageUnavailable(f"tts: {exc}") from exc
