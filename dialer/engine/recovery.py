"""Crash recovery on our own nodes: settling the calls whose events we may have missed.

After a (re)connect the calls placed on an earlier connection are asked
about (``show channels``): one FreeSWITCH still has goes on, one it no
longer has ends from its kept hangup or CDR, or is recorded lost, or never
ran; a new Core-UUID means FreeSWITCH itself restarted and every old call
ended when the connection dropped; so does a node whose every connect is
refused for a while (its process is gone). A call older than the longest call
is asked about too, and hung up. Calls of dead engines are adopted first
(adoption.py) and then settled here the same way, asked about twice
(docs/engine.md, "Crashes").
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import gevent

from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.cdr_wait import CdrWait
from dialer.esl.connection import NotConnectedError
from dialer.esl.node import Node
from dialer.outcomes.own_causes import LOST, NOT_RUN, SWITCH_LOST
from dialer.store.errors import StoreError

log = logging.getLogger("autocall.engine")
FULL_LOOK_S = 60.0  # every call is looked at this often at least, whatever the earliest due says
# A node whose connects are all refused this long has no FreeSWITCH process: longer than a systemd restart
# takes (one that comes back in time tells with its Core-UUID), short next to the longest call.
GONE_AFTER_REFUSED_S = 10.0


class Recovery:
    def __init__(
        self,
        tracker: CallTracker,
        cdrs: CdrWait,
        *,
        max_call_ms: int,
        gone_after_refused_s: float = GONE_AFTER_REFUSED_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.tracker = tracker
        self.nodes: list[Node] = []  # the engine's (engine.py): a node whose process is gone is looked for
        self.gone_after_refused_s = gone_after_refused_s
        self._gone: dict[str, int] = {}  # node name -> the drop (dropped_ms) whose calls were settled as gone
        self.cdrs = cdrs
        self.max_call_ms = max_call_ms
        self.clock = clock
        self.lost = 0  # calls recorded AUTOCALL_LOST (ended while nobody listened)
        self._killed: dict[str, float] = {}  # over-long calls we sent uuid_kill (monotonic time)
        # No call in flight is over long before this (its start_ms + call timeout + max_call_ms), as far as
        # the last look and the calls added since say: until then a look costs nothing per call.
        self._earliest_due_ms = float("-inf")
        self._last_look = float("-inf")  # monotonic

    def node_up(self, node: Node) -> None:
        """Connected (first time or again): settle what happened while we were not listening.
        Only the attempts started before this connection (taken now, before any pacer can
        dial on it): one dialled on the new connection is followed normally. A new Core-UUID
        means FreeSWITCH itself restarted: none of the old calls exists any more, and each
        is settled at once, ended when the connection dropped."""
        # dial() sends nothing before this runs (the node is not up until its checks are answered), so
        # every attempt here was sent on an earlier connection.
        before = [a for a in self.tracker.of_node(node) if not a.done]
        if node.previous_core and node.core_uuid and node.previous_core != node.core_uuid:
            log.warning(
                "freeswitch restarted (new Core-UUID): its calls ended when the connection dropped",
                extra={"node": node.name, "calls": len(before), "core": node.core_uuid},
            )
            gevent.spawn(
                self._dead_core, node, before, node.dropped_ms, "FreeSWITCH restarted under the call (new Core-UUID)"
            )
            return
        gevent.spawn(self._reconcile, node, before)

    def resettle(self, att: InFlight) -> None:
        """A serial attempt whose result is unknown lost its live leg unanswered: after a
        moment, FreeSWITCH either has its next leg up, or the attempt is over."""
        gevent.sleep(self.tracker.grace)
        if not att.done:
            try:
                self.settle([att], att.node, recheck=False)
            except Exception:
                log.exception("settling a call failed", extra=att.log_extra())

    def settle_gone_nodes(self) -> None:
        """A node whose every connect has been refused for ``gone_after_refused_s`` (the host says nothing
        listens on its port: FreeSWITCH's process is gone, with its channels) has its calls settled now,
        as a new Core-UUID would settle them, instead of holding their slots (and the campaign's
        concurrency) until they are older than the longest call. A node that is silent or cut off
        (timeouts, no route) may still have its calls up: those wait for the longest call."""
        for node in self.nodes:
            if node.refused_for() < self.gone_after_refused_s or self._gone.get(node.name) == node.dropped_ms:
                continue
            self._gone[node.name] = node.dropped_ms  # once per drop: nothing is dialled on a node that is down
            atts = [a for a in self.tracker.of_node(node) if not a.done]
            if atts:
                log.warning(
                    "freeswitch refuses connections (its process is gone): its calls ended when the connection dropped",
                    extra={"node": node.name, "calls": len(atts), "refused_s": round(node.refused_for(), 1)},
                )
                self._dead_core(node, atts, node.dropped_ms, "FreeSWITCH's process is gone (connections refused)")

    def _dead_core(self, node: Node, atts: list[InFlight], dropped_ms: int, why: str) -> None:
        """The calls of a FreeSWITCH process that is gone: those whose CDR came (they ended before it
        went, e.g. in a shutdown) are settled from it, the others ended when the connection dropped."""
        try:
            self.cdrs.apply_kept(atts)
        except StoreError as exc:
            log.error("reading kept hangups failed; settling without them", extra={"error": str(exc)})
        for att in atts:
            try:
                if att.hangups and not att.done:
                    self.tracker.end(att)
                self._switch_lost(att, dropped_ms, why)
            except Exception:  # one bad record must not leave the others unsettled
                log.exception("settling a call of a restarted FreeSWITCH failed", extra=att.log_extra())

    def _switch_lost(self, att: InFlight, ended_ms: int, why: str) -> None:
        """The call's FreeSWITCH died: recorded as ended at ``ended_ms`` (talk time until
        then if it was answered), recalled without using up an attempt (recorder.py)."""
        if att.done:
            return
        att.ended_ms = max(att.start_ms, ended_ms or att.start_ms)
        att.detail = att.detail or why
        self.tracker.fail(att, SWITCH_LOST)

    def _reconcile(self, node: Node, before: list[InFlight]) -> None:
        """After a (re)connect: settle the calls on this node whose events we may have
        missed, from FreeSWITCH's channels (adoption of dead engines' calls is the reap
        loop's, once this engine has been in touch with Redis long enough)."""
        try:
            self.settle(before, node)
        except Exception:  # never let one bad record stop the others being settled
            log.exception("settling calls after a reconnect failed", extra={"node": node.name})

    def live_channels(self, node: Node) -> dict[str, str] | None:
        """Every channel FreeSWITCH has now (``show channels as json``): uuid -> callstate."""
        try:
            text = node.conn.api("show channels as json").text if node.conn else ""
        except NotConnectedError:
            return None
        try:
            rows = json.loads(text).get("rows") or []
        except (ValueError, AttributeError):
            log.error("unexpected 'show channels' answer", extra={"node": node.name, "answer": text[:200]})
            return None
        return {row.get("uuid", ""): row.get("callstate", "") for row in rows}

    def settle(self, atts: list[InFlight], node: Node, *, recheck: bool = True) -> None:
        """Each attempt keeps going if FreeSWITCH still has one of its legs (an ACTIVE one
        is the answered leg). One with no leg is asked about once more after a moment (a
        just-sent originate may not have its channel yet, a serial one may be between two
        numbers, its job result may still come); still none: its kept hangups are the
        result, and with none it ended while nobody listened and is recorded lost (counted:
        it may have rung). Events FreeSWITCH sent before the ``show channels`` answer are
        already applied (it writes them first on the same socket)."""
        atts = [a for a in atts if not a.done]
        if not atts:
            return
        live = self.live_channels(node)
        if live is None:
            return  # the connection dropped again: the next reconnect settles them
        absent: list[InFlight] = []
        now_ms = int(self.clock() * 1000)
        for att in atts:
            if att.done:
                continue
            alive = [leg for leg in att.legs if leg in live]
            if not alive:
                absent.append(att)
                continue
            if att.job_ok is None and len(att.legs) > 1:
                att.unknown_job = True  # its job result may have gone by while we were away
            att.live_legs = set(alive)
            up = next((leg for leg in alive if live[leg] == "ACTIVE"), None)
            if up and not att.answered_ms:  # answered while we were away: stop must not cancel it
                att.answered_ms, att.answered_leg = now_ms, up
        if absent and recheck:
            gevent.sleep(self.tracker.grace)
            self.settle(absent, node, recheck=False)
            return
        self.cdrs.apply_kept(absent)  # hangups kept in Redis: FreeSWITCH's CDRs
        unheard: list[InFlight] = []
        for att in absent:
            if att.done:
                continue
            if att.hangups:  # every leg is gone, and we hold the hangup of some: that is the result
                self.tracker.end(att)
                continue
            if node.core_started_ms > att.start_ms:
                # Placed on an earlier FreeSWITCH process of this node (an adopted call, or one
                # whose restart we did not see): it died with that process.
                ended = node.dropped_ms if att.start_ms < node.dropped_ms <= node.core_started_ms else 0
                self._switch_lost(att, ended or node.core_started_ms, "FreeSWITCH restarted under the call")
                continue
            unheard.append(att)
        core = node.core_uuid
        not_run, lost = self.cdrs.settle(unheard, node)
        if node.core_uuid != core:  # FreeSWITCH restarted while we waited for their CDRs
            for att in lost:
                self._switch_lost(att, node.dropped_ms, "FreeSWITCH restarted under the call")
            lost = []
        for att in not_run:
            log.warning("originate never ran (no channel, no CDR): dialled again, not counted", extra=att.log_extra())
            att.detail = att.detail or "FreeSWITCH has no channel and no CDR of the call: the originate never ran"
            self.tracker.fail(att, NOT_RUN)
        for att in lost:
            self.lost += 1
            log.warning("call ended while autocall was not listening: recorded as lost", extra=att.log_extra())
            att.detail = att.detail or "the call ended while autocall was disconnected from FreeSWITCH"
            self.tracker.fail(att, LOST)

    def settle_adopted(self, atts: list[InFlight], node: Node) -> None:
        """Calls just adopted (their events come from now on): settled as after a reconnect, and
        those FreeSWITCH still showed are asked about once more a moment later. ``show channels``
        reads FreeSWITCH's channel table, written a little after the events: a call that hung up
        just before its events were let through can still be listed, and no hangup will come."""
        try:
            self.settle(atts, node)
            gevent.sleep(self.tracker.grace)
            self.settle(atts, node)
        except Exception:
            log.exception("settling adopted calls failed", extra={"node": node.name})

    def check_long_calls(self) -> None:
        """A call older than max_call_s (the dialplan's sched_hangup should have ended it):
        asked about on its node; one FreeSWITCH no longer has is recorded lost, one it
        still has is hung up. On a node down that long, it is recorded lost."""
        self.settle_gone_nodes()
        now_ms = int(self.clock() * 1000)
        added = self.tracker.take_earliest_added_due() + self.max_call_ms
        self._earliest_due_ms = min(self._earliest_due_ms, added)
        if now_ms <= self._earliest_due_ms and time.monotonic() - self._last_look < FULL_LOOK_S:
            return  # no call may be over long yet: idle cost not proportional to the calls up
        self._last_look = time.monotonic()
        old: list[InFlight] = []
        earliest = float("inf")
        for calls in list(self.tracker.by_campaign.values()):
            for a in calls.values():
                due = a.start_ms + a.campaign.call_timeout * 1000 + self.max_call_ms
                if now_ms > due:
                    old.append(a)
                if due < earliest:
                    earliest = due
        self._earliest_due_ms = earliest  # the old ones too: while one is tracked, every pass looks
        by_node: dict[Node, list[InFlight]] = {}
        for att in old:
            by_node.setdefault(att.node, []).append(att)
        for node, atts in by_node.items():
            if not node.up.is_set():
                if time.monotonic() - node.down_since < self.max_call_ms / 1000:
                    continue  # down, but not for that long: the reconnect settles them
                for att in atts:
                    att.detail = "FreeSWITCH unreachable for longer than the longest call"
                    self.tracker.fail(att, LOST)
                continue
            live = self.live_channels(node)
            if live is None:
                continue
            self.cdrs.apply_kept([a for a in atts if not any(leg in live for leg in a.legs)])
            for att in atts:
                if att.done:
                    continue
                alive = [leg for leg in att.legs if leg in live]
                if not alive:
                    if att.hangups:
                        self.tracker.end(att)
                        continue
                    att.detail = "the call ended but neither its hangup nor its CDR arrived"
                    self.tracker.fail(att, LOST)
                    continue
                if time.monotonic() - self._killed.get(att.call_uuid, -1e9) < 60:
                    continue  # asked to hang up less than a minute ago
                self._killed[att.call_uuid] = time.monotonic()
                log.warning("call longer than AUTOCALL_MAX_CALL_SECONDS: hanging it up", extra=att.log_extra())
                conn = node.conn
                if conn is None:  # dropped since live_channels: the reconnect settles it
                    continue
                try:
                    conn.send_nowait([f"bgapi uuid_kill {leg} ALLOTTED_TIMEOUT" for leg in alive])
                except NotConnectedError:
                    pass
