"""``--originate-log PATH``: one line per originate the switch receives, for latency benches.

Each line is ``<time.monotonic_ns()> <uuid>\\n``, taken as the ``api``/``bgapi originate`` arrives
and written with one unbuffered ``write`` (so a reader sees whole lines at once). The uuid is the
dial string's ``origination_uuid`` (``{}``, else the first leg's ``[]``), else the bgapi's
Job-UUID, else ``-``. CLOCK_MONOTONIC is one clock for every process of a Linux box, so a bench
compares these times with its own ``time.monotonic_ns()``.
"""

from __future__ import annotations

import os

from simswitch.dialstring import Originate


class OriginateLog:
    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def record(self, received_ns: int, spec: Originate | None, job_uuid: str | None) -> None:
        if self._fd is None:
            return
        uuid = origination_uuid(spec) or job_uuid or "-"
        os.write(self._fd, b"%d %s\n" % (received_ns, uuid.encode()))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def origination_uuid(spec: Originate | None) -> str | None:
    """The uuid the dial string gives its call: ``{origination_uuid=}``, else the first leg's ``[]``."""
    if spec is None:
        return None
    for name, value in spec.global_vars:
        if name == "origination_uuid":
            return value
    for group in spec.groups:
        for leg in group:
            for name, value in leg.variables:
                if name == "origination_uuid":
                    return value
        break
    return None
