"""Event handling: what FreeSWITCH's events do to the calls this engine follows.

Every node hands its events here (in the reader's greenlet: nothing here
blocks on I/O; the node's ESL filter lets through only this engine's
calls, esl/node.py). The call tracker (calls.py) decides when an attempt is
over; this module turns an answer into its webhook and an ending into its
record (recorder.build_finish), both put on the writer's queue (writer.py). It also lets
a node know what its calls reveal about it: an originate refused for the
switch's own limits, an answered call that found no dialplan.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from dialer.domain import json_text
from dialer.domain.cdr import CallRecord
from dialer.engine.calls import CallTracker, InFlight
from dialer.engine.counts import Counts
from dialer.engine.recorder import REFUSALS, answer_body, build_finish, message_played
from dialer.engine.writer import AnswerHook, Writer
from dialer.esl.node import Node
from dialer.store.records import Finish

log = logging.getLogger("autocall.engine")


class Events:
    def __init__(
        self, writer: Writer, counts: Counts, *, grace: float = 2.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.writer = writer
        self.counts = counts
        self.clock = clock
        self.tracker = CallTracker(self._ended, on_answer=self._answered, grace=grace, clock=clock)
        # an attempt's result, as queued for Redis: autodialer campaigns' pacing figures (autodialer.py)
        self.on_finish: Callable[[Finish], None] = lambda finish: None

    def on_event(self, node: Node, event: dict[str, Any]) -> None:
        try:
            if event.get("Event-Name") == "BACKGROUND_JOB":
                cause = (event.get("_body") or "").strip().removeprefix("-ERR ").strip()
                if cause in REFUSALS and self.tracker.by_job.get(event.get("Job-UUID", "")) is not None:
                    node.refused(cause)  # slow down and look at the switch now, not after the job's grace
            self.tracker.on_event(event)
        except Exception:  # a bug with one call must not take the connection (and every call) down
            log.exception(
                "event handling failed",
                extra={"node": node.name, "event": event.get("Event-Name"), "uuid": event.get("Unique-ID")},
            )

    def _answered(self, att: InFlight) -> None:
        url = att.campaign.answer_callback_url
        if url:
            body = answer_body(att)  # in the campaign's webhook_format
            self.writer.put(AnswerHook(url, json_text.dumps(body), att.claim.campaign_uuid))

    def _ended(self, att: InFlight) -> None:
        # A refusal (not dialled: the lead goes back to its queue, build_finish) slowed the node
        # when its job came (on_event).
        hang = att.hangups.get(att.answered_leg) or {}
        if att.answered_ms and message_played(hang) is False:  # answered, and the dialplan played nothing
            if hang.get("Hangup-Cause") == "NO_ROUTE_DESTINATION":
                # Answered into no dialplan: every call would end so until the context is back.
                att.node.suspect(
                    "dialplan",
                    "an answered call found no dialplan (NO_ROUTE_DESTINATION, nothing "
                    "played): checking the 'autocall' context",
                )
            elif hang.get("Hangup-Cause") == "DESTINATION_OUT_OF_ORDER":
                att.node.recheck()  # an application of the dialplan is missing (mod_avmd unloaded?)
        finish = build_finish(att, int(self.clock() * 1000))
        try:
            self.on_finish(finish)
        except Exception:  # the figures must never cost a result
            log.exception("call end hook failed", extra=att.log_extra())
        self.counts.outcome(finish)
        cdr = finish.cdr
        # reported: the recorder wrote a CallRecord (the line's fields are gathered only if it is logged)
        if finish.reported and isinstance(cdr, CallRecord) and log.isEnabledFor(logging.INFO):
            log.info(
                "call ended",
                extra={
                    **att.log_extra(),
                    "cause": cdr.hangup_cause,
                    "recall_status": cdr.recall_status,
                },
            )
        self.writer.put(finish)
