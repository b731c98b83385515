"""Templates: what a template may name, its audio upload, and how templates are stored.

A template is what a call says: an audio file under ``AUTOCALL_AUDIO_DIR``
(``autocall_audio``), a text with ``{{field}}`` placeholders the TTS renderer
fills from the lead's ``param`` (``autocall_voice_tts``), or the voice-OTP
settings. Everything a template names is checked when it is written, so a
campaign never finds out at dial time that its script cannot be played:

* ``text`` must be a Jinja2 template (sandboxed) made of plain text and
  ``{{ name }}`` placeholders only: no ``{% %}`` statements, filters,
  attribute or item access, calls or constants. :func:`placeholders` lists the
  names; the lead import requires each of them in ``param``. ``[[name]]``
  (a recorded phrase) is plain text to Jinja2; it needs ``prompt_set_uuid``.
* ``prompt_set_uuid`` must name a complete recorded prompt set holding each
  ``[[name]]`` phrase of the text (dialer/service/prompt_set_refs.py).
* ``audio_file`` must be a plain file name in the audio directory holding a
  WAV FreeSWITCH plays without surprises: PCM 16-bit, mono, 8 or 16 kHz,
  0.1 s to 10 min (:func:`wav_seconds`). Uploads obey the same rules and are
  stored as ``template-<uuid>.wav``, written atomically.
* ``voice`` ("" = the default) must be a configured voice (``AUTOCALL_TTS_VOICES``,
  docs/tts.md); a campaign speaks with its template's voice.

Create, get, page, update and delete are the carriers' too
(dialer/service/catalog.py); :class:`Templates` adds the checks above, the
timestamps, and the removal of a deleted template's uploaded audio.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import wave
from pathlib import Path
from typing import Any, BinaryIO

from dialer.domain.models import Template
from dialer.routing.dialstring import UnsafeValue, escape_value
from dialer.service.catalog import Catalog, local_now
from dialer.service.context import Services
from dialer.service.errors import Invalid, NotFound, ServiceError
from dialer.service.prompt_set_refs import problems, text_phrases
from dialer.store.catalog import HashRecords
from dialer.store.store import Store
from tts.template import TextRefused, check_text

log = logging.getLogger("autocall.templates")

# Set by autocall, never by a request: a body may carry them (echoing a GET), they are ignored.
READ_ONLY = frozenset({"created_at", "updated_at", "placeholders"})
MAX_UPLOAD = 32 << 20  # bytes: 10 min of 16 kHz 16-bit mono is 19.2 MB
MIN_SECONDS = 0.1
MAX_SECONDS = 600.0
RATES = (8000, 16000)
_WAV_FORMATS = {3: "IEEE float", 6: "A-law", 7: "µ-law", 17: "IMA ADPCM", 85: "MP3", 0xFFFE: "WAVE_FORMAT_EXTENSIBLE"}
_RESAVE = "re-save it as 16-bit PCM mono, e.g. sox in.wav -b 16 -c 1 -r 8000 out.wav"


class StorageProblem(ServiceError):
    """The audio directory cannot be written: a deployment problem, not the client's."""

    status = 503


