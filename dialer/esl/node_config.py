"""A FreeSWITCH node's settings: where its Event Socket is, its password, the caps autocall puts on its limits."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from urllib.parse import parse_qs, unquote, urlsplit

from dialer.esl.capacity import BGAPI_WINDOW
from dialer.logs import redact_url


@dataclass(frozen=True, slots=True)
class NodeConfig:
    name: str
    host: str
    port: int
    password: str = field(repr=False)  # never in a repr, so never in a log line
    sps: int | None = None  # a cap on FreeSWITCH's own sessions-per-second (None: FreeSWITCH's)
    max_sessions: int | None = None  # a cap on its max-sessions
    bgapi_window: int = BGAPI_WINDOW  # originates awaiting their reply at once (0: no bound; capacity.py)
    share: float = 1.0  # of the sps budget this process paces to (not in the URL: for_workers)

    def for_workers(self, count: int) -> NodeConfig:
        """This node as one of ``count`` worker processes dials it (``autocall serve --workers``): 1/count
        of the sps budget and of the reply window each, so together they never exceed what one would."""
        if count <= 1:
            return self
        window = max(1, self.bgapi_window // count) if self.bgapi_window else 0
        return replace(self, share=self.share / count, bgapi_window=window)

    @classmethod
    def from_url(cls, url: str) -> NodeConfig:
        """``esl://:PASSWORD@HOST:PORT[?name=N&sps=30&max_sessions=1000&bgapi_window=500]``; the password
        is required. ``sps``/``max_sessions`` cap what FreeSWITCH itself allows (``fsctl sps``);
        ``bgapi_window`` bounds the originates awaiting FreeSWITCH's reply (0: no bound)."""
        parts = urlsplit(url.strip())
        if parts.scheme != "esl" or not parts.hostname:
            raise ValueError(f"expected esl://:PASSWORD@HOST:PORT, got {redact_url(url.strip())!r}")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        port = parts.port or 8021
        if not parts.password:
            raise ValueError(
                f"FreeSWITCH node {parts.hostname}:{port} has no ESL password: write esl://:PASSWORD"
                "@HOST:PORT with the password of FreeSWITCH's event_socket.conf.xml"
            )
        if any(ord(c) < 32 or ord(c) == 127 for c in unquote(parts.password)):
            # It is sent as "auth PASSWORD\n\n": a line break would end the command early.
            raise ValueError(f"FreeSWITCH node {parts.hostname}:{port}: the ESL password has a control character")
        return cls(
            name=query.get("name", f"{parts.hostname}:{port}"),
            host=parts.hostname,
            port=port,
            password=unquote(parts.password),
            sps=int(query["sps"]) if query.get("sps") else None,
            max_sessions=int(query["max_sessions"]) if query.get("max_sessions") else None,
            bgapi_window=_window(query.get("bgapi_window"), parts.hostname, port),
        )


def _window(value: str | None, host: str, port: int) -> int:
    if not value:
        return BGAPI_WINDOW
    if not value.isdigit():
        raise ValueError(f"FreeSWITCH node {host}:{port}: bgapi_window must be a whole number >= 0, got {value!r}")
    return int(value)
