"""VBot's answer shapes (seed 003) and its route table."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Dialect, Routes

INVALID_PARAMETER = 201  # seed 003 "Tham số không hợp lệ"
FAILURE = 400  # seed 003 "Lỗi"
REFUSALS = frozenset({400, 404, 409, 413, 415})  # the request's fault: error 201, HTTP 500


class VBot(Dialect):
    """``{"status": 0, "error": 201, "msg": "<why>", "data": "-1"}``.

    Seed 003's status table is 200 (success) and 500 (error): a refusal answers
    HTTP 500 with ``error`` 201, so a client that checks the HTTP status never
    reads ``data: "-1"`` as a campaign id. An internal error is also 500 but
    ``error`` 400 (that is how a refusal is told from a crash); a missing token
    is still 401, Redis unreachable 503.
    """

    name = "vbot"
    prefixes = ("/api/",)

    def error(self, status: int, message: str) -> dict[str, Any]:
        code = INVALID_PARAMETER if status in REFUSALS else FAILURE if status >= 500 else status
        return {"status": 0, "error": code, "msg": message, "data": "-1"}

    def invalid(self, errors: list[tuple[str, str]]) -> dict[str, Any]:
        text = "; ".join(m if f == "(root)" else f"{f}: {m}" for f, m in errors)
        return {"status": 0, "error": INVALID_PARAMETER, "msg": text, "data": "-1"}

    def http_status(self, status: int) -> int:
        return 500 if status in REFUSALS else status

    def error_text(self, status: int) -> str | None:
        if status in REFUSALS:
            return (
                "refused, error 201 (invalid parameter: a field missing or wrong, unknown campaignId, name taken, "
                "bad JSON; nothing was written); or an internal error, error 400"
            )
        return None

    def error_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["status", "error", "msg", "data"],
            "properties": {
                "status": {"type": "integer", "example": 0},
                "error": {"type": "integer", "example": 201},
                "msg": {"type": "string"},
                "data": {"type": "string", "example": "-1"},
            },
        }


VBOT_DIALECT = VBot()
routes = Routes(VBOT_DIALECT)
