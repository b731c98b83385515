"""Recorded prompt sets: create, list, get, rename and delete a set; upload and delete its prompts.

A prompt set is the human recordings voice OTPs and the numbers of a template
are assembled from (the speech renderer is handed its directory): one WAV per
key of tts/prompt_keys.py, ``<AUTOCALL_AUDIO_DIR>/prompts/<uuid>/<key>.wav``
(:func:`dialer.domain.prompt_sets.prompt_dir`). An upload obeys the template
audio's rules (:func:`dialer.service.templates.wav_seconds`: 16-bit PCM, mono,
8 or 16 kHz) with a shorter limit per kind of prompt (:func:`max_seconds`), and
is written the same way (temporary file, fsync, ``os.replace``, mode 0644).
Redis keeps each recorded key's length and rate, so a listing reads no file.

A set is deleted, with its directory, only while no template names it; a
template naming a set is checked against it when written
(dialer/service/templates.py). A prompt uploaded or deleted reloads the
campaigns whose template names the set, so their holds look at once.
"""

from __future__ import annotations

import io
import logging
import shutil
import wave
from collections.abc import Callable
from typing import Any

from dialer.domain.prompt_sets import PromptSet, Recorded, prompt_dir
from dialer.service.catalog import Catalog, local_now
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.templates import AudioRefused, StorageProblem, _write_atomically, wav_seconds
from dialer.store.catalog import HashRecords
from dialer.store.errors import NamedByTemplates
from dialer.store.store import Store
from tts.prompt_keys import OPTIONAL, PHRASE_PREFIX, PROMPTS, REQUIRED, is_prompt_key

log = logging.getLogger("autocall.prompt_sets")

READ_ONLY = frozenset({"created_at", "updated_at", "prompts", "missing", "complete", "words"})
MAX_UPLOAD = 20 << 20  # bytes: a 10-minute phrase at 16 kHz is 19.2 MB
WORD_MAX_SECONDS = 10.0  # a digit or number word: a recording this long is a mistake (a whole take uploaded)
SENTENCE_MAX_SECONDS = 30.0  # the OTP intro and "xin nhắc lại"
PHRASE_MAX_SECONDS = 600.0  # a template's recorded segment: as long as template audio may be
KEYS_HELP = (
    f"the keys are {', '.join(PROMPTS)} and phrase-<name> (name: a-z, 0-9, _ and -, at most 40) "
    "for a template's [[name]]"
)


def max_seconds(key: str) -> float:
    if key.startswith(PHRASE_PREFIX):
        return PHRASE_MAX_SECONDS
    return SENTENCE_MAX_SECONDS if " " in PROMPTS[key] else WORD_MAX_SECONDS


def word(key: str) -> str:
    """What the recording of ``key`` says (a phrase: how a template names it)."""
    return PROMPTS.get(key) or f"[[{key[len(PHRASE_PREFIX) :]}]]"


def checked_key(key: str) -> str:
    if not is_prompt_key(key):
        raise Invalid.one("key", f"{key!r} is not a prompt of a set; {KEYS_HELP}")
    return key


def measured(key: str, data: bytes) -> Recorded:
    """The upload's length and rate, or :class:`Invalid` with every reason (the template audio's rules)."""
    if not data:
        raise Invalid.one("audio", "the body is empty; send the WAV file itself as the body")
    try:
        seconds = wav_seconds(io.BytesIO(data))
        with wave.open(io.BytesIO(data), "rb") as w:
            rate = w.getframerate()
        limit = max_seconds(key)
        if seconds > limit:
            raise AudioRefused([f"must be at most {limit:g} s long for {key} ({word(key)}); this file is {seconds} s"])
    except AudioRefused as exc:
        raise Invalid([("audio", reason) for reason in exc.reasons]) from None
    return Recorded(seconds=seconds, rate=rate)


def view_fields(prompt_set: PromptSet) -> dict[str, Any]:
    """What a view adds: each recording with its word, the required keys missing, and every word to record."""
    missing = prompt_set.missing()
    return {
        "prompts": {k: {"word": word(k), **r.model_dump()} for k, r in sorted(prompt_set.prompts.items())},
        "missing": missing,
        "complete": not missing,
        "words": {"required": dict(REQUIRED), "optional": dict(OPTIONAL)},
    }


