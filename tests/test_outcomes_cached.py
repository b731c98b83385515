"""classify_cached is classify, worked out once per distinct input (the recorder's path)."""

from __future__ import annotations

import importlib
import itertools
import random

from dialer.outcomes import classify
from dialer.outcomes.cause_rules import CAUSE_RULES
from dialer.outcomes.classify import classify_cached

classify_module = importlib.import_module("dialer.outcomes.classify")  # the package names its function so

CAUSES = [None, "", "NONE", "16", "0", "user_busy", *sorted(CAUSE_RULES)[:40], "NOT_A_CAUSE"]
SIPS = [None, "", "200", "486", "sip:404", "487", "603", "garbage"]
DISPOSITIONS = [None, "send_bye", "recv_bye", "send_cancel", "recv_refuse", "recv_cancel"]
JOBS = [None, "-ERR USER_BUSY\n", "-ERR NO_ANSWER", "+OK x"]


def test_every_shape_gets_classifys_outcome_and_the_same_one_again():
    rng = random.Random(21)
    for _ in range(20_000):
        args = (
            rng.choice(CAUSES),
            rng.random() < 0.4,
            rng.choice([0, 0, 1, 3, 30]),
            rng.choice(SIPS),
            rng.choice(DISPOSITIONS),
            rng.random() < 0.1,
            rng.choice(JOBS),
            rng.random() < 0.1,
            rng.choice([0, 5]),
            rng.choice([None, True, False]),
        )
        names = ("cause", "answered", "billsec", "sip_status", "disposition", "beep", "job_error")
        names += ("cancelled_by_us", "min_answered_seconds", "message_played")
        want = classify(**dict(zip(names, args, strict=True)))
        assert classify_cached(*args) == want
        assert classify_cached(*args) is classify_cached(*args)  # kept: an Outcome is frozen


def test_the_outcomes_kept_are_bounded():
    for billsec in itertools.islice(itertools.count(1), classify_module._KEPT_MAX * 2):
        classify_cached("NORMAL_CLEARING", True, billsec, "200", "send_bye", False, None, False, 0, True)
    assert len(classify_module._kept) <= classify_module._KEPT_MAX
