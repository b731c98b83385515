"""tts never imports dialer: dialer imports tts, never the reverse."""

import ast
from pathlib import Path

TTS = Path(__file__).parents[1] / "tts"


def test_no_tts_module_imports_dialer():
    for path in TTS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n == "dialer" or n.startswith("dialer.") for n in names), path
