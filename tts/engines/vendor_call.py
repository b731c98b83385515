"""One HTTP exchange with a TTS vendor, every way it can fail turned into a SynthesisError naming the vendor.

The synchronous vendor engines (``google``, ``azure``, ``viettel``) share this: a POST within the
engine's deadline through autocall's one HTTP client (:class:`httpclient.Client`: pooled, no
redirects, no proxy), and the words for what went wrong. A rate limit or an exhausted quota is
said in so many words, with the vendor's ``Retry-After`` when it sends one: the fallback chain
moves on to the next engine at once, and an engine never retries into a 429.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping

from httpclient import Answer, Client, DeadlineExceeded
from tts.engines.base import SynthesisError

MAX_RESPONSE_BYTES = 64 << 20  # a prompt is far smaller; a vendor that sends more is answering something else
USER_AGENT = "autocall-tts/1"  # Azure requires one (fewer than 255 characters); the others get it too
CONNECTIONS = 4  # kept alive per vendor host: the synthesizer's default concurrency


def check_url(url: str, what: str) -> str:
    """``url`` if it is http(s) with a host, else ValueError naming ``what`` (a setting)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host, got {url!r}")
    return url


def snippet(body: bytes, limit: int = 200) -> str:
    """The start of a body as text, for an error message."""
    text = body[:limit].decode("utf-8", "replace").strip()
    return text or "(empty body)"


def retry_after(headers: Mapping[str, str]) -> str:
    """``", Retry-After: <value>"`` when the vendor sent one, else ``""``."""
    value = headers.get("Retry-After", "").strip()
    return f", Retry-After: {value}" if value else ""


def rate_limited(vendor: str, status: int, headers: Mapping[str, str], detail: str) -> SynthesisError:
    """The error for a vendor's rate-limit or quota answer: says so, with the status and Retry-After."""
    return SynthesisError(f"{vendor} rate limit or quota exceeded (HTTP {status}{retry_after(headers)}): {detail}")


def post(client: Client, vendor: str, url: str, body: bytes, headers: Mapping[str, str]) -> Answer:
    """POST ``body`` to ``url`` within the client's deadline; any failure to get a whole answer is a SynthesisError."""
    try:
        answer = client.post(url, body, headers, max_body=MAX_RESPONSE_BYTES)
    except DeadlineExceeded:
        raise SynthesisError(f"{vendor} ({url}) did not answer within {client.timeout:g} s") from None
    except Exception as exc:  # refused, reset, not HTTP, TLS...: what went wrong, as the client raised it
        raise SynthesisError(f"{vendor} ({url}) request failed: {exc!r}") from exc
    if answer.truncated:
        raise SynthesisError(f"{vendor} ({url}) answered more than {MAX_RESPONSE_BYTES} bytes")
    return answer


def audible(vendor: str, pcm: bytes) -> bytes:
    """``pcm`` unless it is empty or all zeros (a vendor that answered silence is not a voice)."""
    if not pcm or not pcm.strip(b"\0"):
        raise SynthesisError(f"{vendor} returned empty (silent) audio")
    return pcm


def need_text(vendor: str, text: str) -> None:
    """SynthesisError for empty text: nothing to send (and nothing to pay for)."""
    if not text or not text.strip():
        raise SynthesisError(f"{vendor}: nothing to say (empty text)")
