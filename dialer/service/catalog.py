"""The operations templates and carriers share: create, get, page, update, delete.

Templates and carriers are catalog objects: each is one Redis hash plus an
entry in a registry kept in creation order, named by a uuid the client may
choose, and referred to by campaigns through ``<kind>_uuid``. :class:`Catalog`
does what they do alike; a subclass names the store's records of its kind
(dialer/store/catalog.py ``HashRecords``: how an object is written to its hash)
and what it checks beyond the model's schema (dialer/service/templates.py,
dialer/service/carriers.py).

Writes are atomic, each in one Redis transaction (WATCH/MULTI): create refuses
a taken uuid, update refuses an object deleted meanwhile (it never comes
back), delete refuses an object a campaign uses.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from dialer.domain.ids import new_uuid
from dialer.domain.models import DEFAULT_TIME_ZONE
from dialer.domain.window import zone
from dialer.service.context import Services
from dialer.service.errors import Conflict, Invalid, NotFound
from dialer.service.schema_errors import schema_errors
from dialer.store.catalog import HashRecords
from dialer.store.errors import InUse, MissingReference
from dialer.store.store import Store

Model = TypeVar("Model", bound=BaseModel)


def local_now(svc: Services) -> datetime:
    """Now in the default time zone: what ``created_at`` and ``updated_at`` are stamped with."""
    return datetime.fromtimestamp(svc.clock(), zone(DEFAULT_TIME_ZONE))


class Catalog(ABC, Generic[Model]):
    """One kind of catalog object; subclasses fill in the storage and the extra checks."""

    kind: str  # "template": the messages, and ``template_uuid``, the field naming one
    model: type[Model]
    # Set by autocall, never by a request: a body may carry them (echoing a GET), they are ignored.
    read_only: frozenset[str] = frozenset()
    stamped = False  # the object keeps created_at and updated_at

    @property
    def uuid_field(self) -> str:
        return f"{self.kind}_uuid"

    # -- where the objects are stored ------------------------------------------------
    @abstractmethod
    def records(self, store: Store) -> HashRecords[Model]:
        """The store's hash records of this kind (dialer/store/catalog.py)."""

    # -- checks beyond the model's schema (none unless the kind has some) --------------
    def check_given(self, svc: Services, values: dict[str, Any], current: Model | None) -> None:
        """Checks on the fields given, made before the schema's (``current`` is None on create)."""

    def check_whole(self, obj: Model) -> None:
        """Checks on the object the schema accepted."""

    def validated(self, values: dict[str, Any]) -> Model:
        try:
            obj = self.model.model_validate(values)
        except ValidationError as exc:
            raise Invalid(schema_errors(exc)) from None
        self.check_whole(obj)
        return obj

    def _stamps(self, svc: Services, *, created: bool) -> dict[str, datetime]:
        if not self.stamped:
            return {}
        now = local_now(svc)
        return {"created_at": now, "updated_at": now} if created else {"updated_at": now}

    # -- operations -----------------------------------------------------------------
    def create(self, svc: Services, values: dict[str, Any]) -> Model:
        """A new object; its uuid may be chosen by the client (409 if taken)."""
        values = {k: v for k, v in values.items() if k not in self.read_only}
        uuid = values.pop(self.uuid_field, "") or new_uuid()
        self.check_given(svc, values, None)
        obj = self.validated({**values, self.uuid_field: uuid, **self._stamps(svc, created=True)})
        try:
            if not self.records(svc.store).create(obj, svc.now_ms()):
                raise Conflict(f"{self.uuid_field} is already taken")
        except MissingReference as exc:  # checked before, deleted since
            raise Invalid.one(str(exc), "names an object that does not exist") from None
        return obj

    def get(self, svc: Services, uuid: str) -> Model:
        obj = self.records(svc.store).get(uuid)
        if obj is None:
            raise NotFound()
        return obj

    def page(self, svc: Services, *, limit: int, offset: int) -> tuple[list[Model], int]:
        """Objects in creation order: (the page, total)."""
        records = self.records(svc.store)
        uuids = records.uuids()
        return records.get_many(uuids[offset : offset + limit]), len(uuids)

    def update(self, svc: Services, uuid: str, values: dict[str, Any]) -> Model:
        """Change the fields given (a field left out keeps its value)."""
        body_uuid = values.get(self.uuid_field)
        if body_uuid and body_uuid != uuid:
            raise Invalid.one(self.uuid_field, f"{self.uuid_field} in the body differs from the one in the URL")
        values = {k: v for k, v in values.items() if k not in self.read_only and k != self.uuid_field}
        stamps = self._stamps(svc, created=False)

        records = self.records(svc.store)

        def change(current_raw: dict[str, str]) -> dict[str, str]:
            current = records.from_hash(current_raw)
            self.check_given(svc, values, current)
            return records.to_hash(self.validated({**current.model_dump(), **values, **stamps}))

        return records.from_hash(self.rewrite(svc, uuid, change))

    def rewrite(self, svc: Services, uuid: str, change: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
        """Rewrite the stored object, then have every engine reload the campaigns that use it
        (a new text, audio file or gateway takes effect on running campaigns at once)."""
        try:
            new = self.records(svc.store).rewrite(uuid, change)
        except KeyError:
            raise NotFound() from None
        except MissingReference as exc:  # checked before, deleted since
            raise Invalid.one(str(exc), "names an object that does not exist") from None
        campaigns = svc.store.campaigns
        users = [c.campaign_uuid for c in campaigns.get_many(campaigns.uuids()) if getattr(c, self.uuid_field) == uuid]
        if users:
            campaigns.announce_changed(users)
        return new

    def delete(self, svc: Services, uuid: str) -> None:
        """Delete an object no campaign uses (409 names the first campaign that does)."""
        try:
            self.records(svc.store).delete_unused(uuid)
        except KeyError:
            raise NotFound() from None
        except InUse as exc:
            raise Conflict(f"{self.kind} is used by campaign {exc.campaign_name}") from None
