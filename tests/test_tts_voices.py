"""The voices file (AUTOCALL_TTS_VOICES) and the engine registry: what is accepted, and every problem named at start."""

from __future__ import annotations

import sys
import types
from typing import Literal

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from dialer.config import Settings
from tts.engines import registry
from tts.engines.espeak import EspeakEngine
from tts.engines.http import HttpEngine
from tts.voices import VoicesError, load, single

HTTP = '[voice.cloud]\nengine = "http"\nurl = "http://127.0.0.1:9/tts"\n'


def write(tmp_path, text: str):
    path = tmp_path / "voices.toml"
    path.write_text(text)
    return path


def problem(tmp_path, text: str, environ=None) -> str:
    with pytest.raises(VoicesError) as info:
        load(write(tmp_path, text), environ or {})
    return str(info.value)


class FakeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    engine: Literal["fpt"]
    voice: str = "banmai"
    key: SecretStr = SecretStr("")


class FakeEngine:
    name = "fpt"

    def __init__(self, config: FakeConfig) -> None:
        self.voice, self.settings, self.key = config.voice, "", config.key.get_secret_value()

    def synthesize(self, text: str) -> tuple[bytes, int]:
        return b"\x01\x00" * 800, 8000


@pytest.fixture
def fake_fpt(monkeypatch):
    """A vendor module to the engine contract, standing in for tts/engines/fpt.py (another branch)."""
    module = types.ModuleType("tts.engines.fpt")
    module.CONFIG = FakeConfig  # type: ignore[attr-defined]
    module.build = FakeEngine  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tts.engines.fpt", module)
    return module


# -- the registry -----------------------------------------------------------------
def test_the_registry_builds_espeak_and_http_from_their_config():
    espeak = registry.build(registry.config_model("espeak").model_validate({"engine": "espeak", "speed": 120}))
    http = registry.build(registry.config_model("http").model_validate({"engine": "http", "url": "http://h/tts"}))
    assert isinstance(espeak, EspeakEngine) and espeak.speed_wpm == 120 and espeak.voice == "vi"
    assert isinstance(http, HttpEngine) and http.url == "http://h/tts" and http.timeout == 10.0


def test_the_registry_imports_a_vendor_module_by_its_engine_name(fake_fpt):
    engine = registry.build(registry.config_model("fpt").model_validate({"engine": "fpt", "voice": "leminh"}))
    assert isinstance(engine, FakeEngine) and engine.voice == "leminh"


def test_an_engine_not_in_this_build_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "tts.engines.zalo", None)  # import of it fails as if absent
    with pytest.raises(registry.UnknownEngine, match="zalo"):
        registry.config_model("zalo")


def test_a_module_breaking_the_contract_is_refused(monkeypatch):
    monkeypatch.setitem(sys.modules, "tts.engines.vbee", types.ModuleType("tts.engines.vbee"))
    with pytest.raises(registry.UnknownEngine, match="does not export CONFIG"):
        registry.config_model("vbee")


# -- the voices file ----------------------------------------------------------------
def test_a_voice_falls_back_through_its_chain_to_espeak(tmp_path, fake_fpt):
    book = load(
        write(tmp_path, f'default = "fpt-banmai"\n{HTTP}[voice.fpt-banmai]\nengine = "fpt"\nfallback = "cloud"\n'), {}
    )
    assert book.chain() == ("fpt-banmai", "cloud", "espeak")
    assert book.chain("cloud") == ("cloud", "espeak")
    assert book.names() == ("cloud", "espeak", "fpt-banmai")


def test_a_secret_field_may_name_an_environment_variable(tmp_path, fake_fpt):
    book = load(
        write(tmp_path, 'default = "f"\n[voice.f]\nengine = "fpt"\nkey = "env:FPT_KEY"\n'), {"FPT_KEY": "s3cret"}
    )
    assert book.voices["f"].config.key.get_secret_value() == "s3cret"  # type: ignore[attr-defined]
    assert book.secrets() == ["s3cret"]


