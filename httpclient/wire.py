"""HTTP/1.1 on one connected socket: a request written in one send, its answer read and framed.

What :class:`httpclient.Client` needs of HTTP/1.1 (RFC 9112), and no more: a POST with a
``Content-Length`` body, and an answer's status line, headers and body, framed by
``Content-Length``, ``Transfer-Encoding: chunked`` or the connection's end. Informational
answers (``100 Continue``...) are skipped. Errors are ``http.client``'s, as the standard
library raises them (``BadStatusLine``, ``RemoteDisconnected``, ``IncompleteRead``,
``LineTooLong``...), so a log line names what the server did wrong.

Written here rather than through ``http.client``'s ``HTTPResponse`` because its header parsing
(the ``email`` package) costs more per answer than everything else a webhook does together
(issue 17; figures in README's dependency table).
"""

from __future__ import annotations

import http.client
import re
import socket
from collections.abc import Iterator, Mapping

MAX_LINE = 65536  # bytes of one status or header line (as http.client)
MAX_HEADERS = 100  # header lines in one answer (as http.client)
CHUNK = 64 << 10  # bytes asked of the socket at a time

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # a header name (RFC 9110 token)
_BAD_VALUE = re.compile(r"[\x00\r\n]")  # no header value may start another line
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")  # as http.client: no control character or space in the path


def request_head(method: str, target: str, host: str, headers: Mapping[str, str], length: int) -> bytes:
    """The request line and headers (``Host`` and ``Content-Length`` added), ready to send before the body.

    Raises ``http.client.InvalidURL`` for a target with a space or control character and ``ValueError``
    for a header that could smuggle in another line: nothing a caller gives reaches the wire unchecked.
    """
    if _BAD_TARGET.search(target):
        raise http.client.InvalidURL(f"URL can't contain control characters or spaces: {target!r}")
    lines = [f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"]
    for name, value in headers.items():
        if not _TOKEN.match(name) or _BAD_VALUE.search(value):
            raise ValueError(f"invalid header {name!r}: {value!r}")
        lines.append(f"{name}: {value}\r\n")
    lines.append(f"Content-Length: {length}\r\n\r\n")
    return "".join(lines).encode("latin-1")


class Headers(Mapping[str, str]):
    """An answer's headers, looked up by any case (``headers["location"]``); a repeated one joined by ``, ``."""

    __slots__ = ("_fields",)

    def __init__(self) -> None:
        self._fields: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as sent, value)

    def add(self, name: str, value: str) -> None:
        key = name.lower()
        if key in self._fields:
            value = f"{self._fields[key][1]}, {value}"
            name = self._fields[key][0]
        self._fields[key] = (name, value)

    def extend_last(self, more: str) -> None:
        """An obsolete folded line: more of the last header's value."""
        if self._fields:
            key = next(reversed(self._fields))
            name, value = self._fields[key]
            self._fields[key] = (name, f"{value} {more}")

    def __getitem__(self, name: str) -> str:
        return self._fields[name.lower()][1]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._fields

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._fields.values())

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"Headers({dict(self.items())!r})"


