"""Carriers: what a carrier's routes must be, and how carriers are stored.

A carrier is a trunk: per network (``viettel``, ``mobi``, ``vina``, ``tel``,
``offnet``) the FreeSWITCH gateway a call leaves by and the caller ID it
shows; ``offnet`` is the fallback of a network without an entry
(:meth:`Carrier.route`). Both values are written into the originate string
(``[origination_caller_id_number=C]sofia/gateway/G/N``), so they are checked
here with the rules of the dial-string builder (dialer/routing/dialstring.py),
and a carrier the engine could not dial with is never stored.

Create, get, page, update and delete are the templates' too
(dialer/service/catalog.py): atomic, a taken uuid refused, a carrier deleted
meanwhile never brought back, a carrier a campaign uses never deleted.
"""

from __future__ import annotations

import re

from dialer.domain.enums import Network
from dialer.domain.models import Carrier
from dialer.routing.dialstring import Leg, UnsafeValue
from dialer.service.catalog import Catalog
from dialer.service.errors import Invalid
from dialer.store.catalog import HashRecords
from dialer.store.store import Store

GATEWAY = re.compile(r"[A-Za-z0-9_.-]{1,64}")
CALLER_ID = re.compile(r"[0-9]{1,20}")
_PROBE_UUID = "00000000-0000-4000-8000-000000000000"
_PROBE_NUMBER = "0900000000"


def _check(carrier: Carrier) -> None:
    """Refuses a carrier the engine could not dial with."""
    errors: list[tuple[str, str]] = []
    if not carrier.gateways:
        errors.append(("gateways", "at least one gateway is required (offnet is used for every network without one)"))
    for network, gateway in carrier.gateways.items():
        if not GATEWAY.fullmatch(gateway):
            errors.append(
                (
                    f"gateways.{network.value}",
                    "must be a FreeSWITCH gateway name: 1 to 64 letters, digits, "
                    "'_', '.' or '-' (it goes into sofia/gateway/<name>/...)",
                )
            )
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


class Carriers(Catalog[Carrier]):
    """Stored as one JSON field (the maps nest); ``gateways`` and ``caller_ids`` are each replaced
    as a whole when an update gives them."""

    kind = "carrier"
    model = Carrier

    def records(self, store: Store) -> HashRecords[Carrier]:
        return store.catalog.carriers

    def check_whole(self, obj: Carrier) -> None:
        _check(obj)


catalog = Carriers()
