"""``autocall serve``: configuration from the environment, and SIGTERM drains."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import gevent

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