class PromptSets(Catalog[PromptSet]):
    """Stored as one JSON hash per set (dialer/store/prompt_sets.py), stamped; the files beside."""

    kind = "prompt-set"
    model = PromptSet
    read_only = READ_ONLY
    stamped = True

    @property
    def uuid_field(self) -> str:
        return "prompt_set_uuid"

    def records(self, store: Store) -> HashRecords[PromptSet]:
        return store.prompt_sets

    def rewrite(self, svc: Services, uuid: str, change: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Rewrite the set, then have the engines reload the campaigns whose template names it."""
        try:
            new = svc.store.prompt_sets.rewrite(uuid, change)
        except KeyError:
            raise NotFound() from None
        templates = {t.template_uuid for t in svc.store.prompt_sets.named_by(uuid)}
        if templates:
            campaigns = svc.store.campaigns
            users = [c.campaign_uuid for c in campaigns.get_many(campaigns.uuids()) if c.template_uuid in templates]
            if users:
                campaigns.announce_changed(users)
        return new

    def delete(self, svc: Services, uuid: str) -> None:
        """Delete a set no template names (409 names them all), and its recordings."""
        try:
            svc.store.prompt_sets.delete_unused(uuid)
        except KeyError:
            raise NotFound() from None
        except NamedByTemplates as exc:
            names = ", ".join(exc.template_names)
            raise Conflict(
                f"prompt set is used by template{'s' if len(exc.template_names) > 1 else ''} {names}"
            ) from None
        shutil.rmtree(prompt_dir(svc.audio_dir, uuid), ignore_errors=True)


catalog = PromptSets()


def _changed(svc: Services, uuid: str, edit: Callable[[PromptSet], dict[str, Recorded]]) -> PromptSet:
    now = local_now(svc)

    def change(current_raw: dict[str, str]) -> dict[str, str]:
        records = svc.store.prompt_sets
        current = records.from_hash(current_raw)
        return records.to_hash(current.model_copy(update={"prompts": edit(current), "updated_at": now}))

    return svc.store.prompt_sets.from_hash(catalog.rewrite(svc, uuid, change))


def set_prompt(svc: Services, uuid: str, key: str, data: bytes) -> tuple[PromptSet, Recorded]:
    """Store an uploaded WAV as the set's ``<key>.wav`` (replacing one recorded before)."""
    catalog.get(svc, uuid)
    recorded = measured(checked_key(key), data)
    folder = prompt_dir(svc.audio_dir, uuid)
    path = folder / f"{key}.wav"
    try:
        folder.mkdir(mode=0o755, parents=True, exist_ok=True)
        _write_atomically(path, data)
    except OSError as exc:
        log.error("cannot store a prompt", extra={"path": str(path), "error": str(exc)})
        raise StorageProblem(f"cannot store the prompt file: {exc.strerror} (check AUTOCALL_AUDIO_DIR)") from None
    try:
        stored = _changed(svc, uuid, lambda current: {**current.prompts, key: recorded})
    except NotFound:
        shutil.rmtree(folder, ignore_errors=True)  # the set was deleted while uploading: keep no orphan
        raise
    return stored, recorded


def delete_prompt(svc: Services, uuid: str, key: str) -> PromptSet:
    """Forget the recording of ``key`` and remove its file (404 if it was not recorded)."""
    checked_key(key)
    if key not in catalog.get(svc, uuid).prompts:
        raise NotFound(f"{key} is not recorded in this prompt set")

    def without(current: PromptSet) -> dict[str, Recorded]:
        if key not in current.prompts:
            raise NotFound(f"{key} is not recorded in this prompt set")
        return {k: r for k, r in current.prompts.items() if k != key}

    stored = _changed(svc, uuid, without)
    (prompt_dir(svc.audio_dir, uuid) / f"{key}.wav").unlink(missing_ok=True)
    return stored
