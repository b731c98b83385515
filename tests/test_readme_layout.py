"""README's layout table matches the tree: it names every package folder, and every file it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("dialer", "simswitch", "tts", "httpclient")


def layout() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Layout") :].split("\n## ", 1)[0]


def test_every_package_folder_has_a_row_or_is_named_in_its_parents_row():
    table = layout()
    folders = {p.parent.relative_to(ROOT) for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    unnamed = [
        str(folder) for folder in sorted(folders) if f"`{folder}/" not in table and f"`{folder.name}/`" not in table
    ]
    assert unnamed == []


def test_every_file_the_layout_names_exists():
    names = set(re.findall(r"`([\w./-]+\.(?:py|lua|html|json|xml))`", layout()))
    present = {p.name for p in ROOT.rglob("*") if ".venv" not in p.parts and ".git" not in p.parts}
    assert sorted(n for n in names if Path(n).name not in present) == []
