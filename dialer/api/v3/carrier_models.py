"""Request and response bodies of ``/v3/carrier`` (autocall's own; the seeds only refer to carriers)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dialer.api.v3.types import Name, Uuid

STRICT = ConfigDict(strict=True, extra="forbid")
NETWORKS = ("gateways", "caller_ids")


class PerNetwork(BaseModel):
    """One value per network; ``offnet`` is used for every network without its own."""

    model_config = STRICT
    viettel: str | None = Field(None, max_length=64)
    mobi: str | None = Field(None, max_length=64)
    vina: str | None = Field(None, max_length=64)
    tel: str | None = Field(None, max_length=64)
    offnet: str | None = Field(None, max_length=64)


class CarrierUpdate(BaseModel):
    """PUT ``/v3/carrier/{carrier_uuid}``: any field left out (or null) keeps its value;
    ``gateways`` and ``caller_ids`` are each replaced as a whole when given."""

    model_config = STRICT
    carrier_name: Name | None = None
    carrier_uuid: Uuid | None = Field(None, description="POST: your own uuid for the carrier (409 if taken)")
    gateways: PerNetwork | None = Field(
        None, description="network -> FreeSWITCH gateway name ([A-Za-z0-9_.-]{1,64}); at least one"
    )
    caller_ids: PerNetwork | None = Field(None, description="network -> caller-ID number (1 to 20 digits)")

    def given(self) -> dict[str, Any]:
        """The fields the client sent with a value (null counts as not sent, in the maps too)."""
        out = {k: v for k, v in self.model_dump(mode="json", exclude_unset=True).items() if v is not None}
        for name in NETWORKS:
            if name in out:
                out[name] = {network: value for network, value in out[name].items() if value is not None}
        return out


class CarrierBody(CarrierUpdate):
    """POST ``/v3/carrier``: ``carrier_name`` and ``gateways`` are required."""

    carrier_name: Name
    gateways: PerNetwork = Field(description="network -> FreeSWITCH gateway name ([A-Za-z0-9_.-]{1,64}); at least one")


class CarrierCreated(BaseModel):
    carrier_uuid: str
    created: bool = True


class CarrierRef(BaseModel):
    carrier_uuid: str


class CarrierView(BaseModel):
    carrier_uuid: str
    carrier_name: str
    gateways: dict[str, str]
    caller_ids: dict[str, str]


class CarrierPage(BaseModel):
    data: list[CarrierView]
    limit: int
    offset: int
    total: int
