"""JsonFormatter writes a line with orjson when it can, and the line always decodes to what
``json.dumps(..., default=str)`` wrote before (the reference below)."""

from __future__ import annotations

import datetime
import enum
import io
import json
import logging
from dataclasses import dataclass

import pytest

from dialer.domain.enums import CampaignStatus
from dialer.logs import _STANDARD, JsonFormatter, setup_logging
from dialer.outcomes.vbot_codes import VBotStatus


def reference(record: logging.LogRecord) -> str:
    """The line as the formatter wrote it with json.dumps alone (before orjson)."""
    out = {
        "ts": round(record.created, 3),
        "level": record.levelname.lower(),
        "logger": record.name,
        "msg": record.getMessage(),
    }
    out.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
    return json.dumps(out, ensure_ascii=False, default=str)


def record(msg="call ended", args=(), **extra) -> logging.LogRecord:
    return logging.getLogger("autocall.engine").makeRecord(
        "autocall.engine", logging.INFO, "events.py", 90, msg, args, None, extra=extra
    )


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: int


VALUES = {
    "plain": {"campaign": "0f8c2b7e", "node": "fs1", "n": 3, "ok": True, "none": None, "ms": 12.5},
    "unicode": {"who": "Nguyễn Văn A ☎", "ctl": "a\x1b\x7f\n\t\u2028"},
    "str enum": {"status": CampaignStatus.START},
    "int enum": {"code": VBotStatus(next(iter(VBotStatus)).value)},
    "plain enum": {"colour": Colour.RED},
    "dataclass": {"point": Point(1)},
    "datetime": {"at": datetime.datetime(2026, 12, 3, 6, 30, tzinfo=datetime.UTC)},
    "nested": {"problems": {"dialplan": "missing", "n": [1, 2]}},
    "big int": {"n": 1 << 70},
    "lone surrogate": {"text": "bad \ud800 text"},
    "set": {"legs": {"a"}},
    "bytes": {"raw": b"\x00\xff"},
    "exception": {"error": ValueError("boom")},
    "non-str key": {"by_code": {1: "a"}},
}


@pytest.mark.parametrize("extra", VALUES.values(), ids=VALUES.keys())
def test_a_line_decodes_to_what_json_dumps_wrote(extra):
    rec = record(**extra)
    line = JsonFormatter().format(rec)
    assert "\n" not in line
    assert json.loads(line) == json.loads(reference(rec))


def test_a_float_that_is_not_finite_is_written_as_json_dumps_writes_it():
    rec = record(retry_in_s=float("nan"), limit=float("inf"))
    assert JsonFormatter().format(rec) == reference(rec)  # NaN, Infinity: as before, not null


def test_the_message_is_formatted_with_its_arguments():
    rec = record("%s calls up on %s", (3, "fs1"))
    assert json.loads(JsonFormatter().format(rec))["msg"] == "3 calls up on fs1"


@pytest.mark.parametrize("detail", ["token-123456 said no", Colour.RED], ids=["orjson", "json.dumps"])
def test_secrets_are_masked_on_either_path(detail):
    fmt = JsonFormatter(["token-123456", 'quo"te\x1bsecret'])
    line = fmt.format(record("failed with token-123456", detail=detail, other='x quo"te\x1bsecret y'))
    got = json.loads(line)
    assert "token-123456" not in line and got["msg"] == "failed with ***"
    assert got["other"] == "x *** y"


def test_an_exception_is_in_the_line():
    try:
        raise RuntimeError("kaput")
    except RuntimeError:
        rec = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, "f.py", 1, "failed", (), __import__("sys").exc_info()
        )
    got = json.loads(JsonFormatter().format(rec))
    assert got["level"] == "error" and "RuntimeError: kaput" in got["exc"]


def test_setup_logging_spares_records_the_lookups_no_line_shows():
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging._srcfile, logging.logThreads, logging.logProcesses)
    stream = io.StringIO()
    try:
        setup_logging("INFO", stream)
        logging.getLogger("autocall.test").info("hello", extra={"call": "c1"})
        assert (logging._srcfile, logging.logThreads, logging.logProcesses) == (None, False, False)
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        logging._srcfile, logging.logThreads, logging.logProcesses = saved[2:]
    line = json.loads(stream.getvalue())
    assert line["msg"] == "hello" and line["call"] == "c1" and line["level"] == "info"
    assert set(line) == {"ts", "level", "logger", "msg", "call"}
