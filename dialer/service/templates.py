"""Template operations: create, update, list, read, delete, audio upload.

A template is what a call says: an audio file under ``AUTOCALL_AUDIO_DIR``
(``autocall_audio``), a text with ``{{field}}`` placeholders the TTS renderer
fills from the lead's ``param`` (``autocall_voice_tts``), or the voice-OTP
settings. Everything a template names is checked when it is written, so a
campaign never finds out at dial time that its script cannot be played:

* ``text`` must be a Jinja2 template (sandboxed) made of plain text and
  ``{{ name }}`` placeholders only: no ``{% %}`` statements, filters,
  attribute or item access, calls or constants. :func:`placeholders` lists the
  names; the lead import requires each of them in ``param``.
* ``audio_file`` must be a plain file name in the audio directory holding a
  WAV FreeSWITCH plays without surprises: PCM 16-bit, mono, 8 or 16 kHz,
  0.1 s to 10 min (:func:`wav_seconds`). Uploads obey the same rules and are
  stored as ``template-<uuid>.wav``, written atomically.

Writes are atomic: create refuses a taken uuid, update and delete refuse a
template deleted meanwhile, and delete refuses a template a campaign uses,
each in one Redis transaction (WATCH/MULTI). The store keeps both
as one generic hash record (dialer/store/catalog.py, ``HashRecords``).
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import wave
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from pydantic import ValidationError

from dialer.api.schema_errors import schema_errors
from dialer.domain.ids import new_uuid
from dialer.domain.models import DEFAULT_TIME_ZONE, Template
from dialer.domain.window import zone
from dialer.routing.dialstring import UnsafeValue, escape_value
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound, ServiceError
from dialer.store.catalog import HashRecords
from dialer.store.errors import InUse
from tts.template import TextRefused, check_text

log = logging.getLogger("autocall.templates")

UUID_TAKEN = "template_uuid is already taken"
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


# -- store calls, with the store's refusals told as service errors ------------------
def rewrite(svc: Services, records: HashRecords[Any], change: Callable[[dict[str, str]], dict[str, str]],
            field: str, uuid: str) -> dict[str, str]:  # fmt: skip
    """Rewrite the object, then have every engine reload the campaigns whose ``field`` names it
    (a new text, audio file or gateway takes effect on running campaigns at once)."""
    try:
        new = records.rewrite(uuid, change)
    except KeyError:
        raise NotFound() from None
    campaigns = svc.store.campaigns
    users = [c.campaign_uuid for c in campaigns.get_many(campaigns.uuids()) if getattr(c, field) == uuid]
    if users:
        svc.store.campaigns.announce_changed(users)
    return new


def delete_unused(records: HashRecords[Any], uuid: str, what: str) -> None:
    try:
        records.delete_unused(uuid)
    except KeyError:
        raise NotFound() from None
    except InUse as exc:
        raise Conflict(f"{what} is used by campaign {exc.campaign_name}") from None


# -- operations -------------------------------------------------------------------
def _now(svc: Services) -> datetime:
    return datetime.fromtimestamp(svc.clock(), zone(DEFAULT_TIME_ZONE))


def _validated(values: dict[str, Any]) -> Template:
    try:
        return Template.model_validate(values)
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None


def _check(svc: Services, values: dict[str, Any], current: Template | None) -> None:
    errors: list[tuple[str, str]] = []
    if "text" in values:
        try:
            check_text(values["text"])
        except TextRefused as exc:
            errors.append(("text", str(exc)))
    name = values.get("audio_file")
    # An unchanged name is not checked again: a GET body sent back is always accepted.
    if name and (current is None or name != current.audio_file):
        errors += [("audio_file", message) for message in audio_file_errors(svc, name)]
    if errors:
        raise Invalid(errors)


def create(svc: Services, values: dict[str, Any]) -> Template:
    """A new template; ``template_uuid`` may be chosen by the client (409 if taken)."""
    values = {k: v for k, v in values.items() if k not in READ_ONLY}
    uuid = values.pop("template_uuid", "") or new_uuid()
    _check(svc, values, None)
    now = _now(svc)
    template = _validated({**values, "template_uuid": uuid, "created_at": now, "updated_at": now})
    if not svc.store.catalog.templates.create(template, svc.now_ms()):
        raise Conflict(UUID_TAKEN)
    return template


def get(svc: Services, uuid: str) -> Template:
    template = svc.store.catalog.templates.get(uuid)
    if template is None:
        raise NotFound()
    return template


def page(svc: Services, *, limit: int, offset: int) -> tuple[list[Template], int]:
    """Templates in creation order: (the page, total)."""
    uuids = svc.store.catalog.templates.uuids()
    return svc.store.catalog.templates.get_many(uuids[offset : offset + limit]), len(uuids)


def update(svc: Services, uuid: str, values: dict[str, Any]) -> Template:
    """Change the fields given (a field left out keeps its value)."""
    body_uuid = values.get("template_uuid")
    if body_uuid and body_uuid != uuid:
        raise Invalid.one("template_uuid", "template_uuid in the body differs from the one in the URL")
    values = {k: v for k, v in values.items() if k not in READ_ONLY and k != "template_uuid"}
    now = _now(svc)

    def change(current_raw: dict[str, str]) -> dict[str, str]:
        current = Template.from_redis(current_raw)
        _check(svc, values, current)
        return _validated({**current.model_dump(), **values, "updated_at": now}).to_redis()

    return Template.from_redis(rewrite(svc, svc.store.catalog.templates, change, "template_uuid", uuid))


def set_audio(svc: Services, uuid: str, data: bytes) -> tuple[Template, float]:
    """Store an uploaded WAV as ``template-<uuid>.wav`` and make it the template's audio."""
    get(svc, uuid)
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
    now = _now(svc)

    def change(current_raw: dict[str, str]) -> dict[str, str]:
        current = Template.from_redis(current_raw)
        return current.model_copy(update={"audio_file": name, "updated_at": now}).to_redis()

    try:
        stored = rewrite(svc, svc.store.catalog.templates, change, "template_uuid", uuid)
    except NotFound:
        (svc.audio_dir / name).unlink(missing_ok=True)  # deleted while uploading: keep no orphan
        raise
    return Template.from_redis(stored), seconds


def delete(svc: Services, uuid: str) -> None:
    """Delete a template no campaign uses; its uploaded audio goes too unless another template names it."""
    delete_unused(svc.store.catalog.templates, uuid, "template")
    name = f"template-{uuid}.wav"
    if all(other.audio_file != name for other in svc.store.catalog.templates.all()):
        (svc.audio_dir / name).unlink(missing_ok=True)
