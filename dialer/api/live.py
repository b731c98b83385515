"""``GET /live``: the live campaign page, one self-contained HTML file (``live.html``).

The page holds no data, so it is served without a token, like ``/healthz``:
its script reads the token from the URL fragment (``/live#token=…``: a
fragment never reaches a server, so no access log or proxy sees it) or asks
for it once, keeps it in the tab's sessionStorage, and polls ``GET /v3/live``
every 2 s with ``Authorization: Bearer``. Inline CSS, JS and SVG only: no
CDN, no web font, so it works on an offline machine. The Content-Security-Policy
allows exactly the page's own script and style (by hash) and requests to this
server, nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from dialer.api.routes import Call, Dialect, Reply, Route, Routes

PAGE = Routes(Dialect())
HTML = resources.files("dialer.api").joinpath("live.html").read_text(encoding="utf-8")


def _hashes(tag: str) -> str:
    blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", HTML, flags=re.S)
    return " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks)


CSP = (
    f"default-src 'none'; script-src {_hashes('script')}; style-src {_hashes('style')}; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


@PAGE.route(
    "GET",
    "/live",
    "The live campaign page (no data in it: it reads /v3/live with the token)",
    public=True,
    errors=(),
    response_type="text/html",
)
def live_page(call: Call) -> Reply:
    return Reply(body=HTML, content_type="text/html; charset=utf-8", headers=dict(HEADERS))


def routes() -> list[Route]:
    return PAGE.table
