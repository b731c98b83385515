"""Whether a FreeSWITCH node is dialled now, and why not: the checks' answers, shutdown events, suspicions.

A node is *dialled* only while it is up and has no problem: the ``autocall`` context and
mod_sofia exist, no shutdown is under way, it is not paused. Campaigns with voicemail
detection also need mod_avmd. node.py feeds this from its connection (the checks of
checks.py, SHUTDOWN / SHUTDOWN_REQUESTED events, a call that showed a problem) and logs
every change once.
"""

from __future__ import annotations

import logging
from typing import Any

from dialer.esl.checks import SwitchState

log = logging.getLogger("autocall.esl")

SHUTTING_DOWN = "FreeSWITCH is shutting down (SHUTDOWN): no new calls until it is back"
NO_AVMD = "mod_avmd not loaded: campaigns with voicemail_detection are not dialled here"
NO_JSON_CDR = (
    "mod_json_cdr not loaded: a call that ends while autocall is away is recorded lost, "
    "and an originate that may not have run counts as an attempt"
)


class Readiness:
    """One node's problems ({kind: operator-facing reason}) and what FreeSWITCH last said about itself."""

    def __init__(self, name: str) -> None:
        self.name = name  # the node's, for the log lines
        self.state = SwitchState()
        self.problems: dict[str, str] = {}  # why this node is not dialled now (checks, events)
        self.expects_cdrs = False  # AUTOCALL_CDR_SECRET is set: FreeSWITCH should load mod_json_cdr
        self.shutdown_final = False  # SHUTDOWN came: this connection will not dial again
        self.shutdown_events = 0  # SHUTDOWN/SHUTDOWN_REQUESTED events seen (a check's answers may be older)

    def new_connection(self) -> None:
        """A new connection starts clean; a shutdown event on it (even during the checks) counts."""
        self.shutdown_final = False
        self.problems = {}

    def dialable(self, up: bool, voicemail_detection: bool = False) -> str | None:
        """None if a call may be placed here now, else why not."""
        if not up:
            return "not connected"
        if self.problems:
            return "; ".join(self.problems.values())
        if voicemail_detection and not self.state.avmd:
            return (
                "mod_avmd is not loaded ('module_exists mod_avmd' is false): campaigns with voicemail_detection "
                "are not dialled here (load mod_avmd, or turn voicemail_detection off)"
            )
        return None

    def status(self, up: bool) -> str:
        """``up``, ``down`` or ``not ready: <why>`` (autocall status, /readyz); ``up (…)`` while
        campaigns with voicemail detection are not dialled here (no mod_avmd), or while FreeSWITCH
        sends no CDRs autocall expects (no mod_json_cdr)."""
        if not up:
            return "down"
        if self.problems:
            return f"not ready: {'; '.join(self.problems.values())}"
        notes = [] if self.state.avmd else [NO_AVMD]
        if self.expects_cdrs and not self.state.json_cdr:
            notes.append(NO_JSON_CDR)
        return f"up ({'; '.join(notes)})" if notes else "up"

    def take_state(self, state: SwitchState, events_before: int | None) -> tuple[dict[str, str], SwitchState]:
        """Take in the answers to the checks (checks.py); returns the problems and state before, for
        :meth:`log_changes`. ``events_before``: the count of shutdown events when the checks were
        sent; one that came since is newer than their answers."""
        before, previous = dict(self.problems), self.state
        self.state = state
        self.problems = dict(state.problems)
        if self.shutdown_final:  # a plain shutdown sets no flag fsctl shutdown_check could show
            self.problems["shutdown"] = SHUTTING_DOWN
        elif "shutdown" in before and (
            (events_before is not None and events_before != self.shutdown_events) or "shutdown" in self.problems
        ):
            # A SHUTDOWN_REQUESTED newer than these answers, or still going on: keep what the event said.
            self.problems["shutdown"] = before["shutdown"]
        return before, previous

    def log_changes(self, before: dict[str, str], previous: SwitchState, *, connecting: bool = False) -> None:
        """Log the problems that came or went, and a module (mod_avmd, mod_json_cdr) that came or went."""
        state = self.state
        self.log_problems(before)
        if previous.avmd != state.avmd or connecting:
            (log.info if state.avmd else log.warning)(
                "freeswitch mod_avmd loaded" if state.avmd else f"freeswitch {NO_AVMD}", extra={"node": self.name}
            )
        if self.expects_cdrs and (previous.json_cdr != state.json_cdr or connecting):
            (log.info if state.json_cdr else log.warning)(
                "freeswitch mod_json_cdr loaded" if state.json_cdr else f"freeswitch {NO_JSON_CDR}",
                extra={"node": self.name},
            )

    def log_problems(self, before: dict[str, str]) -> None:
        for kind, why in self.problems.items():
            if before.get(kind) != why:
                log.error("freeswitch node not dialled", extra={"node": self.name, "problem": kind, "why": why})
        for kind in before:
            if kind not in self.problems:
                log.info("freeswitch node dialled again", extra={"node": self.name, "problem": kind})

    def suspect(self, kind: str, why: str) -> None:
        """A call showed a problem (e.g. answered into no dialplan): not dialled until a check says otherwise."""
        before = dict(self.problems)
        self.problems.setdefault(kind, why)
        self.log_problems(before)

    def shutdown_event(self, event: dict[str, Any]) -> None:
        """SHUTDOWN (final for this connection) or SHUTDOWN_REQUESTED (until cancelled)."""
        if event.get("Event-Name") == "SHUTDOWN":
            self.shutdown_final = True
            why = SHUTTING_DOWN
        else:
            why = f"FreeSWITCH shutdown requested ({event.get('Event-Info', '?')}): no new calls unless it is cancelled"
        before = dict(self.problems)
        self.shutdown_events += 1
        self.problems["shutdown"] = why
        self.log_problems(before)
