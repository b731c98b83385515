"""``Idempotency-Key`` on the import routes (docs/api-v3.md, "Retrying an import").

A client may send ``Idempotency-Key: <1 to 255 visible ASCII characters>`` (a UUID is a good
choice). The answer of the request that landed is kept for ``AUTOCALL_IDEMPOTENCY_SECONDS``,
written in the same step as its leads; a retry with the same key and the same request gets it
back with ``Idempotent-Replayed: true`` and writes nothing. The same key with another request
(body, path parameters or query) is refused with 409.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from dialer.api.routes import Call, Reply
from dialer.service.errors import Invalid
from dialer.service.hub import checkpoint
from dialer.service.landing import Remember, prior_answer

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_KEY = re.compile(r"[\x21-\x7e]{1,255}")
HASH_SLICE = 1 << 20  # body bytes hashed between two checkpoints (a 64 MiB body is ~60 ms of SHA-256)


def requested(call: Call, path: str) -> Remember | None:
    """The request's Idempotency-Key, scoped to its route, with the request's fingerprint; None without one."""
    key = call.headers.get(HEADER.lower())
    if key is None:
        return None
    if not _KEY.fullmatch(key):
        raise Invalid.one(HEADER, "must be 1 to 255 visible ASCII characters (a UUID, for instance)")
    scope = hashlib.sha256(f"{path}\n{key}".encode()).hexdigest()
    fingerprint = hashlib.sha256()
    query = call.query.model_dump(mode="json") if call.query is not None else None
    fingerprint.update(json.dumps([sorted(call.params.items()), query], sort_keys=True).encode())
    fingerprint.update(b"\n")
    body = memoryview(call.raw)
    for at in range(0, len(body), HASH_SLICE):
        fingerprint.update(body[at : at + HASH_SLICE])
        checkpoint()
    return Remember(scope, fingerprint.hexdigest())


def prior(call: Call, remember: Remember | None) -> Reply | None:
    """The first answer, when this key already landed a request (nothing else is done)."""
    answer = prior_answer(call.services, remember) if remember is not None else None
    return replay(answer) if answer is not None else None


def replay(answer: tuple[int, Any]) -> Reply:
    status, body = answer
    return Reply(body, status=status, content_type="application/json; charset=utf-8", headers={REPLAYED: "true"})
