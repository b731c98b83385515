"""Settling calls whose hangup nobody heard, from FreeSWITCH's CDRs (mod_json_cdr).

When an engine finds an attempt with no channel left on its FreeSWITCH and no
hangup heard (it was not listening when the call ended, or the originate was
written but never ran), the result is in FreeSWITCH's CDR of the call, if the
call ever had a channel: mod_json_cdr posts one for every channel, and the
API keeps it in the call's hash (dialer/service/switch_cdrs.py).

To know when to stop waiting, the engine sends a **CDR barrier**: a channel of
mod_loopback's ``null`` endpoint that ends at once (``originate null/… &hangup()``,
tagged ``autocall_cdr_probe``). mod_json_cdr's queue (``queue-capacity``, as
freeswitch-conf ships it) posts CDRs one at a time in hangup order, so once
the barrier's CDR has come, the CDR of every channel that ended before it was
sent, ours included, has come too (or went to the error directory after every
retry failed: autocall refused it for minutes). Then:

* the attempt's CDR came: it ends with it, as if its hangup had been heard;
* no CDR: the call never had a channel, nobody rang, and the lead is dialled
  again without counting an attempt (``NOT_RUN``);
* the barrier's CDR did not come within ``wait_s`` (mod_json_cdr not loaded or
  not pointed at autocall, the secret wrong, mod_loopback missing): the call
  may have rung and ended unheard, and it is recorded lost, counted (``LOST``),
  as without CDRs.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

import gevent

from dialer.engine.calls import CallTracker, InFlight
from dialer.esl.connection import NotConnectedError
from dialer.esl.json_cdr import probe_originate
from dialer.esl.node import Node
from dialer.store.switch_cdrs import SwitchCdrs

log = logging.getLogger("autocall.engine")
RESEND_S = 5.0  # a barrier whose CDR has not come by then is sent again (any one of them will do)


class CdrWait:
    def __init__(
        self,
        cdrs: SwitchCdrs,
        tracker: CallTracker,
        *,
        enabled: bool,
        wait_s: float = 60.0,
        poll_s: float = 0.5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cdrs = cdrs
        self.tracker = tracker
        self.enabled = enabled  # AUTOCALL_CDR_SECRET is set: this deployment takes FreeSWITCH's CDRs in
        self.wait_s, self.poll_s = wait_s, poll_s
        self.clock = clock
        self.from_cdrs = 0  # attempts settled from a kept hangup (FreeSWITCH's CDR)
        self.not_run = 0
        self.barriers = 0

    def apply_kept(self, atts: list[InFlight]) -> None:
        """Give the attempts the hangups kept for them in Redis (FreeSWITCH's CDRs, switch_cdrs.py)."""
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

    def barrier(self, node: Node) -> str:
        """Originate the barrier channel on ``node``; its uuid ("" when it could not be sent)."""
        probe = str(uuid.uuid4())
        try:
            if node.conn is None:
                return ""
            node.conn.send_nowait([probe_originate(probe)])
        except NotConnectedError:
            return ""
        self.barriers += 1
        return probe

    def settle(self, atts: list[InFlight], node: Node) -> tuple[list[InFlight], list[InFlight]]:
        """Wait for the CDRs of attempts with no channel; returns (never run, lost) among those still open."""
        atts = [a for a in atts if not a.done]
        if not atts:
            return [], []
        started = sent = time.monotonic()
        probes = [self.barrier(node)] if self.enabled else []
        passed = False
        while self.enabled:
            # Read before the kept hangups: what came before the barrier's CDR is in Redis by then.
            passed = any(self.cdrs.probe_came(p) for p in probes if p)
            self.apply_kept(atts)
            if passed or all(a.done or a.hangups for a in atts) or time.monotonic() - started >= self.wait_s:
                break
            if time.monotonic() - sent >= RESEND_S:  # refused (sps), or sent on a connection that dropped
                probes.append(self.barrier(node))
                sent = time.monotonic()
            gevent.sleep(self.poll_s)
        for att in atts:
            if att.hangups and not att.done:  # some of its legs ran (a serial attempt's first numbers): that is all
                self.tracker.end(att)
        atts = [a for a in atts if not a.done]
        if passed:
            self.not_run += len(atts)
            return atts, []
        if self.enabled and atts:
            log.warning(
                "no CDR barrier from FreeSWITCH: is mod_json_cdr posting to autocall (and mod_loopback "
                "loaded)? calls without a CDR are recorded lost",
                extra={"node": node.name, "calls": len(atts), "barriers": len(probes)},
            )
        return [], atts
