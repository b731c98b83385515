"""The body of VBot's ``POST /api/campaign/create`` (seed 003).

The seed's JSON example spells the fields ``vbotId``, ``groupCode``,
``campaignId``; its table spells them ``vbot_id``, ``project_code``,
``campaignID``. Either spelling of each is accepted (one, not both), and the
OpenAPI document says so.
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from dialer.api.fields import Integer, Name

STRICT = ConfigDict(strict=True, extra="forbid")
SPELLINGS = (("vbotId", "vbot_id"), ("groupCode", "project_code"), ("campaignId", "campaignID"))  # example, table


def _both_spellings(schema: dict[str, Any]) -> None:
    """The JSON schema lists the table's spelling beside the example's: exactly one of each pair is required."""
    properties = schema["properties"]
    for example, table in SPELLINGS:
        text = f"the seed table's spelling of {example} (send one of the two)"
        properties[table] = {**properties[example], "title": table, "description": text}
    schema["required"] = [name for name in schema["required"] if name not in dict(SPELLINGS)]
    schema["allOf"] = [{"oneOf": [{"required": [example]}, {"required": [table]}]} for example, table in SPELLINGS]


class PhoneField(BaseModel):
    model_config = STRICT
    key: str = Field(min_length=1, max_length=64)
    value: str | int | float | bool | None = None


class Phone(BaseModel):
    """One callee: ``phone`` (required), ``description``, ``numberCall`` (attempts), template fields."""

    model_config = STRICT
    fields: list[PhoneField] = Field(max_length=100)


class CreateCampaign(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_both_spellings)
    vbot_id: str | Integer = Field(validation_alias=AliasChoices("vbotId", "vbot_id"))
    group_code: str = Field(validation_alias=AliasChoices("groupCode", "project_code"), max_length=128)
    campaign_id: Integer | str = Field(
        validation_alias=AliasChoices("campaignId", "campaignID"),
        description="the integer id of the campaign used as the template",
    )
    name: Name
    phones: list[Phone] = Field(min_length=1, max_length=100_000)


class Created(BaseModel):
    status: int = 1
    error: int = 0
    msg: str = "success"
    data: int = Field(description="the new campaign's integer id")
