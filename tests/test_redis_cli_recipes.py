"""Every redis-cli recipe in docs/redis-keys.md runs against a real store and finds something."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dialer.store.store import Store
from tests.engine_fixtures import audio_campaign, make_engine, wait_until
from tests.factories import leads

DOC = (Path(__file__).parents[1] / "docs" / "redis-keys.md").read_text()


def recipes() -> str:
    section = DOC.split("## Inspecting with redis-cli", 1)[1]
    return "\n".join(block for block in re.findall(r"```sh\n(.*?)```", section, re.S))


@pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed (scripts/bootstrap)")
def test_every_redis_cli_recipe_runs_and_answers(redis_client, redis_server, simswitch, tmp_path):
    store = Store(redis_client)
    server = simswitch(time_scale=0.01)
    engine = make_engine(store, server, tmp_path / "audio")
    try:
        camp = audio_campaign(store, campaign_name="Nhắc nợ tháng 11", concurrent_call=2)
        batch = leads(store, camp, 3)
        engine.wake(camp.campaign_uuid)
        wait_until(lambda: store.reports.queue_sizes(camp.campaign_uuid)["finished"] == 3)
        engine.flush()
        lead = store.leads.get(batch[0].lead_uuid)
        script = recipes()
        script = script.replace("CUST-0042", batch[0].external_id).replace("<call uuid>", lead["call"])
        script = script.replace("<engine id>", engine.engine_id).replace("$C:stats:2026112314", "$C:stats:x")
        script = script.replace("<id>", "1").replace("$CALL", lead["call"])
        port = redis_server["port"]
        lines = [f'redis-cli() {{ command redis-cli -p {port} --no-raw "$@"; }}', "set -e", f"C={camp.campaign_uuid}"]
        run = subprocess.run(["bash", "-c", "\n".join([*lines, script])], capture_output=True, text=True, timeout=30)
        assert run.returncode == 0, run.stderr
        assert "(error)" not in run.stdout and not run.stderr, (run.stdout[-2000:], run.stderr)
        assert camp.campaign_uuid in run.stdout and "recall_status" in run.stdout
        assert run.stdout.count(lead["call"]) >= 1
    finally:
        engine.stop(drain_timeout=0)
