"""Settling calls whose hangup nobody heard, from FreeSWITCH's CDRs (mod_json_cdr).

When an engine finds an attempt with no channel left on its FreeSWITCH and no
hangup heard (it was not listening when the call ended, or the originate was
written but never ran), the result is in FreeSWITCH's CDR of the call, if the
call ever had a channel: mod_json_cdr posts one for every channel, and the
API keeps it in the call's hash (dialer/service/switch_cdrs.py). This waits
for those CDRs:

* a CDR came: the attempt ends with it, as if its hangup had been heard;
* none came within ``wait_s``, and the call's FreeSWITCH process (the same
  Core-UUID) has delivered a CDR since the channel was found missing (its
  CDRs flow, in hangup order): the call never had a channel, nobody rang, and
  the lead is dialled again without counting an attempt (``NOT_RUN``);
* none came and nothing proves that CDRs flow (mod_json_cdr not configured,
  or not one CDR from that process within ``max_wait_s``): the call may have
  rung, and it is recorded lost, counted (``LOST``), as without CDRs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import gevent

from dialer.engine.calls import CallTracker, InFlight
from dialer.esl.node import Node
from dialer.store.switch_cdrs import SwitchCdrs

log = logging.getLogger("autocall.engine")


class CdrWait:
    def __init__(self, cdrs: SwitchCdrs, tracker: CallTracker, *, enabled: bool, wait_s: float = 20.0,
                 max_wait_s: float = 120.0, poll_s: float = 1.0,
                 clock: Callable[[], float] = time.time) -> None:  # fmt: skip
        self.cdrs = cdrs
        self.tracker = tracker
        self.enabled = enabled  # AUTOCALL_CDR_SECRET is set: this deployment takes FreeSWITCH's CDRs in
        self.wait_s, self.max_wait_s, self.poll_s = wait_s, max(wait_s, max_wait_s), poll_s
        self.clock = clock
        self.from_cdrs = 0  # attempts settled from a kept hangup (a CDR, or another engine's)
        self.not_run = 0

    def apply_kept(self, atts: list[InFlight]) -> None:
        """End the attempts with the hangups kept for them in Redis (CDRs, or hangups another engine heard)."""
        atts = [a for a in atts if not a.done]
        if not atts:
            return
        kept = self.cdrs.kept([a.call_uuid for a in atts])
        for att in atts:
            legs = kept.get(att.call_uuid)
            if not legs or att.done:
                continue
            self.from_cdrs += 1
            att.live_legs.update(x for x in att.legs if x not in att.hangups)
            for leg in att.legs:
                if leg in legs and leg not in att.hangups and not att.done:
                    self.tracker.hung_up(att, leg, legs[leg])

    def settle(self, atts: list[InFlight], node: Node) -> tuple[list[InFlight], list[InFlight]]:
        """Wait for the CDRs of attempts with no channel; returns (never run, lost) among those still open."""
        atts = [a for a in atts if not a.done]
        if not atts:
            return [], []
        core = node.core_uuid
        since_ms = int(self.clock() * 1000)
        started = time.monotonic()
        flowing = False
        while True:
            self.apply_kept(atts)
            atts = [a for a in atts if not a.done]
            if not atts or not self.enabled or all(a.hangups for a in atts):
                break
            waited = time.monotonic() - started
            flowing = flowing or self.cdrs.last_cdr_ms(core) >= since_ms
            if (waited >= self.wait_s and flowing) or waited >= self.max_wait_s or node.core_uuid != core:
                break
            gevent.sleep(self.poll_s)
        for att in atts:
            if att.hangups:  # some of its legs ran (a serial attempt's first numbers): what they said is all
                self.tracker.end(att)
        atts = [a for a in atts if not a.done]
        if not atts:
            return [], []
        if self.enabled and flowing and node.core_uuid == core:
            self.not_run += len(atts)
            return atts, []
        return [], atts
