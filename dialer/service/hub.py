"""Long imports share the daemon's event loop with the ESL readers: they give it back every few
milliseconds of work and keep the cyclic garbage collector out of the way while their rows exist."""

from __future__ import annotations

import contextlib
import gc
from time import perf_counter

import gevent

SLICE_S = 0.005  # work between two yields to the hub: far below the 20 ms an ESL reader may wait
RELEASE_BATCH = 1000  # items freed between two checkpoints when a big list is let go

_gc_holds = 0
_resumed = perf_counter()  # when the import last got the hub back


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

    ``gevent.sleep(0)`` only runs ready greenlets and does not poll I/O; ``gevent.idle()`` returns
    once the loop has polled and run everything ready (a 1 ms sleep did too, but slept 1 ms each
    time). Under load the import thus waits for the engine, never the other way round.
    """
    global _resumed
    gevent.idle()
    _resumed = perf_counter()


def checkpoint() -> None:
    """Call between two small pieces of work (a row, a slice): yields once :data:`SLICE_S` has
    passed since the import last got the hub back."""
    if perf_counter() - _resumed >= SLICE_S:
        yield_to_io()


def release(items: list) -> None:
    """Empty a big list a slice at a time: freeing 100,000 rows (their dicts, strings, models)
    in one go held the hub ~50 ms when the request ended."""
    while items:
        del items[-RELEASE_BATCH:]
        checkpoint()
