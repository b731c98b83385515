"""Settings: AUTOCALL_* variables over a YAML/JSON file, enumerated values as Literal types, secrets as
SecretStr (dialer/config.py; every setting is listed in docs/configuration.md, tests/test_config_doc.py)."""

from __future__ import annotations

import json
import os

import pytest
from pydantic import SecretStr, ValidationError

from dialer import cli
from dialer.config import Settings


@pytest.fixture(autouse=True)
def no_autocall_environment(monkeypatch):
    """Each spec sets the variables it reads; none leaks in from the session."""
    for name in [n for n in os.environ if n.startswith("AUTOCALL_")]:
        monkeypatch.delenv(name)


# -- the file -------------------------------------------------------------------------------------------
def test_a_yaml_file_sets_what_it_names_and_the_environment_wins_over_it(tmp_path, monkeypatch):
    path = tmp_path / "autocall.yaml"
    path.write_text("redis_prefix: from-file\nlog_level: debug\ntts_rate: 16000\napi_tokens: a, b\n")
    monkeypatch.setenv("AUTOCALL_LOG_LEVEL", "warning")
    settings = Settings.load(str(path))
    assert (settings.redis_prefix, settings.log_level, settings.tts_rate) == ("from-file", "WARNING", 16000)
    assert settings.tokens() == ["a", "b"] and isinstance(settings, Settings)


def test_a_json_file_is_read_too(tmp_path):
    path = tmp_path / "autocall.json"
    path.write_text(json.dumps({"redis_prefix": "from-json", "webhook_allow_private": True}))
    settings = Settings.load(str(path))
    assert (settings.redis_prefix, settings.webhook_allow_private) == ("from-json", True)


def test_without_a_file_the_environment_and_the_defaults(monkeypatch):
    monkeypatch.setenv("AUTOCALL_TTS_RATE", "16000")
    settings = Settings.load(None)
    assert (settings.tts_rate, settings.redis_prefix, settings.tts_engine) == (16000, "autocall", "espeak")


def test_a_missing_file_is_an_error_not_the_defaults(tmp_path):
    with pytest.raises(FileNotFoundError, match="no configuration file"):
        Settings.load(str(tmp_path / "nowhere.yaml"))


@pytest.mark.parametrize("text", ["redis_prefix: [unclosed\n", "- a list\n- not settings\n"], ids=["not YAML", "list"])
def test_a_file_that_is_not_a_mapping_is_an_error_naming_the_file(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=f"{path} is not a YAML mapping of setting names to values"):
        Settings.load(str(path))


def test_an_unknown_name_in_the_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "autocall.yaml"
    path.write_text("redis_prefx: typo\n")
    with pytest.raises(ValidationError, match="redis_prefx"):
        Settings.load(str(path))


def test_the_cli_reads_the_file_and_says_what_is_wrong_with_it(tmp_path, capsys, redis_server):
    path = tmp_path / "autocall.yaml"
    path.write_text(f"redis_url: {redis_server['url']}\n")
    assert cli.main(["status", "--json", "--config", str(path)]) == 0
    assert "campaigns" in json.loads(capsys.readouterr().out)
    path.write_text("redis_url: [\n")
    assert cli.main(["status", "--config", str(path)]) == 2
    assert "autocall status: bad configuration:" in capsys.readouterr().err


# -- enumerated settings --------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "level"), [("info", "INFO"), ("Debug", "DEBUG"), ("WARN", "WARN")])
def test_the_log_level_is_one_of_loggings_names_in_any_case(monkeypatch, given, level):
    monkeypatch.setenv("AUTOCALL_LOG_LEVEL", given)
    assert Settings().log_level == level


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("log_level", "verbose"),
        ("tts_rate", "44100"),
        ("tts_rate", "8k"),
        ("tts_engine", "polly"),
        ("tts_engine", "HTTP"),
    ],
)
def test_an_enumerated_setting_refuses_anything_else_naming_the_setting(monkeypatch, name, value):
    monkeypatch.setenv(f"AUTOCALL_{name.upper()}", value)
    with pytest.raises(ValidationError, match=name):
        Settings()


# -- secrets ------------------------------------------------------------------------------------------
SECRET_SETTINGS = [
    "redis_url",
    "freeswitch",
    "api_tokens",
    "webhook_secret",
    "cdr_secret",
    "encryption_key",
    "encryption_old_keys",
    "tts_key",
]
KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="  # base64 of 32 bytes


def test_every_secret_and_every_url_that_may_carry_a_password_is_a_secret_str():
    assert [n for n, f in Settings.model_fields.items() if f.annotation is SecretStr] == SECRET_SETTINGS


def test_no_dump_of_the_settings_shows_a_secret():
    settings = Settings(
        redis_url="redis://:redis-secret@r:6379/0",
        freeswitch="esl://:esl-secret@fs1:8021",
        api_tokens="token-secret",
        webhook_secret="hook-secret",
        cdr_secret="cdr-secret",
        encryption_key=KEY,
        tts_key="tts-secret",
    )
    shown = repr(settings) + str(settings) + settings.model_dump_json() + str(settings.model_dump())
    for secret in ("redis-secret", "esl-secret", "token-secret", "hook-secret", "cdr-secret", KEY, "tts-secret"):
        assert secret not in shown
        assert secret in settings.secrets()
    assert settings.redis_url.get_secret_value() == "redis://:redis-secret@r:6379/0"
