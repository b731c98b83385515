"""A bulk import that fails part-way writes nothing, in every dialect (issue 15): Redis stopped after
staging batch k (AOF, as systemd restarts it), Redis hitting ``maxmemory`` after batch k or at the
commit, and a commit whose answer is lost. Afterwards no lead of that import is dialable, what it
staged is unlinked or expires, and the retry the 503 asks for lands each row exactly once.

The failure is injected from inside the import (a hook after batch k), never by timing."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis

from dialer.api.app import build_app
from dialer.api.server import make_server
from dialer.domain.enums import CampaignStatus
from dialer.domain.models import Campaign, Template
from dialer.service.context import Services
from dialer.store.imports import STAGE_BATCH
from dialer.store.store import Store
from tests.api_fixtures import TOKEN, LiveClient
from tests.conftest import free_port, private_redis
from tests.engine_fixtures import wait_until
from tests.processes import AofRedis

ROWS = 2 * STAGE_BATCH + 500  # three staging batches
STAGING_S = 5.0  # short, so the test can watch staged rows expire


@dataclass
class Rig:
    """The real API over a socket, on a Redis of the test's own."""

    api: LiveClient
    store: Store
    url: str


def _rig(url: str, tmp_path: Path) -> Iterator[Rig]:
    store = Store.from_url(url)
    (tmp_path / "audio").mkdir(exist_ok=True)
    services = Services(store, tmp_path / "audio", import_staging_s=STAGING_S)
    server = make_server(build_app(services, [TOKEN]), f"127.0.0.1:{free_port()}")
    server.start()
    client = LiveClient(server.server_port)
    yield Rig(client, store, url)
    client.conn.close()
    server.stop()


@pytest.fixture
def aof(tmp_path) -> Iterator[AofRedis]:
    server = AofRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def on_aof(aof, tmp_path) -> Iterator[Rig]:
    yield from _rig(aof.url, tmp_path)


@pytest.fixture
def on_small_redis(tmp_path) -> Iterator[Rig]:
    proc, client, url = private_redis(tmp_path, "--maxmemory-policy", "noeviction")
    yield from _rig(url, tmp_path)
    client.close()
    proc.kill()


