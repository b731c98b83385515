"""``HOST:PORT`` listen addresses, parsed one way for the settings and the HTTP server.

It sits below both: ``dialer/config.py`` checks ``AUTOCALL_LISTEN`` and
``AUTOCALL_PROBE_LISTEN`` at start with it, and ``dialer/api/server.py`` binds
with it, so the settings never import the API to validate a value.
"""

from __future__ import annotations


def parse_listen(text: str, name: str = "AUTOCALL_LISTEN") -> tuple[str, int]:
    """``"host:port"`` or ``"[v6]:port"`` → (host, port); a ValueError naming the setting otherwise."""
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{name} must be HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)
