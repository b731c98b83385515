"""docs/redis-keys.md lists every key the store builds."""

import inspect
from pathlib import Path

from dialer.store.keys import Keys

DOC = (Path(__file__).parents[1] / "docs" / "redis-keys.md").read_text()


def test_every_key_in_keys_py_is_documented():
    keys = Keys()
    for name, member in inspect.getmembers(Keys):
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            key = getattr(keys, name)
        else:
            params = list(inspect.signature(member).parameters)[1:]
            placeholder = {
                "uuid": "<uuid>",
                "hour": "<YYYYMMDDHH>",
                "delivery": "<id>",
                "name": "<name>",
                "minute": "<minute>",
            }
            key = member(keys, *[placeholder[p] for p in params])
        assert f"`{key}`" in DOC, key
