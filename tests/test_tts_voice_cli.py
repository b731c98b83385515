"""``autocall tts render --voice NAME``: hear a voice of the voices file (and learn when its fallback spoke)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tts.audio import wav_info

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng not installed (scripts/bootstrap)")

VOICES = """default = "cloud"

[voice.cloud]
engine = "http"
url = "http://127.0.0.1:9/tts"   # nothing listens: refused at once
timeout = 2
"""


def run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "t.txt").write_text("Xin chào {{ ten }}")
    (tmp_path / "voices.toml").write_text(VOICES)
    env = {k: v for k, v in os.environ.items() if k != "AUTOCALL_TTS_VOICES"}
    command = [sys.executable, "-m", "dialer.cli", "tts", "render", "--template", str(tmp_path / "t.txt")]
    command += ["--fields", '{"ten": "Lan"}', "--out", str(tmp_path / "out.wav"), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_a_voice_of_the_voices_file_speaks(tmp_path):
    out = run(tmp_path, "--voices", str(tmp_path / "voices.toml"), "--voice", "espeak")
    assert out.returncode == 0, out.stderr
    assert "spoken by espeak (espeak)" in out.stdout and wav_info(tmp_path / "out.wav")[0] == 8000


def test_a_failing_voice_says_so_and_which_fallback_spoke(tmp_path):
    out = run(tmp_path, "--voices", str(tmp_path / "voices.toml"))  # the default voice: cloud
    assert out.returncode == 3
    assert "voice 'cloud' did not speak (TTS service http://127.0.0.1:9/tts request failed" in out.stderr
    assert "spoken by espeak (espeak)" in out.stdout and (tmp_path / "out.wav").is_file()


def test_an_unknown_voice_is_refused_naming_the_voices(tmp_path):
    out = run(tmp_path, "--voices", str(tmp_path / "voices.toml"), "--voice", "fpt")
    assert out.returncode == 2 and "unknown voice 'fpt'; voices: cloud, espeak" in out.stderr
