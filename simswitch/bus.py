"""Fan events out to the ESL listeners that subscribed to them.

Like FreeSWITCH, an event nobody listens to is never serialised: ``wants``
is checked before the (costly) rendering, and each format is rendered once
per event however many listeners share it. Who wants an event is asked once
per event name until a subscription changes, not once per event.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any, Protocol, Self, SupportsIndex

from simswitch.clock import SimClock
from simswitch.templates import Template


class Subscriber(Protocol):
    fmt: str

    def wants(self, event_name: str, subclass: str) -> bool: ...

    def passes_filters(self, header: Callable[[str], str | None]) -> bool: ...  # header(lower-cased name)

    def deliver(self, data: bytes) -> None: ...


class Listeners(list[Subscriber]):
    """The bus's subscribers: a list that tells the bus when it changes."""

    def __init__(self, changed: Callable[[], None], items: Iterable[Subscriber] = ()) -> None:
        super().__init__(items)
        self._changed = changed

    def append(self, item: Subscriber) -> None:
        super().append(item)
        self._changed()

    def remove(self, item: Subscriber) -> None:
        super().remove(item)
        self._changed()

    def insert(self, index: SupportsIndex, item: Subscriber) -> None:
        super().insert(index, item)
        self._changed()

    def extend(self, items: Iterable[Subscriber]) -> None:
        super().extend(items)
        self._changed()

    def pop(self, index: SupportsIndex = -1) -> Subscriber:
        item = super().pop(index)
        self._changed()
        return item

    def clear(self) -> None:
        super().clear()
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        super().__setitem__(index, value)
        self._changed()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self._changed()

    def __iadd__(self, items: Iterable[Subscriber]) -> Self:  # type: ignore[override,misc]
        super().__iadd__(items)
        self._changed()
        return self


class EventBus:
    def __init__(self, clock: SimClock, core_uuid: str, hostname: str, first_sequence: int = 1):
        self.clock = clock
        self.base = {"core_uuid": core_uuid, "hostname": hostname}
        # (event name, subclass) -> the subscribers that want it, in order; emptied whenever the
        # subscribers or a subscription change (``subscriptions_changed``)
        self._wanted: dict[tuple[str, str], list[Subscriber]] = {}
        self._listeners = Listeners(self.subscriptions_changed)
        self._seq = itertools.count(first_sequence)
        self.emitted = 0

    @property
    def listeners(self) -> list[Subscriber]:
        return self._listeners

    @listeners.setter
    def listeners(self, items: Iterable[Subscriber]) -> None:
        self._listeners = Listeners(self.subscriptions_changed, items)
        self.subscriptions_changed()

    def subscriptions_changed(self) -> None:
        """A subscriber came, went, or changed what it listens to (``event``, ``nixevent``, ...)."""
        self._wanted.clear()

    def _targets(self, event_name: str, subclass: str) -> list[Subscriber]:
        key = (event_name, subclass)
        targets = self._wanted.get(key)
        if targets is None:
            targets = self._wanted[key] = [sub for sub in self._listeners if sub.wants(event_name, subclass)]
        return targets

    def wants(self, event_name: str, subclass: str = "") -> bool:
        return bool(self._targets(event_name, subclass))

    def sequence(self) -> int:
        """Take the next sequence number for an event that is built but never fired (a request's
        parameters: switch_event_create numbers every event it makes)."""
        return next(self._seq)

    def emit(self, template: Template, ctx: dict[str, Any], subclass: str = "") -> None:
        # Every fired event takes a sequence number, listened to or not.
        seq = next(self._seq)
        targets = self._wanted.get((template.event_name, subclass))
        if targets is None:
            targets = self._targets(template.event_name, subclass)
        if not targets:
            return
        ctx["seq"] = seq
        ctx["now_us"] = self.clock.now_us()
        rendered: dict[str, bytes] = {}
        for sub in targets:
            # A listener's filters look up only the headers they name (Template.header), never render
            if getattr(sub, "filters", None) and not sub.passes_filters(lambda name: template.header(ctx, name)):
                continue
            data = rendered.get(sub.fmt)
            if data is None:
                data = rendered[sub.fmt] = template.render(ctx, sub.fmt)
            sub.deliver(data)
        self.emitted += 1
