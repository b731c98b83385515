"""Long imports share the daemon's event loop with the ESL readers: they yield to it and keep
the cyclic garbage collector out of the way while their rows exist."""

from __future__ import annotations

import contextlib
import gc

import gevent

YIELD_EVERY = 500  # rows handled between two yields to the hub (about 10 ms of work)

_gc_holds = 0


@contextlib.contextmanager
def cyclic_gc_paused():
    """No cyclic-GC pass while a bulk import builds its rows.

    A 100,000-row import allocates ~10^6 objects that live until it ends, so
    full collections kept firing and each held the hub 100-200 ms (ESL events
    waited). The rows hold no reference cycles: reference counting frees
    them. Re-entrant across concurrent imports; collection resumes after.
    """
    global _gc_holds
    _gc_holds += 1
    if _gc_holds == 1:
        gc.disable()
    try:
        yield
    finally:
        _gc_holds -= 1
        if _gc_holds == 0:
            gc.enable()


def yield_to_io() -> None:
    """Let the hub poll sockets (ESL readers, other requests) in the middle of a long import.

    ``gevent.sleep(0)`` only runs ready greenlets and does not poll I/O, so a
    100,000-row import yielding that way still held ESL events back for
    ~450 ms at a time; a 1 ms timer forces a loop iteration with a poll.
    """
    gevent.sleep(0.001)
