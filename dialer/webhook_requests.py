"""One webhook POST as the sender makes it: its headers and signature, what is not a 2xx, and how a
failed try is described (``last_error``, the log) and when it is tried again.

The signature is what a receiver checks (docs/api-cdrs-webhooks.md gives its recipe);
:mod:`dialer.webhooks` claims, sends and records the deliveries.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.parse

USER_AGENT = "autocall-webhooks/1"
SIGNATURE_HEADER = "X-Autocall-Signature"
DELIVERY_HEADER = "X-Autocall-Delivery"
MAX_ANSWER_BYTES = 64 << 10  # of a receiver's answer body, read (to keep the connection) and dropped
BODY_WAIT = 0.001  # seconds an answer's body may take after its headers to be read (else: not kept)


def backoff_ms(tries: int) -> int:
    return min(1000 * 2 ** max(0, tries - 1), 600_000)


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """The ``X-Autocall-Signature`` value: ``t=<timestamp>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.

    The timestamp is signed with the body, so a receiver that also checks it is
    recent (say within 5 minutes) refuses a captured request replayed later.
    """
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


class HTTPError(Exception):
    """The receiver answered with a status other than 2xx (``HTTP Error 503: Service Unavailable``)."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"HTTP Error {status}: {reason}")
        self.status = status


def receiver_of(url: str) -> str:
    """``host:port`` of a URL, as logged (never its path, query or credentials)."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError:
        return ""
    return f"{parts.hostname or ''}:{port}"


def describe(exc: BaseException) -> str:
    """An error as stored in ``last_error`` and logged: its kind and text, on one line, at most 200 characters."""
    text = " ".join(str(exc).split())
    kind = type(exc).__name__
    return (f"{kind}: {text}" if text else kind)[:200]
