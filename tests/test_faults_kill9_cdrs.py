"""kill -9 of the only daemon, with FreeSWITCH's CDRs (mod_json_cdr) posted to it: no result is lost.

As tests/test_faults_kill9.py, but ``autocall serve`` runs its API with
``AUTOCALL_CDR_SECRET`` and the simulator posts a CDR of every channel to it
the way freeswitch-conf's json_cdr.conf.xml does (queued, retried while the
daemon is away). The calls that end while no daemon listens are settled from
their CDRs, and the attempts claimed just before a kill whose originate never
left are dialled again without counting (AUTOCALL_NOT_RUN).

AUTOCALL_SOAK_KILLS / AUTOCALL_SOAK_LEADS / AUTOCALL_SOAK_SEEDS make it longer.
"""

from __future__ import annotations

import os
import random
import time

import pytest

from dialer.store.store import Store
from simswitch import JsonCdrSettings, Limits
from tests.conftest import free_port
from tests.crash_checks import campaign_settled, check_nothing_lost
from tests.engine_fixtures import audio_campaign, wait_until, write_wav
from tests.factories import leads
from tests.test_faults_kill9 import MIXED, PASSWORD

KILLS = int(os.environ.get("AUTOCALL_SOAK_KILLS", "3"))
LEADS = int(os.environ.get("AUTOCALL_SOAK_LEADS", "2000"))
SECRET = "kill9-cdr-secret"


@pytest.mark.parametrize("seed", [int(x) for x in os.environ.get("AUTOCALL_SOAK_SEEDS", "21").split(",")])
def test_kill9_with_freeswitch_cdrs_loses_no_result_and_burns_no_lead(
    redis_client, redis_server, simswitch, daemons, tmp_path, seed
):
    store = Store(redis_client)
    api_port = free_port()
    cdrs = JsonCdrSettings(
        url=f"http://127.0.0.1:{api_port}/freeswitch/cdr",
        cred=f"freeswitch:{SECRET}",
        retries=600,
        delay=0.1,
        timeout=5,
        queue_capacity=20_000,
        log_dir=str(tmp_path / "json_cdr"),
        err_log_dir=str(tmp_path / "json_cdr_err"),
    )
    # The daemons wait for CDRs as long as autocall does by default (AUTOCALL_CDR_WAIT_SECONDS, 60 s): each
    # restart finds a few hundred calls ended while it was away, whose CDRs the simulator posts one by one
    # to a daemon still starting; a wait of 2 s timed the CPU (171 recorded lost on a busy one). A wait
    # costs nothing here when the CDRs come: each call settles as its CDR (or the barrier's) arrives.
    server = simswitch(MIXED, time_scale=0.02, seed=seed, password=PASSWORD, limits=Limits(sps=500), json_cdr=cdrs)
    write_wav(tmp_path / "audio" / "hello.wav", seconds=1)
    host, port = server.address
    daemon = daemons(
        {
            "AUTOCALL_REDIS_URL": redis_server["url"],
            "AUTOCALL_LISTEN": f"127.0.0.1:{api_port}",
            "AUTOCALL_API_TOKENS": "kill9-token",
            "AUTOCALL_CDR_SECRET": SECRET,
            "AUTOCALL_FREESWITCH": f"esl://:{PASSWORD}@{host}:{port}?name=fs1&sps=400",
            "AUTOCALL_AUDIO_DIR": str(tmp_path / "audio"),
            "AUTOCALL_DEFAULT_GATEWAY": "gw1",
            "AUTOCALL_TTS_ENGINE": "none",
            "AUTOCALL_LOG_LEVEL": os.environ.get("KILL9_LEVEL", "WARNING"),
        },
        tmp_path / "daemon.log",
    )
    camp = audio_campaign(store, concurrent_call=300, call_timeout=20)
    batch = leads(store, camp, LEADS)
    rng = random.Random(seed)
    kills = daemon.kill_at_originates(server.switch, rng.sample(range(100, LEADS - 200), KILLS))
    started = time.monotonic()
    daemon.start()
    # Settled, and every CDR FreeSWITCH queued delivered (posted, or given up into its err-log-dir)
    # while the daemon still listens: the last calls' results came from their events, their CDRs
    # may still be on their way.
    wait_until(
        lambda: (
            daemon.restarts_done
            and campaign_settled(store, camp.campaign_uuid)
            and server.switch.json_cdr.pending() == 0
        ),
        timeout=180,
    )
    daemon.stop()
    result = check_nothing_lost(store, server.switch, camp.campaign_uuid, [x.lead_uuid for x in batch])
    assert len(kills) == KILLS and daemon.starts == KILLS + 1
    assert result["done"] == LEADS
    calls = {c: store.calls.get(c) for c in store.r.zrange(store.keys.cdrs(camp.campaign_uuid), 0, -1)}
    causes = [c.get("hangup_cause") for c in calls.values()]
    # Every call FreeSWITCH placed got its result from its own hangup or its CDR: none is lost.
    assert result["lost"] == 0, [c for c, cdr in calls.items() if cdr.get("hangup_cause") == "AUTOCALL_LOST"][:5]
    placed = set(server.switch.first_legs_by_call)
    assert placed <= set(server.switch.json_cdr.posted), "a channel whose CDR never reached autocall"
    for call in placed:
        assert calls[call].get("reported") == "1" and calls[call]["hangup_cause"] != "AUTOCALL_NOT_RUN", call
    # The attempts that never reached FreeSWITCH (claimed just before a kill) were dialled again, uncounted:
    # the same call uuid rang once, later (check_nothing_lost: no call rang twice, every lead is done).
    log = (tmp_path / "daemon.log").read_text()
    not_run = log.count("originate never ran")  # their record is overwritten by the attempt that followed
    assert "AUTOCALL_NOT_RUN" not in causes  # each was dialled again, to its end
    print(
        f"kill -9 x{KILLS} seed {seed} with CDRs: {result}, lost 0, never ran (dialled again) {not_run}, "
        f"{time.monotonic() - started:.1f} s"
    )
