"""What one INFO log line costs: autocall's JSON lines against a stdlib-json baseline, same run.

    .venv/bin/python bench/logging_cost.py [--records 100000]

The record is the engine's one INFO line per call (``call ended``: campaign,
lead, call, node, cause, recall_status) with four secrets to mask, as the
daemon runs it (gevent monkey-patched). CPU-µs per record (process CPU time,
best of 3), for:

  format      the formatter alone, on a record made once;
  log.info    the whole path: ``log.info(..., extra=...)`` through a
              StreamHandler to an in-memory stream (record, lookups, format, write).

The baseline is the formatter as it was (``json.dumps(..., default=str)``
per line) with the logging module's defaults; "ours" is
:class:`dialer.logs.JsonFormatter` installed by :func:`dialer.logs.setup_logging`.
"""

from __future__ import annotations

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dialer.logs import _STANDARD, JsonFormatter, setup_logging  # noqa: E402

SECRETS = ["api-token-0123456789", "ClueCon-not-default", "redis-password-xyz", "webhook-secret-abcdef"]
EXTRA = {
    "campaign": "0f8c2b7e-5d0a-4c1e-9d7e-2a1b3c4d5e6f",
    "lead": "1a2b3c4d-5e6f-4a1b-8c9d-0e1f2a3b4c5d",
    "call": "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f",
    "node": "fs1",
    "cause": "NORMAL_CLEARING",
    "recall_status": "none",
}


class StdlibJsonFormatter(logging.Formatter):
    """The baseline: dialer.logs.JsonFormatter as it was before orjson (json.dumps per line)."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            forms |= {secret, json.dumps(secret, ensure_ascii=False)[1:-1], json.dumps(secret)[1:-1]}
        self.secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        line = json.dumps(out, ensure_ascii=False, default=str)
        for secret in self.secrets:
            line = line.replace(secret, "***")
        return line


def best_of(n: int, fn, repeat: int = 3) -> float:
    """CPU-µs per call of fn, best of ``repeat`` runs of n calls."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(n):
            fn()
        best = min(best, time.process_time() - t0)
    return best / n * 1e6


def whole_path(n: int, ours: bool) -> float:
    saved = (logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        if ours:
            setup_logging("INFO", io.StringIO(), secrets=SECRETS)
        else:
            handler = logging.StreamHandler(io.StringIO())
            handler.setFormatter(StdlibJsonFormatter(SECRETS))
            root.handlers[:] = [handler]
            root.setLevel("INFO")
        log = logging.getLogger("autocall.engine")

        return best_of(n, lambda: log.info("call ended", extra=EXTRA))
    finally:
        root.handlers[:], root.level = handlers, level
        logging._srcfile, logging.logThreads, logging.logProcesses, logging.logMultiprocessing = saved


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=100_000)
    n = ap.parse_args().records
    record = logging.getLogger("autocall.engine").makeRecord(
        "autocall.engine", logging.INFO, "events.py", 90, "call ended", (), None, extra=EXTRA
    )
    base, ours = StdlibJsonFormatter(SECRETS), JsonFormatter(SECRETS)
    assert json.loads(base.format(record)) == json.loads(ours.format(record))
    rows = [
        ("format", best_of(n, lambda: base.format(record)), best_of(n, lambda: ours.format(record))),
        ("log.info", whole_path(n, ours=False), whole_path(n, ours=True)),
    ]
    print(f"INFO log line cost, {n:,} records, CPU-µs per record (best of 3)")
    print(f"{'':10s} {'stdlib json':>12s} {'autocall':>10s} {'ratio':>7s}")
    for name, b, o in rows:
        print(f"{name:10s} {b:12.2f} {o:10.2f} {b / o:6.1f}×")


if __name__ == "__main__":
    main()
