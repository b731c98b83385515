"""What an operation can refuse, independent of any dialect's error shape."""

from __future__ import annotations

from dialer.store.errors import StoreError

__all__ = ["BadRequest", "Conflict", "Invalid", "NotFound", "ServiceError", "StoreError"]


# StoreError (re-exported): Redis could not answer, so nothing was decided; the API answers 503.


class ServiceError(Exception):
    """Base: the operation wrote nothing."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServiceError):
    """One message about the request as a whole (``{"error": "active is missing"}``)."""


class NotFound(ServiceError):
    status = 404

    def __init__(self, message: str = "Not Found") -> None:
        super().__init__(message)


class Conflict(ServiceError):
    """The request is well formed but the current state forbids it (name taken, campaign active)."""

    status = 409


class Invalid(ServiceError):
    """Field-level problems: (field path, message) pairs, field "(root)" for the body itself."""

    status = 400

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{f}: {m}" for f, m in errors))
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> Invalid:
        return cls([(field, message)])
