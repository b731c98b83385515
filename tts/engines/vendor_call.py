"""What every TTS vendor engine shares: its settings' base, one HTTP exchange, and the words for what went wrong.

Every vendor engine (``google``, ``azure``, ``viettel``, ``fpt``, ``vbee``, ``zalo``) uses:

- :class:`VendorConfig`: the base of each ``CONFIG`` (frozen, ``extra="forbid"``; a blank ``url`` or ``voice``,
  an environment variable left empty, is the default) and :data:`ApiUrl`, a setting that must be an
  http(s) URL with a host (:func:`check_url`).
- :class:`Vendor`: a request through autocall's one HTTP client (:class:`httpclient.Client`: pooled,
  no redirects, no proxy) bounded by the engine's ``timeout``; every failure to get a whole answer
  (refused, reset, no answer in time, too big) is a :class:`SynthesisError` naming the vendor and host.
- :func:`refused` / :func:`vendor_error`: the vendor's answer as a :class:`SynthesisError`; a rate limit
  or an exhausted quota (HTTP 429 or 402; for the vendors whose signal is undocumented, also a message
  that says so: :func:`limit_said`) ends the same way for all six:
  ``(rate limit or quota reached[, Retry-After: N]; not retried)``. Nothing here retries into it: the
  fallback chain moves on to the next engine at once.
- :func:`need_text` (empty text is refused before any request), :func:`split_text` (long text cut for a
  vendor's per-request limit, in characters or UTF-8 bytes), :func:`audible` (silence is not a voice)
  and :func:`speech` (an answer's audio, decoded and audible).

What only the vendors that answer with an audio URL add (polling, the audio host policy, the
download, one overall deadline) is :mod:`tts.engines.url_vendor`.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator

from httpclient import Answer, Client, DeadlineExceeded
from tts.engines.base import SynthesisError
from tts.engines.decode import decode_audio

MAX_RESPONSE_BYTES = 64 << 20  # a prompt is far smaller; a vendor that sends more is answering something else
USER_AGENT = "autocall-tts/1"  # Azure requires one (fewer than 255 characters); the others get it too
CONNECTIONS = 4  # kept alive per vendor host: the synthesizer's default concurrency
VOICE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$"  # a vendor's voice code: it may travel in a header
_LIMIT_WORDS = re.compile(r"rate.?limit|too many|quota|exceed|hạn mức|vượt quá|giới hạn", re.IGNORECASE)


def check_url(url: str, what: str = "") -> str:
    """``url`` if it is http(s) with a host and no user-info, else ValueError (naming ``what`` when given:
    pydantic names the field). User-info is refused without quoting it: it would be a credential, and a
    URL's host (with its user-info) is in every error message; vendors take their keys in headers."""
    parts = urllib.parse.urlsplit(url)
    if "@" in parts.netloc:
        raise ValueError(f"{what} must not hold user-info (user:password@); the key has its own setting".lstrip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{what} must be an http:// or https:// URL with a host, got {url!r}".lstrip())
    return url


ApiUrl = Annotated[str, AfterValidator(check_url)]


class VendorConfig(BaseModel):
    """A vendor engine's settings: frozen, unknown settings refused, a blank ``url``/``voice`` the default."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # the engine is built once from it

    @model_validator(mode="before")
    @classmethod
    def _blank_is_default(cls, data: Any) -> Any:
        if isinstance(data, dict):  # AUTOCALL_TTS_URL="" and the like: the setting left out
            return {k: v for k, v in data.items() if not (k in ("url", "voice") and v == "")}
        return data


def snippet(body: bytes, limit: int = 200) -> str:
    """The start of a body as one line of text, for an error message."""
    text = body[:limit].decode("utf-8", "replace")
    return " ".join(text.split()) or "(empty body)"


def limit_status(status: int) -> bool:
    """Whether an HTTP status says a rate limit or quota: 429 (Too Many Requests) or 402 (a prepaid quota spent)."""
    return status in (402, 429)


def limit_said(status: int, message: str) -> bool:
    """:func:`limit_status`, or a message naming a rate limit or quota (English or Vietnamese): for the vendors
    whose rate-limit answer is undocumented (Google's and Azure's are: their engines judge by status)."""
    return limit_status(status) or bool(_LIMIT_WORDS.search(message))


def refused(said: str, limited: bool, headers: Mapping[str, str]) -> SynthesisError:
    """``said`` (the vendor's refusal, worded by its engine) as a SynthesisError, ending with the one rate-limit
    note of every vendor when ``limited`` (with ``Retry-After`` when the vendor sent one)."""
    if limited:
        retry = headers.get("Retry-After", "").strip()
        said += " (rate limit or quota reached" + (f", Retry-After: {retry}" if retry else "") + "; not retried)"
    return SynthesisError(said)


def vendor_error(
    vendor: str, status: int, code: object, message: str, headers: Mapping[str, str] | None = None
) -> SynthesisError:
    """A vendor's error with its own code: ``<vendor>: HTTP <status>, error <code>: <message>`` (+ :func:`refused`)."""
    said = f"{vendor}: HTTP {status}"
    if code is not None:
        said += f", error {code}"
    message = " ".join(str(message or "").split())[:200]
    if message:
        said += f": {message}"
    return refused(said, limit_said(status, message), headers or {})


class Vendor:
    """One vendor's HTTP side: its name (in every error), a pooled client, each exchange bounded by ``timeout``."""

    def __init__(self, name: str, timeout: float, connections: int = CONNECTIONS) -> None:
        self.name = name
        self.timeout = float(timeout)
        self.client = Client(timeout=self.timeout, per_host=connections)

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes = b"") -> Answer:
        """The answer to ``method`` (GET or POST) ``url``, whatever its status; SynthesisError if there is none."""
        where = urllib.parse.urlsplit(url).netloc
        headers = {"User-Agent": USER_AGENT, **headers}
        try:
            if method == "GET":
                answer = self.client.get(url, headers, max_body=MAX_RESPONSE_BYTES)
            else:
                answer = self.client.post(url, body, headers, max_body=MAX_RESPONSE_BYTES)
        except DeadlineExceeded:
            raise SynthesisError(f"{self.name}: {where} did not answer within {self.timeout:g} s") from None
        except Exception as exc:  # refused, reset, not HTTP, TLS...: as the client raised it
            raise SynthesisError(f"{self.name}: {method} {where} failed: {exc!r}") from exc
        if answer.truncated:
            raise SynthesisError(f"{self.name}: {where} answered more than {MAX_RESPONSE_BYTES} bytes")
        return answer

    def json(self, answer: Answer) -> dict[str, Any]:
        """The answer's JSON object; anything else is an error quoting the start of the body."""
        try:
            reply = json.loads(answer.body)
        except ValueError:
            reply = None
        if isinstance(reply, dict):
            return reply
        raise vendor_error(self.name, answer.status, None, f"not a JSON object: {snippet(answer.body)}", answer.headers)


def need_text(vendor: str, text: str) -> None:
    """SynthesisError for empty text: nothing to send (and nothing to pay for)."""
    if not text or not text.strip():
        raise SynthesisError(f"{vendor}: nothing to say (empty text)")


# Where a piece of long text may end, best first: after a sentence, after a clause, between words.
_BREAKS = (re.compile(r"(?<=[.!?…])\s+"), re.compile(r"(?<=[;:,])\s+"), re.compile(r"\s+"))


def utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8 bytes (Vietnamese with diacritics: 1 to 3 a character)."""
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """``text`` (whitespace collapsed) in pieces of at most ``limit``, measured by ``size`` (characters, or
    :func:`utf8_size` for a byte limit): cut after sentence ends where possible, else after clauses
    (``;:,``), else between words, else between characters (never inside one)."""
    return list(_pack(" ".join(text.split()), limit, 0, size))


def _pack(text: str, limit: int, level: int, size: Callable[[str], int]) -> Iterator[str]:
    if size(text) <= limit:
        yield text
        return
    if level == len(_BREAKS):
        yield from _cut(text, limit, size)
        return
    chunk: list[str] = []  # the pieces of the piece being filled, joined by one space
    used = -1
    for piece in _BREAKS[level].split(text):
        length = size(piece)
        if length > limit:
            if chunk:
                yield " ".join(chunk)
                chunk, used = [], -1
            yield from _pack(piece, limit, level + 1, size)
        elif used + 1 + length <= limit:
            chunk.append(piece)
            used += 1 + length
        else:
            yield " ".join(chunk)
            chunk, used = [piece], length
    if chunk:
        yield " ".join(chunk)


def _cut(text: str, limit: int, size: Callable[[str], int]) -> Iterator[str]:
    """``text`` (a run without spaces) in runs of whole characters of at most ``limit``."""
    run, used = "", 0
    for char in text:
        if run and used + size(char) > limit:
            yield run
            run, used = "", 0
        run, used = run + char, used + size(char)
    if run:
        yield run


def audible(vendor: str, pcm: bytes) -> bytes:
    """``pcm`` unless it is empty or all zeros (a vendor that answered silence is not a voice)."""
    if not pcm or not pcm.strip(b"\0"):
        raise SynthesisError(f"{vendor}: returned empty (silent) audio")
    return pcm


def speech(vendor: str, audio: bytes) -> tuple[bytes, int]:
    """(mono PCM, rate) of a vendor's WAV or MP3 answer (:func:`tts.engines.decode.decode_audio`), not silent."""
    pcm, rate = decode_audio(audio, vendor)
    return audible(vendor, pcm), rate