class Reader:
    """Buffered reads from one socket: lines, exact counts, or what comes until the end."""

    __slots__ = ("_buf", "_pos", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._buf = b""
        self._pos = 0

    def _fill(self) -> bool:
        """Read more from the socket: False at its end."""
        data = self.sock.recv(CHUNK)
        if not data:
            return False
        self._buf = self._buf[self._pos :] + data if self._pos < len(self._buf) else data
        self._pos = 0
        return True

    def readline(self) -> bytes:
        """One line with its ``\\n`` (less at the end of the stream); ``LineTooLong`` past ``MAX_LINE``."""
        while True:
            end = self._buf.find(b"\n", self._pos)
            if end >= 0:
                if end - self._pos >= MAX_LINE:
                    raise http.client.LineTooLong("header line")
                line = self._buf[self._pos : end + 1]
                self._pos = end + 1
                return line
            if len(self._buf) - self._pos >= MAX_LINE:
                raise http.client.LineTooLong("header line")
            if not self._fill():
                line = self._buf[self._pos :]
                self._pos = len(self._buf)
                return line

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes: fewer only at the end of the stream."""
        while len(self._buf) - self._pos < n:
            if not self._fill():
                break
        data = self._buf[self._pos : self._pos + n]
        self._pos += len(data)
        return data

    def read_exact(self, n: int) -> bytes:
        data = self.read(n)
        if len(data) < n:
            raise http.client.IncompleteRead(data, n - len(data))
        return data


class Answer:
    """An answer's status line and headers, read; its body is read with :meth:`body`."""

    __slots__ = ("_chunked", "_length", "_reader", "headers", "reason", "reusable", "status")

    def __init__(self, reader: Reader) -> None:
        self._reader = reader
        while True:  # informational answers (100 Continue, 103 Early Hints) come before the real one
            version, self.status, self.reason = _status_line(reader)
            self.headers = _headers(reader)
            if not 100 <= self.status < 200 or self.status == 101:
                break
        connection = self.headers.get("connection", "").lower()
        keep = "close" not in connection if version == "HTTP/1.1" else "keep-alive" in connection
        coding = self.headers.get("transfer-encoding", "").lower()
        self._chunked = coding.rsplit(",", 1)[-1].strip() == "chunked"
        self._length: int | None = None  # None: the body ends with the connection
        if self.status in (101, 204, 304) or 100 <= self.status < 200:
            self._length = 0
        elif coding and not self._chunked:
            keep = False
        elif not coding:
            self._length = _content_length(self.headers.get("content-length"))
            keep = keep and self._length is not None
        self.reusable = keep  # the connection may carry another request once the body is read

    def body(self, limit: int) -> tuple[bytes, bool]:
        """(at most ``limit`` bytes of the body, whether there was more). With more, the rest is not
        read and the connection cannot carry another request."""
        reader = self._reader
        if self._chunked:
            data, more = _chunked(reader, limit)
        elif self._length is not None:
            data = reader.read_exact(min(self._length, limit))
            more = self._length > limit
        else:
            data = reader.read(limit + 1)
            more = len(data) > limit
            data = data[:limit]
        if more:
            self.reusable = False
        return data, more


def _status_line(reader: Reader) -> tuple[str, int, str]:
    raw = reader.readline()
    if not raw:
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    line = raw.decode("iso-8859-1")
    parts = line.split(None, 2)
    version = parts[0] if parts else ""
    if len(parts) < 2 or not version.startswith("HTTP/"):
        raise http.client.BadStatusLine(line)
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise http.client.UnknownProtocol(version)
    status = parts[1]
    if len(status) != 3 or not status.isdigit() or int(status) < 100:
        raise http.client.BadStatusLine(line)
    return version, int(status), parts[2].strip() if len(parts) > 2 else ""


def _headers(reader: Reader) -> Headers:
    headers = Headers()
    for _ in range(MAX_HEADERS + 1):
        raw = reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            return headers
        line = raw.decode("iso-8859-1")
        if line[0] in " \t":
            headers.extend_last(line.strip())
            continue
        name, colon, value = line.partition(":")
        if colon:
            headers.add(name.strip(), value.strip())
    raise http.client.HTTPException(f"got more than {MAX_HEADERS} headers")


def _content_length(value: str | None) -> int | None:
    """The length a ``Content-Length`` gives (equal repeats allowed); None without a valid one."""
    if value is None:
        return None
    lengths = {v.strip() for v in value.split(",")}
    if len(lengths) != 1:
        return None
    (length,) = lengths
    return int(length) if length.isdigit() else None


def _chunked(reader: Reader, limit: int) -> tuple[bytes, bool]:
    parts: list[bytes] = []
    size = 0
    while True:
        line = reader.readline()
        try:
            chunk = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise http.client.IncompleteRead(b"".join(parts)) from None
        if chunk < 0:
            raise http.client.IncompleteRead(b"".join(parts))
        if chunk == 0:
            while reader.readline() not in (b"\r\n", b"\n", b""):  # trailers, dropped
                pass
            return b"".join(parts), False
        if size + chunk > limit:
            parts.append(reader.read_exact(limit - size))
            return b"".join(parts), True
        parts.append(reader.read_exact(chunk))
        size += chunk
        reader.read_exact(2)  # the CRLF after the chunk
