"""Dialer.dial on one batch of claims, with no FreeSWITCH: what is worked out once (the campaign's originate plan,
the audio file) still fails each call that it would have failed one by one, and the same way."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import gevent.event
import pytest

from dialer.domain.context import CampaignContext
from dialer.domain.enums import TypeAutocall
from dialer.domain.models import Campaign, Template
from dialer.engine.dialing import Dialer
from dialer.media import MessageFiles
from dialer.outcomes.own_causes import NO_MESSAGE
from dialer.store.records import Claim


class Tracker:
    def __init__(self) -> None:
        self.added: list[str] = []
        self.failed: list[tuple[str, str, str]] = []

    def add(self, att) -> None:
        self.added.append(att.call_uuid)

    def fail(self, att, cause: str) -> None:
        self.failed.append((att.call_uuid, cause, att.detail))


def claim(campaign: Campaign, n: int) -> Claim:
    call = f"0000000{n}-0000-4000-8000-000000000000"
    return Claim(campaign.campaign_uuid, f"lead-{n}", call, "viettel", 0, ["0981234567"], {}, 0, 0, "")


@pytest.fixture
def dialling(tmp_path: Path):
    (tmp_path / "hello.wav").write_bytes(b"RIFF")
    sent: list[list[str]] = []
    accepted = gevent.event.AsyncResult()  # FreeSWITCH's reply to a bgapi
    accepted.set(SimpleNamespace(ok=True))

    def send_originates(commands: list[str]) -> list[gevent.event.AsyncResult]:  # Node.send_originates
        sent.append(commands)
        return [accepted] * len(commands)

    node = SimpleNamespace(
        name="fs1", ready=True, conn=None, command_timeout=1.0, send_originates=send_originates, engine_tag=""
    )
    tracker = Tracker()
    dialer = Dialer(
        [node],  # type: ignore[list-item]
        tracker,  # type: ignore[arg-type]
        SimpleNamespace(attempt=lambda *a: None),  # type: ignore[arg-type]
        MessageFiles(tmp_path),
        held_now=lambda ctx: False,
        default_gateway="gw1",
    )

    def dial(campaign: Campaign, *batches: list[int]) -> None:
        ctx = CampaignContext(campaign, None, Template(template_name="t", audio_file="hello.wav"))
        for numbers in batches:
            dialer.dial(node, ctx, [claim(campaign, n) for n in numbers])  # type: ignore[arg-type]

    return SimpleNamespace(dial=dial, sent=sent, tracker=tracker, audio=tmp_path / "hello.wav")


def test_a_campaign_whose_own_value_cannot_be_carried_fails_every_call_and_sends_nothing(dialling):
    campaign = Campaign(campaign_uuid="c}{", campaign_name="c", type_autocall=TypeAutocall.AUDIO)
    dialling.dial(campaign, [1, 2], [3])
    assert dialling.sent == []
    assert [(call[:9], cause) for call, cause, _ in dialling.tracker.failed] == [
        (f"0000000{n}-", NO_MESSAGE) for n in (1, 2, 3)
    ]
    assert all("variable 'autocall_campaign'" in detail for _, _, detail in dialling.tracker.failed)


def test_an_audio_file_is_looked_up_once_per_batch_and_a_missing_one_fails_each_call(dialling, monkeypatch):
    looks: list[str] = []
    real = MessageFiles.audio_for_call
    monkeypatch.setattr(MessageFiles, "audio_for_call", lambda self, name: looks.append(name) or real(self, name))
    campaign = Campaign(campaign_name="c", type_autocall=TypeAutocall.AUDIO)
    dialling.dial(campaign, [1, 2, 3], [4, 5, 6])
    assert looks == ["hello.wav", "hello.wav"] and [len(batch) for batch in dialling.sent] == [3, 3]
    assert all(f"autocall_file={dialling.audio.resolve()}" in c for batch in dialling.sent for c in batch)

    dialling.audio.unlink()
    dialling.dial(campaign, [7, 8])
    assert len(dialling.sent) == 2
    why = f"audio file {dialling.audio.resolve()} does not exist"
    assert dialling.tracker.failed == [(f"0000000{n}-0000-4000-8000-000000000000", NO_MESSAGE, why) for n in (7, 8)]
