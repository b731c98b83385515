"""``AUTOCALL_REDIS_URL`` to a redis-py client: one Redis, or the primary a set of Sentinels names.

* ``redis://`` / ``rediss://`` / ``unix://``: redis-py's own ``Redis.from_url``.
* ``redis+sentinel://[[user]:password@]host:port[,host:port...]/<service_name>[/<db>][?options]``
  (``rediss+sentinel://``: TLS to the Sentinels and to the servers): redis-py's
  ``Sentinel(...).master_for(service_name)``. Its pool asks the Sentinels for the primary at
  each connect, drops idle connections when the primary changed, and turns a demoted
  primary's ``READONLY`` reply into a ``ConnectionError`` (so a write is retried on the new
  primary like after any dropped connection: a failover looks like a short outage).

Either way redis-py never re-runs a command itself (``never_retried``): its callers retry.

The password in the URL is the servers' (``requirepass``/ACL user); a Sentinel's own
(its ``requirepass``) is ``?sentinel_password=`` (and ``?sentinel_username=``). Other query
options are redis-py's ``from_url`` ones (``socket_timeout=``, ``ssl_ca_certs=``...), given to
the servers' connections and, for ``socket_*``/``ssl*``, to the Sentinels' too.

``?wait_replicas=N&wait_timeout_ms=MS`` (any scheme) ask writes to be acknowledged by N replicas
(dialer/store/replication.py); with Sentinel, N defaults to 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit

import redis
import redis.connection
from redis.backoff import NoBackoff
from redis.retry import Retry
from redis.sentinel import Sentinel

SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
SENTINEL_PORT = 26379
SENTINEL_SOCKET_TIMEOUT = 1.0  # s: a Sentinel that does not answer is skipped for the next
PRIMARY_CONNECT_TIMEOUT = 2.0  # s: a primary's host gone (no RST) must not hold a connect for minutes
DEFAULT_WAIT_TIMEOUT_MS = 500
HEALTH_CHECK_S = 30


@dataclass(frozen=True, slots=True)
class WaitPolicy:
    """How many replicas must acknowledge a write autocall acts on, and how long to wait for them."""

    replicas: int = 0  # 0: never wait (one Redis)
    timeout_ms: int = DEFAULT_WAIT_TIMEOUT_MS


@dataclass(frozen=True, slots=True)
class SentinelUrl:
    sentinels: list[tuple[str, int]]
    service: str
    db: int
    tls: bool
    username: str | None
    password: str | None
    sentinel_username: str | None
    sentinel_password: str | None
    options: dict[str, Any]  # redis-py connection options from the query


def is_sentinel(url: str) -> bool:
    return url.split("://", 1)[0].lower() in SENTINEL_SCHEMES


def secrets_in(url: str) -> list[str]:
    """The passwords a URL carries (the servers' and the Sentinels'), as written and decoded."""
    found = []
    password = urlsplit(url).password
    if password:
        found += [password, unquote(password)]
    for piece in urlsplit(url).query.split("&"):
        name, _, raw = piece.partition("=")
        if name == "sentinel_password" and raw:
            found += [raw, unquote_plus(raw)]
    return found


def check_url(url: str) -> None:
    """Raises ValueError when ``url`` is a Sentinel URL autocall cannot use, or its wait options are wrong."""
    _wait_policy(dict(parse_qsl(urlsplit(url).query)), 0)
    if is_sentinel(url):
        parse_sentinel_url(url)


def never_retried() -> Retry:
    """No silent retry inside redis-py, on one Redis as through Sentinel: a failed command is autocall's to
    retry (the writer's back-off, a pacer's next turn, the API's 503), never re-run by the client on the next
    connection. redis-py re-sends a command whose answer a broken connection lost (10 times by default): a
    claim.lua re-run would hand the call uuids of a claim that did run to other leads (the first leads stuck
    in ``dialing``, their network counted twice); the claim must fail instead, to be given back (calls.py).
    A pooled connection Redis closed meanwhile is replaced before use (redis-py's pool), so a restart costs
    no failed command."""
    return Retry(NoBackoff(), 0)


def connect(url: str) -> tuple[redis.Redis, WaitPolicy]:
    """A client (``decode_responses``) for ``url`` and the replicas its writes wait for."""
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    sentinel = is_sentinel(url)
    policy = _wait_policy(query, default_replicas=1 if sentinel else 0)
    if not sentinel:
        plain = url
        if any(k.startswith("wait_") for k in query):  # ours, not redis-py's
            rest = {k: v for k, v in query.items() if not k.startswith("wait_")}
            plain = url.split("?", 1)[0] + (f"?{urlencode(rest)}" if rest else "")
        client = redis.Redis.from_url(
            plain, decode_responses=True, health_check_interval=HEALTH_CHECK_S, retry=never_retried()
        )
        return client, policy
    parsed = parse_sentinel_url(url)
    shared = {k: v for k, v in parsed.options.items() if k.startswith(("socket_", "ssl"))}
    sentinel_kwargs: dict[str, Any] = {
        # A Sentinel that fails is skipped for the next one at once (redis-py would retry it 10 times, seconds)
        "retry": Retry(NoBackoff(), 0),
        "socket_timeout": SENTINEL_SOCKET_TIMEOUT,
        "socket_connect_timeout": SENTINEL_SOCKET_TIMEOUT,
        **shared,
        "username": parsed.sentinel_username,
        "password": parsed.sentinel_password,
        "ssl": parsed.tls,
    }
    sentinels = Sentinel(parsed.sentinels, sentinel_kwargs=sentinel_kwargs)
    server_kwargs: dict[str, Any] = {
        # never_retried(), and here also: a WAIT re-asked of the new primary would vouch for a write the old
        # one took (replication.py).
        "retry": never_retried(),
        "socket_connect_timeout": PRIMARY_CONNECT_TIMEOUT,
        "socket_keepalive": True,
        "health_check_interval": HEALTH_CHECK_S,
        **parsed.options,
        "db": parsed.db,
        "username": parsed.username,
        "password": parsed.password,
        "ssl": parsed.tls,
        "decode_responses": True,
    }
    return sentinels.master_for(parsed.service, **server_kwargs), policy


def parse_sentinel_url(url: str) -> SentinelUrl:
    """Raises ValueError, naming what is wrong (never the password)."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() not in SENTINEL_SCHEMES:
        raise ValueError(f"not a Sentinel URL: the scheme must be one of {', '.join(SENTINEL_SCHEMES)}")
    rest, _, query = rest.partition("?")
    netloc, _, path = rest.partition("/")
    userinfo, at, hosts = netloc.rpartition("@")
    username = password = None
    if at:
        user, colon, secret = userinfo.partition(":")
        username = unquote(user) or None
        password = unquote(secret) if colon and secret else None
    sentinels = [_host_port(h) for h in hosts.split(",") if h.strip()]
    if not sentinels:
        raise ValueError("a Sentinel URL names at least one Sentinel: redis+sentinel://host:port[,host:port]/service")
    parts = [unquote(p) for p in path.split("/") if p]
    if not parts or len(parts) > 2:
        raise ValueError("a Sentinel URL ends with /<service_name>[/<db>]")
    try:
        db = int(parts[1]) if len(parts) == 2 else 0
    except ValueError:
        raise ValueError("the database after the service name is a number") from None
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    sentinel_username = pairs.pop("sentinel_username", None) or None
    sentinel_password = pairs.pop("sentinel_password", None) or None
    pairs = {k: v for k, v in pairs.items() if not k.startswith("wait_")}
    # redis-py's own parsers for its from_url options (types, booleans), on a stand-in URL
    options = redis.connection.parse_url("redis://localhost/?" + urlencode(pairs)) if pairs else {}
    for taken in ("host", "port", "db", "username", "password", "connection_class"):
        options.pop(taken, None)
    if "db" in pairs:
        db = int(pairs["db"])
    return SentinelUrl(
        sentinels,
        parts[0],
        db,
        scheme.lower() == "rediss+sentinel",
        username,
        password,
        sentinel_username,
        sentinel_password,
        options,
    )


def _host_port(text: str) -> tuple[str, int]:
    text = text.strip()
    if text.startswith("["):  # [IPv6]:port
        host, _, port = text[1:].partition("]")
        port = port.removeprefix(":")
    else:
        host, _, port = text.rpartition(":") if ":" in text else (text, "", "")
    if not host:
        raise ValueError(f"a Sentinel address is host:port, not {text!r}")
    try:
        return host, int(port) if port else SENTINEL_PORT
    except ValueError:
        raise ValueError(f"a Sentinel address is host:port, not {text!r}") from None


def _wait_policy(query: dict[str, str], default_replicas: int) -> WaitPolicy:
    try:
        replicas = int(query.get("wait_replicas", default_replicas))
        timeout_ms = int(query.get("wait_timeout_ms", DEFAULT_WAIT_TIMEOUT_MS))
    except ValueError:
        raise ValueError("wait_replicas and wait_timeout_ms are whole numbers") from None
    if replicas < 0 or not 1 <= timeout_ms <= 60_000:
        raise ValueError("wait_replicas is 0 or more; wait_timeout_ms between 1 and 60000")
    return WaitPolicy(replicas, timeout_ms)
