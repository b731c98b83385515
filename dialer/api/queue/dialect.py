"""The queue service's answer shapes (seed 004) and its route table."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Dialect, Routes


class Queue(Dialect):
    """``{"code": 404, "content": "queue not found"}``; the HTTP status is the body's ``code``."""

    name = "queue"
    prefixes = ("/v2/",)

    def error(self, status: int, message: str) -> dict[str, Any]:
        return {"code": status, "content": message}

    def invalid(self, errors: list[tuple[str, str]]) -> dict[str, Any]:
        text = "; ".join(m if f == "(root)" else f"{f}: {m}" for f, m in errors)
        # "data" as the seed's push error carries it, so a client reading data.fail never breaks.
        return {
            "code": 400,
            "content": text,
            "errors": [{f: m} for f, m in errors],
            "data": {"fail": [], "success": []},
        }

    def error_schema(self) -> dict[str, Any]:
        field_errors = {"type": "array", "items": {"type": "object", "additionalProperties": {"type": "string"}}}
        texts = {"type": "object", "additionalProperties": {"type": "string"}}
        ids = {"type": "array", "items": {"type": "string"}}
        # A push that takes no customer: {"code": 400, "content": "import fail", "data": {"fail": [...], ...}};
        # a validation error carries an empty data too.
        data = {
            "type": "object",
            "required": ["fail", "success"],
            "description": "push only: the customers refused "
            '(fail) and why (reasons); content "import fail" when none was taken',
            "properties": {"fail": ids, "success": ids, "reasons": texts, "warnings": texts},
        }
        return {
            "type": "object",
            "required": ["code", "content"],
            "properties": {
                "code": {"type": "integer", "example": 404},
                "content": {"type": "string", "example": "queue not found"},
                "errors": field_errors,
                "data": data,
            },
        }

    def error_text(self, status: int) -> str | None:
        if status == 400:
            return (
                "invalid request (nothing was written); a push none of whose customers was taken answers "
                'content "import fail" with data.fail and data.reasons'
            )
        return None


QUEUE_DIALECT = Queue()
routes = Routes(QUEUE_DIALECT)
