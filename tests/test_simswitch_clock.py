"""Simulated time (simswitch/clock.py): a timer the busy hub runs late still happens when it was due."""

from __future__ import annotations

import time

from gevent import monkey
from gevent.event import AsyncResult

from simswitch.clock import Scheduler, SimClock

# The unpatched sleep blocks the whole process, as a busy CPU (another test, another xdist worker) would.
block_hub = monkey.get_original("time", "sleep")


def test_a_late_timer_is_stamped_when_it_was_due_and_what_it_schedules_counts_from_there():
    clock = SimClock(time_scale=0.01)
    sched = Scheduler(clock)
    answered, hung_up = AsyncResult(), AsyncResult()

    def answer() -> None:
        answered.set(clock.now_us())
        sched.after(25, lambda: hung_up.set(clock.now_us()))  # talk 25 simulated seconds

    ring = sched.after(4, answer)  # ring 4 simulated seconds: due 40 ms from now
    sched.start()
    try:
        block_hub(0.2)  # the hub gets to both timers 160 ms (16 simulated seconds) after the answer was due
        unblocked = time.monotonic()
        at_answer, at_bye = answered.get(timeout=10), hung_up.get(timeout=10)
        after = clock.now_us()
    finally:
        sched.stop()
    assert at_answer == clock.at_us(ring.deadline)
    assert abs(at_bye - at_answer - 25_000_000) <= 1  # float rounding of the µs
    assert after >= clock.at_us(unblocked)  # outside a timer, now is the wall clock's again


def test_what_happens_at_one_instant_is_stamped_with_one_instant():
    """An originate (frozen at its arrival, switch.py): its leg's creation and the timer it sets share a moment,
    however long the busy process takes in between."""
    clock = SimClock(time_scale=0.01)
    sched = Scheduler(clock)
    with clock.frozen():
        created = clock.now_us()
        block_hub(0.05)  # 5 simulated seconds of a process held up
        timeout = sched.after(20, lambda: None)  # originate_timeout 20
        assert clock.now_us() == created
    assert abs(clock.at_us(timeout.deadline) - created - 20_000_000) <= 1  # float rounding of the µs
    assert clock.now_us() - created >= 5_000_000  # unfrozen: the wall clock's now again
