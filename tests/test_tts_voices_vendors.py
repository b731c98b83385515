"""The voices file with the real vendor engines: every engine of the contract is there, and the
docs' example file loads and builds (issue 20)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tts.engines import registry
from tts.voices import load

DOCS = Path(__file__).parents[1] / "docs" / "tts.md"
ENGINES = ("espeak", "http", "fpt", "viettel", "vbee", "zalo", "google", "azure")
# The fewest settings each vendor needs (its credential), as a voices file writes them.
MINIMAL = {
    "fpt": 'key = "k"',
    "viettel": 'token = "k"',
    "vbee": 'token = "k"\napp_id = "app"',
    "zalo": 'key = "k"',
    "google": 'api_key = "k"',
    "azure": 'key = "k"\nregion = "southeastasia"',
}


@pytest.mark.parametrize("engine", ENGINES)
def test_every_engine_of_the_contract_is_in_this_build(engine):
    assert registry.config_model(engine).model_fields["engine"].annotation is not None


@pytest.mark.parametrize("engine", sorted(MINIMAL))
def test_a_vendor_voice_with_its_credential_builds_an_engine_of_that_name(tmp_path, engine):
    path = tmp_path / "voices.toml"
    path.write_text(f'default = "v"\n[voice.v]\nengine = "{engine}"\n{MINIMAL[engine]}\n')
    book = load(path, {})
    built = registry.build(book.voices["v"].config)
    assert built.name == engine and book.chain("v") == ("v", "espeak")


def test_the_docs_example_voices_file_loads_and_builds(tmp_path):
    example = re.search(r"```toml\n(default = .*?)```", DOCS.read_text(), re.S)
    assert example, "docs/tts.md has no voices file example"
    path = tmp_path / "voices.toml"
    path.write_text(example.group(1))
    book = load(path, {"FPT_TTS_KEY": "k1", "GOOGLE_TTS_KEY": "k2"})
    assert book.chain() == ("fpt-banmai", "google-vi", "espeak")
    assert [registry.build(book.voices[name].config).name for name in book.chain()] == ["fpt", "google", "espeak-ng"]
