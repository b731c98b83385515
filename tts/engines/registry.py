"""Engine name -> its module ``tts.engines.<engine>``: the settings model (``CONFIG``) and ``build(config)``.

Every engine module follows one contract (docs/tts.md): ``CONFIG``, a pydantic
model (``extra="forbid"``) whose ``engine`` field is ``Literal["<engine>"]``,
and ``build(config) -> SpeechEngine``. Modules are imported by name when a
voice names their engine, so a process that speaks only espeak-ng never
imports a vendor's module, and a vendor module missing from a build is a clear
startup error rather than an import failure at the first call.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from tts.engines.base import SpeechEngine

ENGINES = ("espeak", "http", "fpt", "viettel", "vbee", "zalo", "google", "azure")


class UnknownEngine(ValueError):
    """No such engine, or its module is not in this build, or it does not follow the contract."""


def engine_module(engine: str) -> ModuleType:
    """The module of ``engine`` (one of :data:`ENGINES`), checked to export ``CONFIG`` and ``build``."""
    if engine not in ENGINES:
        raise UnknownEngine(f"unknown engine {engine!r}; engines: {', '.join(ENGINES)}")
    name = f"tts.engines.{engine}"
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:  # the module is there but something it imports is not: say which
            raise UnknownEngine(f"engine {engine!r} cannot be loaded: {exc}") from None
        raise UnknownEngine(f"engine {engine!r} is not in this build (no module {name})") from None
    config, build = getattr(module, "CONFIG", None), getattr(module, "build", None)
    if not (isinstance(config, type) and issubclass(config, BaseModel) and callable(build)):
        raise UnknownEngine(f"module {name} does not export CONFIG (a pydantic model) and build(config)")
    return module


def config_model(engine: str) -> type[BaseModel]:
    """The settings model of ``engine``'s voices."""
    model: type[BaseModel] = engine_module(engine).CONFIG
    return model


def build(config: BaseModel) -> SpeechEngine:
    """The engine a validated ``CONFIG`` describes."""
    engine: Any = engine_module(str(getattr(config, "engine", ""))).build(config)
    return engine
