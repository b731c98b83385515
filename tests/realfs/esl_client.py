"""A small plain-socket inbound Event Socket client for the real-FreeSWITCH tests.

Independent of autocall's own ESL code (dialer/esl/), so the harness checks FreeSWITCH with nothing
of what it tests. Frames are split by Content-Length; events that arrive while a reply is awaited are
kept in ``EslClient.events`` for ``wait_event``.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.parse
import uuid
from collections.abc import Callable


class EslError(RuntimeError):
    pass


def parse_plain_event(body: bytes) -> dict[str, str]:
    """A ``text/event-plain`` body as a dict (values URL-decoded); its own body, if any, under ``_body``."""
    text = body.decode(errors="replace")
    head, sep, rest = text.partition("\n\n")
    event: dict[str, str] = {}
    for line in head.split("\n"):
        key, colon, value = line.partition(": ")
        if colon:
            event[key] = urllib.parse.unquote(value)
    if sep and "Content-Length" in event:
        event["_body"] = rest
    return event


class EslClient:
    """A plain-socket inbound ESL client: frames split by Content-Length, events kept in ``events``."""

    def __init__(self, host: str, port: int, password: str, timeout: float = 10.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self._buf = b""
        self.events: list[dict[str, str]] = []  # received, not yet taken by wait_event()
        self.closed = False
        headers, _ = self.read_frame()
        if headers.get("Content-Type") != "auth/request":
            raise EslError(f"expected auth/request, got {headers!r}")
        reply = self.command(f"auth {password}")
        if not reply.startswith("+OK"):
            self.close()
            raise EslError(f"auth failed: {reply!r}")

    def __enter__(self) -> EslClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()

    def read_frame(self, timeout: float | None = None) -> tuple[dict[str, str], bytes]:
        """The next frame, whatever it is: (headers, body). Raises TimeoutError or EslError (closed)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            end = self._buf.find(b"\n\n")
            if end >= 0:
                headers: dict[str, str] = {}
                for line in self._buf[:end].decode(errors="replace").split("\n"):
                    key, colon, value = line.partition(": ")
                    if colon:
                        headers[key] = value
                length = int(headers.get("Content-Length", 0))
                if len(self._buf) >= end + 2 + length:
                    body = self._buf[end + 2 : end + 2 + length]
                    self._buf = self._buf[end + 2 + length :]
                    return headers, body
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no ESL frame in time")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                raise TimeoutError("no ESL frame in time") from None
            if not data:
                self.closed = True
                raise EslError("connection closed by FreeSWITCH")
            self._buf += data

    def _next(self, content_type: str, timeout: float | None) -> tuple[dict[str, str], bytes]:
        """The next frame of ``content_type``; events that arrive meanwhile go to ``events``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            headers, body = self.read_frame(max(0.0, deadline - time.monotonic()))
            if headers.get("Content-Type", "") == content_type:
                return headers, body
            self._keep(headers, body)

    def _keep(self, headers: dict[str, str], body: bytes) -> None:
        """An event goes to ``events``; a disconnect notice closes (EslError); anything else is dropped."""
        ctype = headers.get("Content-Type", "")
        if ctype == "text/event-plain":
            self.events.append(parse_plain_event(body))
        elif ctype == "text/event-json":
            self.events.append(json.loads(body))
        elif ctype == "text/disconnect-notice":
            self.closed = True
            raise EslError(f"disconnected: {body.decode(errors='replace')!r}")

    def send(self, cmd: str) -> None:
        self.sock.sendall(cmd.encode() + b"\n\n")

    def command(self, cmd: str, timeout: float | None = None) -> str:
        """Send a command; its ``command/reply`` Reply-Text."""
        self.send(cmd)
        headers, _ = self._next("command/reply", timeout)
        return headers.get("Reply-Text", "")

    def api(self, cmd: str, timeout: float | None = 30.0) -> str:
        """``api <cmd>``: the ``api/response`` body, exactly (usually ends with ``\\n``)."""
        self.send(f"api {cmd}")
        _, body = self._next("api/response", timeout)
        return body.decode(errors="replace")

    def bgapi(self, cmd: str, job_uuid: str | None = None) -> str:
        """``bgapi <cmd>`` with a client-chosen Job-UUID; returns it. See ``wait_job``."""
        job_uuid = job_uuid or str(uuid.uuid4())
        reply = self.command(f"bgapi {cmd}\nJob-UUID: {job_uuid}")
        if not reply.startswith("+OK"):
            raise EslError(f"bgapi refused: {reply!r}")
        return job_uuid

    def subscribe(self, events: str = "ALL") -> str:
        return self.command(f"event plain {events}")

    def wait_event(self, pred: Callable[[dict], bool], timeout: float = 30.0) -> dict[str, str]:
        """The first received event matching ``pred`` (taken out of ``events``); TimeoutError if none."""
        deadline = time.monotonic() + timeout
        checked = 0
        while True:
            for i in range(checked, len(self.events)):
                if pred(self.events[i]):
                    return self.events.pop(i)
            checked = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no matching event in time")
            try:
                headers, body = self.read_frame(left)
            except TimeoutError:
                raise TimeoutError("no matching event in time") from None
            self._keep(headers, body)

    def wait_job(self, job_uuid: str, timeout: float = 60.0) -> str:
        """The body of the BACKGROUND_JOB of ``job_uuid`` (needs ``subscribe('BACKGROUND_JOB')`` or ALL)."""
        event = self.wait_event(
            lambda e: e.get("Event-Name") == "BACKGROUND_JOB" and e.get("Job-UUID") == job_uuid, timeout
        )
        return event.get("_body", "")