class AudioRefused(ValueError):
    """A WAV autocall will not play; ``reasons`` says why, one problem each."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


# -- text: the rules live in tts.template (the renderer applies the same ones) ------------
# -- audio ------------------------------------------------------------------------
def wav_seconds(source: BinaryIO) -> float:
    """The length of a WAV autocall plays as is, or :class:`AudioRefused` with every reason."""
    try:
        with wave.open(source, "rb") as w:
            channels, width, rate, frames = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
            reasons = []
            if width != 2:
                reasons.append(f"must be 16-bit PCM; this file has {8 * width}-bit samples ({_RESAVE})")
            if channels != 1:
                reasons.append(f"must be mono; this file has {channels} channels ({_RESAVE})")
            if rate not in RATES:
                reasons.append(f"must be sampled at 8000 or 16000 Hz; this file is {rate} Hz ({_RESAVE})")
            seconds = frames / rate if rate else 0.0
            if seconds < MIN_SECONDS:
                reasons.append(f"must be at least {MIN_SECONDS} s long; this file is {seconds:.3f} s")
            if seconds > MAX_SECONDS:
                reasons.append(f"must be at most {MAX_SECONDS / 60:.0f} minutes long; this file is {seconds:.1f} s")
            if reasons:
                raise AudioRefused(reasons)
            held = len(w.readframes(frames)) // (width * channels)
            if held < frames:
                raise AudioRefused([f"is truncated: its header announces {frames} samples, it holds {held}"])
            return round(frames / rate, 3)
    except wave.Error as exc:
        raise AudioRefused([_wave_error(str(exc))]) from None
    except EOFError:
        raise AudioRefused(["is not a WAV file: it ends inside its header"]) from None


def _wave_error(message: str) -> str:
    if "RIFF" in message:
        return "is not a WAV file: it does not start with 'RIFF'"
    if "WAVE" in message:
        return "is not a WAV file: its RIFF type is not 'WAVE'"
    found = re.match(r"unknown format: (\d+)", message)
    if found:
        code = int(found.group(1))
        name = _WAV_FORMATS.get(code, f"format {code}")
        return f"must be PCM (WAV format 1); this file is {name} ({_RESAVE})"
    return f"is not a valid WAV file: {message}"


def audio_file_errors(svc: Services, name: str) -> list[str]:
    """Why ``name`` cannot be a template's ``audio_file`` ([] when it can)."""
    if "/" in name or "\\" in name or "\x00" in name or ".." in name or name in (".", ""):
        return ["must be a plain file name in the audio directory (no '/', '\\', '..' or NUL)"]
    try:
        escape_value(name)  # the path reaches FreeSWITCH in the originate's variables
    except UnsafeValue as exc:
        return [f"cannot be passed to FreeSWITCH: {exc}"]
    root = svc.audio_dir.resolve()
    path = (svc.audio_dir / name).resolve()
    if path.parent != root:
        return ["must be a file in the audio directory (a link out of it is refused)"]
    if not path.is_file():
        return [f"{name} is not a file in the audio directory; upload it with PUT /v3/template/{{template_uuid}}/audio"]
    try:
        with path.open("rb") as f:
            wav_seconds(f)
    except AudioRefused as exc:
        return [f"{name} {reason}" for reason in exc.reasons]
    except OSError as exc:
        return [f"{name} cannot be read: {exc.strerror}"]
    return []


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers (FreeSWITCH) see the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; FreeSWITCH may run as another user
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- the catalog kind -------------------------------------------------------------
def _check(svc: Services, values: dict[str, Any], current: Template | None) -> None:
    """The text, the voice and the audio file, when given: every problem at once."""
    errors: list[tuple[str, str]] = []
    if "text" in values:
        try:
            check_text(values["text"])
        except TextRefused as exc:
            errors.append(("text", str(exc)))
    voice = values.get("voice")
    if voice and voice not in svc.voices and (current is None or voice != current.voice):
        known = ", ".join(svc.voices) if svc.voices else "none (AUTOCALL_TTS_ENGINE=none)"
        errors.append(("voice", f"unknown voice {voice!r}; configured voices: {known}"))
    name = values.get("audio_file")
    # An unchanged name is not checked again: a GET body sent back is always accepted.
    if name and (current is None or name != current.audio_file):
        errors += [("audio_file", message) for message in audio_file_errors(svc, name)]
    errors += _prompt_set_errors(svc, values, current) if not errors else []
    if errors:
        raise Invalid(errors)


def _prompt_set_errors(svc: Services, values: dict[str, Any], current: Template | None) -> list[tuple[str, str]]:
    """The prompt set and the text's [[name]] phrases, when either changes (dialer/service/prompt_set_refs.py)."""
    text = values.get("text", current.text if current else "")
    prompt_set_uuid = values.get("prompt_set_uuid", current.prompt_set_uuid if current else "")
    if current is not None and (text, prompt_set_uuid) == (current.text, current.prompt_set_uuid):
        return []
    names, why = text_phrases(text)
    return [("text", why)] if why else problems(svc, prompt_set_uuid, names)


class Templates(Catalog[Template]):
    """Stored as a flat hash (:meth:`Template.to_redis`), stamped, text and audio checked."""

    kind = "template"
    model = Template
    read_only = READ_ONLY
    stamped = True

    def records(self, store: Store) -> HashRecords[Template]:
        return store.catalog.templates

    def check_given(self, svc: Services, values: dict[str, Any], current: Template | None) -> None:
        _check(svc, values, current)

    def delete(self, svc: Services, uuid: str) -> None:
        """Delete a template no campaign uses; its uploaded audio goes too unless another template names it."""
        super().delete(svc, uuid)
        name = f"template-{uuid}.wav"
        if all(other.audio_file != name for other in svc.store.catalog.templates.all()):
            (svc.audio_dir / name).unlink(missing_ok=True)


catalog = Templates()


def set_audio(svc: Services, uuid: str, data: bytes) -> tuple[Template, float]:
    """Store an uploaded WAV as ``template-<uuid>.wav`` and make it the template's audio."""
    catalog.get(svc, uuid)
    if not data:
        raise Invalid.one("audio", "the body is empty; send the WAV file itself as the body")
    try:
        seconds = wav_seconds(io.BytesIO(data))
    except AudioRefused as exc:
        raise Invalid([("audio", reason) for reason in exc.reasons]) from None
    name = f"template-{uuid}.wav"
    try:
        _write_atomically(svc.audio_dir / name, data)
    except OSError as exc:
        log.error("cannot store audio", extra={"path": str(svc.audio_dir / name), "error": str(exc)})
        raise StorageProblem(f"cannot store the audio file: {exc.strerror} (check AUTOCALL_AUDIO_DIR)") from None
    now = local_now(svc)

    def change(current_raw: dict[str, str]) -> dict[str, str]:
        current = Template.from_redis(current_raw)
        return current.model_copy(update={"audio_file": name, "updated_at": now}).to_redis()

    try:
        stored = catalog.rewrite(svc, uuid, change)
    except NotFound:
        (svc.audio_dir / name).unlink(missing_ok=True)  # deleted while uploading: keep no orphan
        raise
    return Template.from_redis(stored), seconds
