"""``autocall status``: campaigns, engines and queues as Redis holds them."""

from __future__ import annotations

import json

from dialer import cli
from dialer.store.store import Store
from simswitch import Scenario
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

LONG = Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 5}}])


def run_status(monkeypatch, capsys, redis_server, *args: str) -> str:
    for name in [n for n in list(__import__("os").environ) if n.startswith("AUTOCALL_") and n != "AUTOCALL_TEST"]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AUTOCALL_REDIS_URL", redis_server["url"])
    assert cli.main(["status", *args]) == 0
    return capsys.readouterr().out


def test_status_shows_campaigns_engines_nodes_and_queues(
    redis_client, redis_server, simswitch, tmp_path, monkeypatch, capsys
):
    store = Store(redis_client)
    server = simswitch(LONG, time_scale=1.0)
    engine = make_engine(store, server, tmp_path / "audio")
    try:
        camp = audio_campaign(store, campaign_name="Nhắc nợ tháng 11", concurrent_call=3)
        leads(store, camp, 5)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: server.switch.stats.answered == 3)
        wait_until(lambda: json.loads(store.r.get(store.keys.engine(engine.engine_id)) or "{}").get("in_flight") == 3)
        text = run_status(monkeypatch, capsys, redis_server)
        row = next(line for line in text.splitlines() if line.startswith("Nhắc nợ tháng 11"))
        assert row.split()[4:7] == ["start", "3/3", "0"] and camp.campaign_uuid in row
        engine_row = next(line for line in text.splitlines() if line.startswith(engine.engine_id[:12]))
        assert engine_row.endswith("fs1 up") and " 3 " in engine_row
        assert "webhooks: 0 queued (0 due now), 0 dead" in text
        data = json.loads(run_status(monkeypatch, capsys, redis_server, "--json"))
        (c,) = data["campaigns"]
        assert (c["in_flight"], c["cap"], c["fresh"] + c["hopper"], c["running"]) == (3, 3, 2, True)
        (e,) = data["engines"]
        assert e["id"] == engine.engine_id and e["nodes"] == {"fs1": "up"}
    finally:
        engine.stop(drain_timeout=0)


def test_status_shows_why_a_freeswitch_node_is_not_dialled(
    redis_client, redis_server, simswitch, tmp_path, monkeypatch, capsys
):
    store = Store(redis_client)
    engine = make_engine(store, simswitch(Scenario(autocall_dialplan=False)), tmp_path / "audio")
    try:
        wait_until(lambda: "not ready" in (store.r.get(store.keys.engine(engine.engine_id)) or ""))
        (e,) = json.loads(run_status(monkeypatch, capsys, redis_server, "--json"))["engines"]
        assert e["nodes"]["fs1"].startswith("not ready: FreeSWITCH has no dialplan context 'autocall'")
        assert "fs1 not ready: FreeSWITCH has no dialplan context" in run_status(monkeypatch, capsys, redis_server)
    finally:
        engine.stop(drain_timeout=0)


def test_status_with_nothing_says_so(redis_client, redis_server, monkeypatch, capsys):
    text = run_status(monkeypatch, capsys, redis_server)
    assert "no campaigns" in text and "no engine running" in text


def test_status_shows_why_a_running_campaign_is_held(
    redis_client, redis_server, simswitch, tmp_path, monkeypatch, capsys
):
    from tests.factories import campaign

    store = Store(redis_client)
    engine = make_engine(store, simswitch(LONG), tmp_path / "audio")
    try:
        camp = campaign(store, campaign_name="Chưa có kịch bản")  # started, autocall_audio, no template
        why = "no template: autocall_audio plays its template's audio file (set template_uuid)"
        wait_until(lambda: why in (store.r.hget(store.keys.held, camp.campaign_uuid) or ""))
        text = run_status(monkeypatch, capsys, redis_server)
        row = next(line for line in text.splitlines() if line.startswith("Chưa có kịch bản"))
        assert "start (held)" in row and f"HELD: Chưa có kịch bản: {why}" in text
        (c,) = json.loads(run_status(monkeypatch, capsys, redis_server, "--json"))["campaigns"]
        assert c["held"] == [why] and c["held_since_ms"] > 0
    finally:
        engine.stop(drain_timeout=0)
