"""What a real FreeSWITCH did, heard on its own Event Socket beside autocall (not through autocall).

``FsWatch(fs, "CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE")`` keeps a connection subscribed to those events
in a background thread (a greenlet under the test suite's gevent patching) and reconnects after the
switch restarts; every event is kept with the local time it arrived (``_received``). ``fs_counts``
reads ``status``'s session counters.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable

from tests.realfs.esl_client import EslError
from tests.realfs.fsharness import RealFreeSwitch


class FsWatch:
    def __init__(self, fs: RealFreeSwitch, events: str = "CHANNEL_ANSWER CHANNEL_HANGUP_COMPLETE") -> None:
        self.fs, self.names = fs, events
        self.events: list[dict] = []  # plain events, plus _received (time.time() on arrival)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FsWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.fs.connect(self.names, timeout=2) as esl:
                    while not self._stop.is_set():
                        try:
                            event = esl.wait_event(lambda e: True, timeout=0.5)
                        except TimeoutError:
                            continue
                        self.events.append({**event, "_received": time.time()})
            except (OSError, EslError):
                time.sleep(0.1)

    def where(self, pred: Callable[[dict[str, str]], bool]) -> list[dict[str, str]]:
        return [e for e in list(self.events) if pred(e)]

    def first(self, name: str, uuid: str) -> dict[str, str] | None:
        found = self.where(lambda e: e.get("Event-Name") == name and e.get("Unique-ID") == uuid)
        return found[0] if found else None

    def legs(self) -> dict[str, tuple[str, float]]:
        """Our outbound legs so far: uuid -> (``ringing``/``up``/``ended``, when that began, local time).
        Needs CHANNEL_PROGRESS, CHANNEL_ANSWER and CHANNEL_HANGUP_COMPLETE in the subscription."""
        state = {"CHANNEL_PROGRESS": "ringing", "CHANNEL_ANSWER": "up", "CHANNEL_HANGUP_COMPLETE": "ended"}
        rank = {"ringing": 0, "up": 1, "ended": 2}
        legs: dict[str, tuple[str, float]] = {}
        for e in list(self.events):
            now = state.get(e.get("Event-Name", ""))
            if now and e.get("Call-Direction") == "outbound":
                before = legs.get(e["Unique-ID"])
                if before is None or rank[now] > rank[before[0]]:
                    legs[e["Unique-ID"]] = (now, e["_received"])
        return legs

    def wait(self, pred: Callable[[dict[str, str]], bool], timeout: float, what: str) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.where(pred)
            if found:
                return found[0]
            time.sleep(0.05)
        raise AssertionError(f"FreeSWITCH sent no {what} in {timeout} s")


def fs_counts(fs: RealFreeSwitch) -> dict[str, int]:
    """``status``: sessions now and since startup (``N session(s) since startup``, ``N session(s) - peak``)."""
    text = fs.api("status")
    since = re.search(r"(\d+) session\(s\) since startup", text)
    now = re.search(r"(\d+) session\(s\) - peak", text)
    assert since and now, f"unexpected status answer: {text!r}"
    return {"since_startup": int(since.group(1)), "now": int(now.group(1))}
