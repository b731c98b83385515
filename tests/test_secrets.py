"""Passwords and tokens in settings: required where they matter, never shown by a repr, an error
message or a log line (dialer/logs.py, dialer/esl/node.py, dialer/config.py)."""

from __future__ import annotations

import io
import json
import logging

import pytest
from pydantic import ValidationError

from dialer.config import Settings
from dialer.esl.node import NodeConfig
from dialer.logs import JsonFormatter, redact_query, redact_url, setup_logging


@pytest.mark.parametrize("url", ["esl://127.0.0.1:8021", "esl://:@127.0.0.1:8021", "esl://user@127.0.0.1"])
def test_an_esl_url_without_a_password_is_an_error_naming_the_node(url):
    with pytest.raises(ValueError, match=r"FreeSWITCH node 127\.0\.0\.1:8021 has no ESL password"):
        NodeConfig.from_url(url)


def test_an_esl_password_is_percent_decoded_and_may_not_hold_a_line_break():
    assert NodeConfig.from_url("esl://:p%40ss%2Fw%2Cd@fs1:8022").password == "p@ss/w,d"
    with pytest.raises(ValueError, match="control character"):
        NodeConfig.from_url("esl://:pass%0A%0Aapi%20status@fs1")


def test_no_error_and_no_repr_shows_a_password():
    with pytest.raises(ValueError) as err:
        NodeConfig.from_url("http://:hunter2-secret@fs1:8021")
    assert "hunter2-secret" not in str(err.value) and "***" in str(err.value)
    assert "hunter2-secret" not in repr(NodeConfig.from_url("esl://:hunter2-secret@fs1:8021"))
    with pytest.raises(ValidationError) as bad:
        Settings(freeswitch="esl://:hunter2-secret@fs1:8021,ftp://:hunter2-secret@fs2")
    assert "hunter2-secret" not in str(bad.value)
    settings = Settings(
        freeswitch="esl://:hunter2-secret@fs1:8021",
        redis_url="redis://:redis-secret@r:6379/0",
        api_tokens="token-secret",
        webhook_secret="hook-secret",
        tts_key="tts-secret",
    )
    shown = repr(settings) + str(settings)
    for secret in ("hunter2-secret", "redis-secret", "token-secret", "hook-secret", "tts-secret"):
        assert secret not in shown
        assert secret in settings.secrets()


def test_urls_and_request_lines_are_redacted():
    assert redact_url("redis://:s3cret@10.0.0.1:6379/0") == "redis://:***@10.0.0.1:6379/0"
    assert redact_url("redis://default:s3/c@r@h:1/0") == "redis://default:***@h:1/0"  # unencoded @ and /
    assert redact_url("redis://10.0.0.1:6379/0") == "redis://10.0.0.1:6379/0"
    assert redact_url("esl://:a@h1:8021,esl://:b@h2:8021") == "esl://:***@h1:8021,esl://:***@h2:8021"
    uuid = "0f8e2a3c-1111-4222-8333-944455556666"
    line = f'"GET /v1/autocall/report?campaign_uuid={uuid}&limit=10&token=t0k&start_date=2024-01-01 HTTP/1.1" 200'
    assert redact_query(line) == (
        f'"GET /v1/autocall/report?campaign_uuid={uuid}&limit=10&token=***&start_date=*** HTTP/1.1" 200'
    )
    assert redact_query("password=abc secret_key=def") == "password=*** secret_key=***"


def test_the_log_scrubber_masks_every_configured_secret():
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        setup_logging("DEBUG", stream, secrets=["api-token-1", 'quo"te-secret', "short"])
        logging.getLogger("autocall.test").error("failed with api-token-1", extra={"detail": 'quo"te-secret'})
    finally:
        root.handlers[:], root.level = handlers, level
    line = json.loads(stream.getvalue())
    assert line["msg"] == "failed with ***" and line["detail"] == "***"
    assert JsonFormatter(["short"]).secrets == []  # under 6 characters: would garble every line
