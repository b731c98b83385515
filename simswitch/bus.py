"""Fan events out to the ESL listeners that subscribed to them.

Like FreeSWITCH, an event nobody listens to is never serialised: ``wants``
is checked before the (costly) rendering, and each format is rendered once
per event however many listeners share it.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

from simswitch.clock import SimClock
from simswitch.templates import Template


class Subscriber(Protocol):
    fmt: str

    def wants(self, event_name: str, subclass: str) -> bool: ...

    def passes_filters(self, values: dict[str, str]) -> bool: ...

    def deliver(self, data: bytes) -> None: ...


class EventBus:
    def __init__(self, clock: SimClock, core_uuid: str, hostname: str, first_sequence: int = 1):
        self.clock = clock
        self.base = {"core_uuid": core_uuid, "hostname": hostname}
        self.listeners: list[Subscriber] = []
        self._seq = itertools.count(first_sequence)
        self.emitted = 0

    def wants(self, event_name: str, subclass: str = "") -> bool:
        return any(sub.wants(event_name, subclass) for sub in self.listeners)

    def emit(self, template: Template, ctx: dict[str, Any], subclass: str = "") -> None:
        # Every fired event takes a sequence number, listened to or not.
        seq = next(self._seq)
        targets = [sub for sub in self.listeners if sub.wants(template.event_name, subclass)]
        if not targets:
            return
        ctx["seq"] = seq
        ctx["now_us"] = self.clock.now_us()
        rendered: dict[str, bytes] = {}
        flat: dict[str, str] | None = None
        for sub in targets:
            if getattr(sub, "filters", None):
                if flat is None:  # the header values, only for a listener that filters on them
                    flat = _flatten(template.values(ctx))
                if not sub.passes_filters(flat):
                    continue
            data = rendered.get(sub.fmt)
            if data is None:
                data = rendered[sub.fmt] = template.render(ctx, sub.fmt)
            sub.deliver(data)
        self.emitted += 1


def _flatten(values: list[tuple[str, str, bool]]) -> dict[str, str]:
    from urllib.parse import unquote

    out: dict[str, str] = {}
    for a, b, static in values:
        if static:
            for line in a.split("\n"):
                if line:
                    k, _, v = line.partition(": ")
                    out.setdefault(k, unquote(v))
        else:
            out.setdefault(a, b)
    return out
