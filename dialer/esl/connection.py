"""An Event Socket client that owns its socket, built around :mod:`dialer.esl.protocol`.

It used to subclass greenswitch's ``InboundESL`` and override every part a
dialer relies on (connect, close, stop, reading, sending), keeping only its
constructor and private state (``_commands_sent``, ``_auth_request_event``,
``_run``) that any greenswitch release could rename. Owning the ~200 lines
is safer than depending on another library's internals
(FREESWITCH-NOTES.md, "greenswitch sharp edges", for why each part differs):

* **Reading**: one greenlet feeds :class:`~dialer.esl.protocol.StreamParser`
  with large ``recv`` chunks, decodes ``text/event-json`` with orjson
  (:func:`~dialer.esl.protocol.decode_event_json`; the BACKGROUND_JOB result is ``_body``), and hands each event to
  ``on_event`` *in the reader greenlet*. The handler must be quick and must
  not block on I/O except a bounded queue: when the engine falls behind, the
  reader stops reading and TCP pushes back on FreeSWITCH instead of an
  unbounded queue growing here. It yields after each chunk, so a burst never
  starves the other greenlets.
* **Commands**: ``send`` writes with ``sendall`` under a lock and waits for
  its reply under a timeout. A timeout or a dropped socket fails every
  pending command with :class:`NotConnectedError` and closes the connection
  (the reply FIFO can no longer be trusted), instead of waiting forever.
* ``send_many`` pipelines commands (one write, replies matched in order).
* ``connect`` gives up if FreeSWITCH never sends ``auth/request``.

There is no reconnect here: :class:`dialer.esl.node.Node` supervises a
connection and builds a new one after a drop.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
import gevent.lock
from gevent import socket

from dialer.esl.protocol import Message, ProtocolError, StreamParser, decode_event_json, parse_event_body

__all__ = ["CommandTimeout", "ESLConnection", "NotConnectedError", "Reply", "WriteFailed"]

log = logging.getLogger("autocall.esl")
READ_SIZE = 256 * 1024


class NotConnectedError(Exception):
    """The connection is closed, or closed while a command waited for its reply."""


class CommandTimeout(NotConnectedError):
    """No reply in time: the connection is closed (replies are matched in order)."""


class WriteFailed(NotConnectedError):
    """The socket broke while commands were being written: FreeSWITCH may have
    received some of them (the engine must not assume they were not run)."""


@dataclass(slots=True)
class Reply:
    headers: dict[str, str]
    text: str  # Reply-Text of a command/reply, or the body of an api/response

    @property
    def ok(self) -> bool:
        return self.text.startswith("+OK")


EventHandler = Callable[[dict[str, Any]], None]


class ESLConnection:
    """One inbound Event Socket connection: ``connect()``, commands, events to ``on_event``, ``close()``."""

    def __init__(
        self,
        host: str,
        port: int,
        password: str,
        *,
        on_event: EventHandler | None = None,
        timeout: float = 5.0,
        command_timeout: float = 10.0,
        name: str = "",
    ) -> None:
        self.host, self.port, self.password = host, port, password
        self.timeout = timeout  # connecting and authenticating
        self.command_timeout = command_timeout  # a reply, or a write FreeSWITCH does not read
        self.name = name or f"{host}:{port}"
        self.on_event = on_event or (lambda event: None)
        self.sock: Any = None  # gevent's socket once connected (bench/engine.py wraps it to tape the bytes)
        self.connected = False  # commands may be sent
        self.closed = gevent.event.Event()  # the reader has stopped: nothing more will arrive
        self.events_received = 0
        self.last_rx = time.monotonic()  # when FreeSWITCH last sent anything (the node's stall watchdog)
        self.disconnect_notice = ""  # what FreeSWITCH said when it hung up on us ("The system is being shut down.")
        self._parser = StreamParser()
        self._pending: deque[gevent.event.AsyncResult] = deque()  # replies still owed, in command order
        self._write_lock = gevent.lock.Semaphore()
        self._greeted = gevent.event.Event()  # auth/request came (or the peer said no, or hung up)
        self._reader: gevent.Greenlet | None = None
        self._open = False  # the socket is ours to read

    # -- connection --------------------------------------------------------
    def connect(self) -> None:
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except OSError as exc:
            raise NotConnectedError(f"cannot connect to {self.name}: {exc}") from exc
        self.sock.settimeout(None)  # reads wait for FreeSWITCH; commands and writes have their own deadlines
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connected = self._open = True
        self._reader = gevent.spawn(self.receive_events)
        if not self._greeted.wait(self.timeout) or not self.connected:
            self.close("no auth/request from FreeSWITCH")
            raise NotConnectedError(f"{self.name}: FreeSWITCH sent no auth/request")
        reply = self.send(f"auth {self.password}", timeout=self.timeout)
        if reply.text != "+OK accepted":
            self.close("authentication refused")
            raise NotConnectedError(f"{self.name}: authentication refused ({reply.text})")

    def close(self, why: str = "closed") -> None:
        if self.connected:
            log.info("esl connection closed", extra={"node": self.name, "why": why})
        self.connected = self._open = False
        if self.sock is not None:
            try:
                self.sock.close()  # a reader blocked in recv gets an OSError and ends
            except OSError:
                pass
        self._fail_pending(why)

    def stop(self) -> None:
        """Polite close: ``exit``, then close (never waits long)."""
        if self.connected:
            try:
                self.send("exit", timeout=1.0)
            except NotConnectedError:
                pass
        self.close("stopped")
        if self._reader is not None:
            self._reader.join(timeout=2)

    def _fail_pending(self, why: str) -> None:
        pending, self._pending = self._pending, deque()
        for result in pending:
            if not result.ready():
                result.set_exception(NotConnectedError(f"{self.name}: {why}"))

    # -- reading -------------------------------------------------------------
    def receive_events(self) -> None:
        """The reader greenlet: until the socket closes, frame what arrives and dispatch it."""
        sock, parser = self.sock, self._parser
        why = "FreeSWITCH closed the connection"
        try:
            while self._open:
                data = sock.recv(READ_SIZE)
                if not data:
                    break
                self.last_rx = time.monotonic()
                for message in parser.feed(data):
                    self._dispatch(message)
                gevent.sleep(0)  # yield between chunks: a burst must not starve other greenlets
        except ProtocolError as exc:
            why = f"protocol error: {exc}"
            log.error("esl protocol error", extra={"node": self.name, "error": str(exc)})
        except OSError as exc:
            why = f"socket error: {exc}"
        finally:
            self.close(why)
            self.closed.set()
            self._greeted.set()  # a connect() waiting for auth/request learns at once

    def _dispatch(self, message: Message) -> None:
        ctype = message.headers.get("Content-Type", "")
        if ctype == "text/event-json":
            self.events_received += 1
            self.on_event(decode_event_json(message.body))
        elif ctype == "text/event-plain":
            self.events_received += 1
            event = parse_event_body(message)
            self.on_event({**event.headers, "_body": event.body})
        elif ctype == "command/reply":
            self._resolve(Reply(message.headers, message.headers.get("Reply-Text", "")))
        elif ctype == "api/response":
            self._resolve(Reply(message.headers, message.body.decode("utf-8", "replace")))
        elif ctype == "auth/request":
            self._greeted.set()
        elif ctype in ("text/disconnect-notice", "text/rude-rejection"):
            self.disconnect_notice = message.body.decode("utf-8", "replace").strip()
            if message.headers.get("Content-Disposition") != "linger":
                self.connected = False  # FreeSWITCH closes next; the reader sees it and ends
            self._greeted.set()

    def _resolve(self, reply: Reply) -> None:
        if not self._pending:
            log.warning("esl reply with no command waiting", extra={"node": self.name, "reply": reply.text[:80]})
            return
        self._pending.popleft().set(reply)

    # -- commands --------------------------------------------------------------
    def send(self, data: str, timeout: float | None = None) -> Reply:
        return self.send_many([data], timeout=timeout)[0]

    def send_many(self, commands: list[str], timeout: float | None = None) -> list[Reply]:
        """Send commands in one write; return their replies in order."""
        results = self.send_nowait(commands)
        try:
            with gevent.Timeout(timeout or self.command_timeout, CommandTimeout(f"{self.name}: no reply in time")):
                return [r.get() for r in results]
        except CommandTimeout:
            self.close("command timed out")
            raise

    def send_nowait(self, commands: list[str]) -> list[gevent.event.AsyncResult]:
        """Write commands (one write) and return their pending replies, in order."""
        if not self.connected:
            raise NotConnectedError(f"{self.name}: not connected")
        payload = []
        results = []
        for command in commands:
            # A blank line ends an ESL command: one inside would start another.
            if "\n\n" in command or "\r" in command or command.endswith("\n"):
                raise ValueError(f"ESL command must not contain a blank line: {command[:60]!r}")
            payload.append(command + "\n\n")
            results.append(gevent.event.AsyncResult())
        data = "".join(payload).encode("utf-8")
        with self._write_lock:
            if not self.connected:  # closed while we waited for the lock: nothing of ours was written
                raise NotConnectedError(f"{self.name}: not connected")
            self._pending.extend(results)
            try:
                # A FreeSWITCH that stops reading fills the socket buffer: a write never blocks
                # longer than a command may take (then the connection is given up).
                with gevent.Timeout(self.command_timeout, CommandTimeout(f"{self.name}: write stalled")):
                    self.sock.sendall(data)
            except (OSError, CommandTimeout) as exc:
                self.close(f"write failed: {exc}")
                raise WriteFailed(f"{self.name}: write failed: {exc}") from exc
        return results

    def api(self, command: str, timeout: float | None = None) -> Reply:
        return self.send(f"api {command}", timeout=timeout)
