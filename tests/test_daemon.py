"""``autocall serve``: configuration from the environment, and SIGTERM drains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request

import gevent

from dialer.domain.models import Template
from dialer.store.store import Store
from simswitch import Scenario
from tests.conftest import free_port, private_redis
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads

ESL_PASSWORD = "esl-Pa55word-for-tests"  # never FreeSWITCH's stock ClueCon: serve refuses it


def serve(env: dict[str, str]) -> subprocess.Popen:
    # Only the test's AUTOCALL_* settings: none from the environment pytest runs in.
    base = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCALL_") or k == "AUTOCALL_TEST"}
    return subprocess.Popen(
        [sys.executable, "-m", "dialer.cli", "serve"],
        env={**base, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_bad_freeswitch_url_is_refused_with_a_clear_message():
    proc = serve({"AUTOCALL_FREESWITCH": "http://nope"})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "esl://:PASSWORD@HOST:PORT" in err


def test_sigterm_drains_calls_in_flight_and_records_them(redis_client, redis_server, simswitch, tmp_path):
    store = Store(redis_client)
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.5}}]), time_scale=1.0, password=ESL_PASSWORD
    )
    write_wav(tmp_path / "audio" / "hello.wav", seconds=5)
    host, port = server.address
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": redis_server["url"],
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@{host}:{port}",
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
            "AUTOCALL_DEFAULT_GATEWAY": "gw1",
            "AUTOCALL_API_TOKENS": "t",
            "AUTOCALL_LISTEN": f"127.0.0.1:{free_port()}",
        }
    )
    camp = audio_campaign(store, concurrent_call=3)
    leads(store, camp, 10)
    store.campaigns.wake(camp.campaign_uuid)
    wait_until(lambda: store.calls.in_flight(camp.campaign_uuid) == 3, timeout=20)
    proc.send_signal(signal.SIGTERM)
    with gevent.Timeout(30):
        while proc.poll() is None:
            gevent.sleep(0.05)
    assert proc.returncode == 0, proc.stderr.read()
    sizes = store.reports.queue_sizes(camp.campaign_uuid)
    assert sizes["in_flight"] == 0 and sizes["finished"] == 3
    assert server.switch.stats.originated == 3


def test_serve_refuses_to_start_the_api_without_a_token(redis_server):
    proc = serve({"AUTOCALL_REDIS_URL": redis_server["url"], "AUTOCALL_API_TOKENS": ""})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "AUTOCALL_API_TOKENS" in err


def test_serve_answers_the_api_on_autocall_listen_and_dials_what_it_imports(
    redis_client, redis_server, simswitch, tmp_path
):
    server = simswitch(
        Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}]), time_scale=0.1, password=ESL_PASSWORD
    )
    write_wav(tmp_path / "audio" / "hello.wav", seconds=1)
    host, port = server.address
    listen = f"127.0.0.1:{free_port()}"
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": redis_server["url"],
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@{host}:{port}",
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
            "AUTOCALL_DEFAULT_GATEWAY": "gw1",
            "AUTOCALL_API_TOKENS": "one,two",
            "AUTOCALL_LISTEN": listen,
        }
    )
    try:
        store = Store(redis_client)
        template = Template(template_name="hello", audio_file="hello.wav")
        store.catalog.templates.put(template)

        def http(method: str, path: str, body: dict | None = None) -> dict:
            req = urllib.request.Request(
                f"http://{listen}{path}",
                method=method,
                headers={"Authorization": "Bearer two", "Content-Type": "application/json"},
                data=json.dumps(body).encode() if body is not None else None,
            )
            with urllib.request.urlopen(req, timeout=10) as res:
                return json.loads(res.read())

        def up() -> bool:
            try:
                return http("GET", "/healthz") == {"status": "ok"}
            except OSError:
                return False

        wait_until(up, timeout=20)
        cid = http(
            "POST", "/v3/campaign", {"campaign_name": "d", "type": "autocall", "template_uuid": template.template_uuid}
        )["campaign_uuid"]
        http("POST", f"/v1/campaign/{cid}/run/start", {})
        call_id = http(
            "POST", "/v3/autocall/import", {"campaign_uuid": cid, "phone_number": "0982596021", "param": {}}
        )["call_id"]
        wait_until(lambda: store.calls.get(call_id).get("state") == "done", timeout=20)
        assert http("GET", f"/v1/autocall/report?campaign_uuid={cid}")["data"]["status"]["answered"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0


# -- the ESL password: required, and never FreeSWITCH's stock ClueCon ---------------------------
def test_serve_refuses_the_stock_esl_password_and_names_the_node():
    proc = serve(
        {
            "AUTOCALL_API_TOKENS": "t",
            "AUTOCALL_LISTEN": f"127.0.0.1:{free_port()}",
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@127.0.0.1:1?name=fs-a,esl://:ClueCon@127.0.0.1:2?name=fs-b",
        }
    )
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2, err
    line = next(json.loads(x) for x in err.splitlines() if "ClueCon" in x)
    assert line["level"] == "error" and line["node"] == "fs-b" and "AUTOCALL_ALLOW_DEFAULT_ESL_PASSWORD" in line["msg"]


def test_the_stock_password_is_compared_case_sensitively_and_can_be_allowed(caplog):
    from dialer.config import Settings
    from dialer.daemon import check_nodes

    def settings(password: str, **kw) -> Settings:
        return Settings(freeswitch=f"esl://:{password}@127.0.0.1:8021?name=fs1", api_tokens="t", **kw)

    assert not check_nodes(settings("ClueCon"))
    assert check_nodes(settings("cluecon")) and check_nodes(settings("ClueCon2"))  # FreeSWITCH's strcmp
    caplog.clear()
    assert check_nodes(settings("ClueCon", allow_default_esl_password=True))
    assert [(r.levelname, r.node) for r in caplog.records] == [("WARNING", "fs1")]
    nothing = Settings()  # nothing ships a password
    assert nothing.freeswitch.get_secret_value() == "" and not check_nodes(Settings(api_tokens="t"))


def test_serve_starts_with_the_stock_password_when_a_test_setup_allows_it(redis_server, simswitch):
    server = simswitch(password="ClueCon")
    host, port = server.address
    listen = f"127.0.0.1:{free_port()}"
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": redis_server["url"],
            "AUTOCALL_FREESWITCH": f"esl://:ClueCon@{host}:{port}",
            "AUTOCALL_ALLOW_DEFAULT_ESL_PASSWORD": "true",
            "AUTOCALL_API_TOKENS": "t",
            "AUTOCALL_LISTEN": listen,
        }
    )
    try:
        wait_until(lambda: _healthy(listen), timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stock ESL password" in err


def _healthy(listen: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{listen}/healthz", timeout=2) as res:
            return res.status == 200
    except OSError:
        return False


def test_an_esl_url_without_a_password_is_refused():
    proc = serve({"AUTOCALL_API_TOKENS": "t", "AUTOCALL_FREESWITCH": "esl://127.0.0.1:8021"})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "127.0.0.1:8021 has no ESL password" in err


def test_serve_refuses_to_start_without_a_freeswitch_node():
    proc = serve({"AUTOCALL_API_TOKENS": "t"})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "AUTOCALL_FREESWITCH is empty" in err


# -- secrets never reach the daemon's log ------------------------------------------------------
def test_the_daemon_never_logs_a_token_or_a_password(simswitch, tmp_path):
    redis_password, token, wrong = "redis-Pa55-9c1e", "api-token-4f0b2d", "wrong-token-77aa"
    redis_proc, redis_client, _ = private_redis(tmp_path, password=redis_password)
    redis_port = redis_client.connection_pool.connection_kwargs["port"]
    redis_client.close()
    server = simswitch(password=ESL_PASSWORD)
    host, port = server.address
    listen = f"127.0.0.1:{free_port()}"
    proc = serve(
        {
            "AUTOCALL_REDIS_URL": f"redis://:{redis_password}@127.0.0.1:{redis_port}/0",
            "AUTOCALL_FREESWITCH": f"esl://:{ESL_PASSWORD}@{host}:{port}?name=fs1",
            "AUTOCALL_API_TOKENS": token,
            "AUTOCALL_LISTEN": listen,
            "AUTOCALL_LOG_LEVEL": "DEBUG",
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
            "AUTOCALL_TTS_ENGINE": "none",
        }
    )
    try:
        wait_until(lambda: _healthy(listen), timeout=20)
        for headers, query in (
            ({"Authorization": f"Bearer {token}"}, ""),
            ({"Authorization": f"Bearer {wrong}"}, ""),
            ({"X-Api-Key": token}, ""),
            ({}, f"?token={token}"),
            ({}, f"?token={wrong}"),
            ({"Authorization": f"Bearer {token}"}, f"?campaign_uuid={token}"),
        ):
            req = urllib.request.Request(f"http://{listen}/v3/campaign{query}", headers=headers)
            try:
                urllib.request.urlopen(req, timeout=10).close()
            except urllib.error.HTTPError:
                pass
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        redis_proc.terminate()
        redis_proc.wait(10)
    assert proc.returncode == 0, err
    started = next(json.loads(x) for x in err.splitlines() if "autocall started" in x)
    assert started["redis"] == f"redis://:***@127.0.0.1:{redis_port}/0"
    assert '"access"' in err  # debug logs were on
    for secret in (redis_password, ESL_PASSWORD, token, wrong):
        assert secret not in err, secret