def test_an_espeak_voice_in_the_file_replaces_the_built_in_one(tmp_path):
    book = load(write(tmp_path, 'default = "espeak"\n[voice.espeak]\nengine = "espeak"\nspeed = 120\n'), {})
    assert book.chain() == ("espeak",) and book.voices["espeak"].config.speed == 120  # type: ignore[attr-defined]


def test_an_unknown_engine_is_named_with_its_voice(tmp_path):
    assert "voice 'x': unknown engine 'acme'" in problem(tmp_path, 'default = "x"\n[voice.x]\nengine = "acme"\n')


def test_a_field_the_engine_does_not_have_is_named_with_its_voice(tmp_path):
    text = f'default = "cloud"\n{HTTP}speed = 2\n'
    assert "voice 'cloud': speed: Extra inputs are not permitted" in problem(tmp_path, text)


def test_a_bad_value_is_named_with_its_voice_and_field(tmp_path):
    text = f'default = "cloud"\n{HTTP}timeout = -1\n'
    assert "voice 'cloud': timeout: Input should be greater than 0" in problem(tmp_path, text)


def test_an_unset_environment_variable_is_named(tmp_path):
    text = f'default = "cloud"\n{HTTP}key = "env:NOPE"\n'
    assert "voice 'cloud': key: environment variable NOPE is not set" in problem(tmp_path, text)


def test_an_unknown_fallback_is_named(tmp_path):
    text = f'default = "cloud"\n{HTTP}fallback = "ghost"\n'
    assert "voice 'cloud': fallback names unknown voice 'ghost'" in problem(tmp_path, text)


def test_a_fallback_cycle_is_named(tmp_path):
    text = 'default = "a"\n' + "".join(
        f'[voice.{n}]\nengine = "http"\nurl = "http://h/{n}"\nfallback = "{f}"\n' for n, f in ("ab", "bc", "ca")
    )
    assert "fallback cycle: a -> b -> c -> a" in problem(tmp_path, text)


def test_a_missing_or_unknown_default_is_named(tmp_path):
    assert "default is missing" in problem(tmp_path, HTTP)
    assert "default names unknown voice 'nope'" in problem(tmp_path, f'default = "nope"\n{HTTP}')


def test_every_problem_is_reported_at_once(tmp_path):
    text = 'default = "a"\n[voice.a]\nengine = "acme"\n[voice.b]\nengine = "http"\n'
    message = problem(tmp_path, text)
    assert "voice 'a': unknown engine" in message and "voice 'b': url: Field required" in message


def test_a_file_that_is_not_toml_is_named(tmp_path):
    assert "is not TOML" in problem(tmp_path, "default = \n")


def test_the_settings_refuse_a_bad_voices_file_at_start(tmp_path):
    path = write(tmp_path, 'default = "x"\n[voice.x]\nengine = "acme"\n')
    with pytest.raises(ValueError, match="unknown engine 'acme'"):
        Settings(tts_voices=str(path))


def test_without_a_voices_file_the_old_settings_describe_the_default_voice():
    book = Settings(tts_engine="http", tts_url="http://h/tts", tts_voice="banmai").voice_book()
    assert book is not None and book.chain() == ("http", "espeak")
    assert book.voices["http"].config.voice == "banmai"  # type: ignore[attr-defined]
    assert single("espeak", voice="vi").chain() == ("espeak",)
    assert Settings(tts_engine="none").voice_book() is None


def test_the_daemon_builds_every_voice_with_the_render_budget_of_the_lease(tmp_path, monkeypatch):
    from dialer.daemon import build_renderer

    monkeypatch.setenv("CLOUD_KEY", "k-123")
    path = write(tmp_path, f'default = "cloud"\n{HTTP}key = "env:CLOUD_KEY"\n')
    settings = Settings(tts_voices=str(path), audio_dir=tmp_path / "audio", lease_seconds=30)
    renderer = build_renderer(settings)
    assert renderer.voices.names() == ("cloud", "espeak") and renderer.voices.budget_s == 9.5
    assert renderer.voices.synths["cloud"].engine.key == "k-123"
    assert "k-123" in settings.secrets()  # the log scrubber hides it
