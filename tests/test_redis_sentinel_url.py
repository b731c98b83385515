"""AUTOCALL_REDIS_URL's Sentinel form (dialer/store/connect.py): what each part becomes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from redis.sentinel import SentinelConnectionPool

from dialer.config import Settings
from dialer.store.connect import WaitPolicy, connect, parse_sentinel_url


def test_hosts_service_db_and_the_servers_password():
    url = parse_sentinel_url("redis+sentinel://:s%40cret@10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/autocall/2")
    assert url.sentinels == [("10.0.0.1", 26379), ("10.0.0.2", 26380), ("::1", 26381)]
    assert (url.service, url.db, url.password, url.username, url.tls) == ("autocall", 2, "s@cret", None, False)
    assert url.sentinel_password is None, "the servers' password is not sent to the Sentinels"


def test_a_sentinel_without_a_port_is_on_26379_and_the_db_defaults_to_0():
    url = parse_sentinel_url("redis+sentinel://sentinel-a,sentinel-b:1/mymaster")
    assert url.sentinels == [("sentinel-a", 26379), ("sentinel-b", 1)] and url.db == 0


def test_the_sentinels_own_password_and_redis_py_options_come_from_the_query():
    url = parse_sentinel_url(
        "rediss+sentinel://app:pw@h:1/svc?sentinel_password=spw&sentinel_username=sen"
        "&socket_timeout=2.5&ssl_ca_certs=/etc/ca.pem&wait_replicas=2"
    )
    assert (url.username, url.password, url.sentinel_username, url.sentinel_password) == ("app", "pw", "sen", "spw")
    assert url.tls and url.options == {"socket_timeout": 2.5, "ssl_ca_certs": "/etc/ca.pem"}


@pytest.mark.parametrize(
    "url",
    [
        "redis+sentinel://h:1",  # no service
        "redis+sentinel://h:1/svc/x",  # db not a number
        "redis+sentinel:///svc",  # no Sentinel
        "redis+sentinel://h:port/svc",
        "redis+sentinel://h:1/svc/0/more",
        "redis+sentinel://h:1/svc?wait_timeout_ms=0",
        "redis://h:1/0?wait_replicas=-1",
    ],
)
def test_a_malformed_sentinel_url_is_refused_at_start(url):
    with pytest.raises(ValidationError) as info:
        Settings(redis_url=url, freeswitch="")
    assert "redis_url" in str(info.value)


def test_a_sentinel_url_connects_through_sentinel_to_the_primary_and_waits_for_one_replica():
    client, wait = connect("redis+sentinel://127.0.0.1:1,127.0.0.1:2/autocall/3")
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool) and pool.is_master and pool.service_name == "autocall"
    assert pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["retry"].get_retries() == 0, "a failed command is autocall's to retry, not redis-py's"
    sentinels = pool.sentinel_manager.sentinels
    assert [s.get_retry().get_retries() for s in sentinels] == [0, 0], "a Sentinel that fails: the next one, at once"
    assert wait == WaitPolicy(replicas=1, timeout_ms=500)


def test_a_plain_url_waits_for_nothing_unless_asked():
    client, wait = connect("redis://127.0.0.1:1/0")
    assert wait == WaitPolicy(replicas=0) and not isinstance(client.connection_pool, SentinelConnectionPool)
    client, wait = connect("redis://127.0.0.1:1/4?wait_replicas=1&wait_timeout_ms=200")
    assert wait == WaitPolicy(replicas=1, timeout_ms=200)
    assert client.connection_pool.connection_kwargs["db"] == 4, "redis-py never sees our options"


def test_wait_replicas_0_turns_the_wait_off_with_sentinel():
    assert connect("redis+sentinel://h:1/svc?wait_replicas=0")[1].replicas == 0


def test_both_passwords_are_scrubbed_from_the_logs():
    settings = Settings(redis_url="redis+sentinel://:data%2Fpw@h:1,h:2/svc?sentinel_password=sentinel%23pw")
    assert {"data%2Fpw", "data/pw", "sentinel%23pw", "sentinel#pw"} <= set(settings.secrets())
