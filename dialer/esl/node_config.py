"""A FreeSWITCH node's settings: where its Event Socket is, its password, the caps autocall puts on its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

from dialer.logs import redact_url


@dataclass(frozen=True, slots=True)
class NodeConfig:
    name: str
    host: str
    port: int
    password: str = field(repr=False)  # never in a repr, so never in a log line
    sps: int | None = None  # a cap on FreeSWITCH's own sessions-per-second (None: FreeSWITCH's)
    max_sessions: int | None = None  # a cap on its max-sessions

    @classmethod
    def from_url(cls, url: str) -> NodeConfig:
        """``esl://:PASSWORD@HOST:PORT[?name=N&sps=30&max_sessions=1000]``; the password is required.
        ``sps``/``max_sessions`` cap what FreeSWITCH itself allows (``fsctl sps``)."""
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
        )
