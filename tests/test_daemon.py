"""``autocall serve``: configuration from the environment, and SIGTERM drains."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request

import gevent

from dialer.domain.models import Template
from dialer.simswitch import Scenario
from dialer.store.store import Store
from tests.conftest import free_port
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads


def serve(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "dialer.cli", "serve"], env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_a_bad_freeswitch_url_is_refused_with_a_clear_message():
    proc = serve({"AUTOCALL_FREESWITCH": "http://nope"})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "esl://:PASSWORD@HOST:PORT" in err


def test_sigterm_drains_calls_in_flight_and_records_them(redis_client, redis_server, simswitch, tmp_path):
    store = Store(redis_client)
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 1.5}}]), time_scale=1.0)
    write_wav(tmp_path / "audio" / "hello.wav", seconds=5)
    host, port = server.address
    proc = serve({"AUTOCALL_REDIS_URL": redis_server["url"], "AUTOCALL_FREESWITCH": f"esl://:ClueCon@{host}:{port}",
                  "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"), "AUTOCALL_DEFAULT_GATEWAY": "gw1",
                  "AUTOCALL_API_TOKENS": "t", "AUTOCALL_LISTEN": f"127.0.0.1:{free_port()}"})  # fmt: skip
    camp = audio_campaign(store, concurrent_call=3)
    leads(store, camp, 10)
    store.wake(camp.campaign_uuid)
    wait_until(lambda: store.in_flight(camp.campaign_uuid) == 3, timeout=20)
    proc.send_signal(signal.SIGTERM)
    with gevent.Timeout(30):
        while proc.poll() is None:
            gevent.sleep(0.05)
    assert proc.returncode == 0, proc.stderr.read()
    sizes = store.queue_sizes(camp.campaign_uuid)
    assert sizes["in_flight"] == 0 and sizes["finished"] == 3
    assert server.switch.stats.originated == 3


def test_serve_refuses_to_start_the_api_without_a_token(redis_server):
    proc = serve({"AUTOCALL_REDIS_URL": redis_server["url"], "AUTOCALL_API_TOKENS": ""})
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and "AUTOCALL_API_TOKENS" in err


def test_serve_answers_the_api_on_autocall_listen_and_dials_what_it_imports(redis_client, redis_server, simswitch,
                                                                              tmp_path):  # fmt: skip
    server = simswitch(Scenario(rules=[{"match": "^098", "ring": 0.1, "answer": {"talk": 0.2}}]), time_scale=0.1)
    write_wav(tmp_path / "audio" / "hello.wav", seconds=1)
    host, port = server.address
    listen = f"127.0.0.1:{free_port()}"
    proc = serve({"AUTOCALL_REDIS_URL": redis_server["url"], "AUTOCALL_FREESWITCH": f"esl://:ClueCon@{host}:{port}",
                  "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"), "AUTOCALL_DEFAULT_GATEWAY": "gw1",
                  "AUTOCALL_API_TOKENS": "one,two", "AUTOCALL_LISTEN": listen})  # fmt: skip
    try:
        store = Store(redis_client)
        template = Template(template_name="hello", audio_file="hello.wav")
        store.put_template(template)

        def http(method: str, path: str, body: dict | None = None) -> dict:
            req = urllib.request.Request(f"http://{listen}{path}", method=method, headers={
                "Authorization": "Bearer two", "Content-Type": "application/json"},
                data=json.dumps(body).encode() if body is not None else None)  # fmt: skip
            with urllib.request.urlopen(req, timeout=10) as res:
                return json.loads(res.read())

        def up() -> bool:
            try:
                return http("GET", "/healthz") == {"status": "ok"}
            except OSError:
                return False

        wait_until(up, timeout=20)
        cid = http("POST", "/v3/campaign", {"campaign_name": "d", "type": "autocall",
                                            "template_uuid": template.template_uuid})["campaign_uuid"]  # fmt: skip
        http("POST", f"/v1/campaign/{cid}/run/start", {})
        call_id = http("POST", "/v3/autocall/import", {"campaign_uuid": cid, "phone_number": "0982596021",
                                                       "param": {}})["call_id"]  # fmt: skip
        wait_until(lambda: store.call(call_id).get("state") == "done", timeout=20)
        assert http("GET", f"/v1/autocall/report?campaign_uuid={cid}")["data"]["status"]["answered"] == 1
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    assert proc.returncode == 0
