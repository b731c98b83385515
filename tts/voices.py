"""The voices file (``AUTOCALL_TTS_VOICES``, TOML): named voices, each an engine's settings and a fallback.

::

    default = "fpt-banmai"

    [voice.fpt-banmai]
    engine = "fpt"
    voice = "banmai"
    key = "env:FPT_TTS_KEY"      # a secret (SecretStr) field may name an environment variable
    fallback = "google-vi"

    [voice.google-vi]
    engine = "google"
    voice = "vi-VN-Wavenet-A"
    key = "env:GOOGLE_TTS_KEY"   # no fallback: the built-in espeak voice is next

Every voice's chain (itself, its fallback, that one's fallback...) ends with
:data:`LAST_RESORT`, the built-in espeak-ng voice: a ``[voice.espeak]`` in the
file (engine ``espeak``) replaces its settings. Everything is checked when the
file is read, and every problem is reported at once, naming the voice and the
field: an unknown engine, a field the engine does not have or a bad value
(the engine's own ``CONFIG`` model says), an ``env:`` variable that is not set,
an unknown fallback or default, a fallback cycle.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr, ValidationError

from tts.engines.registry import UnknownEngine, config_model

LAST_RESORT = "espeak"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
ENV_PREFIX = "env:"


class VoicesError(ValueError):
    """The voices file cannot be used; the message lists every problem."""


@dataclass(frozen=True, slots=True)
class Voice:
    name: str
    config: BaseModel  # the engine's CONFIG, validated
    fallback: str = ""  # "" = the last resort next

    @property
    def engine(self) -> str:
        return str(getattr(self.config, "engine", ""))


@dataclass(frozen=True, slots=True)
class VoiceBook:
    """The configured voices (the last resort included) and which one a template with no voice gets."""

    voices: Mapping[str, Voice]
    default: str

    def names(self) -> tuple[str, ...]:
        return tuple(sorted(self.voices))

    def chain(self, name: str = "") -> tuple[str, ...]:
        """The voices tried for ``name`` ("" = the default), in order, ending with the last resort."""
        order = [name or self.default]
        while (nxt := self.voices[order[-1]].fallback) and nxt not in order:
            order.append(nxt)
        if LAST_RESORT not in order:
            order.append(LAST_RESORT)
        return tuple(order)

    def secrets(self) -> list[str]:
        """Every secret value the voices hold (for the log scrubber)."""
        found = []
        for voice in self.voices.values():
            for value in dict(voice.config).values():
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        return found


def espeak_voice(voice: str = "") -> Voice:
    return Voice(LAST_RESORT, config_model("espeak").model_validate({"engine": "espeak", "voice": voice or "vi"}))


def single(engine: str, *, url: str = "", key: str = "", voice: str = "") -> VoiceBook:
    """The voices of the settings AUTOCALL_TTS_ENGINE / _URL / _KEY / _VOICE (no voices file): one voice named
    after its engine, the default, falling back to the built-in espeak voice."""
    if engine == "espeak":
        return VoiceBook({LAST_RESORT: espeak_voice(voice)}, LAST_RESORT)
    fields = {"engine": engine, "url": url, "key": key, "voice": voice}
    try:
        config = config_model(engine).model_validate(fields)
    except ValidationError as exc:
        raise VoicesError("; ".join(_problems(f"AUTOCALL_TTS_ENGINE={engine}", exc))) from None
    return VoiceBook({engine: Voice(engine, config), LAST_RESORT: espeak_voice()}, engine)


def load(path: str | Path, environ: Mapping[str, str] | None = None) -> VoiceBook:
    """The voices file at ``path``, checked. Raises :class:`VoicesError` naming every problem."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except OSError as exc:
        raise VoicesError(f"voices file {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise VoicesError(f"voices file {path} is not TOML: {exc}") from None
    return parse(data, str(path), os.environ if environ is None else environ)


def parse(data: Mapping[str, Any], source: str, environ: Mapping[str, str]) -> VoiceBook:
    problems = [
        f"unknown top-level key {k!r} (expected default and [voice.<name>])"
        for k in data
        if k not in ("default", "voice")
    ]
    tables = data.get("voice", {})
    if not isinstance(tables, dict):
        tables, problems = {}, [*problems, "voice must be tables: [voice.<name>]"]
    voices: dict[str, Voice] = {LAST_RESORT: espeak_voice()}
    for name, table in tables.items():
        where = f"voice {name!r}"
        if not NAME.fullmatch(name):
            problems.append(f"{where}: a name is 1-64 of a-z 0-9 _ - (starting with a letter or digit)")
            continue
        if not isinstance(table, dict):
            problems.append(f"{where}: must be a table ([voice.{name}])")
            continue
        fields = dict(table)
        fallback = fields.pop("fallback", "")
        engine = fields.get("engine")
        if not isinstance(engine, str):
            problems.append(f"{where}: engine is missing (one of the engine names in docs/tts.md)")
            continue
        if name == LAST_RESORT and (engine != "espeak" or fallback):
            problems.append(f'{where}: the last-resort voice is engine = "espeak", with no fallback')
            continue
        try:
            model = config_model(engine)
        except UnknownEngine as exc:
            problems.append(f"{where}: {exc}")
            continue
        fields, missing = _from_environment(model, fields, environ)
        problems += [f"{where}: {m}" for m in missing]
        try:
            config = model.model_validate(fields)
        except ValidationError as exc:
            problems += _problems(where, exc)
            continue
        if not isinstance(fallback, str):
            problems.append(f"{where}: fallback must be a voice name")
            fallback = ""
        voices[name] = Voice(name, config, fallback)
    problems += _fallback_problems(voices, set(tables))
    default = data.get("default", "")
    if not isinstance(default, str) or not default:
        problems.append('default is missing: default = "<voice name>" (the voice of a template that names none)')
    elif default not in voices and default not in tables:  # (a voice with problems of its own: reported above)
        problems.append(f"default names unknown voice {default!r}; voices: {', '.join(sorted(voices))}")
    if problems:
        raise VoicesError(f"voices file {source}: " + "; ".join(problems))
    return VoiceBook(voices, default)


def _from_environment(
    model: type[BaseModel], fields: dict[str, Any], environ: Mapping[str, str]
) -> tuple[dict[str, Any], list[str]]:
    """Secret fields given as ``env:NAME`` take the variable's value (keys stay out of the file)."""
    missing = []
    for field, info in model.model_fields.items():
        value = fields.get(field)
        secret = info.annotation is SecretStr or SecretStr in get_args(info.annotation)  # SecretStr | None too
        if secret and isinstance(value, str) and value.startswith(ENV_PREFIX):
            var = value[len(ENV_PREFIX) :]
            if var in environ:
                fields[field] = environ[var]
            else:
                missing.append(f"{field}: environment variable {var} is not set")
    return fields, missing


def _problems(where: str, exc: ValidationError) -> list[str]:
    return [f"{where}: {'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}" for e in exc.errors()]


def _fallback_problems(voices: Mapping[str, Voice], named: set[str]) -> list[str]:
    problems = []
    for name, voice in voices.items():
        if voice.fallback and voice.fallback not in voices and voice.fallback not in named:
            problems.append(f"voice {name!r}: fallback names unknown voice {voice.fallback!r}")
    for start in voices:
        seen: list[str] = []
        name = start
        while name in voices and name not in seen:
            seen.append(name)
            name = voices[name].fallback
        if name == start and len(seen) > 0 and voices[start].fallback:
            problems.append(f"fallback cycle: {' -> '.join([*seen, start])}")
            break  # one cycle is reported once (from its first voice)
    return problems
