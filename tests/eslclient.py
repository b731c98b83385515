"""A minimal raw ESL client for tests: sends bytes, collects parsed messages."""

from __future__ import annotations

import subprocess

import gevent
from gevent import socket
from gevent.event import Event

from dialer.esl.protocol import Event as EslEvent
from dialer.esl.protocol import Message, StreamParser, parse_event_body


class RawClient:
    def __init__(self, host: str, port: int):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.parser = StreamParser()
        self.messages: list[Message] = []
        self.raw = bytearray()
        self._arrived = Event()
        self.closed = False
        self._reader = gevent.spawn(self._read)

    def _read(self) -> None:
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                self.raw += data
                self.messages.extend(self.parser.feed(data))
                self._arrived.set()
        except OSError:
            pass
        self.closed = True
        self._arrived.set()

    def send(self, command: str) -> None:
        self.sock.sendall(command.encode() + b"\n\n")

    def wait_for(self, predicate, timeout: float = 10.0) -> Message:
        """Wait until a message matching ``predicate`` has arrived; return it."""
        seen = 0
        with gevent.Timeout(timeout, AssertionError("timed out waiting for a message")):
            while True:
                for msg in self.messages[seen:]:
                    if predicate(msg):
                        return msg
                seen = len(self.messages)
                if self.closed:
                    raise AssertionError("connection closed")
                self._arrived.clear()
                self._arrived.wait()

    def command(self, command: str, timeout: float = 10.0) -> Message:
        start = len(self.messages)
        self.send(command)
        want = "api/response" if command.startswith("api ") else "command/reply"
        with gevent.Timeout(timeout, AssertionError(f"no reply to {command!r}")):
            while True:
                for msg in self.messages[start:]:
                    if msg.content_type == want:
                        return msg
                if self.closed:
                    raise AssertionError("connection closed")
                self._arrived.clear()
                self._arrived.wait()

    def login(self, password: str) -> Message:
        self.wait_for(lambda m: m.content_type == "auth/request")
        return self.command(f"auth {password}")

    def events(self) -> list[EslEvent]:
        return [parse_event_body(m) for m in self.messages if m.is_event]

    def wait_event(self, name: str, timeout: float = 10.0, **headers: str) -> EslEvent:
        def match(m: Message) -> bool:
            if not m.is_event:
                return False
            ev = parse_event_body(m)
            return ev.name == name and all(ev.get(k.replace("_", "-")) == v for k, v in headers.items())

        return parse_event_body(self.wait_for(match, timeout))

    def close(self) -> None:
        try:
            self.sock.close()
        finally:
            self._reader.kill()


def connect_to_process(proc: subprocess.Popen, port: int, password: str | None = None) -> RawClient:
    """A RawClient on the simulator that ``proc`` starts on ``port`` (logged in with ``password``), once it
    listens (and, with a password, once it answers the login: a restarting simulator may accept and close).
    Retried while the process runs, with no deadline of its own: how long a Python process takes to start
    depends on what else the CPU runs (other xdist workers), so a deadline here would time the machine, not
    the simulator. A process that exits fails at once; one that never listens meets pytest-timeout."""
    while True:
        client = None
        try:
            client = RawClient("127.0.0.1", port)
            if password is not None:
                client.login(password)
            return client
        except (OSError, AssertionError):
            if client is not None:
                client.close()
            assert proc.poll() is None, f"the simulator exited ({proc.returncode}) before it listened"
            gevent.sleep(0.05)
