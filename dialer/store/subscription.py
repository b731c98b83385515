"""A subscription to the events channel: the campaign changes and wake-ups any process publishes.

The store publishes (``wake <uuid>``, ``status <uuid> <status>``, ``changed
<uuid>``); an engine subscribes here. redis-py reconnects and resubscribes by
itself after a dropped connection, silently: ``on_resubscribed`` (run after its
resubscription) is how the subscriber learns of it, since whatever was
published meanwhile is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import redis

from dialer.store.keys import Keys


class Subscription:
    """One subscription on its own connection; :meth:`close` hands the connection back."""

    def __init__(self, client: redis.Redis, channel: str, on_resubscribed: Callable[[Any], None]) -> None:
        self._pubsub = client.pubsub(ignore_subscribe_messages=True)
        self._on_resubscribed = on_resubscribed
        try:
            self._pubsub.subscribe(channel)
        except BaseException:
            self._pubsub.close()
            raise
        self._watched = self._pubsub.connection
        if self._watched is not None:
            self._watched.register_connect_callback(on_resubscribed)

    def messages(self) -> Iterator[str]:
        """Each message's text, as it comes (blocks; raises a RedisError when the connection fails for good)."""
        for message in self._pubsub.listen():
            yield str(message.get("data", ""))

    def close(self) -> None:
        if self._watched is not None:
            self._watched.deregister_connect_callback(self._on_resubscribed)  # back to the shared pool: not ours
        self._pubsub.close()


class EventSubscriptions:
    def __init__(self, client: redis.Redis, keys: Keys) -> None:
        self.r = client
        self.keys = keys

    def subscribe(self, on_resubscribed: Callable[[Any], None]) -> Subscription:
        """Subscribe to the events channel; ``on_resubscribed(connection)`` runs after each silent
        resubscription by redis-py (a bound method: redis-py keeps a weak reference to it)."""
        return Subscription(self.r, self.keys.events, on_resubscribed)
