"""``autocall cdr-spool DIR``: deliver the CDRs mod_json_cdr could not post.

After its last retry mod_json_cdr writes the CDR to its ``err-log-dir``
(``<log_dir>/json_cdr_err``, one ``<channel uuid>.cdr.json`` file per
channel). This takes each file in as the endpoint would (the same checks and
writes, dialer/service/switch_cdrs.py) and removes it once Redis has it; a
file that is not a CDR is moved aside (``.bad``) with a log line, never lost,
and a Redis error stops the run with every file not yet taken left in place.
"""

from __future__ import annotations

import logging
from pathlib import Path

from dialer.esl.json_cdr import BadCdr, decode_body, read
from dialer.service import switch_cdrs
from dialer.service.context import Services
from dialer.store.errors import StoreError
from dialer.store.store import Store

log = logging.getLogger("autocall.cdrs")


def deliver(svc: Services, directory: Path, *, keep: bool = False) -> dict[str, int]:
    """Take in every ``*.cdr.json`` of ``directory``; returns counts (files, kept, bad)."""
    counts = {"files": 0, "kept": 0, "bad": 0}
    for path in sorted(directory.glob("*.cdr.json")):
        counts["files"] += 1
        try:
            cdr = read(decode_body(path.read_bytes().rstrip(b"\n"), "application/json"))
        except BadCdr as exc:
            counts["bad"] += 1
            log.error("not a FreeSWITCH JSON CDR; moved aside", extra={"file": str(path), "error": str(exc)})
            if not keep:
                path.rename(path.with_name(path.name + ".bad"))
            continue
        counts["kept"] += switch_cdrs.take(svc, [cdr])  # a RedisError stops here: the file stays
        if not keep:
            path.unlink()
    return counts


def run(settings, directory: str, *, keep: bool = False) -> int:
    path = Path(directory)
    if not path.is_dir():
        print(f"autocall cdr-spool: {directory} is not a directory")
        return 2
    store = Store.from_url(settings.redis_url.get_secret_value(), settings.redis_prefix)
    try:
        counts = deliver(Services(store, settings.audio_dir), path, keep=keep)
    except StoreError as exc:
        print(f"autocall cdr-spool: Redis unavailable ({exc}); the files not taken are still in {directory}")
        return 1
    print(f"{counts['files']} CDR file(s): {counts['kept']} kept for calls in flight, {counts['bad']} not CDRs")
    return 0
