"""The test suite's own Redis: real, private, never the default port."""


def test_redis_is_a_private_server_on_a_free_port(redis_server, redis_client):
    assert redis_server["port"] != 6379
    assert redis_client.ping()
    assert redis_client.info("server")["tcp_port"] == redis_server["port"]


def test_each_test_starts_with_an_empty_database_first(redis_client):
    redis_client.set("autocall:probe", "1")
    assert redis_client.dbsize() == 1


def test_each_test_starts_with_an_empty_database_second(redis_client):
    assert redis_client.dbsize() == 0
