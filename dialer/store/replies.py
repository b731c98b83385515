"""Typed views of redis-py replies and arguments.

The store's client decodes every reply (``decode_responses=True``), so a reply is text, a list of
texts or a hash of texts; redis-py's own annotations also allow bytes (and, for hash arguments,
an invariant key type ``dict[str, str]`` does not match). These helpers say so in one place
instead of a cast at every call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from redis.typing import EncodableT


def text(reply: Any) -> str | None:
    """A string reply (None when the key or field is missing)."""
    return cast(str | None, reply)


def texts(reply: Any) -> list[str]:
    """A list of strings (ZRANGE, SMEMBERS, HMGET without missing fields...)."""
    return cast(list[str], list(reply))


def record(reply: Any) -> dict[str, str]:
    """A hash (HGETALL): {} when the key is missing."""
    return cast(dict[str, str], reply)


def fields(values: Mapping[str, str | int | float]) -> Mapping[EncodableT, EncodableT]:
    """A hash to write (HSET ``mapping=``)."""
    return cast(Mapping[EncodableT, EncodableT], values)
