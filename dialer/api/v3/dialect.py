"""The v3 service's error shapes and its route table."""

from __future__ import annotations

from typing import Any

from dialer.api.routes import Dialect, Routes


class V3(Dialect):
    """``{"error": "Not Found"}`` for one message; ``{"error": [{"field": "description"}]}``
    (gojsonschema's shape) for validation errors."""

    name = "v3"
    prefixes = ("/v3/", "/v1/")

    def error(self, status: int, message: str) -> dict[str, Any]:
        return {"error": message}

    def invalid(self, errors: list[tuple[str, str]]) -> dict[str, Any]:
        return {"error": [{field: message} for field, message in errors]}

    def error_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "oneOf": [
                        {"type": "string", "example": "Not Found"},
                        {
                            "type": "array",
                            "items": {"type": "object", "additionalProperties": {"type": "string"}},
                            "example": [{"(root)": "phone_number is required"}],
                        },
                    ]
                }
            },
        }


V3_DIALECT = V3()
routes = Routes(V3_DIALECT)
