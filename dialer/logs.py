"""Structured logs: one JSON object per line, with campaign, lead and call uuid when known.

A line is written by orjson (compact: no space after ``:`` or ``,``) when
every value is a plain str, int, float, bool or None, as nearly every line's
are; anything else (an enum, a dataclass, a date, a nested dict, NaN, an int
past 64 bits, a lone surrogate) goes through ``json.dumps`` with ``default=str``
as before, so a line always decodes to the same object.
:func:`setup_logging` also turns off the caller, thread and process lookups
the standard ``LogRecord`` makes for every line, which no line shows.

Secrets never reach a log line: URLs are logged through :func:`redact_url`,
request lines and query strings through :func:`redact_query`, and the daemon
gives :func:`setup_logging` every secret it knows (API tokens, ESL and Redis
passwords, webhook and TTS keys) so that a line that would still carry one
(an exception text, a library's debug output) shows ``***`` instead.
"""

from __future__ import annotations

import json
import logging
import math
import re
import sys
from collections.abc import Iterable
from typing import Any

import orjson

_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# orjson writes these as json.dumps does (floats: finite ones; str and int subclasses, StrEnum and
# IntEnum members among them, by their value)
_PLAIN = frozenset({str, int, bool, type(None)})
_LEVELS = {name: name.lower() for name in logging.getLevelNamesMapping()}

# scheme://user:PASSWORD@host — the password, up to the last @ (a comma ends a URL in a list of
# them): a password with an unencoded @ or / is masked whole, and more rather than less
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s,]*:)[^\s,]*@")
# name=value where the name says secret: ?token=, &api_key=, password=, auth=, sig=...
_SECRET_PARAM = re.compile(
    r"(?i)((?:^|[?&;\s])[\w.-]*(?:token|key|secret|passw(?:or)?d|pwd|auth|sig(?:nature)?|session)[\w.-]*=)"
    r"[^&;\s\"']*"
)
# a URL's query: its values are a client's free text (a token sent by mistake) unless ids or numbers
_QUERY = re.compile(r"\?([^\s\"'#]*)")
_PLAIN_VALUE = re.compile(r"(?i)^(?:[0-9a-f]{8}-?(?:[0-9a-f]{4}-?){3}[0-9a-f]{12}|\d{1,10})$")
MIN_SCRUBBED = 6  # shorter secrets are not searched for in log lines (they would garble them)


def redact_url(url: str) -> str:
    """``redis://:s3cret@host:6379/0`` → ``redis://:***@host:6379/0`` (every URL in the text)."""
    return _URL_PASSWORD.sub(r"\1***@", url)


def _mask_query(match: re.Match[str]) -> str:
    pairs = []
    for pair in match.group(1).split("&"):
        name, eq, value = pair.partition("=")
        pairs.append(name + eq + (value if not value or _PLAIN_VALUE.match(value) else "***"))
    return "?" + "&".join(pairs)


def redact_query(text: str) -> str:
    """Request lines for a log: a query keeps its names, uuids and numbers; every other value
    becomes ``***``, and so does any secret-looking ``token=``, ``api_key=``, ``password=`` value."""
    return _SECRET_PARAM.sub(r"\1***", _QUERY.sub(_mask_query, text))


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SCRUBBED:
                forms |= {
                    secret,
                    json.dumps(secret, ensure_ascii=False)[1:-1],
                    json.dumps(secret)[1:-1],
                    orjson.dumps(secret).decode()[1:-1] if _encodable(secret) else secret,
                }
        self.secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        level = record.levelname
        out: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": _LEVELS.get(level) or level.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        plain = True
        for k, v in record.__dict__.items():
            if k not in _STANDARD:
                out[k] = v
                if type(v) not in _PLAIN and not _plain(v):
                    plain = False
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        line = _dumps(out) if plain else None
        if line is None:
            line = json.dumps(out, ensure_ascii=False, default=str)
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, "***")
        return line


class _Fields(logging.Filter):
    def __init__(self, fields: dict[str, Any]) -> None:
        super().__init__()
        self.fields = dict(fields)

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in self.fields.items():
            record.__dict__.setdefault(name, value)
        return True


def _plain(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, (str, int))


def _dumps(out: dict[str, Any]) -> str | None:
    """The line by orjson; None when it cannot write it as json.dumps would (an int past 64
    bits, a lone surrogate): the caller then uses json.dumps."""
    try:
        return orjson.dumps(out).decode()
    except orjson.JSONEncodeError:
        return None


def _encodable(text: str) -> bool:
    try:
        orjson.dumps(text)
    except orjson.JSONEncodeError:
        return False
    return True


def setup_logging(
    level: str = "INFO", stream=sys.stderr, secrets: Iterable[str] = (), fields: dict[str, Any] | None = None
) -> None:
    """``fields``: written into every line (``worker`` of ``autocall serve --workers``)."""
    # No line shows where it was logged from, or the thread or process: spare every record the
    # lookups (the logging HOWTO's "Optimization"; under gevent the thread lookup is the dearest).
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(secrets))
    if fields:
        handler.addFilter(_Fields(fields))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
