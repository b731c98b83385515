"""Bodies of the queue API (seed 004), field for field.

Top-level fields are strict (a typo such as ``concurent_call`` is refused,
not ignored); a customer's fields other than ``id`` and ``mobiles`` are its
template fields, whatever their names.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from dialer.api.fields import Integral, Name, integral

STRICT = ConfigDict(strict=True, extra="forbid")
MAX_CUSTOMERS = 1_000_000


def _id_text(value: Any) -> Any:
    """Customer ids are text; an integer id (``"id": 1234``, or ``1234.0``) is taken as its digits."""
    value = integral(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


CustomerId = Annotated[
    str,
    Field(min_length=1, max_length=128, description="the customer's id (text or integer)"),
    BeforeValidator(_id_text),
    WithJsonSchema(
        {
            "anyOf": [{"type": "string", "minLength": 1, "maxLength": 128}, {"type": "integer"}],
            "description": "the customer's id: text, or an integer (taken as its digits)",
        },
        mode="validation",
    ),
]
QueueCode = Annotated[Name, Field(description="the queue (a campaign of that name)")]


class Customer(BaseModel):
    """One customer: ``id``, ``mobiles``, and any other field (a template field, value as given)."""

    model_config = ConfigDict(strict=True, extra="allow")
    id: CustomerId
    mobiles: list[Any] | None = Field(
        None,
        max_length=100,
        description="phone numbers; invalid ones are dropped, a customer with none valid goes to fail",
    )


class PushBody(BaseModel):
    """``POST /v2/autocall/queue``: settings left out (or null) keep the queue's values."""

    model_config = STRICT
    queue_code: QueueCode
    template: Name = Field(description="the template's template_name")
    concurrent_call: Annotated[int, Integral(ge=1, le=100_000)] | None = None
    max_recall_count: Annotated[int, Integral(ge=0, le=100)] | None = Field(
        None, description="recalls after the first attempt"
    )
    min_recall_duration: Annotated[int, Integral(ge=0, le=86_400)] | None = Field(
        None, description="an answered call with less talk time (s) is recalled"
    )
    mode_call: Literal["direct", "serial", "parralel", "parallel"] | None = Field(
        None, description="autocall: how several mobiles are dialled (default direct)"
    )
    customers: list[Customer] = Field(max_length=MAX_CUSTOMERS)


class PushData(BaseModel):
    fail: list[str] = Field(description="ids of the customers not taken (each once)")
    success: list[str] = Field(description="ids of the customers queued")
    reasons: dict[str, str] = Field(description="autocall: why each id in fail was refused")
    warnings: dict[str, str] = Field(description="autocall: mobiles dropped from customers that were taken")


class PushAnswer(BaseModel):
    code: int = Field(200, description='200, or 400 with content "import fail" when no customer was taken')
    content: str = "successfully"
    data: PushData


class DncCustomer(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore")
    id: CustomerId


class DncBody(BaseModel):
    model_config = STRICT
    queue_code: QueueCode
    customers: list[DncCustomer] = Field(max_length=MAX_CUSTOMERS)


class QueueBody(BaseModel):
    """``/stop``, ``/start``, ``/delete``."""

    model_config = STRICT
    queue_code: QueueCode


class Done(BaseModel):
    code: int = 200
    content: str = "successfully"
