"""docs/configuration.md lists every setting of autocall serve."""

from pathlib import Path

from dialer.config import Settings

DOC = (Path(__file__).parents[1] / "docs" / "configuration.md").read_text()


def test_every_setting_is_documented():
    for name in Settings.model_fields:
        assert f"`AUTOCALL_{name.upper()}`" in DOC, name