def after_batch(store: Store, k: int, action: Callable[[], None]) -> None:
    """Run ``action`` once staging batch ``k`` (1-based) is written."""
    original, seen = store.imports.stage_batch, {"n": 0}

    def staged(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        seen["n"] += 1
        if seen["n"] == k:
            action()

    store.imports.stage_batch = staged  # type: ignore[method-assign]


def before_commit(store: Store, action: Callable[[], None]) -> None:
    original = store.imports.commit

    def commit(*args: Any, **kwargs: Any) -> Any:
        action()
        return original(*args, **kwargs)

    store.imports.commit = commit  # type: ignore[method-assign]


def fill_redis(store: Store) -> None:
    """maxmemory just above what Redis holds now: the next write of any size is refused (noeviction)."""
    used = int(store.r.info("memory")["used_memory"])
    store.r.config_set("maxmemory", used + 64 * 1024)


# -- the dialects' bulk requests ---------------------------------------------------------------
def number(i: int) -> str:
    return f"098{i:07d}"


class Dialect:
    """One dialect's bulk request of ROWS people, and where its leads land."""

    name = ""

    def setup(self, store: Store) -> None: ...

    def send(self, api: LiveClient, headers: dict[str, str] | None = None): ...

    def landed(self, res) -> bool: ...

    def campaign_uuid(self, store: Store) -> str | None: ...


class V3Json(Dialect):
    name = "v3-json"

    def setup(self, store: Store) -> None:
        self.camp = store.campaigns.create(Campaign(campaign_name="bulk", status=CampaignStatus.START))

    def send(self, api, headers=None):
        rows = [{"phone_number": number(i), "param": {"ten": f"KH {i}"}} for i in range(ROWS)]  # no customer ids
        return api(
            "POST",
            "/v3/autocall/import/bulk",
            json={"campaign_uuid": self.camp.campaign_uuid, "leads": rows},
            headers=headers,
        )

    def landed(self, res) -> bool:
        return res.status_code == 200 and res.json["imported"] == ROWS

    def campaign_uuid(self, store):
        return self.camp.campaign_uuid


class V3Csv(V3Json):
    name = "v3-csv"

    def send(self, api, headers=None):
        text = "phone_number,external_id,ten\n" + "".join(f"{number(i)},kh{i},KH {i}\n" for i in range(ROWS))
        csv = {"Content-Type": "text/csv", **(headers or {})}
        return api(
            "POST",
            "/v3/autocall/import/bulk",
            body=text,
            headers=csv,
            query_string=f"campaign_uuid={self.camp.campaign_uuid}",
        )


class Queue(Dialect):
    name = "queue"

    def setup(self, store: Store) -> None:
        store.catalog.templates.put(Template(template_name="IVR-1", audio_file="hello.wav"))

    def send(self, api, headers=None):
        customers = [{"id": f"KH{i}", "mobiles": [number(i)]} for i in range(ROWS)]
        return api(
            "POST",
            "/v2/autocall/queue",
            json={"queue_code": "Q1", "template": "IVR-1", "customers": customers},
            headers=headers,
        )

    def landed(self, res) -> bool:
        return res.status_code == 200 and len(res.json["data"]["success"]) == ROWS and not res.json["data"]["fail"]

    def campaign_uuid(self, store):
        return store.campaigns.uuid_by_name("Q1")


class VBot(Dialect):
    name = "vbot"

    def setup(self, store: Store) -> None:
        template = Template(template_name="nhac_no", audio_file="a.wav")
        store.catalog.templates.put(template)
        self.source = store.campaigns.create(
            Campaign(campaign_name="mau", template_uuid=template.template_uuid, status=CampaignStatus.STOP)
        )

    def send(self, api, headers=None):
        phones = [
            {"fields": [{"key": "phone", "value": number(i)}, {"key": "name", "value": f"KH {i}"}]} for i in range(ROWS)
        ]
        body = {
            "vbotId": "1",
            "groupCode": "g",
            "campaignId": self.source.campaign_id,
            "name": "dot-1",
            "phones": phones,
        }
        return api("POST", "/api/campaign/create", json=body, headers=headers)

    def landed(self, res) -> bool:
        return res.status_code == 200 and res.json["status"] == 1

    def campaign_uuid(self, store):
        return store.campaigns.uuid_by_name("dot-1")


DIALECTS = [V3Json(), V3Csv(), Queue(), VBot()]


# -- what must hold afterwards -------------------------------------------------------------------
def lead_keys(store: Store) -> list[str]:
    return [k for k in store.r.scan_iter(match=f"{store.prefix}:lead:*", count=10_000) if k.count(":") == 2]


def nothing_dialable(store: Store) -> None:
    """No campaign holds a lead: nothing is queued, indexed or counted (the campaign may exist)."""
    for uuid in store.r.zrange(store.keys.campaigns, 0, -1) + store.r.zrange(store.keys.deleted, 0, -1):
        assert store.reports.queue_sizes(uuid)["fresh"] == 0
        assert store.r.zcard(store.keys.leads(uuid)) == 0
        assert store.r.hlen(store.keys.external(uuid)) == 0 and store.r.hlen(store.keys.numbers(uuid)) == 0


def each_row_once(store: Store, dialect: Dialect) -> None:
    uuid = dialect.campaign_uuid(store)
    assert uuid and store.reports.queue_sizes(uuid)["fresh"] == ROWS and store.r.zcard(store.keys.leads(uuid)) == ROWS
    leads = store.r.zrange(store.keys.fresh(uuid), 0, -1)
    pipe = store.r.pipeline(transaction=False)
    for lead in leads:
        pipe.hget(store.keys.lead(lead), "numbers")
        pipe.pttl(store.keys.lead(lead))
    answers = pipe.execute()
    numbers = [json.loads(n)[0] for n in answers[::2]]
    assert sorted(numbers) == sorted(number(i) for i in range(ROWS)), "each person once"
    assert set(answers[1::2]) == {-1}, "a committed lead never expires"


def staged_rows_expire(store: Store) -> None:
    """What the failed import staged carries a TTL no longer than the staging's, and goes by itself."""
    # Each key's TTL read once: a second read may find it already gone (-2), expired on time in between.
    ttls = {k: store.r.pttl(k) for k in lead_keys(store)}
    staged = [k for k, ttl in ttls.items() if ttl > 0]
    assert staged and all(ttls[k] <= STAGING_S * 1000 for k in staged)
    wait_until(lambda: not any(store.r.exists(k) for k in staged), timeout=STAGING_S + 20)


# -- Redis stopped mid-import ----------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_redis_stopped_after_batch_k_lands_nothing_and_the_retry_lands_each_row_once(on_aof, aof, dialect):
    store = on_aof.store
    dialect.setup(store)
    after_batch(store, 1, aof.stop)  # SIGTERM: Redis writes its AOF and exits, as systemd restarts it

    refused = dialect.send(on_aof.api)

    assert refused.status_code == 503, refused.text
    aof.start()
    del store.imports.stage_batch  # the hook is spent
    nothing_dialable(store)
    staged_rows_expire(store)
    retry = dialect.send(on_aof.api)
    assert dialect.landed(retry), retry.text
    each_row_once(store, dialect)


def test_a_staged_lead_is_never_claimed_by_an_engine(on_aof):
    """Between two staging batches the campaign runs and an engine claims: it gets nothing."""
    store, dialect = on_aof.store, V3Json()
    dialect.setup(store)
    claims: list[Any] = []
    after_batch(
        store,
        2,
        lambda: claims.extend(
            store.calls.claim(
                dialect.camp.campaign_uuid,
                50,
                "fs1",
                store.r.time()[0] * 1000 + 10**9,
                60_000,
                [f"call-{i}" for i in range(50)],
            )[0]
        ),
    )
    assert dialect.landed(dialect.send(on_aof.api))
    assert claims == [] and len(lead_keys(store)) == ROWS


# -- maxmemory -------------------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_maxmemory_hit_after_batch_k_lands_nothing_and_unlinks_what_was_staged(on_small_redis, dialect):
    store = on_small_redis.store
    dialect.setup(store)
    after_batch(store, 1, lambda: fill_redis(store))

    refused = dialect.send(on_small_redis.api)

    assert refused.status_code == 503, refused.text
    nothing_dialable(store)
    assert lead_keys(store) == [], "a refused import unlinks what it staged (DEL works over maxmemory)"
    store.r.config_set("maxmemory", 0)
    del store.imports.stage_batch
    retry = dialect.send(on_small_redis.api)
    assert dialect.landed(retry), retry.text
    each_row_once(store, dialect)


def test_maxmemory_hit_at_the_commit_lands_nothing(on_small_redis):
    """Every row staged, then Redis is full: the commit script is refused before its first write."""
    store, dialect = on_small_redis.store, V3Json()
    dialect.setup(store)
    before_commit(store, lambda: fill_redis(store))

    refused = dialect.send(on_small_redis.api)

    assert refused.status_code == 503, refused.text
    nothing_dialable(store)
    assert lead_keys(store) == []


# -- the commit's answer lost on the way -------------------------------------------------------------
def lose_the_answer(store: Store) -> None:
    """The commit runs in Redis; its reply never reaches the API (the connection drops)."""
    original = store.imports.commit
    spent = {"done": False}

    def commit(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        if not spent["done"]:
            spent["done"] = True
            raise redis.ConnectionError("Connection closed by server.")
        return out

    store.imports.commit = commit  # type: ignore[method-assign]


def test_a_retry_after_a_lost_answer_dials_nobody_twice(on_aof):
    """The 503 came after the commit: the retry finds every row already queued (customer ids and
    numbers with calls pending are duplicates) and queues none again."""
    store, dialect = on_aof.store, V3Csv()
    dialect.setup(store)
    lose_the_answer(store)
    assert dialect.send(on_aof.api).status_code == 503
    retry = dialect.send(on_aof.api)
    assert retry.status_code == 200 and retry.json["imported"] == 0 and len(retry.json["duplicates"]) == ROWS
    each_row_once(store, dialect)


@pytest.mark.parametrize("dialect", DIALECTS, ids=lambda d: d.name)
def test_with_an_idempotency_key_the_retry_gets_the_first_answer(on_aof, dialect):
    store = on_aof.store
    dialect.setup(store)
    lose_the_answer(store)
    key = {"Idempotency-Key": f"import-{dialect.name}-1"}
    assert dialect.send(on_aof.api, key).status_code == 503
    retry = dialect.send(on_aof.api, key)
    assert dialect.landed(retry), retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    each_row_once(store, dialect)
