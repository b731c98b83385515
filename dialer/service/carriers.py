"""Carrier operations: create, update, list, read, delete.

A carrier is a trunk: per network (``viettel``, ``mobi``, ``vina``, ``tel``,
``offnet``) the FreeSWITCH gateway a call leaves by and the caller ID it
shows; ``offnet`` is the fallback of a network without an entry
(:meth:`Carrier.route`). Both values are written into the originate string
(``[origination_caller_id_number=C]sofia/gateway/G/N``), so they are checked
here with the rules of the dial-string builder (dialer/routing/dialstring.py),
and a carrier the engine could not dial with is never stored.

Writes are atomic like the templates' (the helpers live in
:mod:`dialer.service.templates`): create refuses a taken uuid, update refuses
a carrier deleted meanwhile, delete refuses a carrier a campaign uses.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from dialer.api.schema_errors import schema_errors
from dialer.domain.enums import Network
from dialer.domain.ids import new_uuid
from dialer.domain.models import Carrier
from dialer.routing.dialstring import Leg, UnsafeValue
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.templates import delete_unused, rewrite

UUID_TAKEN = "carrier_uuid is already taken"
GATEWAY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CALLER_ID = re.compile(r"[0-9]{1,20}")
_PROBE_UUID = "00000000-0000-4000-8000-000000000000"
_PROBE_NUMBER = "0900000000"


def _from_hash(data: dict[str, str]) -> Carrier:
    return Carrier.model_validate_json(data["json"])


def _check(carrier: Carrier) -> None:
    errors: list[tuple[str, str]] = []
    if not carrier.gateways:
        errors.append(("gateways", "at least one gateway is required (offnet is used for every network without one)"))
    for network, gateway in carrier.gateways.items():
        if not GATEWAY.fullmatch(gateway):
            errors.append((f"gateways.{network.value}", "must be a FreeSWITCH gateway name: 1 to 64 letters, digits, "
                           "'_', '.' or '-' (it goes into sofia/gateway/<name>/...)"))  # fmt: skip
    for network, caller_id in carrier.caller_ids.items():
        if not CALLER_ID.fullmatch(caller_id):
            errors.append((f"caller_ids.{network.value}", "must be the caller-ID number: 1 to 20 digits"))
    if not errors:
        # Defence in depth: each route must pass the very check the engine's originate makes.
        for network in Network:
            route = carrier.route(network)
            if route is None:
                continue
            try:
                Leg(uuid=_PROBE_UUID, gateway=route[0], number=_PROBE_NUMBER, caller_id=route[1])
            except UnsafeValue as exc:
                errors.append((f"gateways.{network.value}", f"cannot be dialled: {exc}"))
    if errors:
        raise Invalid(errors)


def _validated(values: dict[str, Any]) -> Carrier:
    try:
        carrier = Carrier.model_validate(values)
    except ValidationError as exc:
        raise Invalid(schema_errors(exc)) from None
    _check(carrier)
    return carrier


def create(svc: Services, values: dict[str, Any]) -> Carrier:
    """A new carrier; ``carrier_uuid`` may be chosen by the client (409 if taken)."""
    uuid = values.pop("carrier_uuid", "") or new_uuid()
    carrier = _validated({**values, "carrier_uuid": uuid})
    if not svc.store.catalog.carriers.create(carrier, svc.now_ms()):
        raise Conflict(UUID_TAKEN)
    return carrier


def get(svc: Services, uuid: str) -> Carrier:
    carrier = svc.store.catalog.carriers.get(uuid)
    if carrier is None:
        raise NotFound()
    return carrier


def page(svc: Services, *, limit: int, offset: int) -> tuple[list[Carrier], int]:
    """Carriers in creation order: (the page, total)."""
    uuids = svc.store.catalog.carriers.uuids()
    return svc.store.catalog.carriers.get_many(uuids[offset : offset + limit]), len(uuids)


def update(svc: Services, uuid: str, values: dict[str, Any]) -> Carrier:
    """Change the fields given (a field left out keeps its value; ``gateways`` and
    ``caller_ids`` are each replaced as a whole when given)."""
    body_uuid = values.pop("carrier_uuid", None)
    if body_uuid and body_uuid != uuid:
        raise Invalid.one("carrier_uuid", "carrier_uuid in the body differs from the one in the URL")

    def change(current_raw: dict[str, str]) -> dict[str, str]:
        current = _from_hash(current_raw)
        merged = _validated({**current.model_dump(), **values})
        return {"json": merged.model_dump_json()}

    return _from_hash(rewrite(svc, svc.store.catalog.carriers, change, "carrier_uuid", uuid))


def delete(svc: Services, uuid: str) -> None:
    """Delete a carrier no campaign uses (409 names the first campaign that does)."""
    delete_unused(svc.store.catalog.carriers, uuid, "carrier")
