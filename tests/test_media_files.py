"""An audio template's file: resolved at most every ``recheck_s`` for the calls, and still checked at each call.

The clock is injected: no test waits for time to pass.
"""

from __future__ import annotations

import pathlib
from pathlib import Path

import pytest

from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.media import MessageFiles, MessageUnavailable


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path):
    audio_dir = tmp_path / "audio"
    (audio_dir / "sub").mkdir(parents=True)
    (audio_dir / "sub" / "hello.wav").write_bytes(b"RIFF")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "hello.wav").write_bytes(b"RIFF")
    clock = Clock()
    files = MessageFiles(audio_dir, recheck_s=2.0, clock=clock)
    campaign = Campaign(campaign_name="c", type_autocall=TypeAutocall.AUDIO)
    template = Template(template_name="t", audio_file="sub/hello.wav")
    return files, clock, campaign, template, audio_dir, outside


def play(files: MessageFiles, campaign: Campaign, template: Template) -> Path:
    return files.for_call(campaign, template, {})


def test_the_file_is_resolved_once_per_recheck_interval(setup, monkeypatch):
    files, clock, campaign, template, audio_dir, _ = setup
    expected = (audio_dir / "sub" / "hello.wav").resolve()
    resolved = []
    original = pathlib.Path.resolve

    def counting(self, *a, **kw):
        resolved.append(self)
        return original(self, *a, **kw)

    monkeypatch.setattr(pathlib.Path, "resolve", counting)
    paths = {play(files, campaign, template) for _ in range(5)}
    assert paths == {expected} and len(resolved) == 1
    clock.now += 2.0
    play(files, campaign, template)
    assert len(resolved) == 2


def test_a_deleted_file_fails_the_very_next_call_as_before(setup):
    files, _, campaign, template, audio_dir, _ = setup
    play(files, campaign, template)
    (audio_dir / "sub" / "hello.wav").unlink()
    path = (audio_dir / "sub" / "hello.wav").resolve()
    with pytest.raises(MessageUnavailable, match=f"audio file {path} does not exist"):
        play(files, campaign, template)


def test_a_file_replaced_by_a_symlink_out_of_the_directory_fails_the_very_next_call(setup):
    files, _, campaign, template, audio_dir, outside = setup
    play(files, campaign, template)
    (audio_dir / "sub" / "hello.wav").unlink()
    (audio_dir / "sub" / "hello.wav").symlink_to(outside / "hello.wav")
    with pytest.raises(MessageUnavailable, match="is not inside"):
        play(files, campaign, template)


def test_a_directory_turned_into_a_symlink_out_is_refused_at_the_next_full_look(setup):
    files, clock, campaign, template, audio_dir, outside = setup
    play(files, campaign, template)
    (audio_dir / "sub" / "hello.wav").unlink()
    (audio_dir / "sub").rmdir()
    (audio_dir / "sub").symlink_to(outside)
    clock.now += 1.9
    play(files, campaign, template)  # within recheck_s: only the file itself was looked at
    clock.now += 0.1
    with pytest.raises(MessageUnavailable, match="is not inside"):
        play(files, campaign, template)
    with pytest.raises(MessageUnavailable, match="is not inside"):
        play(files, campaign, template)  # a refusal is not kept: looked up in full each time


def test_the_holds_full_look_drops_a_file_gone_and_finds_it_back(setup):
    files, _, campaign, template, audio_dir, _ = setup
    play(files, campaign, template)
    (audio_dir / "sub" / "hello.wav").unlink()
    with pytest.raises(MessageUnavailable):
        files.audio("sub/hello.wav")  # what the campaign holds call (dialer/readiness.py)
    with pytest.raises(MessageUnavailable):
        play(files, campaign, template)
    (audio_dir / "sub" / "hello.wav").write_bytes(b"RIFF")
    assert play(files, campaign, template) == (audio_dir / "sub" / "hello.wav").resolve()
