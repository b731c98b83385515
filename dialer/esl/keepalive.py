"""Keepalive of one Event Socket connection: a connection that stays silent is probed, and one that
stays silent past the probe's timeout is closed (its node's supervisor, node.py, reconnects). A
stalled FreeSWITCH is found even when the engine has no command to send."""

from __future__ import annotations

import logging
import time

import gevent

from dialer.esl.connection import ESLConnection, NotConnectedError

log = logging.getLogger("autocall.esl")


def watch(conn: ESLConnection, name: str, every: float, command_timeout: float) -> None:
    """Until ``conn`` closes: after ``every`` s of silence send a probe (``api version``); after
    ``every + command_timeout`` s of silence close the connection."""
    while not conn.closed.is_set():
        gevent.sleep(every)
        silent = time.monotonic() - conn.last_rx
        if conn.closed.is_set() or silent < every:
            continue
        if silent >= every + command_timeout:
            # Our probe is stuck behind a blocked write, or lost: give the connection up here.
            log.warning("freeswitch silent; reconnecting", extra={"node": name, "silent_s": round(silent, 1)})
            conn.close("silent for too long")
            return
        gevent.spawn(_probe, conn, name)


def _probe(conn: ESLConnection, name: str) -> None:
    try:
        conn.send("api version")
    except NotConnectedError as exc:
        log.warning("freeswitch stopped answering; reconnecting", extra={"node": name, "error": str(exc)})
