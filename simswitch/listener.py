"""One inbound Event Socket connection, as mod_event_socket serves it."""

from __future__ import annotations

import logging
import uuid as uuidlib
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent
from gevent import socket
from gevent.event import AsyncResult, Event
from gevent.lock import Semaphore

from simswitch.esl_filter import EventFilter

if TYPE_CHECKING:
    from simswitch.server import SimServer

log = logging.getLogger("autocall.simswitch")

AUTH_REQUEST = b"Content-Type: auth/request\n\n"
DISCONNECT = (
    b"Content-Type: text/disconnect-notice\nContent-Length: 67\n\n"
    b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"
)
MAX_QUEUE = 100_000  # mod_event_socket's per-listener event queue
MAX_LOST = 500  # events lost before FreeSWITCH kills the listener


def command_reply(text: str, extra: str = "") -> bytes:
    return f"Content-Type: command/reply\nReply-Text: {text}\n{extra}\n".encode()


def api_response(body: str) -> bytes:
    raw = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n%b" % (len(raw), raw)


class Listener:
    def __init__(self, server: SimServer, sock, address):
        self.server = server
        self.switch = server.switch
        self.sock = sock
        self.address = address
        self.fmt = "plain"
        self.events: set[str] = set()
        self.all_events = False
        self.subclasses: set[str] = set()
        self.filters = EventFilter()  # mod_event_socket's filter command (esl_filter.py)
        self.authed = False
        self.closed = False
        self._out: deque[bytes] = deque()
        self._queued_events = 0
        self.lost = 0
        self._ready = Event()
        self._flowing = Event()  # cleared while a stall fault holds the connection
        self._flowing.set()
        self._writing = Semaphore()  # one sendall at a time: the reader's flush or the writer's
        # While a blocking ``api`` runs, mod_event_socket's listener thread is
        # busy: events queue and follow the api/response (captures:
        # api-originate-bad-profile).
        self._held: list[bytes] | None = None

    # -- subscription (Subscriber protocol of bus.py) -----------------------
    def wants(self, event_name: str, subclass: str) -> bool:
        if self.all_events:
            return True
        if event_name == "CUSTOM":
            return "CUSTOM" in self.events and (not self.subclasses or subclass in self.subclasses)
        return event_name in self.events

    def passes_filters(self, header: Callable[[str], str | None]) -> bool:
        return self.filters.passes(header)

    def deliver(self, data: bytes) -> None:
        if self.closed:
            return
        if self._queued_events >= MAX_QUEUE:
            self.lost += 1
            if self.lost >= MAX_LOST:
                log.warning("listener %s lost %d events; killing it as FreeSWITCH does", self.address, self.lost)
                self.close()
            return
        self._queued_events += 1
        if self._held is not None:
            self._held.append(data)
        else:
            self._send(data)

    def _send(self, data: bytes) -> None:
        self._out.append(data)
        self._ready.set()

    # -- socket loops ------------------------------------------------------
    def serve(self) -> None:
        writer = gevent.spawn(self._write_loop)
        try:
            self._send(AUTH_REQUEST)
            self._read_loop()
        except OSError:
            pass
        finally:
            self.close()
            gevent.joinall([writer], timeout=1)
            writer.kill()

    def _write_loop(self) -> None:
        try:
            while not self.closed or self._out:
                if not self._out:
                    self._ready.clear()
                    self._ready.wait()
                    continue
                self._flush()
            # Closed and everything sent: end the connection (the reader may be blocked in recv).
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:  # the peer is gone (killed): no event is written to it any more
            self.close()

    def _flush(self) -> None:
        """Write everything queued, in order (a stall fault holds it)."""
        self._flowing.wait()
        with self._writing:
            if not self._out:
                return
            chunks = []
            while self._out:
                chunks.append(self._out.popleft())
            self._queued_events = 0
            self.sock.sendall(b"".join(chunks))

    def _flush_now(self) -> None:
        """The reader writes what a command queued before it reads the next one, as
        mod_event_socket does (its reply, and the events queued meanwhile): gevent's recv
        does not yield while data waits, so the writer greenlet would only run once the whole
        socket buffer was handled, every reply delayed by the commands behind it."""
        if self._out and not self.closed:
            try:
                self._flush()
            except OSError:  # the peer is gone: the reader's next recv ends the connection
                self.close()

    def _read_loop(self) -> None:
        buf = b""
        while not self.closed:
            data = self.sock.recv(65536)
            if not data:
                return
            buf += data
            pos = 0  # commands are taken from buf by position: one copy of the rest per recv, not per command
            while (end := buf.find(b"\n\n", pos)) >= 0:
                raw, pos = buf[pos:end], end + 2
                # FreeSWITCH accepts CRLF line ends too.
                text = raw.decode("utf-8", "replace")
                lines = [line.rstrip("\r") for line in text.split("\n")]
                lines = [line for line in lines if line]
                if not lines:
                    continue
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int(headers.get("Content-Length", "0") or 0)
                while len(buf) - pos < length:
                    more = self.sock.recv(65536)
                    if not more:
                        return
                    buf += more
                pos += length
                self._flowing.wait()
                if self.authed:  # exactly what the client sent (tests read it; never the auth line)
                    self.server.received.append(text)
                self.handle(lines[0], headers)
                if self.closed:
                    return
                self._flush_now()
            buf = buf[pos:]

    # -- faults (faults.py) --------------------------------------------------
    def abort(self) -> None:
        """The TCP connection breaks: no disconnect notice, queued bytes lost."""
        self._out.clear()
        self.close()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def stall(self, seconds: float) -> None:
        self._flowing.clear()
        gevent.spawn_later(seconds, self._flowing.set)

    def inject(self, data: bytes) -> None:
        self._send(data)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._ready.set()
        self.server.detach(self)

    def disconnect(self, notice: bytes) -> None:
        """``text/disconnect-notice`` with ``notice``, then close (a shutting-down FreeSWITCH)."""
        self._send(b"Content-Type: text/disconnect-notice\nContent-Length: %d\n\n%b" % (len(notice), notice))
        self.closed = True
        self._ready.set()
        self.server.detach(self)

    def _disconnect(self) -> None:
        self._send(DISCONNECT)
        self.closed = True
        self._ready.set()
        self.server.detach(self)

    # -- commands ------------------------------------------------------------
    def handle(self, line: str, headers: dict[str, str]) -> None:
        cmd, _, arg = line.partition(" ")
        if not self.authed:
            if cmd == "auth" and arg.strip() == self.server.password:
                self.authed = True
                self._send(command_reply("+OK accepted"))
            elif cmd == "auth":
                self._send(command_reply("-ERR invalid"))
                self._disconnect()
            else:
                self._send(command_reply("-ERR command not found"))
            return
        if cmd == "api":
            self._api(arg)
        elif cmd == "bgapi":
            self._bgapi(arg, headers.get("Job-UUID"))
        elif cmd == "event":
            self._event(arg)
        elif cmd == "noevents":
            self.events.clear()
            self.all_events = False
            self.subclasses.clear()
            self.switch.bus.subscriptions_changed()
            self._send(command_reply("+OK no longer listening for events"))
        elif cmd == "nixevent":
            for name in arg.split():
                self.events.discard(name)
                if name == "ALL":
                    self.all_events = False
            self.switch.bus.subscriptions_changed()
            self._send(command_reply("+OK events nixed"))
        elif cmd == "filter" and " " in line:  # a bare "filter" is no command to FreeSWITCH
            self._filter(arg)
        elif cmd == "linger":
            self._send(command_reply("+OK will linger"))
        elif cmd == "nolinger":
            self._send(command_reply("+OK will not linger"))
        elif cmd == "exit":
            self._send(command_reply("+OK bye"))
            self._disconnect()
        else:
            self._send(command_reply("-ERR command not found"))

    def _event(self, arg: str) -> None:
        words = arg.split()
        fmt = "plain"
        if words and words[0] in ("plain", "json", "xml"):
            fmt = words.pop(0)
        if fmt == "xml":
            self._send(command_reply("-ERR xml events are not simulated"))
            return
        self.fmt = fmt
        custom = False
        for word in words:
            if word == "ALL":
                self.all_events = True
            elif word == "CUSTOM":
                custom = True
                self.events.add("CUSTOM")
            elif custom and not word.isupper():
                self.subclasses.add(word)
            else:
                custom = False
                self.events.add(word)
        self.switch.bus.subscriptions_changed()
        self._send(command_reply(f"+OK event listener enabled {fmt}"))

    def _filter(self, arg: str) -> None:
        self._send(command_reply(self.filters.command(arg)))

    def _api(self, arg: str) -> None:
        cmd, _, rest = arg.partition(" ")
        result: AsyncResult = AsyncResult()
        self._held = []
        try:
            self.server.api.execute(cmd, rest, result.set)
            body = result.get()  # api is synchronous on its connection, as in FreeSWITCH
            self._send(api_response(body))
        finally:
            held, self._held = self._held, None
            for data in held:
                self._send(data)
        self.server.emit_api_event(cmd, rest)

    def _bgapi(self, arg: str, job_uuid: str | None) -> None:
        job_uuid = job_uuid or str(uuidlib.uuid4())
        cmd, _, rest = arg.partition(" ")
        if self.server.cut_before_reply > 0:  # fault: run it, but the connection breaks before the reply
            self.server.cut_before_reply -= 1
            self.abort()
        else:
            self._send(command_reply(f"+OK Job-UUID: {job_uuid}", f"Job-UUID: {job_uuid}\n"))
            self._flush_now()  # the reply precedes the job's work, as FreeSWITCH's job thread runs apart

        def done(body: str) -> None:
            self.server.emit_api_event(cmd, rest)
            self.server.emit_job(job_uuid, cmd, rest, body)

        self.server.api.execute(cmd, rest, done, job_uuid)
