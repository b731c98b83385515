"""HTTP/1.1 through the standard library's ``http.client``, on sockets made by our connect hook.

What :class:`httpclient.Client` needs of ``http.client``: a connection whose socket comes from the
caller's ``connect`` (webhooks: only to an address they checked) and, for TLS, is wrapped with the
client's context and checked against the URL's name; an answer whose informational ``1xx`` are all
skipped (``http.client`` skips only ``100 Continue``); headers as a case-insensitive mapping; and a
check of header names and values stricter than ``http.client``'s, which lets through a space in a
name and a CR/LF followed by a space (an obsolete folded line) in a value. The framing of answers
(``Content-Length``, chunked, the connection's end), their errors (``BadStatusLine``,
``IncompleteRead``, ``LineTooLong``...) and the check of the request's path are ``http.client``'s.

``http.client`` rather than HTTP of our own (issue 17): the framing of answers is where request
smuggling lives; the standard library's costs ~50 CPU-µs more per webhook (README, dependencies).
"""

from __future__ import annotations

import http.client
import re
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping

# (host, port), timeout in seconds or None -> a connected socket; raises OSError or its own exception.
Connector = Callable[[tuple[str, int], float | None], socket.socket]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")  # a header name (RFC 9110 token)
_BAD_VALUE = re.compile(r"[\x00\r\n]")  # no header value may start another line, folded or not
_FOLD = re.compile(r"\r?\n[ \t]+")  # an obsolete folded line in an answer's header value


def check_headers(headers: Mapping[str, str]) -> None:
    """Raise ``ValueError`` for a header that could smuggle in another line or is no token.
    The message never quotes the value: it is often a credential (an API key with its line end)."""
    for name, value in headers.items():
        if not _TOKEN.match(name):
            raise ValueError(f"invalid header name {name!r}")
        if _BAD_VALUE.search(value):
            raise ValueError(f"invalid header {name!r}: its value holds a CR, LF or NUL")


class Headers(Mapping[str, str]):
    """An answer's headers, looked up by any case (``headers["location"]``); a repeated one joined by ``, ``."""

    __slots__ = ("_fields",)

    def __init__(self, message: http.client.HTTPMessage) -> None:
        fields: dict[str, tuple[str, str]] = {}  # lower-case name -> (name as sent, value)
        for name, value in message.items():
            key = name.lower()
            value = _FOLD.sub(" ", value)
            if key in fields:
                name, value = fields[key][0], f"{fields[key][1]}, {value}"
            fields[key] = (name, value)
        self._fields = fields

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


class Response(http.client.HTTPResponse):
    """``http.client``'s answer, skipping every informational one (``103 Early Hints``...), not only ``100``."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 102 <= status < 200:  # 100 is skipped by http.client itself; 101 is an answer
                return version, status, reason
            http.client.parse_headers(self.fp)  # the informational answer's headers, dropped


class Connection(http.client.HTTPConnection):
    """An ``http.client`` connection whose socket comes from ``connector`` and, with ``tls``, is
    wrapped with it, the certificate checked against ``host`` (whatever address was connected)."""

    response_class = Response

    def __init__(
        self, host: str, port: int, *, timeout: float, connector: Connector, tls: ssl.SSLContext | None
    ) -> None:
        super().__init__(host, port, timeout=timeout)
        self._connector = connector
        self._tls = tls
        self._body: bytes | None = None  # sent with the head, in its send()

    def post(self, path: str, host: str, headers: Mapping[str, str], body: bytes) -> None:
        """Send a POST: ``http.client``'s request line and headers (``Host`` as given, ``Content-Length``
        added; it checks the path: ``InvalidURL``) and ``body``, in one send, connecting first if need be."""
        self.send_request("POST", path, host, headers, body)

    def send_request(self, method: str, path: str, host: str, headers: Mapping[str, str], body: bytes | None) -> None:
        """Send ``method`` (``POST``, or ``GET`` with ``body`` None: no ``Content-Length``) in one send."""
        self.putrequest(method, path, skip_host=True)
        self.putheader("Host", host)
        for name, value in headers.items():
            self.putheader(name, value)
        if body is not None:
            self.putheader("Content-Length", str(len(body)))
        self._body = body
        try:
            self.endheaders()
        finally:
            self._body = None

    def send(self, data: bytes) -> None:  # type: ignore[override]
        # http.client writes the head and the body in two sends: two segments with TCP_NODELAY, twice the
        # sender's and the receiver's work per request (issue 17). The body rides with the head instead.
        if self._body is not None:
            data, self._body = data + self._body, None
        super().send(data)

    def connect(self) -> None:
        sock = self._connector((self.host, self.port), self.timeout)
        try:
            sock.settimeout(self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a request goes out in one send anyway
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
