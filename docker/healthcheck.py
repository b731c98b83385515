"""autocall's container health check: GET /healthz on AUTOCALL_LISTEN.

/healthz is the one route without a token; it answers 200 while Redis
answers (dialer/api/openapi.py). A wildcard listen address (0.0.0.0, ::) is
probed on loopback. Exit 0 when healthy, 1 otherwise (docker/Dockerfile's
HEALTHCHECK). With AUTOCALL_API=false there is no HTTP server to probe: drop
the health check for such an engine-only container.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def probe_url(listen: str) -> str:
    host, _, port = listen.strip().rpartition(":")
    host = host.strip("[]")
    if host in ("", "0.0.0.0", "*"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def main() -> int:
    url = probe_url(os.environ.get("AUTOCALL_LISTEN", "127.0.0.1:8080"))
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return 0 if response.status == 200 else 1
    except (OSError, urllib.error.URLError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
