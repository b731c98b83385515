"""``autocall cdr-spool DIR``: the CDRs mod_json_cdr wrote to its err-log-dir, taken in like posted ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest

from dialer.cdr_spool import deliver
from dialer.store.store import Store
from dialer.store.switch_cdrs import SwitchCdrs
from tests import factories

# A real err-log-dir file (FreeSWITCH 1.10.12, the receiver answered 500 three times): the body plus "\n".
SPOOLED = (
    Path(__file__).parent
    / "captures"
    / "batch2"
    / "json_cdr"
    / "J1-disk"
    / "log-dir"
    / "9e0156ea-9330-4306-882a-5f5ce281a6ab.cdr.json"
)


@pytest.fixture
def in_flight(store):
    return factories.in_flight(store)


def spool_file(directory: Path, claim) -> Path:
    doc = json.loads(SPOOLED.read_text())
    v = doc["variables"]
    v["autocall_campaign"], v["autocall_call"] = quote(claim.campaign_uuid), quote(claim.call_uuid)
    v["uuid"] = claim.call_uuid
    path = directory / f"{claim.call_uuid}.cdr.json"
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
    return path


def test_a_spooled_cdr_is_kept_for_its_call_and_the_file_removed(services, store, in_flight, tmp_path):
    path = spool_file(tmp_path, in_flight)
    assert deliver(services, tmp_path) == {"files": 1, "kept": 1, "bad": 0}
    assert not path.exists()
    kept = SwitchCdrs(store).kept([in_flight.call_uuid])[in_flight.call_uuid][in_flight.call_uuid]
    assert kept["Hangup-Cause"] == "USER_BUSY" and kept["variable_sip_term_status"] == "486"


def test_keep_leaves_the_files(services, in_flight, tmp_path):
    path = spool_file(tmp_path, in_flight)
    deliver(services, tmp_path, keep=True)
    assert path.exists()


def test_a_file_that_is_not_a_cdr_is_moved_aside_not_lost(services, tmp_path):
    (tmp_path / "x.cdr.json").write_text("{truncated")
    assert deliver(services, tmp_path) == {"files": 1, "kept": 0, "bad": 1}
    assert (tmp_path / "x.cdr.json.bad").read_text() == "{truncated"


def test_with_redis_down_every_file_stays(services, in_flight, tmp_path, redis_server):
    import redis

    path = spool_file(tmp_path, in_flight)
    shutil.copy(path, tmp_path / "copy.cdr.json")
    services.store = Store(redis.Redis(port=1, socket_connect_timeout=0.2))  # nothing listens there
    with pytest.raises(redis.RedisError):
        deliver(services, tmp_path)
    assert path.exists() and (tmp_path / "copy.cdr.json").exists()
