"""VBot's answer shapes (seed 003) and its route table."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Dialect, Routes

INVALID_PARAMETER = 201  # seed 003 "Tham số không hợp lệ"
FAILURE = 400  # seed 003 "Lỗi"


class VBot(Dialect):
    """``{"status": 0, "error": 201, "msg": "<why>", "data": "-1"}``.

    Seed 003 lists HTTP 200 (success) and 500 (error) only, and puts the outcome
    in the body: refusals answer HTTP 200 with ``status`` 0, as VBot does;
    a missing token is still 401 and an internal error 500.
    """

    name = "vbot"
    prefixes = ("/api/",)

    def error(self, status: int, message: str) -> dict[str, Any]:
        code = INVALID_PARAMETER if status in (400, 404, 409, 413, 415) else FAILURE if status >= 500 else status
        return {"status": 0, "error": code, "msg": message, "data": "-1"}

    def invalid(self, errors: list[tuple[str, str]]) -> dict[str, Any]:
        text = "; ".join(m if f == "(root)" else f"{f}: {m}" for f, m in errors)
        return {"status": 0, "error": INVALID_PARAMETER, "msg": text, "data": "-1"}

    def http_status(self, status: int) -> int:
        return 200 if status in (400, 404, 409, 413, 415) else status

    def error_schema(self) -> dict[str, Any]:
        return {"type": "object", "required": ["status", "error", "msg", "data"], "properties": {
            "status": {"type": "integer", "example": 0}, "error": {"type": "integer", "example": 201},
            "msg": {"type": "string"}, "data": {"type": "string", "example": "-1"}}}  # fmt: skip


VBOT_DIALECT = VBot()
routes = Routes(VBOT_DIALECT)
