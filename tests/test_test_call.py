"""``autocall test-call 1000``: a softphone rung through the engine's own path."""

from __future__ import annotations

import shutil
import time

import pytest

from dialer import cli
from simswitch import Scenario
from tests.engine_fixtures import write_wav

PASSWORD = "test-call-esl-password"
SOFTPHONE = Scenario(
    rules=[{"match": "^1000$", "ring": 0.2, "answer": {"talk": 1.5, "dtmf": "5"}}, {"match": "^1001$", "sip": 486}]
)


def ring(
    monkeypatch,
    capsys,
    simswitch,
    tmp_path,
    redis_server,
    *args: str,
    scenario=SOFTPHONE,
    caller_id: str = "02812345678",
) -> tuple[int, str]:
    server = simswitch(scenario, time_scale=1.0, password=PASSWORD)
    host, port = server.address
    for name in [n for n in list(__import__("os").environ) if n.startswith("AUTOCALL_") and n != "AUTOCALL_TEST"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOCALL_FREESWITCH", f"esl://:{PASSWORD}@{host}:{port}?name=fs1")
    monkeypatch.setenv("AUTOCALL_AUDIO_DIR", str(tmp_path / "audio"))
    monkeypatch.setenv("AUTOCALL_REDIS_URL", redis_server["url"])
    monkeypatch.setenv("AUTOCALL_DEFAULT_CALLER_ID", caller_id)
    code = cli.main(["test-call", *args])
    return code, capsys.readouterr().out, server


def originate(server) -> str:
    (command,) = [c for c in server.received if c.startswith("bgapi originate")]
    return command


def test_a_test_call_rings_the_directory_user_and_reports_the_answer(
    monkeypatch, capsys, simswitch, tmp_path, redis_server, redis_client
):
    write_wav(tmp_path / "audio" / "hello.wav", seconds=3)  # the softphone presses 5 after 1 s, hangs up at 1.5 s
    code, out, server = ring(monkeypatch, capsys, simswitch, tmp_path, redis_server, "1000", "--audio", "hello.wav")
    assert code == 0, out
    assert "ringing user/1000 on fs1" in out and "answered after" in out and "DTMF pressed: 5" in out
    assert "ended: NORMAL_CLEARING" in out and "recall_status answered" in out
    command = originate(server)
    assert "]user/1000 autocall XML autocall\nJob-UUID: " in command
    assert f"autocall_file={tmp_path / 'audio' / 'hello.wav'}" in command
    assert redis_client.dbsize() == 0, "a test call writes nothing to Redis"


def test_a_busy_softphone_is_reported_and_exits_1(monkeypatch, capsys, simswitch, tmp_path, redis_server):
    write_wav(tmp_path / "audio" / "hello.wav")
    code, out, _ = ring(monkeypatch, capsys, simswitch, tmp_path, redis_server, "1001", "--audio", "hello.wav")
    assert code == 1 and "USER_BUSY" in out and "recall_status busy" in out


def test_a_bad_extension_is_refused(monkeypatch, capsys, simswitch, tmp_path, redis_server):
    code, out, server = ring(monkeypatch, capsys, simswitch, tmp_path, redis_server, "10}00")
    assert code == 2 and "not an extension" in out and not server.received


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/bootstrap)")
def test_a_test_call_speaks_the_template_with_tts(monkeypatch, capsys, simswitch, tmp_path, redis_server):
    code, out, server = ring(monkeypatch, capsys, simswitch, tmp_path, redis_server, "1000")
    assert code == 0, out
    assert "message: Xin chào bạn. Đây là cuộc gọi thử của autocall lúc" in out
    path = out.split("file: ", 1)[1].split("\n", 1)[0]
    assert path.endswith(".wav") and f"autocall_file={path}" in originate(server)


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (scripts/bootstrap)")
def test_the_time_spoken_is_the_campaigns_zone_not_the_servers(monkeypatch, simswitch, tmp_path, redis_server):
    from dialer.config import Settings
    from dialer.testcall import run_test_call

    server = simswitch(SOFTPHONE, time_scale=1.0, password=PASSWORD)
    host, port = server.address
    monkeypatch.setenv("TZ", "UTC")  # the server's own zone
    time.tzset()
    settings = Settings(
        freeswitch=f"esl://:{PASSWORD}@{host}:{port}?name=fs1",
        audio_dir=str(tmp_path / "audio"),
        redis_url=redis_server["url"],
        default_caller_id="02812345678",
    )
    lines: list[str] = []
    try:
        code = run_test_call(settings, "1000", out=lines.append, clock=lambda: 1796195100.0)  # 07:05 UTC
    finally:
        monkeypatch.undo()
        time.tzset()
    assert code == 0, lines
    assert any("lúc 14:05." in line for line in lines), lines  # Asia/Ho_Chi_Minh, as the CDRs say


def test_an_unknown_time_zone_is_refused(monkeypatch, capsys, simswitch, tmp_path, redis_server):
    code, out, server = ring(monkeypatch, capsys, simswitch, tmp_path, redis_server, "1000", "--time-zone", "Mars/Base")
    assert code == 2 and "unknown time zone 'Mars/Base'" in out and not server.received


def test_a_freeswitch_without_the_autocall_context_is_reported_and_not_rung(
    monkeypatch, capsys, simswitch, tmp_path, redis_server
):
    write_wav(tmp_path / "audio" / "hello.wav")
    stock = SOFTPHONE.model_copy(update={"autocall_dialplan": False, "dialplan": {}})
    code, out, server = ring(
        monkeypatch, capsys, simswitch, tmp_path, redis_server, "1000", "--audio", "hello.wav", scenario=stock
    )
    assert code == 1 and "is not ready: FreeSWITCH has no dialplan context 'autocall'" in out
    assert not [c for c in server.received if "originate" in c]


def test_a_call_refused_before_it_reaches_freeswitch_is_reported_and_exits_1(
    monkeypatch, capsys, simswitch, tmp_path, redis_server
):
    """The engine's own dial() ends an attempt it cannot spell as an originate at once (here: a caller id
    that is not a number): test-call says so and exits 1 (it used to fail on the ended attempt)."""
    write_wav(tmp_path / "audio" / "hello.wav")
    code, out, server = ring(
        monkeypatch, capsys, simswitch, tmp_path, redis_server, "1000", "--audio", "hello.wav", caller_id="0281234567|8"
    )
    assert code == 1 and "not placed: AUTOCALL_" in out and "caller_id '0281234567|8' is invalid" in out, out
    assert not [c for c in server.received if "originate" in c]
