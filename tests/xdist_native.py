"""An xdist worker under gevent: execnet's link to the controller keeps the interpreter's own locks.

A worker is started by execnet, whose receiver is a real OS thread started before ``tests.gevent_first``
patches. The primitives execnet and xdist make *after* the patch (xdist's queue of tests to run, execnet's
shutdown events) are taken from the ``threading`` module and so became gevent's: the receiver thread sets
them, the main thread's hub never hears of it and the worker dies of ``LoopExit`` waiting for its first
test. Here execnet's thread model hands out real locks and events instead; nothing else changes, so every
test still runs monkey-patched, as autocall does. Used only in a worker (``PYTEST_XDIST_WORKER`` is set
before the worker loads any plugin).
"""

from __future__ import annotations

from gevent import monkey

# The originals gevent saved when it patched: native, whichever thread releases them.
_allocate_lock = monkey.get_original("_thread", "allocate_lock")
_RLock = monkey.get_original("_thread", "RLock")


class NativeEvent:
    """``threading.Event`` on native locks: set from execnet's receiver thread, waited on by the main thread."""

    def __init__(self) -> None:
        self._mutex = _allocate_lock()
        self._waiters: list = []
        self._flag = False

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        with self._mutex:
            self._flag = True
            for waiter in self._waiters:
                waiter.release()
            self._waiters.clear()

    def clear(self) -> None:
        with self._mutex:
            self._flag = False

    def wait(self, timeout: float | None = None) -> bool:
        with self._mutex:
            if self._flag:
                return True
            waiter = _allocate_lock()
            waiter.acquire()
            self._waiters.append(waiter)
        # set() releases it; a second acquire blocks this OS thread until then (or the timeout).
        if waiter.acquire(timeout=-1 if timeout is None else timeout):
            return True
        with self._mutex:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            return self._flag


def keep_execnet_native() -> None:
    """Make execnet's thread models (xdist uses ``main_thread_only``, a subclass) build native primitives."""
    from execnet import gateway_base

    model = gateway_base.ThreadExecModel
    model.Lock = lambda self: _RLock()  # type: ignore[method-assign]  # execnet's Lock is an RLock too
    model.RLock = lambda self: _RLock()  # type: ignore[method-assign]
    model.Event = lambda self: NativeEvent()  # type: ignore[method-assign,assignment]
